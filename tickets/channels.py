"""A registry of reply senders, one per channel. Email is registered here; WhatsApp registers
itself from its own AppConfig.ready(), so tickets never imports whatsapp.

A staff reply is delivered through the sender of the ticket's channel, falling back to email.
"""

from collections.abc import Callable

from celery import current_app

Sender = Callable[[int], None]
_senders: dict[str, Sender] = {}


def register(channel: str, sender: Sender) -> None:
    """Register the function that delivers a TicketMessage (by id) on `channel`."""
    _senders[channel] = sender


def sender_for(channel: str) -> Sender:
    return _senders.get(channel) or _senders["email"]


def deliver(*, message_id: int) -> None:
    """Queue delivery of a staff reply; called after the reply's transaction commits."""
    # Looked up by name: the task module sits above the services in the import layers.
    current_app.tasks["tickets.deliver_message"].delay(message_id)


def _email_sender(message_id: int) -> None:
    from tickets.outbound.email import send_ticket_message

    send_ticket_message(message_id=message_id)


register("email", _email_sender)
# Portal, phone and API tickets are answered by email too.
for _channel in ("portal", "phone", "api"):
    register(_channel, _email_sender)

