"""How an invitation reaches the customer: email by default; another channel (WhatsApp, as a
template) plugs in with register_sender() when the ticket came from it and a template is mapped.

A sender takes (invitation, link) and returns True when it sent the invitation, False to let
email send it instead.
"""

from collections.abc import Callable
from typing import Any

Sender = Callable[[Any, str], bool]

_senders: dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    """Send invitations for tickets of `channel` through `sender` (e.g. a WhatsApp template)."""
    _senders[channel] = sender


def unregister_sender(channel: str) -> None:
    _senders.pop(channel, None)


def sender_for(channel: str) -> Sender | None:
    return _senders.get(channel)
