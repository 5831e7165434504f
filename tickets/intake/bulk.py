"""Bulk intake: many stored emails in one transaction with set-based queries.

The common cases are done in bulk: a new ticket from a person (no subject token, nothing
automatic, not blocked, not rate limited) and a reply threaded by In-Reply-To/References to an
open ticket whose status a customer reply does not change. They write exactly what
`services.open_ticket` / `add_reply` (+ the receipt) write, rows created with bulk_create and
one lookup per kind of data for the whole batch, and announce the same hooks after commit.
Everything else (tokens and their sender check, merges, closed tickets, auto-replies, bounces,
loops, spam, refusals, holds, anything that depends on one of those) goes through
`receive_inbound_message`, one email at a time, in arrival order, in the same transaction.

Rows are locked with SELECT ... FOR UPDATE SKIP LOCKED, so two workers batching at once take
disjoint rows, and a crash rolls the whole batch back to 'new'. If the bulk part fails for any
reason other than the database being down, each email is processed on its own instead.

Two workers at once: a reply whose parent email sits uncommitted in the other worker's batch
finds neither the parent's ticket nor its message; it sees the parent's row still 'new' and
waits for it (left 'new' with `retry_at`, tried again shortly) instead of opening a ticket.
After commit, the hooks of the whole batch are announced with `hooks.emit_many` (one
notification insert, one automation pass per rule) and the receipts go out in tasks of a
hundred over one mail connection each.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Contact
from tickets import channels, hooks, services
from tickets.batch_memo import batch_memo
from tickets.intake.bodies import clean_subject
from tickets.intake.email import parse_email
from tickets.intake.message import InboundMessage
from tickets.intake.queueing import email_time_limit_seconds, mark_too_slow, not_processed_yet
from tickets.intake.receipts import receipt_text
from tickets.intake.services import (
    MAX_PARENT_WAITS,
    Intake,
    ParentPending,
    _attachments,
    _bodies,
    _department_for,
    _finish,
    _mark_failed,
    _participants,
    _process_claimed,
    process_inbound_email,
    queue_inbound_email,
    receive_inbound_message,
    record_parent_waits,
    unknown_senders_left,
)
from tickets.intake.timelimit import EmailTookTooLong, email_time_limit
from tickets.models import InboundEmail, Ticket, TicketEvent, TicketMessage, TicketStatus
from tickets.models.core import Channel
from tickets.sla import policy as sla_policy
from tickets.threading import ticket_id_from_message_id, ticket_id_from_subject

logger = logging.getLogger(__name__)

Outcome = InboundEmail.Outcome
State = InboundEmail.State


@dataclass
class _Item:
    row: InboundEmail
    message: InboundMessage
    sender: str
    contact: Contact | None = None
    ticket_id: int | None = None  # the ticket a reply threads to
    parent: "_Item | None" = None  # or the new ticket of this batch it threads to
    matched_by: str = ""


@dataclass
class BulkResult:
    """What one bulk pass did: how many emails it took, and which of them wait for a parent."""

    taken: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    slow: list[int] = field(default_factory=list)  # over their time budget: retried on the slow queue
    deferred: list[int] = field(default_factory=list)  # left new for the next task (slow emails ate the time)
    full: bool = False  # the batch was full: more emails may be waiting


def process_inbound_bulk(
    *,
    inbound_ids: Sequence[int],
    intake: Intake | None = None,
    parsed: dict[int, InboundMessage] | None = None,
    take_waiting: int = 0,
    on_full: Callable[[], None] | None = None,
    defer_when_slow: bool = False,
) -> BulkResult:
    """Process the given stored emails that are still new; see the module docstring.

    With `take_waiting`, also take up to that many of the oldest other waiting emails that no
    other worker holds (a busy worker's batch); when that fills the batch, `on_full` is called
    at once (before the batch commits), so another worker can start on the next batch.
    With `defer_when_slow` (the worker's task), once slow emails have made the batch last twice
    the per-email budget, the emails not started are left new for a task queued after commit.
    """
    result = BulkResult()
    try:
        with batch_memo():  # one read of calendars, rules and department staff per batch
            failed, slow = _bulk(list(inbound_ids), intake, parsed or {}, take_waiting, result, on_full,
                                 defer_when_slow)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        taken = result.taken or list(inbound_ids)
        logger.exception("bulk intake failed; processing one by one", extra={"emails": len(taken)})
        intake = intake or Intake.load()
        for pk in taken:
            process_inbound_email(inbound_id=pk, intake=intake)
        return BulkResult(taken=taken)
    for pk, exc in failed:
        _mark_failed(pk, exc)
    seconds = email_time_limit_seconds()
    for pk, exc in slow:
        mark_too_slow(pk, exc, seconds=seconds, retry=True)
    result.slow = [pk for pk, _ in slow]
    return result


def _locked(qs: object) -> object:
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def _bulk(
    ids: list[int],
    intake: Intake | None,
    parsed: dict[int, InboundMessage],
    take_waiting: int,
    result: BulkResult,
    on_full: Callable[[], None] | None,
    defer_when_slow: bool = False,
) -> tuple[list[tuple[int, BaseException]], list[tuple[int, BaseException]]]:
    """Return the emails that failed and those that ran over their time budget (each email's
    parsing, and its one-by-one processing, has HELPDESK_INBOUND_EMAIL_SOFT_LIMIT seconds in all).

    With `defer_when_slow`, once slow emails have made the batch last twice that budget, the
    emails not started yet are left new for a task queued after commit, so the batch's plain
    emails are written without waiting for more slow ones (a flood of them is shared by all
    worker processes)."""
    failed: list[tuple[int, BaseException]] = []
    slow: list[tuple[int, BaseException]] = []
    budget = email_time_limit_seconds()
    spent: dict[int, float] = {}
    deadline = time.monotonic() + 2 * budget

    def out_of_time() -> bool:
        return bool(defer_when_slow and budget and slow and time.monotonic() > deadline)

    with transaction.atomic():
        rows = list(_locked(InboundEmail.objects.filter(pk__in=ids, state=State.NEW).order_by("pk")))
        if take_waiting:
            due = Q(retry_at__isnull=True) | Q(retry_at__lte=timezone.now())
            others = list(_locked(
                InboundEmail.objects.filter(due, state=State.NEW).exclude(pk__in=ids).order_by("pk")
            )[:take_waiting])
            rows = sorted([*rows, *others], key=lambda r: r.pk)
            result.full = len(others) >= take_waiting
        result.taken = [r.pk for r in rows]
        if not rows:
            return failed, slow
        if result.full and on_full is not None:
            on_full()
        intake = intake or Intake.load()
        now = timezone.now()
        items: list[_Item] = []
        fallback: list[_Item | InboundEmail] = []
        for row in rows:
            if out_of_time():
                result.deferred.append(row.pk)
                continue
            if row.size > settings.HELPDESK_INBOUND_MAX_BYTES or row.ticket_message_id:
                fallback.append(row)
                continue
            started = time.monotonic()
            try:
                with email_time_limit(budget):
                    message = parsed.get(row.pk) or parse_email(
                        row.raw_bytes(), envelope_recipient=row.recipient, our_domain=settings.HELPDESK_MAIL_DOMAIN
                    )
            except EmailTookTooLong as exc:
                slow.append((row.pk, exc))
                continue
            except Exception as exc:
                failed.append((row.pk, exc))
                continue
            spent[row.pk] = time.monotonic() - started
            items.append(_Item(row=row, message=message, sender=(message.from_email or "").lower()))

        # One lookup per kind of data for the whole batch.
        senders = {i.sender for i in items if i.sender}
        contacts = {
            c.email_lower: c
            for c in Contact.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=senders, is_active=True)
            .select_related("client")
        } if senders else {}
        own_ids = [i.message.message_id for i in items if i.message.message_id]
        known = set(
            TicketMessage.objects.filter(message_id__in=own_ids).values_list("message_id", flat=True)
        ) if own_ids else set()
        thread_ids = {mid for i in items for mid in i.message.thread_ids}
        stored: dict[str, int] = {}
        pending: set[str] = set()
        if thread_ids:
            stored = dict(
                TicketMessage.objects.filter(message_id__in=thread_ids).exclude(message_id="")
                .values_list("message_id", "ticket_id")
            )
            missing = thread_ids - set(stored)
            if missing:
                for mid, tid in InboundEmail.objects.filter(message_id__in=missing, ticket__isnull=False).values_list(
                    "message_id", "ticket_id"
                ):
                    stored.setdefault(mid, tid)
            missing -= set(stored)
            if missing:
                # Parents stored but not processed yet (another worker holds them right now, or
                # this batch found them too slow: they go to the slow queue).
                pending = set(
                    InboundEmail.objects.filter(not_processed_yet(), message_id__in=missing)
                    .exclude(pk__in=set(result.taken) - {pk for pk, _ in slow}).values_list("message_id", flat=True)
                )
        since = now - timedelta(minutes=settings.HELPDESK_SENDER_RATE_WINDOW_MINUTES)
        opened = dict(
            InboundEmail.objects.filter(from_email__in=senders, outcome=Outcome.TICKET_OPENED, processed_at__gte=since)
            .values("from_email").annotate(n=Count("id")).values_list("from_email", "n")
        ) if senders and settings.HELPDESK_SENDER_RATE_LIMIT > 0 else {}

        # How many more tickets strangers may open (all together), read once per batch.
        strangers = any(i.sender and i.sender not in contacts for i in items)
        unknown_left = unknown_senders_left() if strangers else None

        # Sort each email: bulk new ticket, bulk reply, or one by one.
        new_items: list[_Item] = []
        reply_items: list[_Item] = []
        waiting: list[int] = []
        slow_ids: set[str] = set()  # Message-IDs of this batch handled one by one
        batch_new: dict[str, _Item] = {}
        seen_ids: set[str] = set()
        for item in items:
            m = item.message
            item.contact = contacts.get(item.sender)
            depends_on_slow = any(mid in slow_ids for mid in m.thread_ids)
            simple = (
                not m.loop and not m.auto_kind and not m.list_reason and not m.spam_reason
                and item.sender and item.sender not in intake.departments
                and not (m.message_id and (m.message_id in known or m.message_id in seen_ids))
                and ticket_id_from_subject(m.subject) is None and not depends_on_slow
                and not any(f.matches(sender=item.sender, subject=m.subject, body=m.text)
                            for f in intake.spam_filters)
            )
            if m.message_id:
                seen_ids.add(m.message_id)
            if simple:
                for mid in m.thread_ids:
                    tid = ticket_id_from_message_id(mid)
                    if tid is not None or mid in stored:
                        item.ticket_id, item.matched_by = (tid if tid is not None else stored[mid]), mid
                        break
                    if mid in batch_new:
                        item.parent, item.matched_by = batch_new[mid], mid  # its ticket exists after phase 1
                        break
            if simple and (item.ticket_id is not None or item.parent is not None):
                reply_items.append(item)
                continue
            if (simple and item.row.parent_waits < MAX_PARENT_WAITS
                    and any(mid in pending for mid in m.thread_ids)):
                waiting.append(item.row.pk)  # its parent gets its ticket in another worker's batch
                if m.message_id:
                    slow_ids.add(m.message_id)
                continue
            if (simple and _may_open(item, intake, opened)
                    and (item.contact is not None or unknown_left is None or unknown_left > 0)):
                # (Answering something we do not know also opens a ticket, as one by one.)
                new_items.append(item)
                opened[item.sender] = opened.get(item.sender, 0) + 1
                if item.contact is None and unknown_left is not None:
                    unknown_left -= 1
                if m.message_id:
                    batch_new[m.message_id] = item
                continue
            fallback.append(item)
            if m.message_id:
                slow_ids.add(m.message_id)

        created = _open_tickets(new_items, intake, now)
        for item in reply_items:
            if item.parent is not None:
                item.ticket_id = item.parent.row.ticket.pk
        late = _add_replies(reply_items, {t.pk: t for _, t in created}, intake, now)
        fallback.extend(late)
        done = [item.row for item in [*new_items, *reply_items] if item not in late]
        for row in done:
            row.state, row.error, row.processed_at, row.attempts = State.DONE, "", now, row.attempts + 1
            row.retry_at = None
        _update_many(InboundEmail, done, ["state", "outcome", "reason", "error", "ticket", "ticket_message",
                                          "department", "processed_at", "attempts", "retry_at"])

        for entry in sorted(fallback, key=lambda e: (e.row if isinstance(e, _Item) else e).pk):
            row = entry.row if isinstance(entry, _Item) else entry
            if out_of_time():
                result.deferred.append(row.pk)
                continue
            may_wait = row.parent_waits < MAX_PARENT_WAITS
            try:
                with transaction.atomic():  # the budget inside: running over rolls this email back
                    with email_time_limit(max(budget - spent.get(row.pk, 0.0), 0.001) if budget else 0):
                        if isinstance(entry, _Item):
                            received = receive_inbound_message(entry.message, intake=intake, may_wait=may_wait)
                        else:
                            received = _process_claimed(row, intake=intake, bypass_rate_limit=False,
                                                        may_wait=may_wait)
                    _finish(row, received)
            except EmailTookTooLong as exc:
                slow.append((row.pk, exc))
            except ParentPending:
                waiting.append(row.pk)
            except (OperationalError, InterfaceError):
                raise
            except Exception as exc:
                failed.append((row.pk, exc))
        if waiting:
            record_parent_waits(inbound_ids=waiting)
            result.waiting = waiting
        if result.deferred:
            transaction.on_commit(lambda: queue_inbound_email(None, coalesce=False))
    return failed, slow


def _update_many(model: type, objs: list, fields: list[str]) -> None:
    """UPDATE each object's fields with one prepared statement (executemany: pipelined by psycopg).

    Django's bulk_update builds one CASE expression per field and row, which costs more CPU than
    the round trips it saves at these batch sizes.
    """
    if not objs:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(c.column)} = %s" for c in columns)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    params = [[c.get_db_prep_save(getattr(o, c.attname), connection) for c in columns] + [o.pk] for o in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _may_open(item: _Item, intake: Intake, opened: dict[str, int]) -> bool:
    if _department_for(item.message, intake) is None:
        return False
    if item.contact is None and not settings.HELPDESK_ALLOW_NON_REGISTERED_SENDERS:
        return False
    limit = settings.HELPDESK_SENDER_RATE_LIMIT
    return limit <= 0 or opened.get(item.sender, 0) < limit


def _open_tickets(items: list[_Item], intake: Intake, now: object) -> list[tuple[_Item, Ticket]]:
    """Bulk `open_ticket` + receipt: tickets, first messages, files, CREATED events, receipts."""
    if not items:
        return []
    status = intake.default_status
    sla_policy.prime_tiers({item.contact.client for item in items if item.contact and item.contact.client_id})
    tickets: list[Ticket] = []
    for item in items:
        m, contact = item.message, item.contact
        department = _department_for(m, intake)
        priority = department.default_priority or intake.default_priority
        name = (contact.full_name if contact else m.from_name)[:200]
        ticket = Ticket(
            subject=(clean_subject(m.subject) or _("(no subject)"))[:255],
            client=contact.client if contact else None,
            contact=contact,
            requester_name=name,
            requester_email=item.sender,
            cc_emails=sorted(set(_participants(m, intake, item.sender))),
            department=department,
            status=status,
            priority=priority,
            priority_level=priority.level,
            channel=Channel.EMAIL,
            created_at=now,
            updated_at=now,
            last_customer_reply_at=now,
            last_reply_at=now,
            last_replier_name=name or item.sender,
            status_changed_at=now,
        )
        services.refresh_sla(ticket, now=now)
        if status.is_closed:
            ticket.closed_at = now
        if status.pauses_sla or ticket.closed_at is not None:
            ticket.sla_paused_at = now
        tickets.append(ticket)
    Ticket.objects.bulk_create(tickets)
    messages = []
    for item, ticket in zip(items, tickets, strict=True):
        body_text, body_html, original = _bodies(item.message)
        messages.append(TicketMessage(
            ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, author_contact=item.contact,
            author_name=ticket.requester_name, author_email=item.sender, body_text=body_text, body_html=body_html,
            original_text=original, channel=Channel.EMAIL, message_id=item.message.message_id[:998],
            cc_emails=ticket.cc_emails, created_at=now,
        ))
    TicketMessage.objects.bulk_create(messages)
    for item, message in zip(items, messages, strict=True):
        if item.message.attachments:
            services.add_attachments(message=message, attachments=_attachments(item.message), enforce_policy=False)
    via = _("Opened via %(channel)s") % {"channel": Channel.EMAIL.label}
    TicketEvent.objects.bulk_create([
        TicketEvent(ticket=t, kind=TicketEvent.Kind.CREATED, after=f"{t.department} / {t.status} / {t.priority}"[:255],
                    note=via, created_at=now)
        for t in tickets
    ])
    receipts = [
        TicketMessage(
            ticket=t, kind=TicketMessage.Kind.SYSTEM, author_name=t.department.name[:200],
            body_text=receipt_text(intake.receipt_for(t.department), t),
            channel=Channel.EMAIL, delivery_status="pending", created_at=now,
        )
        for t in tickets
    ]
    TicketMessage.objects.bulk_create(receipts)
    for item, ticket, message in zip(items, tickets, messages, strict=True):
        item.row.outcome, item.row.reason = Outcome.TICKET_OPENED, ""
        item.row.ticket, item.row.ticket_message, item.row.department = ticket, message, ticket.department
    # The same announcements as open_ticket + send_receipt, for the whole batch at once.
    hooks.emit_many("ticket_created", [
        {"ticket_id": t.pk, "actor_id": None, "message_id": m.pk} for t, m in zip(tickets, messages, strict=True)
    ])
    receipt_ids = [r.pk for r in receipts]
    transaction.on_commit(lambda: _deliver_receipts(receipt_ids))
    hooks.emit_many("system_message", [
        {"ticket_id": t.pk, "actor_id": None, "message_id": r.pk} for t, r in zip(tickets, receipts, strict=True)
    ])
    return list(zip(items, tickets, strict=True))


def _deliver_receipts(message_ids: list[int]) -> None:
    """Queue the receipts' delivery: one task per hundred, each over one mail connection."""
    try:
        channels.deliver_many(message_ids=message_ids)
    except Exception:  # the broker is down: the messages stay pending, as channels.deliver would
        logger.exception("could not queue receipts", extra={"count": len(message_ids)})


def _add_replies(items: list[_Item], fresh: dict[int, Ticket], intake: Intake, now: object) -> list[_Item]:
    """Bulk `add_reply` for customer replies that change no status; return the ones that must
    go one by one (merged, closed or answered tickets: their status rules live in add_reply)."""
    if not items:
        return []
    wanted = {i.ticket_id for i in items} - set(fresh)
    tickets = dict(fresh)
    if wanted:
        qs = Ticket.objects.filter(pk__in=wanted).select_related("status", "department")
        if connection.features.has_select_for_update:
            qs = qs.select_for_update(of=("self",))
        tickets.update({t.pk: t for t in qs})
    late: list[_Item] = []
    messages: list[TicketMessage] = []
    accepted: list[_Item] = []
    changed: dict[int, Ticket] = {}
    for item in items:
        ticket = tickets.get(item.ticket_id)
        if (ticket is None or ticket.merged_into_id or ticket.status.is_closed
                or ticket.status.slug == TicketStatus.ANSWERED):
            late.append(item)
            continue
        m, contact = item.message, item.contact
        body_text, body_html, original = _bodies(m)
        name = ((contact.full_name if contact else m.from_name) or item.sender)[:200]
        cc = sorted(set(_participants(m, intake, item.sender)))
        messages.append(TicketMessage(
            ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, author_contact=contact, author_name=name,
            author_email=item.sender, body_text=body_text or ("" if m.attachments else _("(empty message)")),
            body_html=body_html, original_text=original, channel=Channel.EMAIL, message_id=m.message_id[:998],
            in_reply_to=(m.in_reply_to[0] if m.in_reply_to else "")[:998], cc_emails=cc, created_at=now,
        ))
        ticket.updated_at = ticket.last_customer_reply_at = ticket.last_reply_at = now
        ticket.last_replier_name, ticket.last_reply_by_staff = name, False
        if set(cc) - set(ticket.cc_emails):
            ticket.cc_emails = sorted(set(ticket.cc_emails) | set(cc))
        changed[ticket.pk] = ticket
        accepted.append(item)
    TicketMessage.objects.bulk_create(messages)
    for item, message in zip(accepted, messages, strict=True):
        if item.message.attachments:
            services.add_attachments(message=message, attachments=_attachments(item.message), enforce_policy=False)
    TicketEvent.objects.bulk_create([
        TicketEvent(ticket=msg.ticket, kind=TicketEvent.Kind.CUSTOMER_REPLIED, after=msg.author_name, created_at=now)
        for msg in messages
    ])
    _update_many(Ticket, list(changed.values()), ["updated_at", "last_customer_reply_at", "last_reply_at",
                                                  "last_replier_name", "last_reply_by_staff", "cc_emails"])
    for item, message in zip(accepted, messages, strict=True):
        item.row.outcome = Outcome.REPLY_ADDED
        item.row.reason = _("Matched by %(id)s.") % {"id": item.matched_by}
        item.row.ticket, item.row.ticket_message = message.ticket, message
        item.row.department = message.ticket.department
    hooks.emit_many("customer_replied", [
        {"ticket_id": m.ticket_id, "actor_id": None, "message_id": m.pk} for m in messages
    ])
    return late

