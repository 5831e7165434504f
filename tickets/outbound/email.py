"""Build and send the email for a staff reply: subject token, our signed Message-ID,
In-Reply-To/References to the customer's last message, the agent's signature, attachments.

`send_ticket_messages` sends many at once (the receipts of a bulk intake batch) over one SMTP
connection, with one query for their threads and one for their attachments; each message is
marked sent right after its own send, so a retry after a crash re-sends none that went out.
"""

import logging
import re
import smtplib
from collections.abc import Sequence
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import QuerySet
from django.utils import timezone

from tickets.models import TicketMessage
from tickets.outbound.signature import sign
from tickets.outbound.sweep import claim, failed_attempt, unreached
from tickets.threading import make_message_id, subject_with_token

logger = logging.getLogger(__name__)


Thread = list[tuple[int, object, str, str]]  # (message pk, created_at, Message-ID, kind), oldest first


def _threads(ticket_ids: set[int]) -> dict[int, Thread]:
    """Return the messages of these tickets that carry a Message-ID (no notes), oldest first."""
    threads: dict[int, Thread] = {tid: [] for tid in ticket_ids}
    rows = (
        TicketMessage.objects.filter(ticket_id__in=ticket_ids)
        .exclude(message_id="")
        .exclude(kind=TicketMessage.Kind.NOTE)
        .order_by("created_at", "id")
        .values_list("ticket_id", "pk", "created_at", "message_id", "kind")
    )
    for ticket_id, pk, created_at, message_id, kind in rows:
        threads[ticket_id].append((pk, created_at, message_id, kind))
    return threads


def _references(thread: Thread, upto: TicketMessage) -> tuple[str, list[str]]:
    ids = [(mid, kind) for pk, created_at, mid, kind in thread if created_at <= upto.created_at and pk != upto.pk]
    customer_ids = [mid for mid, kind in ids if kind == TicketMessage.Kind.CUSTOMER]
    in_reply_to = customer_ids[-1] if customer_ids else (ids[-1][0] if ids else "")
    return in_reply_to, [mid for mid, _ in ids][-20:]


# Automatic mail (receipts) repeats the customer's subject: a spammer's subject, cut short.
RECEIPT_SUBJECT_MAX = 80


def copied_to(message: TicketMessage) -> list[str]:
    """Return the Cc of a staff reply: the addresses the agent put on this reply, then, where the
    department allows it, the ticket's participants; at most HELPDESK_REPLY_MAX_CC, never the
    customer. Automatic mail (receipts) copies nobody."""
    ticket = message.ticket
    to = ticket.reply_email.lower()
    wanted = list(message.cc_emails)
    if ticket.department.copy_participants:
        wanted += ticket.cc_emails
    out: list[str] = []
    seen = {to}
    for address in wanted:
        address = address.lower()
        if address not in seen:
            seen.add(address)
            out.append(address)
    return out[: max(settings.HELPDESK_REPLY_MAX_CC, 0)]


def build_email(message: TicketMessage, *, thread: Thread | None = None) -> EmailMultiAlternatives:
    """Return the outgoing email for a staff reply or automatic message (not yet sent).

    `thread` is the ticket's messages as `_threads` returns them (read here when not given).
    """
    ticket = message.ticket
    department = ticket.department
    from_email = f"{department.name} <{department.email}>" if department.email else settings.DEFAULT_FROM_EMAIL
    body = message.body_text
    profile = getattr(message.author, "staff_profile", None) if message.author_id else None
    if profile and profile.signature:
        body = sign(body, profile.signature)
    if thread is None:
        thread = _threads({ticket.pk})[ticket.pk]
    in_reply_to, references = _references(thread, message)
    headers = {
        "Message-ID": message.message_id,
        "X-Helpdesk-Ticket": str(ticket.pk),
    }
    if message.kind == TicketMessage.Kind.SYSTEM:
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = " ".join(references)
    automatic = message.kind == TicketMessage.Kind.SYSTEM
    email = EmailMultiAlternatives(
        subject=subject_with_token(ticket_id=ticket.pk, subject=ticket.subject,
                                   max_length=RECEIPT_SUBJECT_MAX if automatic else None),
        body=body,
        from_email=from_email,
        to=[ticket.reply_email],
        cc=[] if automatic else copied_to(message),
        headers=headers,
        reply_to=[department.email] if department.email else None,
    )
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as fh:
            data = fh.read()
        if attachment.content_type.startswith("text/calendar"):
            email.attach(_calendar_part(data, attachment.original_name))
        else:
            email.attach(attachment.original_name, data, attachment.content_type)
    return email


def _calendar_part(data: bytes, filename: str) -> MIMEText:
    """Return an iCalendar invite as RFC 6047 wants it: text/calendar with a `method` parameter
    equal to the METHOD inside (calendar clients show Accept/Update/Cancel from it)."""
    text = data.decode("utf-8", errors="replace")
    match = re.search(r"^METHOD:(\w+)", text, re.MULTILINE)
    part = MIMEText(text, "calendar", "utf-8")
    if match:
        part.set_param("method", match.group(1).upper())
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def _outgoing(message_ids: Sequence[int]) -> QuerySet[TicketMessage]:
    return TicketMessage.objects.select_related(
        "ticket__department", "ticket__contact", "author__staff_profile"
    ).filter(pk__in=list(message_ids)).order_by("pk")


