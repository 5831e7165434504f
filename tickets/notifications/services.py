"""Staff notifications: every write about them, and the tickets.hooks listeners that create them.

Each notification appears in the workspace bell; it is also emailed when the recipient chose its
kind in their preferences (or when an automation rule's "email staff" action asks for email).
Who is told:
- new ticket: the department's staff;             - assigned: the new assignee;
- customer replied: the assignee;                  - escalated: the (new) department's staff;
- SLA about to breach / breached: the assignee, or the department's staff when unassigned.
The actor of a change is never notified of it. Emails go out from a Celery task after commit.

Each recipient reads the bell and the email in their own language (their `language`, else the
site's): texts are given as functions, rendered once per language under translation.override
and stored rendered; recipients come with their language, so no query is made per recipient.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.languages import all_languages, language_of, per_language, recipient_language
from tickets import hooks
from tickets.batch_memo import memoized
from tickets.labels import label
from tickets.models import Department, Notification, NotificationPreference, Ticket, TicketMessage
from tickets.models.notifications import NotificationKind, default_email_kinds
from tickets.notifications import topbar

logger = logging.getLogger(__name__)

# A text as given to notify(): rendered already (one language for all), or a function of no
# arguments rendered once in each recipient language.
Text = str | Callable[[], str]


def _renderer(text: Text) -> Callable[[str | None], str]:
    if callable(text):
        return per_language(text)
    return lambda _lang: text


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
    text: Text,
    ticket: Ticket | None = None,
    email_subject: Text = "",
    email_body: Text = "",
    force_email: bool = False,
    exclude_user_id: int | None = None,
) -> list[Notification]:
    """Create a notification for each recipient and queue the emails they asked for.

    Texts given as functions are rendered once per recipient language (the users' `language`,
    read from the recipients given: no query per recipient); one email task per language.
    """
    users = {u.pk: u for u in recipients if u.pk != exclude_user_id}
    if not users:
        return []
    texts, subjects, bodies = _renderer(text), _renderer(email_subject), _renderer(email_body)
    language = {uid: language_of(user) for uid, user in users.items()}
    now = timezone.now()
    created = Notification.objects.bulk_create(
        [Notification(recipient_id=uid, kind=kind, ticket=ticket, text=texts(language[uid])[:300], created_at=now)
         for uid in users]
    )
    topbar.forget(user_ids=users)
    by_email = email_kinds_for(users)
    email_ids: dict[str, list[int]] = {}
    for n in created:
        if force_email or kind in by_email[n.recipient_id]:
            email_ids.setdefault(language[n.recipient_id], []).append(n.pk)
    for lang, ids in email_ids.items():
        _send_later(ids, subjects(lang), bodies(lang))
    return created


def notify_many(rows: Sequence[tuple[int, str, int, Text]], *, force_email: bool = False) -> int:
    """Create notifications in bulk from (recipient id, kind, ticket id, text) rows; return how many.

    The sweeps use this: one insert per thousand rows, emails queued in batches. `force_email`
    emails every one of them whatever the preferences (callback reminders). A text given as a
    function is rendered once per language of its recipients (one query reads the languages).
    """
    if not rows:
        return 0
    now = timezone.now()
    by_email = email_kinds_for({r[0] for r in rows})
    if any(callable(r[3]) for r in rows):
        languages = dict(get_user_model().objects.filter(pk__in={r[0] for r in rows}).values_list("pk", "language"))
        renderers: dict[int, Callable[[str | None], str]] = {}
        rendered = []
        for uid, kind, ticket_id, text in rows:
            if callable(text):
                text = renderers.setdefault(id(text), _renderer(text))(languages.get(uid))
            rendered.append((uid, kind, ticket_id, text))
        rows = rendered
    email_ids: list[int] = []
    total = 0
    for start in range(0, len(rows), 1000):
        chunk = rows[start:start + 1000]
        created = Notification.objects.bulk_create(
            [Notification(recipient_id=u, kind=k, ticket_id=t, text=x[:300], created_at=now) for u, k, t, x in chunk]
        )
        total += len(created)
        email_ids += [n.pk for n in created if force_email or n.kind in by_email[n.recipient_id]]
    topbar.forget(user_ids={r[0] for r in rows})
    for start in range(0, len(email_ids), 100):
        _send_later(email_ids[start:start + 100])
    return total


def mark_read(*, notification: Notification) -> Notification:
    """Mark a notification read (opening it does this)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
        topbar.forget(user_ids=[notification.recipient_id])
    return notification


def mark_all_read(*, user: Any) -> int:
    """Mark all of a user's notifications read; return how many changed."""
    changed = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    if changed:
        topbar.forget(user_ids=[user.pk])
    return changed


