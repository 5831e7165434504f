"""The demo knowledge base: the manager guide's recommended structure with real articles.

Each group is (name, slug, description, staff_only, articles); each article is a dict with
title, slug, keywords (the phrases customers type) and body (Markdown). Kept apart from the
seeding code so editing the texts never touches logic.
"""

GETTING_STARTED = [
    {
        "title": "How to register and access the client portal",
        "slug": "how-to-access-the-client-portal",
        "keywords": "first steps, register, sign up, portal access, "
                    "create account, first login, invitation email, login page",
        "related": ["how-to-reset-your-password", "platform-navigation"],
        "body": """
The client portal is where you open support tickets, follow their progress, download invoices and
read this knowledge base. Every person at your company who works with us can have their own login.

## Getting your first login

Portal accounts are created by invitation, so nobody outside your company can register in your name.

1. Ask your account manager, or the primary contact of your company, to invite you. They need
   your first name, last name and work email address.
2. You receive an email with the subject **"You are invited to the support portal"**. The link in
   it is personal and stays valid for three days.
3. Open the link and choose a password of at least 8 characters. Avoid passwords you use elsewhere.
4. You are signed in and land on your portal dashboard.

If the invitation has expired, simply use **Forgot your password?** on the login page with the same
email address: the reset email works as a new invitation.

## Signing in afterwards

Go to the login page (*Sign in* at the top right of any portal page), enter your work email and
your password. After five wrong attempts in a row the login is paused for 15 minutes to protect
your account; see [Why is my account locked?](/knowledge-base/article/why-is-my-account-locked/).

## Who should have an account?

Anyone who reports problems, approves orders or handles invoices. Shared logins ("office@...")
make it impossible to see who asked what, so we recommend one account per person.
""",
    },
    {
        "title": "Platform navigation: a quick tour of the portal",
        "slug": "platform-navigation",
        "keywords": "navigation, menu, dashboard, where to find, portal tour, home page",
        "related": ["how-to-open-a-support-ticket", "first-recommended-settings"],
        "body": """
The portal is built around three things: your tickets, your documents and the knowledge base.
Here is where to find each of them.

## The top bar

* **Home** – your dashboard: open tickets with their status colour, current announcements from us
  (planned maintenance, incidents) and a search box for the knowledge base.
* **My tickets** – every ticket you opened. If you are the primary contact of your company you
  see your colleagues' tickets too. Filter by status to find what is still open.
* **Open a ticket** – the form to ask us something new.
* **Knowledge base** – guides like this one, grouped by topic.
* **Search** – the box at the top searches the knowledge base from any page.

## Ticket statuses and their colours

| Status | Meaning |
|---|---|
| New | We received it and it waits for an agent |
| In Progress | An agent is working on it |
| Answered | We replied and wait for your answer |
| On Hold | We wait for a third party (carrier, supplier) |
| Escalated | A specialist team has it |
| Closed | Solved. Reply within 30 days to reopen it |

## Tips

* Announcements can be dismissed with the ✕ button; they return only if we publish a new one.
* Every page has its own address, so you can bookmark a ticket or share an article link with a colleague.
""",
    },
    {
        "title": "First recommended settings after you sign in",
        "slug": "first-recommended-settings",
        "keywords": "first steps in the portal, settings, profile, time zone, notifications, setup, onboarding",
        "related": ["platform-navigation", "adding-new-users"],
        "body": """
A few minutes of set-up on your first day saves a lot of confusion later. We recommend these steps.

## 1. Check your name and time zone

Open your profile (your name at the top right). Make sure your full name is correct: it appears on
every reply you send us. Set your **time zone** so that ticket times and due dates are shown in
your local time.

## 2. Add your colleagues

If you are your company's primary contact, invite the people who will open tickets or handle
invoices. See [Adding new users to your company account](/knowledge-base/article/adding-new-users/).

## 3. Whitelist our email address

Replies to your tickets come from the address of the department that handles them (for example
support@company.com or billing@company.com). Add our domain to your safe senders so our answers
never land in spam. You can reply directly to these emails: your answer is added to the ticket.

## 4. Bookmark the knowledge base

Most questions about passwords, invoices and deliveries are answered here in a minute, any time of day.
""",
    },
    {
        "title": "How to open a support ticket (and what to include)",
        "slug": "how-to-open-a-support-ticket",
        "keywords": "open ticket, new ticket, contact support, report a problem, submit request, create ticket",
        "related": ["following-your-tickets", "attachments-rejected"],
        "body": """
You can reach us through the portal, by email or by phone. The portal is the fastest: your ticket
goes straight to the right team with everything it needs.

## Opening a ticket in the portal

1. Click **Open a ticket** in the top bar.
2. Choose the **department**: General Support, Technical Support, Billing or Orders.
3. Write a short, specific **subject**, e.g. *"Invoice INV-2024-118 shows the wrong VAT rate"*.
   While you type, we suggest knowledge base articles that may already answer your question.
4. Describe the problem in the **message**: what you did, what you expected and what happened
   instead. Include order or invoice numbers.
5. Pick a **priority**: *Urgent* only when work has stopped completely, *High* when an important
   function fails, *Medium* when there is a workaround, *Low* for questions.
6. Attach screenshots or files if they help (up to 10 MB each).
7. Click **Submit**. You receive a confirmation email with your ticket number.

## Opening a ticket by email

Write to the department address. Keep the `[Ticket ID: 123]` part of the subject when you reply
to one of our emails, so your message is added to the existing ticket instead of opening a new one.

## What makes a ticket quick to solve

* One problem per ticket.
* The exact error message, copied as text.
* When it started and whether colleagues see it too.
""",
    },
    {
        "title": "Following your tickets and replying",
        "slug": "following-your-tickets",
        "keywords": "ticket status, reply to ticket, follow up, my tickets, mark as resolved, close ticket, reopen",
        "related": ["how-to-open-a-support-ticket", "platform-navigation"],
        "body": """
Every ticket has a page in the portal with the whole conversation, its status and its files.

## Finding a ticket

Open **My tickets**. Use the status filter to show only open tickets, or search by number.
Primary contacts see all tickets of their company.

## Replying

Type your answer in the reply box at the bottom of the ticket page and click **Send**. You can
attach files. Replying by email to any of our messages works just as well.

When you reply to a ticket that is *Answered*, it goes back to the agent's queue automatically.

## Marking a ticket as resolved

If our answer solved your problem, click **Mark as resolved**. The ticket is closed and you may
receive a one-question survey about our help; your answer tells us what to improve.

## Reopening

Replying to a closed ticket within 30 days reopens it. After that, please open a new ticket and
mention the old number.
""",
    },
]

