"""The survey invitation of a WhatsApp ticket as a template message (registered with
surveys.delivery from apps.py; whatsapp imports nothing else of surveys).

When the event mapping has an active "Survey invitation" template and the ticket has a
conversation (or its contact a WhatsApp number), the template goes out with the signed survey
link as [link] in its parameters and as the suffix of its URL button, if it has one. It is sent
now, inside the surveys task, so that any failure (no number, a refused template, an error from
Meta) returns False at once and the invitation goes by email; the reason is noted on the ticket.
A failed WhatsApp message is never retried later, so the customer never gets both.
"""

from typing import Any

from django.utils.translation import gettext as _

from tickets import services as ticket_services
from whatsapp import sending
from whatsapp.event_templates import conversation_for, fill, ticket_values
from whatsapp.models import EventMapping, Message, MessageTemplate


def url_buttons(template: MessageTemplate, link: str) -> list[dict]:
    """Button components for the template's URL buttons with a variable: the part of `link` after
    the button's fixed prefix (the whole link when the prefix is another site)."""
    components = []
    buttons = next((c.get("buttons") or [] for c in template.components or []
                    if str(c.get("type", "")).upper() == "BUTTONS"), [])
    for index, button in enumerate(buttons):
        url = str(button.get("url", ""))
        if str(button.get("type", "")).upper() != "URL" or "{{" not in url:
            continue
        prefix = url.split("{{", 1)[0]
        suffix = link[len(prefix):] if prefix and link.startswith(prefix) else link
        components.append({"type": "button", "sub_type": "url", "index": str(index),
                           "parameters": [{"type": "text", "text": suffix}]})
    return components


def send_invitation(invitation: Any, link: str) -> bool:
    """Send the survey invitation of a WhatsApp ticket as the mapped template; False: use email."""
    mapping = EventMapping.objects.filter(event=EventMapping.Event.SURVEY, is_active=True) \
        .select_related("template").first()
    if mapping is None:
        return False
    ticket = invitation.ticket
    template = mapping.template
    conversation = conversation_for(ticket)
    if conversation is None:
        return _fallback(ticket, template, _("the customer has no WhatsApp number"))
    params = fill(mapping.parameters, {**ticket_values(ticket), "link": link})
    try:
        message = sending.send_template(conversation=conversation, template=template, params=params,
                                        buttons=url_buttons(template, link), queue=False)
    except sending.SendError as exc:
        return _fallback(ticket, template, str(exc))
    outcome = sending.deliver(message_id=message.pk)
    if not outcome.sent:
        if outcome.retry:  # the email goes instead: this message must never go later
            Message.objects.filter(pk=message.pk).update(
                status=Message.Status.FAILED, error_title=_("Not retried: the survey went by email (%(e)s)")
                % {"e": outcome.error})
        return _fallback(ticket, template, outcome.error or _("not sent"))
    ticket_services.note_history(ticket=ticket, note=_("Survey invitation sent as WhatsApp template %(t)s to "
                                                       "+%(wa)s") % {"t": template.name, "wa": conversation.wa_id})
    return True


def _fallback(ticket: Any, template: MessageTemplate, reason: str) -> bool:
    ticket_services.note_history(ticket=ticket, note=_("Survey invitation not sent as WhatsApp template %(t)s "
                                                       "(%(r)s): sent by email instead.")
                                 % {"t": template.name, "r": reason})
    return False
