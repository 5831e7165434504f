"""Writes of the configuration console and the workspace preferences."""



from django.db import transaction
from django.db.models import F
from django.utils.translation import ngettext

from tickets.exceptions import (
    StatusInUse,
)
from tickets.models import (
    PredefinedReply,
    Ticket,
    TicketStatus,
)


def check_status_deletable(*, status: TicketStatus) -> None:
    """Raise StatusInUse, saying how many tickets use it, when `status` may not be deleted."""
    in_use = Ticket.objects.filter(status=status).count()
    if in_use:
        raise StatusInUse(
            ngettext(
                "The status “%(name)s” is used by %(n)d ticket; move it to another status first.",
                "The status “%(name)s” is used by %(n)d tickets; move them to another status first.",
                in_use,
            )
            % {"name": status.name, "n": in_use}
        )


@transaction.atomic
def delete_status(*, status: TicketStatus) -> None:
    """Delete a status, refused while tickets use it (the message says how many)."""
    check_status_deletable(status=status)
    status.delete()


def count_predefined_reply_use(*, reply: PredefinedReply, message: object = None) -> None:
    """Count one use of a predefined reply (the manager's 'predefined reply usage' metric).

    With `message` (the reply sent from it), mark the message so the reports count the share of
    replies that started from the library.
    """
    PredefinedReply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1)
    if message is not None:
        type(message).objects.filter(pk=message.pk).update(predefined_reply=reply)


def save_queue_default(*, user: object, query: str) -> None:
    """Store the agent's own default queue filter (the queue URL's query string; '' resets it)."""
    from tickets.models import QueuePreference

    QueuePreference.objects.update_or_create(user=user, defaults={"default_query": query[:2000]})


def save_queue_layout(*, user: object, density: str, columns: list[str]) -> None:
    """Store how the agent's queue looks: row density and the optional columns shown (unknown ones dropped)."""
    from tickets.models import QueuePreference
    from tickets.models.workspace import QUEUE_COLUMNS

    if density not in QueuePreference.Density.values:
        density = QueuePreference.Density.COMFORTABLE
    chosen = set(columns)
    ordered = [key for key, _label in QUEUE_COLUMNS if key in chosen]
    QueuePreference.objects.update_or_create(user=user, defaults={"density": density, "columns": ordered})
