"""Email intake: store the raw email durably, then turn it into a ticket or a reply, once.

Two steps, so a mail server never waits on ticket logic and nothing is lost:
1. `store_inbound_email` inserts an InboundEmail row (raw bytes, sha256, Message-ID). A second
   delivery of the same email hits a unique index and only counts a delivery. Processing is
   queued after commit.
2. `process_inbound_email` claims the row with `UPDATE ... WHERE state='new'` inside the same
   transaction that writes the ticket: a second worker waits on the row lock and then finds it
   done; a killed worker rolls back and leaves the row 'new' for the redelivered task. Any
   error is kept on the row (state failed) with the raw email, for "process again".

`receive_inbound_message` holds the rules (loops, bounces, spam filters, threading, sender
checks, rate limit, receipts) and is the entry the WhatsApp webhook shares.

Bursts: `queue_inbound_email` queues a processing task only when none is waiting to start (a
cache entry marks one); the task takes every waiting email along in batches of
HELPDESK_INBOUND_BATCH, and a full batch queues the next right away, so two workers share a
burst. The beat sweep `requeue_inbound_emails` queues whatever a lost task left behind.

A reply whose parent email (named by In-Reply-To/References) is stored but still being
processed by another worker would not find the parent's ticket yet: it waits (ParentPending)
and is processed again a little later, up to MAX_PARENT_WAITS times, then as usual.
"""

