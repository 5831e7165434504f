"""Files that travel with a hand-off task (a bug's screenshots copied from its ticket)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.core import Task


class TaskAttachment(models.Model):
    """A ticket attachment copied onto a task. Attachments are stored under their sha256, so the
    copy points at the same stored file instead of writing its bytes twice."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120, default="application/octet-stream")
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name