def mark_ticket_read(*, user: Any, ticket_id: int) -> int:
    """Mark the user's notifications about a ticket read (they opened it)."""
    changed = Notification.objects.filter(recipient=user, ticket_id=ticket_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if changed:
        topbar.forget(user_ids=[user.pk])
    return changed


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
    return memoized(
        ("department-staff", department_id),
        lambda: list(
            get_user_model().objects.filter(departments=department_id, is_active=True, is_staff=True).order_by("pk")
        ),
    )


def _ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related("assignee", "department").filter(pk=ticket_id).first()


def on_tickets_created(*, payloads: Sequence[dict[str, Any]], **_kwargs: Any) -> None:
    """Tell each new ticket's department staff (but not its actor): one read, one insert per batch."""
    tickets = {
        t.pk: t for t in Ticket.objects.filter(pk__in={p["ticket_id"] for p in payloads})
        .select_related("department").only("pk", "subject", "department_id", "department__name")
    }
    rows: list[tuple[int, str, int, str]] = []
    for payload in payloads:
        ticket = tickets.get(payload["ticket_id"])
        if ticket is None:
            continue
        def text(ticket: Ticket = ticket) -> str:
            return _("New ticket #%(n)s in %(d)s: %(s)s") % {
                "n": ticket.pk, "d": label(ticket.department.name), "s": ticket.subject}

        rows += [(user.pk, NotificationKind.NEW_TICKET, ticket.pk, text)
                 for user in _department_staff(ticket.department_id) if user.pk != payload.get("actor_id")]
    notify_many(rows)


def on_assigned(*, ticket_id: int, assignee_id: int | None = None, actor_id: int | None = None, **_p: Any) -> None:
    ticket = _ticket(ticket_id)
    if ticket is None or assignee_id is None or ticket.assignee is None:
        return
    notify(
        recipients=[ticket.assignee],
        kind=NotificationKind.ASSIGNED,
        ticket=ticket,
        text=lambda: _("Ticket #%(n)s was assigned to you: %(s)s") % {"n": ticket.pk, "s": ticket.subject},
        exclude_user_id=actor_id,
    )


def on_customers_replied(*, payloads: Sequence[dict[str, Any]], **_kwargs: Any) -> None:
    """Tell the assignee of each ticket a customer replied on: one read, one insert per batch."""
    tickets = {
        t.pk: t for t in Ticket.objects.filter(pk__in={p["ticket_id"] for p in payloads}, assignee__isnull=False)
        .only("pk", "subject", "assignee_id")
    }
    rows = [
        (ticket.assignee_id, NotificationKind.CUSTOMER_REPLIED, ticket.pk,
         lambda t=ticket: _("The customer replied on #%(n)s: %(s)s") % {"n": t.pk, "s": t.subject})
        for ticket in (tickets.get(p["ticket_id"]) for p in payloads) if ticket is not None
    ]
    notify_many(rows)


def _leads(department_ids: Iterable[int | None]) -> list[Any]:
    ids = [i for i in department_ids if i]
    return list(get_user_model().objects.filter(led_departments__in=ids, is_active=True, is_staff=True)
                .distinct().order_by("pk"))


def _managers() -> list[Any]:
    from django.db.models import Q

    return list(get_user_model().objects.filter(is_active=True, is_staff=True)
                .filter(Q(is_superuser=True) | Q(staff_profile__role="manager")).order_by("pk"))


def on_escalated(*, ticket_id: int, department_id: int | None = None, actor_id: int | None = None,
                 from_department_id: int | None = None, escalation_id: int | None = None,
                 **_payload: Any) -> None:
    """Tell the receiving department's staff, the leads of both departments and, for a major
    escalation waiting for approval, the managers."""
    from tickets.models import Escalation

    ticket = _ticket(ticket_id)
    if ticket is None:
        return
    def text() -> str:
        return _("Ticket #%(n)s was escalated to %(d)s: %(s)s") % {
            "n": ticket.pk, "d": label(ticket.department.name), "s": ticket.subject}

    # The email carries the escalation note: what was investigated and why (agent guide, Workflow 3).
    note = (
        TicketMessage.objects.filter(ticket_id=ticket.pk, kind=TicketMessage.Kind.NOTE)
        .order_by("-created_at", "-id").values_list("body_text", flat=True).first() or ""
    )
    link = f"{settings.SITE_URL}{ticket.get_absolute_url()}"

    def body() -> str:
        if not note:
            return ""
        heading = _("Escalation note:")
        return f"{text()}\n\n{heading}\n{note}\n\n{link}\n"

    staff = {u.pk: u for u in _department_staff(department_id or ticket.department_id)}
    for lead in _leads([from_department_id, department_id or ticket.department_id]):
        staff.setdefault(lead.pk, lead)
    notify(recipients=staff.values(), kind=NotificationKind.ESCALATED, ticket=ticket, text=text,
           email_subject=text, email_body=body, exclude_user_id=actor_id)
    escalation = Escalation.objects.filter(pk=escalation_id).first() if escalation_id else None
    if escalation is not None and escalation.awaiting_approval:
        def ask() -> str:
            return _("Major escalation of #%(n)s to %(d)s waits for your approval: %(s)s") % {
                "n": ticket.pk, "d": label(ticket.department.name), "s": ticket.subject}

        approve_link = settings.SITE_URL + reverse("staff:escalations")
        notify(recipients=_managers(), kind=NotificationKind.ESCALATION_APPROVAL, ticket=ticket, text=ask,
               email_subject=ask, email_body=lambda: f"{ask()}\n\n{note}\n\n{approve_link}\n",
               exclude_user_id=actor_id)


def on_escalation_decided(*, ticket_id: int, escalation_id: int, approved: bool = True,
                          actor_id: int | None = None, **_payload: Any) -> None:
    """Tell the agent who escalated and the leads of both departments what the manager decided."""
    from tickets.models import Escalation

    escalation = Escalation.objects.select_related("ticket", "actor").filter(pk=escalation_id).first()
    if escalation is None:
        return
    ticket = escalation.ticket

    def text() -> str:
        if approved:
            return _("Your major escalation of #%(n)s was approved: %(s)s") % {"n": ticket.pk, "s": ticket.subject}
        return _("Your escalation of #%(n)s was sent back: %(note)s") % {
            "n": ticket.pk, "note": escalation.decision_note}
    recipients = {u.pk: u for u in _leads([escalation.from_department_id, escalation.to_department_id])}
    if escalation.actor is not None:
        recipients[escalation.actor.pk] = escalation.actor
    notify(recipients=recipients.values(), kind=NotificationKind.ESCALATION_APPROVAL, ticket=ticket, text=text,
           exclude_user_id=actor_id)


def _notify_followers(ticket_id: int, text_template: Callable[[], str], actor_id: int | None,
                      skip_assignee: bool = False) -> None:
    """Tell a ticket's followers, each in their language: `text_template()` gives the text with
    %(n)s (number) and %(s)s (subject) in the active language."""
    from tickets.models import TicketFollower

    ticket = Ticket.objects.filter(pk=ticket_id).only("pk", "subject", "assignee_id").first()
    if ticket is None:
        return
    follower_ids = list(TicketFollower.objects.filter(ticket_id=ticket_id).values_list("user_id", flat=True))
    if skip_assignee and ticket.assignee_id:
        follower_ids = [uid for uid in follower_ids if uid != ticket.assignee_id]

    def text() -> str:
        return text_template() % {"n": ticket.pk, "s": ticket.subject}

    notify_many([(uid, NotificationKind.FOLLOWED, ticket.pk, text) for uid in follower_ids if uid != actor_id])


def on_followed_replied(*, payloads: Sequence[dict[str, Any]], event: str = "", **_kwargs: Any) -> None:
    """Tell the followers of each ticket of a staff or customer reply (never its author)."""
    from tickets.models import TicketFollower

    ids = {p["ticket_id"] for p in payloads}
    followed = set(TicketFollower.objects.filter(ticket_id__in=ids).values_list("ticket_id", flat=True))
    for payload in payloads:
        if payload["ticket_id"] not in followed:
            continue
        if event == "customer_replied":
            _notify_followers(payload["ticket_id"], lambda: _("The customer replied on #%(n)s you follow: %(s)s"),
                              payload.get("actor_id"), skip_assignee=True)
        else:
            _notify_followers(payload["ticket_id"], lambda: _("A reply was sent on #%(n)s you follow: %(s)s"),
                              payload.get("actor_id"))


def on_followed_status_changed(*, ticket_id: int, actor_id: int | None = None, after_id: int | None = None,
                               **_payload: Any) -> None:
    """Tell the followers of a ticket its new status (never the one who changed it)."""
    from tickets.models import TicketFollower, TicketStatus

    if not TicketFollower.objects.filter(ticket_id=ticket_id).exists():
        return
    name = TicketStatus.objects.filter(pk=after_id).values_list("name", flat=True).first() or ""

    def template() -> str:
        status = label(name)
        return _("#%(n)s you follow is now {status}: %(s)s").replace("{status}", status.replace("%", "%%"))

    _notify_followers(ticket_id, template, actor_id)


def notify_sla(*, ticket_ids: Sequence[int], metric: str, kind: str) -> int:
    """Tell the assignee (or the department when unassigned) about SLA warnings or breaches.

    Set-based: one INSERT ... SELECT per batch of tickets writes every notification (the sweep
    may report thousands at once); the emails chosen in preferences are queued in batches.
    """

    def render() -> str:
        what = SLA_METRICS.get(metric, metric)
        if kind == NotificationKind.SLA_WARNING:
            template = _("SLA %(what)s due soon on #%(n)s: %(s)s")
        else:
            template = _("SLA %(what)s breached on #%(n)s: %(s)s")
        return template % {"what": what, "n": "{N}", "s": "{S}"}

    # Each recipient's text in their language, chosen in SQL from the user's row (site's when unset).
    texts = per_language(render)
    languages = all_languages()
    text_sql = "CASE ru.language " + " ".join(["WHEN %s THEN %s"] * len(languages)) + " ELSE %s END"
    text_params = [p for lang in languages for p in (lang, texts(lang))] + [texts(recipient_language(""))]
    members = Department.members.through._meta
    user_table = get_user_model()._meta.db_table
    ticket_table = Ticket._meta.db_table
    rows: list[tuple[int, int]] = []
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for start in range(0, len(ticket_ids), 5000):
            chunk = list(ticket_ids[start:start + 5000])
            if postgres:
                match, match_params = "= ANY(%s)", [chunk]
            else:
                match, match_params = f"IN ({', '.join(['%s'] * len(chunk))})", chunk
            cursor.execute(
                f"""
                INSERT INTO {Notification._meta.db_table} (recipient_id, kind, ticket_id, text, created_at, emailed)
                SELECT r.user_id, %s, t.id,
                       substr(replace(replace({text_sql}, '{{N}}', CAST(t.id AS TEXT)), '{{S}}', t.subject), 1, 300),
                       %s, %s
                FROM {ticket_table} t JOIN (
                    SELECT a.id AS ticket_id, a.assignee_id AS user_id FROM {ticket_table} a
                    WHERE a.id {match} AND a.assignee_id IS NOT NULL
                    UNION ALL
                    SELECT d.id, m.{members.get_field("user").column} FROM {ticket_table} d
                    JOIN {members.db_table} m ON m.{members.get_field("department").column} = d.department_id
                    JOIN {user_table} u ON u.id = m.{members.get_field("user").column}
                    WHERE d.id {match} AND d.assignee_id IS NULL AND u.is_active AND u.is_staff
                ) r ON r.ticket_id = t.id
                JOIN {user_table} ru ON ru.id = r.user_id
                RETURNING id, recipient_id
                """,
                [kind, *text_params, connection.ops.adapt_datetimefield_value(timezone.now()), False,
                 *match_params, *match_params],
            )
            rows += cursor.fetchall()
    topbar.forget(user_ids={uid for _pk, uid in rows})
    by_email = email_kinds_for({uid for _pk, uid in rows})
    email_ids = [pk for pk, uid in rows if kind in by_email[uid]]
    for start in range(0, len(email_ids), 100):
        _send_later(email_ids[start:start + 100])
    return len(rows)


def on_sla_breached(*, ticket_ids: Sequence[int], metric: str, **_payload: Any) -> None:
    notify_sla(ticket_ids=ticket_ids, metric=metric, kind=NotificationKind.SLA_BREACHED)


def on_sla_warning(*, ticket_ids: Sequence[int], metric: str, **_payload: Any) -> None:
    notify_sla(ticket_ids=ticket_ids, metric=metric, kind=NotificationKind.SLA_WARNING)


def on_handoff(*, text: str, ticket_id: int | None = None, department_id: int | None = None,
               user_ids: Sequence[int] = (), actor_id: int | None = None, **_payload: Any) -> None:
    """Tell the receiving department's staff, or the named people, about a hand-off."""
    recipients = list(get_user_model().objects.filter(pk__in=list(user_ids), is_active=True)) if user_ids else []
    if not recipients and department_id:
        recipients = _department_staff(department_id)
    ticket = Ticket.objects.filter(pk=ticket_id).first() if ticket_id else None
    notify(recipients=recipients, kind=NotificationKind.HANDOFF, ticket=ticket, text=text, exclude_user_id=actor_id)


def subscribe() -> None:
    hooks.subscribe_batch("ticket_created", on_tickets_created)
    hooks.subscribe("assigned", on_assigned)
    hooks.subscribe_batch("customer_replied", on_customers_replied)
    hooks.subscribe("escalated", on_escalated)
    hooks.subscribe("escalation_decided", on_escalation_decided)
    hooks.subscribe_batch("customer_replied", on_followed_replied)
    hooks.subscribe_batch("staff_replied", on_followed_replied)
    hooks.subscribe("status_changed", on_followed_status_changed)
    hooks.subscribe("sla_breached", on_sla_breached)
    hooks.subscribe("sla_warning", on_sla_warning)
    hooks.subscribe("handoff", on_handoff)
