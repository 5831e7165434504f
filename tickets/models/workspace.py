"""Per-agent workspace preferences: the queue view an agent starts the day with, and how its rows look."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The queue's optional columns, in the order they show (subject and number always show).
QUEUE_COLUMNS = (
    ("requester", _("Requester")),
    ("client", _("Client")),
    ("department", _("Department")),
    ("status", _("Status")),
    ("priority", _("Priority")),
    ("assignee", _("Assignee")),
    ("last_reply", _("Last reply")),
    ("sla", _("SLA")),
    ("updated", _("Updated")),
    ("created", _("Created")),
)
DEFAULT_QUEUE_COLUMNS = ("requester", "client", "department", "status", "priority", "assignee", "last_reply", "sla")


def default_queue_columns() -> list[str]:
    return list(DEFAULT_QUEUE_COLUMNS)


class QueuePreference(models.Model):
    """An agent's saved default queue filter (the query string of the queue URL), row density and columns."""

    class Density(models.TextChoices):
        COMFORTABLE = "comfortable", _("Comfortable")
        COMPACT = "compact", _("Compact (one line per ticket)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_preference"
    )
    default_query = models.CharField(_("default queue filter"), max_length=2000, blank=True)
    density = models.CharField(_("row density"), max_length=12, choices=Density.choices,
                               default=Density.COMFORTABLE)
    columns = models.JSONField(_("queue columns"), default=default_queue_columns, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("queue preference")

    def __str__(self) -> str:
        return f"{self.user}: {self.default_query or '-'}"
