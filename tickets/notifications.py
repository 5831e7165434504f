"""Staff notifications: every write about them, and the tickets.hooks listeners that create them.

Each notification appears in the workspace bell; it is also emailed when the recipient chose its
kind in their preferences (or when an automation rule's "email staff" action asks for email).
Who is told:
- new ticket: the department's staff;             - assigned: the new assignee;
- customer replied: the assignee;                  - escalated: the (new) department's staff;
- SLA about to breach / breached: the assignee, or the department's staff when unassigned.
The actor of a change is never notified of it. Emails go out from a Celery task after commit.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import hooks
from tickets.models import Notification, NotificationPreference, Ticket
from tickets.models.notifications import NotificationKind, default_email_kinds

logger = logging.getLogger(__name__)

SLA_METRICS = {"first_response": gettext_lazy("first response"), "resolution": gettext_lazy("resolution")}


def email_kinds_for(user_ids: Iterable[int]) -> dict[int, set[str]]:
    """Return each user's kinds-by-email (the defaults for users without preferences)."""
    user_ids = list(user_ids)
    chosen = dict(NotificationPreference.objects.filter(user_id__in=user_ids).values_list("user_id", "email_kinds"))
    defaults = set(default_email_kinds())
    return {uid: set(chosen[uid]) if uid in chosen else defaults for uid in user_ids}


def _send_later(notification_ids: list[int], subject: str = "", body: str = "") -> None:
    if notification_ids:
        transaction.on_commit(
            lambda: current_app.tasks["tickets.send_notification_emails"].delay(notification_ids, subject, body)
        )


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    text: str,
    ticket: Ticket | None = None,
    email_subject: str = "",
    email_body: str = "",
    force_email: bool = False,
    exclude_user_id: int | None = None,
) -> list[Notification]:
    """Create a notification for each recipient and queue the emails they asked for."""
    users = {u.pk: u for u in recipients if u.pk != exclude_user_id}
    if not users:
        return []
    now = timezone.now()
    created = Notification.objects.bulk_create(
        [Notification(recipient_id=uid, kind=kind, ticket=ticket, text=text[:300], created_at=now) for uid in users]
    )
    by_email = email_kinds_for(users)
    email_ids = [n.pk for n in created if force_email or kind in by_email[n.recipient_id]]
    _send_later(email_ids, email_subject, email_body)
    return created


def notify_many(rows: Sequence[tuple[int, str, int, str]]) -> int:
    """Create notifications in bulk from (recipient id, kind, ticket id, text) rows; return how many.

    The sweeps use this: one insert per thousand rows, emails queued in batches.
    """
    if not rows:
        return 0
    now = timezone.now()
    by_email = email_kinds_for({r[0] for r in rows})
    email_ids: list[int] = []
    total = 0
    for start in range(0, len(rows), 1000):
        chunk = rows[start:start + 1000]
        created = Notification.objects.bulk_create(
            [Notification(recipient_id=u, kind=k, ticket_id=t, text=x[:300], created_at=now) for u, k, t, x in chunk]
        )
        total += len(created)
        email_ids += [n.pk for n in created if n.kind in by_email[n.recipient_id]]
    for start in range(0, len(email_ids), 100):
        _send_later(email_ids[start:start + 100])
    return total


