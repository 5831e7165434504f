"""Inbound email as received: the raw bytes kept durably, then the outcome of processing.

"Processed once" is a database fact, not a convention: a unique index on the email's
fingerprint (Message-ID, sender, date, subject and a digest of the body: what makes it the same
email, not the headers each relay adds; tickets.intake.email.fingerprint) makes a second
delivery of the same email fail to insert, however many deliveries race, while a different
email that reuses a Message-ID is stored as its own.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.field_encryption import EncryptedTextField


def inbound_raw_path(instance: "InboundEmail", filename: str) -> str:
    return f"inbound/{timezone.now():%Y/%m}/{instance.sha256}.eml"


class InboundEmail(models.Model):
    class State(models.TextChoices):
        NEW = "new", _("New (queued)")
        PROCESSING = "processing", _("Processing")
        DONE = "done", _("Done")
        HELD = "held", _("Held (rate limit or spam)")
        FAILED = "failed", _("Failed")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        TICKET_OPENED = "ticket_opened", _("Ticket opened")
        REPLY_ADDED = "reply_added", _("Reply added")
        DUPLICATE = "duplicate", _("Duplicate")
        BLOCKED = "blocked", _("Blocked by a spam filter")
        REFUSED = "refused", _("Refused (unregistered sender)")
        TOO_LARGE = "too_large", _("Refused (too large)")
        BOUNCE = "bounce", _("Bounce (delivery report)")
        AUTO_REPLY = "auto_reply", _("Auto-reply")
        LOOP = "loop", _("Mail loop (our own mail)")
        HELD = "held", _("Held (rate limit or spam)")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        PIPE = "pipe", _("Mail server pipe")
        IMPORT = "import", _("Import")
        WEBHOOK = "webhook", _("Provider webhook")
        IMAP = "imap", _("IMAP mailbox")

    raw = models.BinaryField(_("raw message"), null=True, blank=True, editable=False)
    # Messages above HELPDESK_INBOUND_DB_MAX_BYTES are kept in file storage instead of the row.
    raw_file = models.FileField(upload_to=inbound_raw_path, max_length=300, blank=True, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64, default="", editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    recipient = models.CharField(_("envelope recipient"), max_length=254, blank=True)
    from_email = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.PIPE)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.NEW)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    deliveries = models.PositiveIntegerField(
        _("deliveries"), default=1, help_text=_("How often the same email arrived; only the first is processed.")
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A reply whose parent email is still being processed elsewhere waits for it (see
    # tickets.intake.services.ParentPending): how often it waited, and not before when again.
    parent_waits = models.PositiveSmallIntegerField(_("waits for its parent email"), default=0)
    retry_at = models.DateTimeField(_("not processed before"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    department = models.ForeignKey(
        "tickets.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )
    ticket_message = models.ForeignKey(
        "tickets.TicketMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        constraints = [
            models.UniqueConstraint(fields=["fingerprint"], name="inbound_unique_fingerprint"),
        ]
        indexes = [
            models.Index(fields=["message_id"], condition=~Q(message_id=""), name="inbound_message_id"),
            models.Index(fields=["state", "received_at"], name="inbound_state"),
            models.Index(fields=["outcome", "received_at"], name="inbound_outcome"),
            models.Index(fields=["from_email", "processed_at"], name="inbound_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.from_email or '?'}: {self.subject or self.message_id or self.sha256[:12]}"

    def raw_bytes(self) -> bytes:
        """Return the raw message, from the row or from file storage."""
        if self.raw is not None:
            return bytes(self.raw)
        if self.raw_file:
            with self.raw_file.open("rb") as fh:
                return fh.read()
        return b""


class DepartmentMailbox(models.Model):
    """An IMAP mailbox polled for a department (for those without a mail server pipe)."""

    department = models.ForeignKey("tickets.Department", on_delete=models.CASCADE, related_name="mailboxes")
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    use_ssl = models.BooleanField(_("SSL/TLS"), default=True)
    username = models.CharField(_("user name"), max_length=255)
    # Encrypted at rest (helpdesk/field_encryption.py); the admin never shows it back.
    password = EncryptedTextField(_("password"), blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    is_active = models.BooleanField(_("active"), default=True)
    uid_validity = models.BigIntegerField(default=0, editable=False)
    last_uid = models.BigIntegerField(_("last UID fetched"), default=0)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["department__name", "username"]
        verbose_name = _("department mailbox (IMAP)")
        verbose_name_plural = _("department mailboxes (IMAP)")

    def __str__(self) -> str:
        return f"{self.username}@{self.host}/{self.folder}"
