"""Automatic answers (business hours, receipt confirmation, FAQ). Not built yet: a placeholder
the inbound path already calls, so bots can be added without touching it."""


def answer(*, message_id: int) -> None:
    """Answer an inbound message with a bot if one applies (none yet)."""
    return None
