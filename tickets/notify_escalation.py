"""Tell a department's staff by email that a ticket was escalated to them.

Subscribed to the `escalated` hook in TicketsConfig.ready(); the mail goes out from a Celery
task (ids only). Kept apart so in-app notifications can fold it in later.
"""

from celery import current_app, shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from tickets.models import Ticket


def on_escalated(*, event: str, ticket_id: int, actor_id: int | None = None, department_id: int | None = None,
                 **_payload: object) -> None:
    """Queue the notification email for the escalated ticket's department."""
    current_app.tasks["tickets.notify_escalation"].delay(ticket_id, actor_id)


@shared_task(name="tickets.notify_escalation", time_limit=120, soft_time_limit=100, autoretry_for=(OSError,),
             retry_backoff=30, max_retries=5)
def notify_escalation(ticket_id: int, actor_id: int | None = None) -> int:
    """Email every active member of the ticket's department (except whoever escalated); return how many."""
    ticket = Ticket.objects.select_related("department", "priority").filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    recipients = sorted(
        ticket.department.members.filter(is_active=True, is_staff=True).exclude(pk=actor_id)
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    note = ticket.events.filter(kind="escalated").order_by("-created_at", "-id").values_list("note", flat=True).first()
    link = f"{settings.SITE_URL}{ticket.get_absolute_url()}"
    body = _(
        "Ticket #%(n)s “%(subject)s” was escalated to %(dept)s (priority %(priority)s).\n\n"
        "Escalation note:\n%(note)s\n\nOpen it: %(link)s\n"
    ) % {"n": ticket.pk, "subject": ticket.subject, "dept": ticket.department.name,
         "priority": ticket.priority.name, "note": note or "-", "link": link}
    send_mail(
        subject=_("[Escalated] #%(n)s %(subject)s") % {"n": ticket.pk, "subject": ticket.subject},
        message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=recipients,
    )
    return len(recipients)