ACCOUNT_ACCESS = [
    {
        "title": "How to reset your password",
        "slug": "how-to-reset-your-password",
        "keywords": "forgot password, cannot log in, forgotten password, password reset, reset link, can't log in, "
                    "cannot sign in, lost password, change password",
        "related": ["why-is-my-account-locked", "how-to-access-the-client-portal"],
        "body": """
Forgot your password? You can set a new one yourself in two minutes; nobody at our side can see
or send you your current password.

## Reset your password

1. Go to the portal login page and click **Forgot your password?**
2. Enter the email address you use to sign in and click **Send reset link**.
3. Open the email **"Reset your password"**. It arrives within a few minutes; check your spam
   folder if you cannot find it.
4. Click the link. It works once and expires after three days.
5. Choose a new password (at least 8 characters, not only digits, not a common word) and
   confirm it.
6. Sign in with your email address and the new password.

For your security we send the same confirmation whether or not the address has an account, so
the page cannot be used to find out who our customers are.

## No email arrives?

* Make sure you typed the address you were invited with; colleagues sometimes have aliases.
* Ask your IT team whether mail from our domain is blocked or quarantined.
* If your company's primary contact invited you, they can send a new invitation.

## Changing a password you know

Sign in, open your profile and choose **Change password**. You need the current password.
""",
    },
    {
        "title": "Adding new users to your company account",
        "slug": "adding-new-users",
        "keywords": "add user, add a new user, new user, "
                    "invite colleague, add colleague, new contact, team member access",
        "related": ["permissions-and-roles", "how-to-access-the-client-portal"],
        "body": """
The primary contact of a company can give colleagues their own portal access. Other users can
ask the primary contact, or open a ticket to General Support.

## Inviting a colleague

1. Open a ticket to **General Support** with the subject *"New portal user"*.
2. Give the colleague's first name, last name, work email and phone number, and whether they
   should see all company tickets (primary contact) or only their own.
3. We create the contact and send them an invitation email with a link to set their password.

Invitations are valid for three days. If your colleague misses it, they can use
[How to reset your password](/knowledge-base/article/how-to-reset-your-password/) with the same address.

## When someone leaves your company

Tell us as soon as possible so we can deactivate their access. Their tickets stay in your
company's history, and open tickets can be moved to another contact.
""",
    },
    {
        "title": "Permissions and roles: who can see what",
        "slug": "permissions-and-roles",
        "keywords": "permissions, roles, primary contact, access rights, see colleagues tickets, visibility",
        "related": ["adding-new-users"],
        "body": """
Portal access is deliberately simple: there are two kinds of users.

## Regular contact

* Opens tickets and sees **their own** tickets.
* Sees the invoices and orders of their company if portal access to documents is enabled.
* Reads announcements addressed to their company or to all customers.

## Primary contact

* Everything a regular contact can do, plus:
* Sees **all tickets** of the company, including those opened by colleagues, so nothing falls
  between two chairs when someone is on holiday.
* Is the person we ask to confirm new users and changes to the contract.

## What nobody outside your company can see

Your tickets, messages, attachments, invoices and orders are visible only to your own contacts
and to our support staff. Internal notes our agents write while investigating are never shown in
the portal.

To change who is primary contact, open a ticket to General Support.
""",
    },
    {
        "title": "Why is my account locked after failed logins?",
        "slug": "why-is-my-account-locked",
        "keywords": "account locked, locked out, too many attempts, login blocked, try again later",
        "related": ["how-to-reset-your-password"],
        "body": """
After **five wrong passwords in a row** the portal pauses sign-in attempts for your account and
network for **15 minutes**. This protects you against people guessing passwords.

## What to do

1. Wait 15 minutes. The lock lifts by itself; there is nothing to unlock on our side.
2. If you are not sure about the password, do not try again: use
   [How to reset your password](/knowledge-base/article/how-to-reset-your-password/) instead.
3. Check that Caps Lock is off and that you use the address you were invited with.

## It keeps happening

If you are locked out although you did not try, a password manager or an old browser tab may be
retrying an outdated password. Update the saved password everywhere. If the problem continues,
open a ticket: we can see the failed attempts and where they came from.
""",
    },
    {
        "title": "Changing your email address or name",
        "slug": "changing-your-email-address",
        "keywords": "change email, update email, new email address, rename, change name, profile details",
        "related": ["first-recommended-settings"],
        "body": """
Your email address is your login, and it is also how we recognise your emails as coming from you.
That is why we change it for you after a short check.

## Changing your name

Open your profile, correct your name and save. The change applies to new replies immediately.

## Changing your email address

1. Open a ticket to **General Support** from your current address with the subject *"Change of email"*.
2. Tell us the new address.
3. We confirm the change with your company's primary contact when the domain changes.
4. You receive a confirmation at the new address and sign in with it from then on.

Emails you send from the old address after the change may open new tickets instead of being
added to existing ones, so please switch quickly.
""",
    },
]