def _sendable(message: TicketMessage) -> bool:
    """Return whether to send this message now; a message without an address is marked failed."""
    if message.kind not in (TicketMessage.Kind.STAFF, TicketMessage.Kind.SYSTEM):
        return False
    if message.delivery_status == "sent":
        return False
    if not message.ticket.reply_email:
        TicketMessage.objects.filter(pk=message.pk).update(delivery_status="failed", delivery_error="no address")
        return False
    if not message.message_id:
        # Signed with the message's own key, so the same id on every attempt.
        message.message_id = make_message_id(ticket_id=message.ticket_id, message_ref=message.pk)
    return True


def permanent_refusal(exc: BaseException) -> str:
    """Return the server's text when `exc` is a permanent refusal of this message (a 5xx reply
    to every recipient, or to its content), else "" (a 4xx reply, a broken connection: retry).

    A 5xx to our own login or sender address is not counted: that is the set-up, the same for
    every message, and an operator's fix should still let the waiting messages go out.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        replies = list(exc.recipients.items())
        if all(500 <= int(code) < 600 for _, (code, _text) in replies):
            return "; ".join(f"{address}: {code} {_text_of(text)}" for address, (code, text) in replies)[:1000]
        return ""
    if isinstance(exc, smtplib.SMTPDataError) and 500 <= int(exc.smtp_code) < 600:
        return f"{exc.smtp_code} {_text_of(exc.smtp_error)}"[:1000]
    return ""


def _text_of(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _refused(message: TicketMessage, error: str) -> None:
    """Mark a message the mail server refused for good: failed, with the server's words."""
    TicketMessage.objects.filter(pk=message.pk).update(
        delivery_status="failed", delivery_error=error, message_id=message.message_id
    )
    logger.warning("reply refused by the mail server", extra={"ticket_message": message.pk, "error": error})


def _will_retry(message: TicketMessage, exc: BaseException, *, attempt: int) -> bool:
    """Keep a temporary failure's text on the message (still pending) while it is retried; at its
    last try (tickets.outbound.sweep.MAX_ATTEMPTS) fail it with that text. Return whether to retry."""
    return failed_attempt(message.pk, exc, attempt=attempt)


def _sent(message: TicketMessage, started: object) -> None:
    TicketMessage.objects.filter(pk=message.pk).update(
        delivery_status="sent", delivery_error="", message_id=message.message_id
    )
    logger.info(
        "reply emailed",
        extra={"ticket": message.ticket_id, "ticket_message": message.pk,
               "ms": int((timezone.now() - started).total_seconds() * 1000)},
    )


def send_ticket_message(*, message_id: int) -> None:
    """Send one staff reply by email and record the outcome on the message: sent; failed with
    the server's text on a permanent refusal (no retry); a temporary error is raised for the
    task to retry, its text kept on the still pending message (failed at its last try).

    The send claims the message (tickets.outbound.sweep.claim): a second delivery racing this
    one, or coming after it, sends nothing."""
    message = _outgoing([message_id]).get()
    if not _sendable(message):
        return
    started = timezone.now()
    failure: BaseException | None = None
    with claim(message.pk) as attempt:
        if attempt is None:  # sent, failed, or being sent by another delivery
            return
        try:
            build_email(message).send(fail_silently=False)
        except Exception as exc:  # smtplib's errors are OSErrors
            if isinstance(exc, OSError) and (error := permanent_refusal(exc)):
                _refused(message, error)
            elif _will_retry(message, exc, attempt=attempt) or not isinstance(exc, OSError):
                failure = exc
        else:
            _sent(message, started)
    if failure is not None:
        raise failure


def send_ticket_messages(*, message_ids: Sequence[int]) -> list[int]:
    """Send many staff replies or automatic messages by email over one connection.

    Each is recorded as sent right after its own send. A permanent refusal (5xx, e.g. "550 User
    unknown") marks that message failed with the server's text at once. Returns the ids whose
    sending failed with a temporary connection or SMTP error, for the caller to retry; other
    errors are logged and leave the message pending, as for one message.
    """
    messages = [m for m in _outgoing(message_ids).prefetch_related("attachments") if _sendable(m)]
    if not messages:
        return []
    threads = _threads({m.ticket_id for m in messages})
    failed: list[int] = []
    connection = get_connection()
    try:
        connection.open()
    except OSError as exc:
        logger.exception("cannot open the mail connection", extra={"count": len(messages)})
        return unreached([m.pk for m in messages], exc)
    try:
        for index, message in enumerate(messages):
            started = timezone.now()
            broken = False
            # Claimed while it is sent: a delivery racing this one skips it, a later one finds it sent.
            with claim(message.pk) as attempt:
                if attempt is None:
                    continue
                try:
                    email = build_email(message, thread=threads[message.ticket_id])
                    email.connection = connection
                    email.send(fail_silently=False)
                except OSError as exc:
                    if error := permanent_refusal(exc):
                        _refused(message, error)  # smtplib reset the session: go on with the next
                        continue
                    logger.exception("reply not emailed; will retry", extra={"ticket_message": message.pk})
                    if _will_retry(message, exc, attempt=attempt):
                        failed.append(message.pk)
                    broken = True
                except Exception as exc:  # left pending: the outbound sweep tries it again later
                    logger.exception("reply not emailed", extra={"ticket_message": message.pk})
                    _will_retry(message, exc, attempt=attempt)
                    continue
                else:
                    _sent(message, started)
            if broken:
                try:  # the session may be broken: start a fresh one for the rest
                    connection.close()
                    connection.open()
                except OSError as exc:
                    failed += unreached([m.pk for m in messages[index + 1:]], exc)
                    break
    finally:
        connection.close()
    return failed
