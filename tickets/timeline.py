"""The client's Activity tab, written by itself: tickets.hooks listeners that record tickets
opened and closed and the emails exchanged on them through crm.services.record_activities
(crm imports no other app, so tickets writes into it). One read and one insert per batch of
announcements, so bulk intake pays once per batch, not per ticket.
"""

from collections.abc import Sequence
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from crm import activity
from crm import services as crm_services
from tickets import hooks
from tickets.models import Ticket, TicketMessage
from tickets.models.core import Channel


def _link(ticket_id: int) -> str:
    return reverse("staff:ticket_detail", args=[ticket_id])


def on_tickets_created(*, payloads: Sequence[dict[str, Any]], **_kwargs: Any) -> None:
    tickets = Ticket.objects.filter(pk__in={p["ticket_id"] for p in payloads}, client_id__isnull=False).only(
        "pk", "client_id", "subject", "channel", "created_at")
    crm_services.record_activities([
        {"client_id": t.client_id, "kind": "ticket_opened", "link": _link(t.pk), "at": t.created_at,
         "actor_id": next((p.get("actor_id") for p in payloads if p["ticket_id"] == t.pk), None),
         "description": _("Ticket #%(n)s opened via %(c)s: %(s)s") % {
             "n": t.pk, "c": t.get_channel_display(), "s": t.subject}}
        for t in tickets
    ])


def on_closed(*, ticket_id: int, actor_id: int | None = None, **_payload: Any) -> None:
    ticket = Ticket.objects.filter(pk=ticket_id, client_id__isnull=False).only("pk", "client_id", "subject").first()
    if ticket is not None:
        crm_services.record_activities([{
            "client_id": ticket.client_id, "kind": "ticket_closed", "link": _link(ticket.pk), "actor_id": actor_id,
            "description": _("Ticket #%(n)s closed: %(s)s") % {"n": ticket.pk, "s": ticket.subject}}])


def _emails(payloads: Sequence[dict[str, Any]], template: str, channels: Sequence[str]) -> None:
    messages = TicketMessage.objects.filter(
        pk__in={p["message_id"] for p in payloads if p.get("message_id")}, channel__in=list(channels),
        ticket__client_id__isnull=False,
    ).select_related("ticket").only("pk", "created_at", "author_name", "ticket__id", "ticket__client_id",
                                    "ticket__subject")
    crm_services.record_activities([
        {"client_id": m.ticket.client_id, "kind": "email", "link": _link(m.ticket.pk), "at": m.created_at,
         "description": template % {"who": m.author_name, "n": m.ticket.pk, "s": m.ticket.subject}}
        for m in messages
    ])


def on_customers_replied(*, payloads: Sequence[dict[str, Any]], **_kwargs: Any) -> None:
    _emails(payloads, _("Email from %(who)s on ticket #%(n)s: %(s)s"), [Channel.EMAIL])


def on_staff_replied(*, payloads: Sequence[dict[str, Any]], **_kwargs: Any) -> None:
    # Staff replies go out by email on every channel but WhatsApp (tickets.channels).
    _emails(payloads, _("Email reply by %(who)s on ticket #%(n)s: %(s)s"),
            [c for c in Channel.values if c != "whatsapp"])


def subscribe() -> None:
    activity.register_kind("ticket_opened", _("Ticket opened"))
    activity.register_kind("ticket_closed", _("Ticket closed"))
    hooks.subscribe_batch("ticket_created", on_tickets_created)
    hooks.subscribe("closed", on_closed)
    hooks.subscribe_batch("customer_replied", on_customers_replied)
    hooks.subscribe_batch("staff_replied", on_staff_replied)