BILLING = [
    {
        "title": "How to download an invoice",
        "slug": "how-to-download-an-invoice",
        "keywords": "invoice download, download invoice, invoice pdf, copy of invoice, get invoice, print invoice",
        "related": ["what-overdue-status-means", "reporting-an-incorrect-invoice"],
        "body": """
All invoices we issue to your company are available in the portal as PDF, from the day they are issued.

## Download an invoice

1. Sign in to the portal.
2. Open **Invoices** from your dashboard.
3. Find the invoice by number, date or status. The newest invoices are at the top.
4. Click the invoice number, then **Download PDF**.

When an invoice is issued you also receive an email with a link straight to it.

## Invoice not there?

* Invoices appear once they are **issued**; drafts are not visible.
* Only contacts with access to documents see invoices. Ask your primary contact, or open a ticket
  to **Billing**.
* Invoices of another company of your group are only visible to that company's contacts.

## Need a duplicate with another address?

Invoices cannot be edited after issue. If the billing details are wrong, see
[Reporting an incorrect invoice](/knowledge-base/article/reporting-an-incorrect-invoice/).
""",
    },
    {
        "title": "How to add a payment method",
        "slug": "how-to-add-a-payment-method",
        "keywords": "payment method, pay by card, bank transfer, direct debit, change card, payment details",
        "related": ["payment-confirmation", "what-overdue-status-means"],
        "body": """
We accept bank transfer and SEPA direct debit. Card payments are available for invoices under 5,000 EUR.

## Pay by bank transfer

Use the bank details printed at the bottom of every invoice and put the **invoice number** in the
payment reference. Without it, matching your payment can take several days.

## Set up direct debit

1. Open a ticket to **Billing** with the subject *"Direct debit mandate"*.
2. We send you the mandate form. Fill it in with the IBAN of the account to debit and have it
   signed by someone authorised to sign for your company.
3. Attach the signed form to the ticket.
4. From the next invoice on, the amount is collected on the due date. You are notified five days before.

## Change the account or card

Send a new mandate the same way; the old one ends when the new one is active.
""",
    },
    {
        "title": "What the \"Overdue\" status on an invoice means",
        "slug": "what-overdue-status-means",
        "keywords": "overdue, overdue invoice, overdue status, "
                    "late payment, payment reminder, past due, unpaid invoice",
        "related": ["payment-confirmation", "how-to-add-a-payment-method"],
        "body": """
An invoice is shown as **Overdue** when it is still unpaid after its due date. It is a status,
not a penalty: it simply tells you that we have not registered the payment yet.

## Invoice statuses

| Status | Meaning |
|---|---|
| Unpaid | Issued, due date not reached |
| Overdue | Unpaid and the due date has passed |
| Paid | We registered the full payment |
| Cancelled | Replaced by a credit note, nothing to pay |

## You already paid

Bank transfers take one to three working days to reach us, and a few more if the invoice number
was missing from the payment reference. If you paid more than three working days ago, open a
ticket to **Billing** and attach the payment confirmation from your bank. See
[Payment confirmation](/knowledge-base/article/payment-confirmation/).

## You have not paid yet

Pay as soon as possible using the details on the invoice. If you disagree with the invoice, tell
us before the due date, see [Reporting an incorrect invoice](/knowledge-base/article/reporting-an-incorrect-invoice/);
we put the reminder process on hold while we check.

## Reminders

We send a friendly reminder 7 days after the due date and a second one after 21 days. Long-overdue
accounts may have new orders held until the balance is settled.
""",
    },
    {
        "title": "Reporting an incorrect invoice",
        "slug": "reporting-an-incorrect-invoice",
        "keywords": "wrong invoice, incorrect invoice, invoice error, dispute invoice, credit note, wrong amount, vat",
        "related": ["how-to-download-an-invoice", "what-overdue-status-means"],
        "body": """
If an invoice shows a wrong amount, VAT rate, address or order, we correct it with a credit note
and, where needed, a new invoice.

## How to report it

1. Open a ticket to **Billing** with the invoice number in the subject, e.g. *"INV-2024-118 wrong VAT rate"*.
2. Explain what is wrong and what it should be. Attach the purchase order or contract clause if
   the price is disputed.
3. Do not pay the disputed part yet; pay any undisputed invoices as usual.

## What happens next

Our accounts receivable team checks the invoice against the order and the contract, usually
within two working days. You receive the credit note and the corrected invoice in the portal,
and the ticket tells you the outcome. Reminders for the disputed invoice are paused while we check.
""",
    },
    {
        "title": "Payment confirmation: when is my payment registered?",
        "slug": "payment-confirmation",
        "keywords": "payment confirmation, payment received, paid invoice, payment not registered, proof of payment",
        "related": ["what-overdue-status-means", "how-to-add-a-payment-method"],
        "body": """
We register payments every working day. As soon as a payment is matched to an invoice, the
invoice changes to **Paid** and you receive an email: *"Payment for invoice INV-… has been
confirmed. Thank you!"*

## How long does it take?

* **Direct debit** – paid on the due date, registered the same or the next working day.
* **Bank transfer** – one to three working days after you send it.
* **Card** – immediately.

## The invoice is still unpaid

Most delays come from a missing or wrong invoice number in the payment reference. Open a ticket
to **Billing**, attach the confirmation from your bank (PDF or screenshot showing date, amount and
our IBAN) and we match it by hand.
""",
    },
]

