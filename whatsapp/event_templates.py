"""Event mapping: CRM events send an approved template to the customer on WhatsApp.

The automation action `send_whatsapp_template` (registered in apps.py) calls
`send_for_ticket`: it finds the mapping of the event (or a template named in the rule), fills
its parameters from the ticket ([ID], [SLA], [name], [link]), sends it in the ticket's WhatsApp
conversation (or one opened for the contact's phone number), and logs it on the ticket.
Invoice events ([No], [amount], [due]) come from crm.events: whatsapp.invoice_events; the
survey invitation of a WhatsApp ticket: whatsapp.survey_invitations.
"""

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Contact
from tickets import services as ticket_services
from tickets.automation.registry import Param
from tickets.models import Ticket
from whatsapp import sending
from whatsapp.models import Conversation, EventMapping, MessageTemplate, PhoneNumber

_TOKEN = re.compile(r"\[(ID|SLA|No|amount|due|link|name)\]")


def ticket_values(ticket: Ticket) -> dict[str, str]:
    priority = ticket.priority
    hours = max(1, round(priority.first_response_minutes / 60)) if priority else ""
    contact = ticket.contact
    return {
        "ID": str(ticket.pk),
        "SLA": _("%(h)s hours") % {"h": hours} if hours else "",
        "No": "",
        "link": settings.SITE_URL + reverse("portal:ticket_detail", args=[ticket.pk]),
        "name": contact.first_name if contact else (ticket.requester_name.split(" ")[0] if ticket.requester_name
                                                    else ""),
    }


def fill(parameters: str, values: dict[str, str]) -> list[str]:
    """One template parameter per line, with [ID]-style tokens replaced."""
    return [_TOKEN.sub(lambda m: values.get(m.group(1), ""), line.strip())
            for line in parameters.splitlines() if line.strip()]


def conversation_for(ticket: Ticket) -> Conversation | None:
    """The ticket's conversation, else the contact's by phone number (opened on our first number)."""
    linked = Conversation.objects.filter(ticket=ticket).order_by("-pk").first()
    if linked is not None:
        return linked
    return conversation_for_contact(ticket.contact, department_id=ticket.department_id) if ticket.contact_id \
        else None


def conversation_for_contact(contact: Contact, *, department_id: int | None = None) -> Conversation | None:
    """The contact's conversation by phone number, else one opened on our first active number."""
    phone = (contact.phone or "").lstrip("+")
    if not phone:
        return None
    existing = Conversation.objects.filter(wa_id=phone).order_by("-last_message_at").first()
    if existing is not None:
        return existing
    number = PhoneNumber.objects.filter(is_active=True).order_by("pk").first()
    if number is None:
        return None
    conversation, _created = Conversation.objects.get_or_create(
        phone_number=number, wa_id=phone,
        defaults={"profile_name": contact.full_name, "contact": contact,
                  "department_id": department_id or number.default_department_id})
    return conversation


def send_for_ticket(*, ticket: Ticket, event: str = "", template_name: str = "",
                    parameters: str | None = None) -> str:
    """Send the event's (or the named) template to the ticket's customer; return what happened."""
    mapping = EventMapping.objects.filter(event=event, is_active=True).select_related("template").first() \
        if event else None
    template = mapping.template if mapping else MessageTemplate.objects.filter(
        name=template_name, status__iexact="APPROVED").first()
    if template is None:
        return _("no WhatsApp template for %(what)s") % {"what": event or template_name}
    conversation = conversation_for(ticket)
    if conversation is None:
        ticket_services.note_history(ticket=ticket, note=_("WhatsApp template %(t)s not sent: the customer has no "
                                                           "WhatsApp number.") % {"t": template.name})
        return _("skipped: no WhatsApp number")
    params = fill(parameters if parameters is not None else (mapping.parameters if mapping else ""),
                  ticket_values(ticket))
    try:
        message = sending.send_template(conversation=conversation, template=template, params=params)
    except sending.SendError as exc:
        ticket_services.note_history(ticket=ticket, note=_("WhatsApp template %(t)s not sent: %(e)s")
                                     % {"t": template.name, "e": exc})
        return str(exc)
    ticket_services.note_history(ticket=ticket, note=_("WhatsApp template %(t)s queued to +%(wa)s: %(body)s")
                                 % {"t": template.name, "wa": conversation.wa_id, "body": message.body[:300]})
    return _("WhatsApp template %(t)s queued") % {"t": template.name}


def template_choices() -> list[tuple[str, str]]:
    names = MessageTemplate.objects.order_by("name").values_list("name", flat=True).distinct()
    return [(name, name) for name in names]


# What the admin's rule editor offers (tickets.automation.registry.Param).
ACTION_PARAMS = [
    Param("event", gettext_lazy("Event (its mapping names the template)"), kind="choice",
          choices=EventMapping.Event.choices),
    Param("template", gettext_lazy("Or this template"), kind="suggest", choices=template_choices),
    Param("parameters", gettext_lazy("Template parameters"), kind="lines",
          help=gettext_lazy("One per line, in {{1}}, {{2}} order; empty: the event mapping's.")),
]


def validate_action(params: dict[str, Any]) -> None:
    """The rule names an event of the mapping or an approved template."""
    event, name = params.get("event"), params.get("template")
    if not event and not name:
        raise ValidationError(_('Give "event" (ticket_created, ticket_closed, ...) or "template" (a template name).'))
    if event and event not in EventMapping.Event.values:
        raise ValidationError(_("Unknown event “%(e)s”.") % {"e": event})


def run_action(ctx: Any) -> str:
    """The automation action send_whatsapp_template."""
    params = ctx.params or {}
    return send_for_ticket(ticket=ctx.ticket, event=str(params.get("event", "")),
                           template_name=str(params.get("template", "")),
                           parameters="\n".join(params["parameters"]) if isinstance(params.get("parameters"), list)
                           else None)
