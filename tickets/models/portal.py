"""What the client portal remembers besides tickets: KB suggestions a customer opened while
writing a ticket (the deflection rate) and the announcements each person has dismissed.

Articles are kept by public URL and title, not by foreign key: the portal only needs the link the
customer opened, and the record stays meaningful if an article is later renamed or removed.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Deflection(models.Model):
    """A KB article opened from the suggestions of the portal's "open a ticket" form.

    One row per article opened. All rows of one form session (`form_session`, a random token the
    form carries) count as one deflected ticket unless the contact submitted that form, in which
    case `ticket` is set: the suggestion was read but did not prevent the ticket.
    """

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    form_session = models.CharField(_("form session"), max_length=64)
    article_url = models.CharField(_("article URL"), max_length=500)
    article_title = models.CharField(_("article title"), max_length=255, blank=True)
    query = models.CharField(_("what the customer typed"), max_length=255, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Set when the customer submitted the ticket anyway."),
    )

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("KB deflection")
        verbose_name_plural = _("KB deflections")
        indexes = [
            models.Index(fields=["opened_at"], name="tkd_opened"),
            models.Index(fields=["contact", "form_session"], name="tkd_contact_session"),
        ]

    def __str__(self) -> str:
        return f"{self.article_title or self.article_url} ({self.query})"

    @property
    def is_deflected(self) -> bool:
        return self.ticket_id is None


class AnnouncementDismissal(models.Model):
    """A user closed an announcement on the portal; it stays hidden for them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    announcement = models.ForeignKey("crm.Announcement", on_delete=models.CASCADE, related_name="+")
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "announcement"], name="tickets_announcement_dismissed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} dismissed {self.announcement}"