ORDERS = [
    {
        "title": "How to track an order",
        "slug": "how-to-track-an-order",
        "keywords": "where is my order, track order, order tracking, tracking number, awb, delivery status, "
                    "shipment status, when will my order arrive",
        "related": ["order-status-explained", "damaged-or-incomplete-delivery"],
        "body": """
Wondering where your order is? Every shipped order has a delivery note with the carrier's AWB
(tracking) number, and you can follow it yourself.

## Track your order

1. Sign in to the portal and open **Orders**.
2. Click the order number. Its status shows where it is in our process, see
   [Order status explained](/knowledge-base/article/order-status-explained/).
3. When the status is **Shipped**, the delivery note lists the **carrier** and the **AWB number**.
4. Click **Track shipment** to open the carrier's tracking page, or enter the AWB number on the
   carrier's website.

You also receive an email with the tracking link when the order leaves our warehouse.

## The tracking has not moved for days

Carriers update tracking when the parcel is scanned, which can be once a day on long routes. If
nothing changed for three working days, open a ticket to **Orders** with the order number: we ask
the carrier for an investigation.

## Delivered, but you have not received it

Check with your reception or goods-in team first. If nobody received it, open a ticket within
five working days so we can file a claim with the carrier.
""",
    },
    {
        "title": "Return procedure",
        "slug": "return-procedure",
        "keywords": "return, return an item, return goods, "
                    "send back, refund, rma, return label, exchange product",
        "related": ["damaged-or-incomplete-delivery", "order-status-explained"],
        "body": """
You can return unused goods within 30 days of delivery, and faulty goods within the warranty period.

## Step by step

1. Open a ticket to **Orders** with the subject *"Return request"* and the order number.
2. List the products and quantities to return and the reason (wrong item, faulty, no longer needed).
   For faulty goods, attach photos and a short description of the fault.
3. We confirm the return and send a **return authorisation number** and a prepaid carrier label.
4. Pack the goods in their original packaging, put a copy of the return authorisation inside
   and stick the label on the box.
5. Hand the parcel to the carrier or book a pick-up with them.

## Refund or replacement

When the warehouse has received and checked the goods (usually within three working days) we
issue a credit note or ship the replacement. The ticket stays open until you confirm you have
received it. Returns without an authorisation number may be refused by the warehouse.
""",
    },
    {
        "title": "Order status explained",
        "slug": "order-status-explained",
        "keywords": "order status, status of my order, processing, shipped, delivered, cancelled order meaning",
        "related": ["how-to-track-an-order", "changing-or-cancelling-an-order"],
        "body": """
Each order in the portal shows one of these statuses.

| Status | What it means | What you can do |
|---|---|---|
| New | We received the order | Change or cancel it freely |
| Processing | The warehouse is picking and packing | Changes may still be possible: open a ticket quickly |
| Shipped | Handed to the carrier | Track it with the AWB number |
| Delivered | The carrier confirmed delivery | Report problems within 5 working days |
| Returned | Goods came back to us | Check the credit note under Invoices |
| Cancelled | The order will not be delivered | Nothing to pay |

Orders usually move from *New* to *Shipped* within two working days for items in stock. An order
that stays in *Processing* longer is often waiting for an item out of stock; the order page then
shows the expected date.

See [How to track an order](/knowledge-base/article/how-to-track-an-order/) to follow a shipped order.
""",
    },
    {
        "title": "What to do when a delivery arrives damaged or incomplete",
        "slug": "damaged-or-incomplete-delivery",
        "keywords": "damaged delivery, damaged goods, goods damaged, broken goods, missing items, "
                    "incomplete delivery, wrong quantity, parcel damaged",
        "related": ["return-procedure", "how-to-track-an-order"],
        "body": """
Carriers only accept claims that are reported quickly and documented well. Please follow these
steps on the day of delivery.

1. If the packaging is visibly damaged, write **"damaged"** on the carrier's delivery receipt
   before you sign it, or refuse the parcel.
2. Take photos of the box, the labels and the damaged goods before unpacking further.
3. Compare the goods with the delivery note. Note missing items and quantities.
4. Open a ticket to **Orders** within **five working days** with the order number, the photos and
   the list of missing or damaged items.

We file the claim with the carrier and ship replacements or issue a credit note; you do not have
to wait for the carrier's decision. Keep the damaged goods until we confirm whether they need to
be returned, see [Return procedure](/knowledge-base/article/return-procedure/).
""",
    },
    {
        "title": "Changing or cancelling an order",
        "slug": "changing-or-cancelling-an-order",
        "keywords": "cancel order, change order, modify order, delivery address change, order quantity change",
        "related": ["order-status-explained"],
        "body": """
Whether an order can still be changed depends on its status.

* **New** – open a ticket to **Orders** with the order number and the change (quantities, delivery
  address, delivery date). We confirm the change by reply.
* **Processing** – the warehouse may already be packing. Open a ticket straight away with priority
  *High*; we stop the order if we still can.
* **Shipped** – it can no longer be changed. Refuse the delivery or use the
  [Return procedure](/knowledge-base/article/return-procedure/).

A cancelled order shows the status **Cancelled**; if it was already invoiced you receive a credit
note in the portal.
""",
    },
]