import logging
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Contact
from tickets import services
from tickets.intake.bodies import clean_subject
from tickets.intake.email import NotAnEmail, parse_email
from tickets.intake.message import InboundMessage
from tickets.intake.queueing import (
    MAX_PARENT_WAITS,
    ParentPending,
    email_time_limit_seconds,
    mark_too_slow,
    not_processed_yet,
    queue_inbound_email,
    record_parent_waits,
    release_queue_marker,
    store_inbound_email,
)
from tickets.intake.receipts import RECEIPT_FALLBACK, send_receipt
from tickets.intake.store import StoreResult, store_inbound_batch
from tickets.intake.timelimit import EmailTookTooLong, email_time_limit
from tickets.models import (
    Department,
    InboundEmail,
    PredefinedReply,
    Priority,
    SpamFilter,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from tickets.models.core import Channel
from tickets.threading import ticket_id_from_message_id, ticket_id_from_subject

logger = logging.getLogger(__name__)

Outcome = InboundEmail.Outcome
State = InboundEmail.State

__all__ = [
    "NotAnEmail",
    "StoreResult",
    "Intake",
    "store_inbound_email",
    "store_inbound_batch",
    "process_inbound_email",
    "receive_inbound_message",
    "MAX_PARENT_WAITS",
    "ParentPending",
    "queue_inbound_email",
    "record_parent_waits",
    "release_queue_marker",
]



# --- processing ----------------------------------------------------------------------------


@dataclass
class Intake:
    """Configuration read once per batch: departments, spam filters, the receipt template."""

    departments: dict[str, Department] = field(default_factory=dict)
    default_department: Department | None = None
    spam_filters: list[SpamFilter] = field(default_factory=list)
    default_status: TicketStatus | None = None
    default_priority: Priority | None = None
    receipts: dict[int | None, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Intake":
        intake = cls()
        departments = list(Department.objects.filter(is_active=True).select_related("default_priority"))
        intake.departments = {d.email.lower(): d for d in departments if d.email}
        intake.default_department = next((d for d in departments if d.is_default), None) or (
            departments[0] if departments else None
        )
        intake.spam_filters = list(SpamFilter.objects.filter(is_active=True))
        if departments:
            intake.default_status = services.default_status()
            intake.default_priority = services.default_priority()
        for reply in PredefinedReply.objects.filter(title=settings.HELPDESK_RECEIPT_REPLY_TITLE, is_active=True):
            intake.receipts.setdefault(reply.department_id, reply.body)
        return intake

    def receipt_for(self, department: Department) -> str:
        """Return the receipt template of this department, or the general one."""
        return self.receipts.get(department.pk) or self.receipts.get(None) or RECEIPT_FALLBACK


@dataclass
class Received:
    """What became of an inbound message."""

    outcome: str
    reason: str = ""
    ticket: Ticket | None = None
    ticket_message: TicketMessage | None = None
    department: Department | None = None
    held: bool = False
    notice: str = ""  # a notice to send after commit: "refused", "held"


def _claim(inbound_id: int, *, force: bool) -> bool:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.HELPDESK_INBOUND_CLAIM_TIMEOUT_SECONDS)
    claimable = Q(state=State.NEW) | Q(state=State.PROCESSING, claimed_at__lt=stale)
    if force:
        claimable |= Q(state__in=[State.FAILED, State.HELD])
    return bool(
        InboundEmail.objects.filter(claimable, pk=inbound_id).update(
            state=State.PROCESSING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def process_inbound_email(
    *, inbound_id: int, force: bool = False, intake: Intake | None = None, slow_queue: bool = False
) -> InboundEmail | None:
    """Process one stored email, once: open a ticket, add a reply, or keep it with a reason.

    `force` re-runs a failed or held email (the admin's "process again"; held mail then skips
    the rate limit). Returns the row, or None if it is gone. Database outages propagate so the
    task retries; every other error is stored on the row (state failed) and not raised.

    The work on the email has a time budget (HELPDESK_INBOUND_EMAIL_SOFT_LIMIT): over it, the
    email's writes are rolled back and it is kept failed and retried once on the slow queue
    (`slow_queue`: that retry, with HELPDESK_INBOUND_EMAIL_SLOW_LIMIT, after which it stays failed).
    """
    seconds = email_time_limit_seconds(slow=slow_queue)
    try:
        with transaction.atomic():
            if not _claim(inbound_id, force=force or slow_queue):
                return InboundEmail.objects.filter(pk=inbound_id).first()
            inbound = InboundEmail.objects.get(pk=inbound_id)
            intake = intake or Intake.load()
            with email_time_limit(seconds):
                received = _process_claimed(inbound, intake=intake, bypass_rate_limit=force,
                                            may_wait=not force and not slow_queue
                                            and inbound.parent_waits < MAX_PARENT_WAITS)
            _finish(inbound, received)
        return inbound
    except EmailTookTooLong as exc:  # its writes were rolled back with the transaction
        mark_too_slow(inbound_id, exc, seconds=seconds, retry=not slow_queue)
        return InboundEmail.objects.filter(pk=inbound_id).first()
    except ParentPending:  # the claim was rolled back: the email is waiting again
        with transaction.atomic():
            record_parent_waits(inbound_ids=[inbound_id])
        return InboundEmail.objects.filter(pk=inbound_id).first()
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        logger.exception("inbound email failed", extra={"inbound_email": inbound_id})
        _mark_failed(inbound_id, exc)
        return InboundEmail.objects.filter(pk=inbound_id).first()


def _mark_failed(inbound_id: int, exc: BaseException) -> None:
    error = "".join(traceback.format_exception(exc))[-8000:]
    with transaction.atomic():
        InboundEmail.objects.filter(pk=inbound_id).update(
            state=State.FAILED,
            outcome=Outcome.FAILED,
            reason=f"{type(exc).__name__}: {exc}"[:500],
            error=error,
            attempts=F("attempts") + 1,
            processed_at=timezone.now(),
            retry_at=None,
        )


def _finish(inbound: InboundEmail, received: Received) -> None:
    inbound.state = State.HELD if received.held else State.DONE
    inbound.outcome = received.outcome
    inbound.reason = received.reason[:500]
    inbound.error = ""
    inbound.ticket = received.ticket
    inbound.ticket_message = received.ticket_message
    inbound.department = received.department
    inbound.processed_at = timezone.now()
    inbound.retry_at = None
    InboundEmail.objects.filter(pk=inbound.pk).update(
        retry_at=None,
        state=inbound.state,
        outcome=inbound.outcome,
        reason=inbound.reason,
        error="",
        ticket=inbound.ticket,
        ticket_message=inbound.ticket_message,
        department=inbound.department,
        processed_at=inbound.processed_at,
    )
    if received.notice:
        notice, pk = received.notice, inbound.pk
        transaction.on_commit(lambda: current_app.tasks["tickets.send_inbound_notice"].delay(pk, notice))


def _process_claimed(
    inbound: InboundEmail, *, intake: Intake, bypass_rate_limit: bool, may_wait: bool = False
) -> Received:
    if inbound.ticket_message_id:
        # Processed before (then reset by hand): never add the same message twice.
        return Received(Outcome.DUPLICATE, _("Already added to ticket #%(n)s.") % {"n": inbound.ticket_id},
                        ticket=inbound.ticket)
    if inbound.size > settings.HELPDESK_INBOUND_MAX_BYTES:
        return Received(
            Outcome.TOO_LARGE,
            _("The email is %(size).1f MB; the limit is %(limit).1f MB.")
            % {"size": inbound.size / 1048576, "limit": settings.HELPDESK_INBOUND_MAX_BYTES / 1048576},
            notice="too_large" if inbound.from_email else "",
        )
    message = parse_email(
        inbound.raw_bytes(), envelope_recipient=inbound.recipient, our_domain=settings.HELPDESK_MAIL_DOMAIN
    )
    return receive_inbound_message(message, intake=intake, bypass_rate_limit=bypass_rate_limit, may_wait=may_wait,
                                   processed_into=inbound.ticket_id)


# --- the rules -----------------------------------------------------------------------------


def _find_contact(address: str) -> Contact | None:
    if not address:
        return None
    return (
        Contact.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=address.lower(), is_active=True)
        .select_related("client")
        .first()
    )


def _department_for(message: InboundMessage, intake: Intake) -> Department | None:
    for address in message.recipients:
        department = intake.departments.get(address.lower())
        if department is not None:
            return department
    return intake.default_department


def _ticket_from_headers(message: InboundMessage) -> tuple[Ticket | None, str]:
    ids = message.thread_ids
    if not ids:
        return None, ""
    for mid in ids:
        ticket_id = ticket_id_from_message_id(mid)
        if ticket_id is not None:
            ticket = Ticket.objects.filter(pk=ticket_id).select_related("status").first()
            if ticket is not None:
                return ticket, mid
    stored = dict(
        TicketMessage.objects.filter(message_id__in=ids).exclude(message_id="").values_list("message_id", "ticket_id")
    )
    if len(stored) < len(ids):
        for mid, ticket_id in InboundEmail.objects.filter(message_id__in=ids, ticket__isnull=False).values_list(
            "message_id", "ticket_id"
        ):
            stored.setdefault(mid, ticket_id)
    for mid in ids:
        if mid in stored:
            ticket = Ticket.objects.filter(pk=stored[mid]).select_related("status").first()
            if ticket is not None:
                return ticket, mid
    return None, ""


def parent_waiting(message: InboundMessage, *, exclude_ids: Iterable[int] = ()) -> bool:
    """Return whether an email this message answers is stored but not processed yet."""
    if not message.thread_ids:
        return False
    waiting = InboundEmail.objects.filter(not_processed_yet(), message_id__in=message.thread_ids).exclude(
        pk__in=list(exclude_ids)
    )
    if message.message_id:
        waiting = waiting.exclude(message_id=message.message_id)
    return waiting.exists()


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = set()
    while ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.select_related("status").get(pk=ticket.merged_into_id)
    return ticket


def _sender_belongs(ticket: Ticket, sender: str, contact: Contact | None) -> bool:
    """The subject-token rule: only the contact, a colleague at the same client, or an address
    already on the ticket may add to it."""
    if not sender:
        return False
    if sender == (ticket.requester_email or "").lower() or sender in [a.lower() for a in ticket.cc_emails]:
        return True
    if contact is None:
        return False
    if ticket.contact_id and contact.pk == ticket.contact_id:
        return True
    return bool(ticket.client_id and contact.client_id == ticket.client_id)


def _participants(message: InboundMessage, intake: Intake, sender: str) -> list[str]:
    """Return the people the sender copied (To and Cc, not us, not the sender), at most
    HELPDESK_INBOUND_MAX_PARTICIPANTS of them, to record on the ticket."""
    limit = max(settings.HELPDESK_INBOUND_MAX_PARTICIPANTS, 0)
    ours = set(intake.departments)
    domain = f"@{settings.HELPDESK_MAIL_DOMAIN.lower()}"
    out: list[str] = []
    seen = {sender}
    for address in [*message.to, *message.cc]:
        if len(out) >= limit:
            break
        if address not in seen and address not in ours and not address.endswith(domain):
            seen.add(address)
            out.append(address)
    return out


def _attachments(message: InboundMessage) -> list[services.NewAttachment]:
    return [
        services.NewAttachment(
            name=a.name, content=a.content, content_type=a.content_type, content_id=a.content_id, inline=a.inline,
            size=a.size,
        )
        for a in message.attachments
    ]


def _bodies(message: InboundMessage) -> tuple[str, str, str]:
    """Return (text without quoted history, sanitised HTML, full original text or "")."""
    if message.reply_text:
        return message.reply_text, message.reply_html or message.html, message.text
    return message.text, message.html, ""


def _rate_limited(sender: str) -> bool:
    if not sender or settings.HELPDESK_SENDER_RATE_LIMIT <= 0:
        return False
    since = timezone.now() - timedelta(minutes=settings.HELPDESK_SENDER_RATE_WINDOW_MINUTES)
    opened = InboundEmail.objects.filter(
        from_email=sender, outcome=Outcome.TICKET_OPENED, processed_at__gte=since
    ).count()
    return opened >= settings.HELPDESK_SENDER_RATE_LIMIT


UNKNOWN_HELD_KEY = "tickets:unknown-senders-held"


def unknown_senders_left() -> int | None:
    """Return how many more tickets senders who are no contact may open in the current window
    (all of them together), or None when there is no such limit."""
    limit = settings.HELPDESK_UNKNOWN_SENDERS_RATE_LIMIT
    if limit <= 0:
        return None
    since = timezone.now() - timedelta(minutes=settings.HELPDESK_SENDER_RATE_WINDOW_MINUTES)
    opened = InboundEmail.objects.filter(
        outcome=Outcome.TICKET_OPENED, received_at__gte=since, ticket__contact__isnull=True
    ).count()
    return max(limit - opened, 0)


def _unknown_senders_held() -> Received:
    """Hold a stranger's new ticket over the global limit; tell the managers once per window."""
    from django.core.cache import cache

    window = settings.HELPDESK_SENDER_RATE_WINDOW_MINUTES
    first = cache.add(UNKNOWN_HELD_KEY, 1, timeout=window * 60)
    return Received(
        Outcome.HELD,
        _("More than %(n)d new tickets from unregistered senders within %(m)d minutes.")
        % {"n": settings.HELPDESK_UNKNOWN_SENDERS_RATE_LIMIT, "m": window},
        held=True,
        notice="held_unknown" if first else "",
    )


def _first_hold_in_window(sender: str) -> bool:
    since = timezone.now() - timedelta(minutes=settings.HELPDESK_SENDER_RATE_WINDOW_MINUTES)
    return not InboundEmail.objects.filter(from_email=sender, outcome=Outcome.HELD, processed_at__gte=since).exists()


def receive_inbound_message(
    message: InboundMessage, *, intake: Intake | None = None, bypass_rate_limit: bool = False, may_wait: bool = False,
    processed_into: int | None = None,
) -> Received:
    """Apply the intake rules to one parsed message and write the result through the ticket
    services. Runs inside the caller's transaction.

    With `may_wait`, a message that threads to nothing but names a stored email that is still
    waiting or being processed (by another worker) raises ParentPending instead of opening a
    ticket, so the caller can try again once that email has its ticket. `processed_into` is the
    ticket the stored email was processed into before, if any (a row reset by hand).

    Order: our own mail coming back (loop) -> bounce -> spam filters -> threading (headers,
    then the subject token with the sender check) -> reply, or a new ticket (auto-replies open
    none; unknown senders per setting; rate limit per sender) -> receipt for new tickets from
    people (never for automatic mail).
    """
    intake = intake or Intake.load()
    sender = (message.from_email or "").lower()
    department = _department_for(message, intake)

    if message.loop:
        return Received(Outcome.LOOP, message.loop_reason, department=department)
    if sender and sender in intake.departments:
        return Received(Outcome.LOOP, _("The sender is one of our department addresses."), department=department)
    if message.message_id and processed_into is not None:
        # This very email was processed into that ticket before (its row then reset by hand).
        # Only there: senders such as ServiceNow and Jira reuse one Message-ID for several
        # notifications, so the id alone never makes another email a duplicate (the store
        # recognises redeliveries by their fingerprint).
        if TicketMessage.objects.filter(message_id=message.message_id, ticket_id=processed_into).exists():
            return Received(
                Outcome.DUPLICATE,
                _("This email is already on ticket #%(n)s.") % {"n": processed_into},
                ticket=Ticket.objects.filter(pk=processed_into).first(),
                department=department,
            )
    if message.auto_kind == "bounce":
        return _bounce(message, department)

    if message.spam_reason and not bypass_rate_limit:
        # The mail server's spam verdict: held for a manager to look at ("process again"), no receipt.
        return Received(Outcome.HELD, _("Marked as spam by the mail server (%(why)s).") % {"why": message.spam_reason},
                        department=department, held=True)

    body_text, body_html, original = _bodies(message)
    for spam_filter in intake.spam_filters:
        if spam_filter.matches(sender=sender, subject=message.subject, body=message.text):
            return Received(Outcome.BLOCKED, str(spam_filter), department=department)

    contact = _find_contact(sender)
    ticket, matched_by = _ticket_from_headers(message)
    history_note = ""
    if ticket is None:
        token_id = ticket_id_from_subject(message.subject)
        if token_id is not None:
            candidate = Ticket.objects.filter(pk=token_id).select_related("status").first()
            if candidate is None:
                history_note = _("The subject named ticket #%(n)s, which does not exist.") % {"n": token_id}
            elif _sender_belongs(candidate, sender, contact) or _sender_belongs(
                _follow_merges(candidate), sender, contact
            ):
                ticket, matched_by = candidate, "subject"
            else:
                history_note = _(
                    "The subject named ticket #%(n)s, but %(sender)s is not on that ticket, so this email "
                    "opened a new ticket instead."
                ) % {"n": token_id, "sender": sender or _("an unknown sender")}

    if ticket is None and may_wait and parent_waiting(message):
        raise ParentPending(message.message_id)
    linked: Ticket | None = None
    if ticket is not None:
        target = _follow_merges(ticket)
        reopen_limit = timezone.now() - timedelta(days=settings.HELPDESK_REOPEN_WITHIN_DAYS)
        if target.closed_at is not None and target.closed_at < reopen_limit:
            linked = target
            history_note = _(
                "A reply to ticket #%(n)s, closed more than %(days)s days ago, opened this follow-up ticket."
            ) % {"n": target.pk, "days": settings.HELPDESK_REOPEN_WITHIN_DAYS}
        else:
            participants = _participants(message, intake, sender)
            return _reply(message, target, contact, body_text, body_html, original, matched_by, participants)

    if message.auto_kind == "auto_reply":
        return Received(Outcome.AUTO_REPLY, message.auto_reason, department=department)
    if not sender:
        # A ticket needs someone to answer: keep the email, held with its reason, for a manager
        # to read in the admin (Inbound emails) instead of a ticket without a requester.
        return Received(
            Outcome.HELD,
            _("No usable sender address (From: %(value)s), so no ticket was opened.")
            % {"value": message.from_name or _("missing")},
            department=department,
            held=True,
        )
    if department is None:
        raise services.TicketError(_("No department is configured to receive email."))
    if contact is None and not settings.HELPDESK_ALLOW_NON_REGISTERED_SENDERS:
        return Received(
            Outcome.REFUSED,
            _("%(sender)s is not a registered contact.") % {"sender": sender or "?"},
            department=department,
            notice="refused" if sender and not message.auto_kind else "",
        )
    if not bypass_rate_limit and _rate_limited(sender):
        return Received(
            Outcome.HELD,
            _("More than %(n)d new tickets from %(sender)s within %(m)d minutes.")
            % {"n": settings.HELPDESK_SENDER_RATE_LIMIT, "sender": sender,
               "m": settings.HELPDESK_SENDER_RATE_WINDOW_MINUTES},
            department=department,
            held=True,
            notice="held" if _first_hold_in_window(sender) else "",
        )

    if not bypass_rate_limit and contact is None and unknown_senders_left() == 0:
        held = _unknown_senders_held()
        held.department = department
        return held

    ticket = services.open_ticket(
        subject=clean_subject(message.subject) or _("(no subject)"),
        body_text=body_text,
        body_html=body_html,
        original_text=original,
        department=department,
        channel=Channel.EMAIL,
        contact=contact,
        requester_name=message.from_name if contact is None else "",
        requester_email=sender,
        cc_emails=_participants(message, intake, sender),
        attachments=_attachments(message),
        enforce_attachment_policy=False,
        message_id=message.message_id,
        linked_ticket=linked,
        status=intake.default_status,
        priority=department.default_priority or intake.default_priority,
    )
    if history_note:
        services.note_history(ticket=ticket, note=history_note)
    first = ticket.messages.order_by("id").first()
    reason = message.auto_reason if message.auto_kind else message.list_reason
    if sender and not message.auto_kind and not message.list_reason:
        send_receipt(ticket=ticket, intake=intake)
    return Received(Outcome.TICKET_OPENED, reason, ticket=ticket, ticket_message=first, department=department)


def _reply(
    message: InboundMessage,
    ticket: Ticket,
    contact: Contact | None,
    body_text: str,
    body_html: str,
    original: str,
    matched_by: str,
    participants: list[str],
) -> Received:
    sender = (message.from_email or "").lower()
    automatic = bool(message.auto_kind)
    if not body_text.strip() and not message.attachments:
        body_text = _("(empty message)")
    reply = services.add_reply(
        ticket=ticket,
        body_text=body_text,
        body_html=body_html,
        original_text=original,
        # Auto-replies are kept on the ticket but never count as the customer answering.
        kind=TicketMessage.Kind.SYSTEM if automatic else TicketMessage.Kind.CUSTOMER,
        contact=contact if contact and not automatic else None,
        author_name=(contact.full_name if contact else message.from_name) or sender,
        author_email=sender,
        attachments=_attachments(message),
        enforce_attachment_policy=False,
        channel=Channel.EMAIL,
        message_id=message.message_id,
        in_reply_to=message.in_reply_to[0] if message.in_reply_to else "",
        cc_emails=[] if automatic else participants,
        send=False,
    )
    outcome = Outcome.AUTO_REPLY if automatic else Outcome.REPLY_ADDED
    reason = message.auto_reason if automatic else (
        _("Matched by the subject token.") if matched_by == "subject" else _("Matched by %(id)s.") % {"id": matched_by}
    )
    return Received(outcome, reason, ticket=reply.ticket, ticket_message=reply, department=reply.ticket.department)


def _bounce(message: InboundMessage, department: Department | None) -> Received:
    ticket = None
    if message.bounced_message_id:
        ticket_id = ticket_id_from_message_id(message.bounced_message_id)
        if ticket_id is None:
            ticket_id = (
                TicketMessage.objects.filter(message_id=message.bounced_message_id)
                .values_list("ticket_id", flat=True)
                .first()
            )
        if ticket_id is not None:
            ticket = Ticket.objects.filter(pk=ticket_id).first()
    recipients = ", ".join(message.bounce_recipients) or _("the customer")
    reason = f"{message.auto_reason}; {_('failed')}: {recipients}" if message.bounce_recipients else message.auto_reason
    if ticket is not None:
        note = services.add_reply(
            ticket=ticket,
            kind=TicketMessage.Kind.NOTE,
            body_text=_("Our email to %(to)s could not be delivered (%(subject)s).\n\n%(text)s")
            % {"to": recipients, "subject": message.subject, "text": message.text[:4000]},
            author_name=_("Mail delivery system"),
            send=False,
        )
        return Received(Outcome.BOUNCE, reason, ticket=ticket, ticket_message=note, department=department)
    return Received(Outcome.BOUNCE, reason, department=department)
