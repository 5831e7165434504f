"""A registry of reply senders, one per channel. Email is registered here; WhatsApp registers
itself from its own AppConfig.ready(), so tickets never imports whatsapp.

A staff reply is delivered through the sender of the ticket's channel, falling back to email.
A channel may also register a batch sender, which delivers many messages in one go (one SMTP
connection for a bulk intake batch's receipts); channels without one get a call per message.
"""

import logging
from collections.abc import Callable, Sequence

from celery import current_app

logger = logging.getLogger(__name__)

Sender = Callable[[int], None]
BatchSender = Callable[[Sequence[int]], list[int]]  # returns the ids to retry
_senders: dict[str, Sender] = {}
_batch_senders: dict[str, BatchSender] = {}
DELIVERIES_PER_TASK = 100


def register(channel: str, sender: Sender, *, batch_sender: BatchSender | None = None) -> None:
    """Register the function that delivers a TicketMessage (by id) on `channel`, and optionally
    one that delivers many and returns the ids whose delivery should be retried."""
    _senders[channel] = sender
    if batch_sender is not None:
        _batch_senders[channel] = batch_sender
    else:
        _batch_senders.pop(channel, None)


def registered() -> list[str]:
    """Return the channels that have a sender (the outbound sweep queues only their messages)."""
    return sorted(_senders)


def sender_for(channel: str) -> Sender:
    return _senders.get(channel) or _senders["email"]


def batch_sender_for(channel: str) -> BatchSender | None:
    if channel not in _senders:
        channel = "email"
    return _batch_senders.get(channel)


def deliver(*, message_id: int) -> None:
    """Queue delivery of a staff reply; called after the reply's transaction commits."""
    # Looked up by name: the task module sits above the services in the import layers.
    current_app.tasks["tickets.deliver_message"].delay(message_id)


def deliver_many(*, message_ids: Sequence[int]) -> None:
    """Queue delivery of many messages (a batch's receipts): one task per hundred."""
    task = current_app.tasks["tickets.deliver_messages"]
    ids = list(message_ids)
    for start in range(0, len(ids), DELIVERIES_PER_TASK):
        task.delay(ids[start:start + DELIVERIES_PER_TASK])


def send_many(*, message_ids: Sequence[int]) -> list[int]:
    """Deliver these messages now, grouped by channel; return the ids to retry."""
    from tickets.models import TicketMessage

    by_channel: dict[str, list[int]] = {}
    for pk, channel in TicketMessage.objects.filter(pk__in=list(message_ids)).order_by("pk").values_list(
        "pk", "channel"
    ):
        by_channel.setdefault(channel, []).append(pk)
    retry: list[int] = []
    for channel, ids in by_channel.items():
        batch = batch_sender_for(channel)
        if batch is not None:
            retry += batch(ids)
            continue
        sender = sender_for(channel)
        for pk in ids:
            try:
                sender(pk)
            except OSError:
                retry.append(pk)
            except Exception:  # as for one message: logged, left pending
                logger.exception("message not delivered", extra={"ticket_message": pk})
    return retry


def _email_sender(message_id: int) -> None:
    from tickets.outbound.email import send_ticket_message

    send_ticket_message(message_id=message_id)


def _email_batch_sender(message_ids: Sequence[int]) -> list[int]:
    from tickets.outbound.email import send_ticket_messages

    return send_ticket_messages(message_ids=message_ids)


register("email", _email_sender, batch_sender=_email_batch_sender)
# Portal, phone and API tickets are answered by email too.
for _channel in ("portal", "phone", "api"):
    register(_channel, _email_sender, batch_sender=_email_batch_sender)
