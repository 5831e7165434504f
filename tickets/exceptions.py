"""Domain errors of the ticket services; views turn them into messages."""


class TicketError(Exception):
    """Base class: the message is safe to show to the user."""


class TicketClosedError(TicketError):
    pass


class EscalationNoteRequired(TicketError):
    pass


class InvalidMerge(TicketError):
    pass


class AttachmentRejected(TicketError):
    pass


class CustomFieldError(TicketError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class StatusInUse(TicketError):
    pass


class CloseRefused(TicketError):
    """The ticket must stay open for now (e.g. a delivery return not yet received)."""