COMMON_ERRORS = [
    {
        "title": "Sync issues: data not updating",
        "slug": "sync-issues",
        "keywords": "sync, sync stopped, sync between warehouse and portal, synchronisation, "
                    "not syncing, data not updating, out of date, integration sync failed",
        "related": ["import-errors", "session-expired-error"],
        "body": """
When your system and ours exchange data (orders, stock, prices), changes normally appear within
15 minutes. If they do not, work through this list before opening a ticket.

## Checklist

1. **Check the last sync time.** The integration page shows when the last successful sync ran.
   If it is older than an hour, the connection has stopped.
2. **Check the credentials.** API keys expire after 12 months. An expired key shows the error
   *401 Unauthorized* in the sync log. Generate a new key and update your system.
3. **Check rejected records.** A sync can succeed overall and still reject single records (for
   example a product code that does not exist). The sync log lists them with the reason.
4. **Retry.** Use **Sync now** to run the synchronisation immediately.

## When to contact us

If the sync log shows errors you cannot explain, or *500* errors, open a ticket to **Technical
Support** with the time of the failed sync, the exact error text and an example record. Choose
priority *Urgent* only if orders cannot be transmitted at all.
""",
    },
    {
        "title": "Import errors: fixing a rejected import file",
        "slug": "import-errors",
        "keywords": "import error, import failed, csv import, "
                    "rejected file, upload file error, invalid format, encoding",
        "related": ["sync-issues"],
        "body": """
Imports reject a file, or single rows of it, when the content does not match the expected format.
The import report lists each rejected row with its line number and the reason.

## The most common causes

| Message | Cause | Fix |
|---|---|---|
| *Invalid encoding* | The file is not UTF-8 | In your spreadsheet, *Save as → CSV UTF-8* |
| *Missing column "sku"* | Header row renamed or missing | Download the template again and keep the headers |
| *Invalid date* | Dates like 03/04/24 | Use the format YYYY-MM-DD |
| *Invalid number* | Thousands separators or a comma as decimal point | Use 1234.50 |
| *Duplicate key* | The same code twice in the file | Keep one row per code |

## Step by step

1. Download the import report and open it next to your file.
2. Fix the rows listed, or remove them.
3. Import again. Rows that were already imported are updated, not duplicated.

If the report says *Unexpected error*, open a ticket to **Technical Support** and attach the file.
""",
    },
    {
        "title": "\"Session expired\" error: what it means and how to fix it",
        "slug": "session-expired-error",
        "keywords": "session expired, logged out, csrf error, form expired, error message, sign in again",
        "related": ["how-to-reset-your-password"],
        "body": """
The message **"Session expired, please sign in again"** (or *"CSRF verification failed"* on a form)
appears when you submit a page that has been open for a long time, or after you signed out in
another tab.

## Fix it

1. Copy the text you typed (for example a long ticket message) so you do not lose it.
2. Reload the page and sign in again.
3. Paste your text and submit again.

## It happens all the time

* Your browser may block cookies for our site. Allow cookies for the portal's address.
* Private browsing windows lose the session when closed.
* Some security extensions strip cookies; try with them disabled.

If none of this helps, open a ticket with your browser name and version.
""",
    },
    {
        "title": "\"Access denied\" or \"Page not found\" when opening a link",
        "slug": "access-denied-or-page-not-found",
        "keywords": "access denied, 403, 404, page not found, link not working, cannot open ticket link",
        "related": ["permissions-and-roles"],
        "body": """
For your privacy, pages you are not allowed to see answer **"Page not found"** rather than telling
anyone that they exist.

## Common reasons

* **You are signed in with another account.** A colleague's ticket link only works for them, or
  for your company's primary contact. See [Permissions and roles](/knowledge-base/article/permissions-and-roles/).
* **You are not signed in.** Sign in and open the link again.
* **The link was copied incompletely.** Long links in emails are sometimes cut in two.
* **The article was moved into an internal section.** Search the knowledge base for the topic.

If you believe you should have access, open a ticket with the link you tried.
""",
    },
    {
        "title": "Attachment rejected: file too large or type not allowed",
        "slug": "attachments-rejected",
        "keywords": "attachment, upload failed, file too large, "
                    "file type not allowed, cannot attach file, attachment size",
        "related": ["how-to-open-a-support-ticket"],
        "body": """
Attachments help us a lot, but for safety we accept only common document and image types, up to
**10 MB per file**.

## Allowed types

Documents (PDF, Word, Excel, PowerPoint, OpenDocument, TXT, CSV), images (PNG, JPG, GIF, WEBP),
logs, email files (EML, MSG) and ZIP archives. Executable files and scripts are always refused.

## The file is too large

* Screenshots: save them as PNG or JPG instead of BMP.
* Logs: compress them into a ZIP archive.
* Videos: upload them to a file-sharing service your company uses and paste the link in your message.

Emails to our department addresses follow the same rules. A rejected attachment is listed in the
ticket so we know something was missing.
""",
    },
]

