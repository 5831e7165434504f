"""Per-agent workspace preferences: the queue view an agent starts the day with."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class QueuePreference(models.Model):
    """An agent's saved default queue filter, kept as the query string of the queue URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_preference"
    )
    default_query = models.CharField(_("default queue filter"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("queue preference")

    def __str__(self) -> str:
        return f"{self.user}: {self.default_query or '-'}"
