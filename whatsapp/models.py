"""WhatsApp Cloud API data: the Meta connection, numbers, raw webhook events, conversations,
messages and their media, quick replies and synced templates. Fields only; writes live in
whatsapp.services and whatsapp.sending."""

import re
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.field_encryption import EncryptedTextField

WINDOW = timedelta(hours=24)


def _default_graph_url() -> str:
    return getattr(settings, "WHATSAPP_GRAPH_BASE_URL", "https://graph.facebook.com")


class Account(models.Model):
    """The Meta app and WhatsApp Business Account (one row: the manager's "Meta setup")."""

    name = models.CharField(_("name"), max_length=100, default="WhatsApp")
    business_id = models.CharField(_("Business ID"), max_length=40, blank=True)
    waba_id = models.CharField(_("WABA ID"), max_length=40, blank=True)
    app_id = models.CharField(_("App ID"), max_length=40, blank=True)
    # Encrypted at rest (helpdesk/field_encryption.py); the admin never shows them back.
    app_secret = EncryptedTextField(_("App Secret"), blank=True)
    access_token = EncryptedTextField(_("access token"), blank=True)
    verify_token = EncryptedTextField(_("webhook verify token"), blank=True)
    graph_base_url = models.URLField(_("Graph API base URL"), default=_default_graph_url)
    graph_version = models.CharField(_("Graph API version"), max_length=10, default="v21.0")
    auto_lead = models.BooleanField(
        _("auto-lead"), default=False, help_text=_("A message from a number no contact has creates one Lead.")
    )
    lead_status = models.CharField(_("lead status"), max_length=16, default="new")
    lead_source = models.CharField(_("lead source"), max_length=60, default="WhatsApp")
    lead_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    max_media_bytes = models.PositiveIntegerField(_("largest media kept (bytes)"), default=16 * 1024 * 1024)
    # Set when Meta answers 190 (token expired or revoked): shown to agents and managers.
    token_error = models.CharField(_("token error"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("WhatsApp account")

    def __str__(self) -> str:
        return self.name

    @property
    def api_root(self) -> str:
        return f"{self.graph_base_url.rstrip('/')}/{self.graph_version}"


class PhoneNumber(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="numbers")
    phone_number_id = models.CharField(_("phone number ID"), max_length=40, unique=True)
    display_number = models.CharField(_("display number"), max_length=30)
    default_department = models.ForeignKey(
        "tickets.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("WhatsApp number")

    def __str__(self) -> str:
        return self.display_number


class WebhookEvent(models.Model):
    """One POST from Meta, stored byte for byte before anything else happens."""

    class State(models.TextChoices):
        NEW = "new", _("New")
        PROCESSING = "processing", _("Processing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    body = models.BinaryField()
    sha256 = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    deliveries = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=16, choices=State.choices, default=State.NEW)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("webhook event")
        indexes = [models.Index(fields=["state", "received_at"], name="wa_event_state")]

    def __str__(self) -> str:
        return f"event {self.pk} ({self.state})"


class Conversation(models.Model):
    """One customer (wa_id) talking to one of our numbers."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    phone_number = models.ForeignKey(PhoneNumber, on_delete=models.CASCADE, related_name="conversations")
    wa_id = models.CharField(_("WhatsApp ID"), max_length=32)
    profile_name = models.CharField(_("name"), max_length=200, blank=True)
    contact = models.ForeignKey("crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    department = models.ForeignKey(
        "tickets.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    unread_count = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(default=timezone.now)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_preview = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["phone_number", "wa_id"], name="wa_conversation_unique")]
        indexes = [
            models.Index(fields=["status", "-last_message_at", "-id"], name="wa_conv_status_recent"),
            models.Index(fields=["assignee", "status", "-last_message_at"], name="wa_conv_assignee"),
            models.Index(fields=["department", "status", "-last_message_at"], name="wa_conv_department"),
            models.Index(fields=["wa_id"], name="wa_conv_wa_id"),
            models.Index(fields=["unread_count"], name="wa_conv_unread", condition=Q(unread_count__gt=0)),
        ]

    def __str__(self) -> str:
        return self.profile_name or f"+{self.wa_id}"

    def get_absolute_url(self) -> str:
        return reverse("whatsapp_inbox:conversation", args=[self.pk])

    @property
    def window_ends_at(self) -> "timezone.datetime | None":
        return self.last_inbound_at + WINDOW if self.last_inbound_at else None

    def window_open(self, now: "timezone.datetime | None" = None) -> bool:
        ends = self.window_ends_at
        return bool(ends and ends > (now or timezone.now()))


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("From the customer")
        OUT = "out", _("To the customer")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PENDING = "pending", _("Sending")
        SENDING = "sending", _("Sending")
        ACCEPTED = "accepted", _("Accepted by Meta")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    wamid = models.CharField(max_length=200, null=True, blank=True, unique=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    type = models.CharField(max_length=40)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    context_wamid = models.CharField(max_length=200, blank=True)
    reaction = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    error_code = models.IntegerField(null=True, blank=True)
    error_title = models.CharField(max_length=300, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The ticket reply this message carries (a reply on a WhatsApp ticket), once.
    ticket_message = models.OneToOneField(
        "tickets.TicketMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    template = models.ForeignKey("MessageTemplate", null=True, blank=True, on_delete=models.SET_NULL)
    bot = models.ForeignKey("Bot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["conversation", "created_at", "id"], name="wa_msg_history")]

    def __str__(self) -> str:
        return f"{self.type} {self.wamid or self.pk}"

    @property
    def can_retry_with_template(self) -> bool:
        return self.error_code == 131047


class MessageStatus(models.Model):
    """Every status Meta reported for a wamid (unordered, possibly before our send returned)."""

    wamid = models.CharField(max_length=200)
    status = models.CharField(max_length=16)
    timestamp = models.DateTimeField()
    error_code = models.IntegerField(null=True, blank=True)
    error_title = models.CharField(max_length=300, blank=True)
    payload = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["wamid", "status"], name="wa_status_once")]

    def __str__(self) -> str:
        return f"{self.wamid} {self.status}"


class Media(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Downloading")
        STORED = "stored", _("Stored")
        FAILED = "failed", _("Failed")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="media")
    media_id = models.CharField(max_length=100)
    mime_type = models.CharField(max_length=120, blank=True)
    sha256 = models.CharField(max_length=100, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    file = models.FileField(upload_to="whatsapp/%Y/%m/", blank=True)
    size = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = _("media")

    def __str__(self) -> str:
        return self.filename or self.media_id

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")


class QuickReply(models.Model):
    """A canned WhatsApp answer, inserted by typing /keyword; same merge fields as predefined replies."""

    keyword = models.SlugField(_("keyword"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("body"), help_text=_("Merge fields: {contact_first_name}, {contact_name}, "
                                                   "{client_name}, {agent_name}, {agent_first_name}, {department}."))
    is_active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(_("used"), default=0)

    class Meta:
        ordering = ["keyword"]
        verbose_name_plural = _("quick replies")

    def __str__(self) -> str:
        return f"/{self.keyword}"


class MessageTemplate(models.Model):
    """A template synced from Meta (GET message_templates)."""

    template_id = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=20)
    status = models.CharField(max_length=30)
    category = models.CharField(max_length=30, blank=True)
    components = models.JSONField(default=list)
    variable_count = models.PositiveSmallIntegerField(default=0)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "language"]
        constraints = [models.UniqueConstraint(fields=["name", "language"], name="wa_template_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def variable_range(self) -> range:
        """1..n for the {{n}} placeholders of the body (what the send form asks for)."""
        numbers = [int(n) for n in re.findall(r"\{\{\s*(\d+)\s*\}\}", self.body_text)]
        return range(1, max(numbers, default=0) + 1)

    @property
    def body_text(self) -> str:
        for component in self.components or []:
            if str(component.get("type", "")).upper() == "BODY":
                return str(component.get("text", ""))
        return ""


class Bot(models.Model):
    """An automatic answer to customer messages, configured by managers (whatsapp.bots)."""

    class Kind(models.TextChoices):
        BUSINESS_HOURS = "business_hours", _("Business hours (outside the department's hours)")
        RECEIPT = "receipt", _("Receipt confirmation")
        FAQ = "faq", _("FAQ (keywords or exact phrases)")

    class Match(models.TextChoices):
        KEYWORDS = "keywords", _("Any of the keywords appears")
        EXACT = "exact", _("The message is exactly one of the phrases")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("on"), default=True)
    department = models.ForeignKey("tickets.Department", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="+", help_text=_("Empty: every department."))
    message = models.TextField(
        _("answer"), help_text=_("Placeholders: {hours} (business hours), {sla_hours} (first-response target), "
                                 "{contact_first_name}. KB links may be pasted as they are."))
    phrases = models.TextField(_("keywords or phrases"), blank=True, help_text=_("FAQ only: one per line."))
    match = models.CharField(_("match"), max_length=10, choices=Match.choices, default=Match.KEYWORDS)
    cooldown_minutes = models.PositiveIntegerField(
        _("cool-down (minutes)"), default=240,
        help_text=_("This bot answers a conversation at most once per cool-down."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class EventMapping(models.Model):
    """A CRM event that sends an approved template (through the send_whatsapp_template action)."""

    class Event(models.TextChoices):
        TICKET_CREATED = "ticket_created", _("Ticket created")
        TICKET_CLOSED = "ticket_closed", _("Ticket closed")
        INVOICE_ISSUED = "invoice_issued", _("Invoice issued")
        PAYMENT_CONFIRMED = "payment_confirmed", _("Payment confirmed")
        SURVEY = "survey", _("Survey invitation (WhatsApp tickets)")

    event = models.CharField(_("event"), max_length=30, choices=Event.choices, unique=True)
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, verbose_name=_("template"))
    parameters = models.TextField(
        _("parameters"), blank=True,
        help_text=_("One per line, in the template's {{1}}, {{2}} order: [ID], [SLA], [No], [amount], [due], "
                    "[link], [name] or fixed text. [link] is the ticket (ticket events), the invoice PDF "
                    "(invoice events) or the survey (survey invitation; a URL button of the template gets it "
                    "too)."))
    is_active = models.BooleanField(_("on"), default=True)

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.template}"


class EventSend(models.Model):
    """A template sent (or refused) for one CRM event of one invoice: its key makes it once."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SKIPPED = "skipped", _("Not sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(max_length=100, unique=True)
    event = models.CharField(_("event"), max_length=30, choices=EventMapping.Event.choices)
    invoice = models.ForeignKey("crm.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    client = models.ForeignKey("crm.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.OneToOneField(Message, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="event_send")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("event template send")

    def __str__(self) -> str:
        return self.key