ADVANCED = [
    {
        "title": "Internal procedures: triage and ticket hygiene",
        "slug": "internal-procedures",
        "keywords": "triage, internal procedure, ticket hygiene, queue, daily routine, internal note",
        "related": ["b2b-escalation", "sla-per-contract", "sending-kb-links-in-replies"],
        "body": """
How we keep the queue healthy. For staff only.

## Morning triage

1. Filter the queue on *New*, *In Progress* and *On Hold*, sorted by priority, highest first.
2. Handle **Urgent** tickets first, whatever their age.
3. Tickets without a staff reply for more than 4 hours are next: they are about to breach SLA and
   will be escalated automatically.

## For every ticket

* Read the whole conversation, not just the last message.
* Open the client file: other open tickets, overdue invoices, recent orders, active contract.
* Search the knowledge base. If an article answers the question, **send its link** (see
  [Sending KB links in replies](/knowledge-base/article/sending-kb-links-in-replies/)).
* Set the **service** so reports per category are right.
* Choose the status after replying: *Answered*, *On Hold* (waiting for a third party) or *Closed*.

## Internal notes

Anything the customer must not see goes in an internal note: investigation steps, colleagues'
names, suspicions. Notes are never emailed and never shown in the portal.

## End of day

If you solved something new, write a knowledge base draft so the next customer can help themselves.
""",
    },
    {
        "title": "B2B escalation procedure",
        "slug": "b2b-escalation",
        "keywords": "escalation, escalate, l2, technical escalation, warehouse, finance dispute, kam",
        "related": ["internal-procedures", "sla-per-contract"],
        "body": """
Escalate when a ticket exceeds L1's competence: a technical bug, a goods return, a financial
dispute, or an Enterprise customer threatening to leave.

## How to escalate

1. Add an **internal note** with everything you checked and why you escalate.
2. Change the **department** (Technical Support, Billing, Orders) or assign the specialist.
3. Raise the **priority** if the customer's business is affected.
4. Tell your team lead in chat.
5. Reply to the customer: *"We have forwarded the issue to our specialist team and will update you by …"*
6. Set the status to **Escalated** or **On Hold**.

## Where things go

| Situation | Escalate to |
|---|---|
| Confirmed bug | Technical Support + a task for IT with reproduction steps, browser, exact error, screenshot |
| Invoice dispute | Billing (AR accountant) |
| Return or damaged goods | Orders (warehouse), create the delivery return |
| Unhappy Enterprise client | Team lead, then the key account manager |

Keep the ticket open until the customer confirms the fix.
""",
    },
    {
        "title": "SLA per contract",
        "slug": "sla-per-contract",
        "keywords": "sla, contract sla, response time, resolution time, enterprise sla, tier, breach",
        "related": ["b2b-escalation", "internal-procedures"],
        "body": """
Response targets depend on the ticket priority and, for contract customers, on their SLA tier.
The contract tab of the client file shows the active contract and its tier.

## Default targets by priority

| Priority | Definition | First response |
|---|---|---|
| Urgent | Complete unavailability, production impact | < 1 h |
| High | Major functionality affected | < 4 h |
| Medium | Functional issue, workaround available | < 24 h |
| Low | Question, information request | < 48 h |

Times are business hours of the handling department; the clock pauses while a ticket is *On Hold*.

## Contract tiers

* **Basic** – the default targets above.
* **Pro** – as Basic, and High tickets get a named agent.
* **Enterprise** – first response halved for Urgent and High, a phone callback within 2 hours for
  Urgent, and the key account manager is informed of every escalation.

## Breaches

A ticket that misses its first response target is escalated automatically and shows in red in the
queue. Check the contract before promising times to a customer.
""",
    },
    {
        "title": "Sending KB links in replies",
        "slug": "sending-kb-links-in-replies",
        "keywords": "kb link, insert link, knowledge base link, send article, deflection, reply template",
        "related": ["internal-procedures"],
        "body": """
A customer who solves the problem with an article is a deflected ticket: time saved for everyone.
The manager's KB report lists tickets on documented topics that never got the link.

## How to insert an article link

1. In the ticket's reply box, use **Insert KB link** and type a few words of the topic.
2. Pick the article: its public link is inserted at the cursor.
3. Or open the article in the knowledge base and copy the **Public link** from the side panel.

## Suggested wording

> We've identified the solution for the reported issue. Please follow the steps in our article:
> [article link]
> If you need further assistance, don't hesitate to contact us.

Never send links to staff-only articles (marked *staff only*): customers get "Page not found".
If no article fits and the question is common, write one at the end of the day.
""",
    },
]

GROUPS = [
    ("Getting Started", "getting-started", "Register, find your way around the portal and open your first ticket.",
     False, GETTING_STARTED),
    ("Account & Access", "account-access", "Passwords, users, permissions and login problems.", False, ACCOUNT_ACCESS),
    ("Billing & Payments", "billing-payments", "Invoices, payment methods and payment status.", False, BILLING),
    ("Orders & Delivery", "orders-delivery", "Tracking, order statuses, returns and delivery problems.", False, ORDERS),
    ("Common Errors", "common-errors", "Error messages: what they mean and how to fix them.", False, COMMON_ERRORS),
    ("Advanced Guides", "advanced-guides", "Internal procedures for the support team.", True, ADVANCED),
]
