"""The client portal's access rules, in one audited place.

Every portal view reaches tickets, messages, attachments, invoices and announcements only
through the functions below. The rules, one condition per line:

- a contact sees the tickets they opened (and that belong to their own client, or to no client);
- a primary contact (Contact.is_primary) sees every ticket of their client;
- spam is never shown;
- of a ticket's messages only the public ones are shown (`customer_visible`): customer messages,
  staff replies and automatic messages that were sent to the customer (receipts, the auto-close
  notice); internal notes, unsent automatic messages and ticket events never reach the portal;
- a message link or an attachment is reachable only through such a message of a visible ticket
  (the same condition as the thread, so whatever the thread shows can be linked and downloaded);
- invoices: those of the contact's own client;
- announcements: for customers, current (started, not ended), global or aimed at the contact's
  client.

Staff may look at the portal as a contact sees it ("View as the customer", read only): only the
tickets they may also see in the workspace, without internal notes (the same public thread).

Anything else is Http404, never 403, so a guessed number tells nothing about what exists.
"""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from crm.models import Announcement, Contact, Invoice
from tickets.models import Attachment, Ticket, TicketFollower, TicketMessage

PUBLIC_MESSAGE_KINDS = (TicketMessage.Kind.CUSTOMER, TicketMessage.Kind.STAFF)


def customer_visible(prefix: str = "") -> Q:
    """The one condition for a message the customer may read (thread, links, attachments);
    `prefix` reaches it from another model ("message__" for attachments). Automatic messages
    that went to the customer (receipts, the auto-close notice) count; ones never sent
    (delivery_status empty) stay internal."""
    return Q(**{f"{prefix}kind__in": PUBLIC_MESSAGE_KINDS}) | (
        Q(**{f"{prefix}kind": TicketMessage.Kind.SYSTEM}) & ~Q(**{f"{prefix}delivery_status": ""})
    )


def portal_tickets(*, contact: Contact) -> QuerySet[Ticket]:
    """Return the tickets this contact may see on the portal."""
    qs = Ticket.objects.filter(is_spam=False)
    if contact.is_primary:
        return qs.filter(client_id=contact.client_id)
    return qs.filter(contact_id=contact.pk).filter(Q(client_id=contact.client_id) | Q(client__isnull=True))


def get_ticket_for_contact(*, contact: Contact, number: int) -> Ticket:
    """Return the ticket with this number if the contact may see it; 404 otherwise."""
    try:
        return (
            portal_tickets(contact=contact)
            .select_related("status", "priority", "department", "service", "contact", "merged_into")
            .get(pk=number)
        )
    except Ticket.DoesNotExist:
        raise Http404


def get_ticket_for_staff_preview(*, user: object, number: int) -> Ticket:
    """Return the ticket for "View as the customer" if this staff member may see it in the
    workspace (managers; its department's staff; its followers); 404 otherwise.

    The same rule as tickets.workspace.queries.can_see_ticket, which the portal may not import.
    """
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        raise Http404
    qs = Ticket.objects.select_related("status", "priority", "department", "service", "contact", "merged_into")
    if not user.is_manager:
        qs = qs.filter(
            Q(department__in=user.departments.values("pk"))
            | Q(pk__in=TicketFollower.objects.filter(user=user).values("ticket_id"))
        )
    try:
        return qs.get(pk=number)
    except Ticket.DoesNotExist:
        raise Http404


def _staff_scope(*, user: object, qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Narrow `qs` to the tickets this staff member may see in the workspace (as can_see_ticket)."""
    if user.is_manager:
        return qs
    return qs.filter(
        Q(department__in=user.departments.values("pk"))
        | Q(pk__in=TicketFollower.objects.filter(user=user).values("ticket_id"))
    )


def get_contact_for_staff_preview(*, user: object, contact_id: int) -> Contact:
    """Return the contact for "View as the customer" from the client file: staff who may see
    tickets of the contact's client (managers; staff with at least one of its tickets in their
    departments or followed); 404 otherwise."""
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        raise Http404
    contact = Contact.objects.select_related("client").filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    if not user.is_manager and not _staff_scope(user=user, qs=Ticket.objects.filter(
            client_id=contact.client_id)).exists():
        raise Http404
    return contact


def staff_preview_tickets(*, user: object, contact: Contact) -> QuerySet[Ticket]:
    """Return the contact's portal tickets that this staff member may also see in the workspace."""
    return _staff_scope(user=user, qs=portal_tickets(contact=contact))


def get_ticket_for_contact_preview(*, user: object, contact: Contact, number: int) -> Ticket:
    """Return one of the contact's portal tickets the staff member may see; 404 otherwise."""
    try:
        return (
            staff_preview_tickets(user=user, contact=contact)
            .select_related("status", "priority", "department", "service", "contact", "merged_into")
            .get(pk=number)
        )
    except Ticket.DoesNotExist:
        raise Http404


def public_messages(*, ticket: Ticket) -> QuerySet[TicketMessage]:
    """Return the messages of a (visible) ticket that the customer may read, oldest first."""
    return TicketMessage.objects.filter(customer_visible(), ticket_id=ticket.pk).order_by("created_at", "id")


def get_message_for_contact(*, contact: Contact, message_id: int) -> TicketMessage:
    """Return a public message of a ticket the contact may see; 404 otherwise."""
    try:
        return TicketMessage.objects.select_related("ticket").get(
            customer_visible(),
            pk=message_id,
            ticket__in=portal_tickets(contact=contact),
        )
    except TicketMessage.DoesNotExist:
        raise Http404


def get_attachment_for_contact(*, contact: Contact, attachment_id: int) -> Attachment:
    """Return an attachment of a public message of a visible ticket; 404 otherwise."""
    try:
        return Attachment.objects.select_related("message").get(
            customer_visible("message__"),
            pk=attachment_id,
            message__ticket__in=portal_tickets(contact=contact),
        )
    except Attachment.DoesNotExist:
        raise Http404


def portal_invoices(*, contact: Contact) -> QuerySet[Invoice]:
    """Return the invoices of the contact's client (drafts are not shown to customers)."""
    return Invoice.objects.filter(client_id=contact.client_id).exclude(status=Invoice.Status.DRAFT)


def get_invoice_for_contact(*, contact: Contact, invoice_id: int) -> Invoice:
    """Return one invoice of the contact's client; 404 otherwise."""
    try:
        return portal_invoices(contact=contact).get(pk=invoice_id)
    except Invoice.DoesNotExist:
        raise Http404


def portal_announcements(*, contact: Contact) -> QuerySet[Announcement]:
    """Return the announcements shown to this contact now: for customers, current, global or theirs."""
    now = timezone.now()
    return (
        Announcement.objects.filter(for_customers=True)
        .filter(starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .filter(Q(client__isnull=True) | Q(client_id=contact.client_id))
    )


def get_announcement_for_contact(*, contact: Contact, announcement_id: int) -> Announcement:
    """Return an announcement currently shown to this contact; 404 otherwise."""
    try:
        return portal_announcements(contact=contact).get(pk=announcement_id)
    except Announcement.DoesNotExist:
        raise Http404