def mark_read(*, notification: Notification) -> Notification:
    """Mark a notification read (opening it does this)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def mark_all_read(*, user: Any) -> int:
    """Mark all of a user's notifications read; return how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def mark_ticket_read(*, user: Any, ticket_id: int) -> int:
    """Mark the user's notifications about a ticket read (they opened it)."""
    return Notification.objects.filter(recipient=user, ticket_id=ticket_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def set_email_kinds(*, user: Any, kinds: Iterable[str]) -> NotificationPreference:
    """Store which notification kinds the user also receives by email."""
    valid = [k for k in NotificationKind.values if k in set(kinds)]
    preference, _created = NotificationPreference.objects.update_or_create(user=user, defaults={"email_kinds": valid})
    return preference


def send_emails(*, notification_ids: Sequence[int], subject: str = "", body: str = "") -> int:
    """Email these notifications to their recipients (once each); return how many were sent."""
    sent = 0
    pending = Notification.objects.filter(pk__in=list(notification_ids), emailed=False).select_related(
        "recipient", "ticket"
    )
    for notification in pending:
        link = ""
        if notification.ticket_id:
            link = settings.SITE_URL + reverse("staff:ticket_detail", args=[notification.ticket_id])
        text_body = body or f"{notification.text}\n\n{link}".strip()
        send_mail(
            subject=subject or notification.text,
            message=text_body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
        )
        Notification.objects.filter(pk=notification.pk).update(emailed=True)
        sent += 1
    return sent


# --- listeners -----------------------------------------------------------------------------


def _department_staff(department_id: int) -> list[Any]:
    return list(
        get_user_model().objects.filter(departments=department_id, is_active=True, is_staff=True).order_by("pk")
    )


def _ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related("assignee", "department").filter(pk=ticket_id).first()


def on_ticket_created(*, ticket_id: int, actor_id: int | None = None, **_payload: Any) -> None:
    ticket = _ticket(ticket_id)
    if ticket is None:
        return
    notify(
        recipients=_department_staff(ticket.department_id),
        kind=NotificationKind.NEW_TICKET,
        ticket=ticket,
        text=_("New ticket #%(n)s in %(d)s: %(s)s") % {"n": ticket.pk, "d": ticket.department, "s": ticket.subject},
        exclude_user_id=actor_id,
    )


def on_assigned(*, ticket_id: int, assignee_id: int | None = None, actor_id: int | None = None, **_p: Any) -> None:
    ticket = _ticket(ticket_id)
    if ticket is None or assignee_id is None or ticket.assignee is None:
        return
    notify(
        recipients=[ticket.assignee],
        kind=NotificationKind.ASSIGNED,
        ticket=ticket,
        text=_("Ticket #%(n)s was assigned to you: %(s)s") % {"n": ticket.pk, "s": ticket.subject},
        exclude_user_id=actor_id,
    )


def on_customer_replied(*, ticket_id: int, **_payload: Any) -> None:
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.assignee is None:
        return
    notify(
        recipients=[ticket.assignee],
        kind=NotificationKind.CUSTOMER_REPLIED,
        ticket=ticket,
        text=_("The customer replied on #%(n)s: %(s)s") % {"n": ticket.pk, "s": ticket.subject},
    )


def on_escalated(*, ticket_id: int, department_id: int | None = None, actor_id: int | None = None,
                 **_payload: Any) -> None:
    ticket = _ticket(ticket_id)
    if ticket is None:
        return
    notify(
        recipients=_department_staff(department_id or ticket.department_id),
        kind=NotificationKind.ESCALATED,
        ticket=ticket,
        text=_("Ticket #%(n)s was escalated to %(d)s: %(s)s")
        % {"n": ticket.pk, "d": ticket.department, "s": ticket.subject},
        exclude_user_id=actor_id,
    )


def notify_sla(*, ticket_ids: Sequence[int], metric: str, kind: str) -> int:
    """Tell the assignee (or the department when unassigned) about SLA warnings or breaches."""
    tickets = list(Ticket.objects.filter(pk__in=list(ticket_ids)).values_list("pk", "subject", "assignee_id",
                                                                                 "department_id"))
    unassigned_departments = {d for _pk, _s, a, d in tickets if a is None}
    members: dict[int, list[int]] = defaultdict(list)
    through = get_user_model().departments.through
    for user_id, department_id in through.objects.filter(
        department_id__in=unassigned_departments, user__is_active=True, user__is_staff=True
    ).values_list("user_id", "department_id"):
        members[department_id].append(user_id)
    what = SLA_METRICS.get(metric, metric)
    if kind == NotificationKind.SLA_WARNING:
        template = _("SLA %(what)s due soon on #%(n)s: %(s)s")
    else:
        template = _("SLA %(what)s breached on #%(n)s: %(s)s")
    rows = []
    for pk, subject, assignee_id, department_id in tickets:
        text = template % {"what": what, "n": pk, "s": subject}
        for user_id in [assignee_id] if assignee_id else members.get(department_id, []):
            rows.append((user_id, kind, pk, text))
    return notify_many(rows)


def on_sla_breached(*, ticket_ids: Sequence[int], metric: str, **_payload: Any) -> None:
    notify_sla(ticket_ids=ticket_ids, metric=metric, kind=NotificationKind.SLA_BREACHED)


def on_sla_warning(*, ticket_ids: Sequence[int], metric: str, **_payload: Any) -> None:
    notify_sla(ticket_ids=ticket_ids, metric=metric, kind=NotificationKind.SLA_WARNING)


def subscribe() -> None:
    hooks.subscribe("ticket_created", on_ticket_created)
    hooks.subscribe("assigned", on_assigned)
    hooks.subscribe("customer_replied", on_customer_replied)
    hooks.subscribe("escalated", on_escalated)
    hooks.subscribe("sla_breached", on_sla_breached)
    hooks.subscribe("sla_warning", on_sla_warning)
