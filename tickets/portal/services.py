"""Writes of the client portal: opening a ticket from the portal form, recording the KB articles
a customer opened from the form's suggestions (deflection), dismissing announcements.

Ticket writes go through tickets.services like every other channel, so SLA, events and
notifications behave exactly as for email.
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from crm.models import Announcement, Contact
from tickets import services
from tickets.models import AnnouncementDismissal, Deflection, Department, Priority, Service, Ticket
from tickets.models.core import Channel


@transaction.atomic
def submit_portal_ticket(
    *,
    contact: Contact,
    department: Department,
    subject: str,
    body_text: str,
    priority: Priority | None = None,
    service: Service | None = None,
    custom_values: dict[str, object] | None = None,
    attachments: Sequence[services.NewAttachment] = (),
    form_session: str = "",
) -> Ticket:
    """Open a ticket for a contact from the portal form.

    Only custom fields shown on the portal are accepted. Articles the contact opened from this
    form's suggestions are marked as "submitted anyway": they no longer count as deflections.
    """
    ticket = services.open_ticket(
        subject=subject,
        body_text=body_text,
        department=department,
        channel=Channel.PORTAL,
        contact=contact,
        priority=priority,
        service=service,
        custom_values=custom_values if custom_values is not None else {},
        portal_fields_only=True,
        attachments=attachments,
        actor=None,
    )
    if form_session:
        Deflection.objects.filter(contact=contact, form_session=form_session, ticket__isnull=True).update(
            ticket=ticket
        )
    return ticket


def record_deflection(
    *, contact: Contact, form_session: str, article_url: str, article_title: str = "", query: str = ""
) -> Deflection:
    """Record that the contact opened a suggested article while writing a ticket."""
    return Deflection.objects.create(
        contact=contact,
        form_session=form_session[:64],
        article_url=article_url[:500],
        article_title=article_title[:255],
        query=query[:255],
    )


def dismiss_announcement(*, user: object, announcement: Announcement) -> None:
    """Hide an announcement for this user from now on (idempotent)."""
    try:
        with transaction.atomic():
            AnnouncementDismissal.objects.get_or_create(user=user, announcement=announcement)
    except IntegrityError:
        pass  # dismissed twice at once: the first one won
