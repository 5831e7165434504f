"""The ticket core: configuration (departments, statuses, priorities, services, custom fields),
tickets, their messages, attachments and events, tasks, predefined replies and spam filters.

Models hold fields, constraints and validation only; every write goes through tickets.services.
"""

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.labels import label

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB, e.g. #1e88e5."))


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Portal")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PHONE = "phone", _("Phone")
    API = "api", _("API")


class Department(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    email = models.EmailField(_("email address"), help_text=_("Mail to this address opens tickets here."))
    is_active = models.BooleanField(_("active"), default=True)
    show_on_portal = models.BooleanField(_("visible on the client portal"), default=True)
    is_default = models.BooleanField(
        _("default department"), default=False, help_text=_("Receives mail that matches no address.")
    )
    default_priority = models.ForeignKey(
        "Priority", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    business_calendar = models.ForeignKey(
        "BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="departments",
        help_text=_("Business hours for its SLA clock; empty: the default calendar, or 24/7."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="departments",
        limit_choices_to={"is_staff": True},
        verbose_name=_("staff members"),
    )
    # Off by default: people a customer copied (Cc) are recorded on the ticket but get no mail
    # from us, so a stranger's mail with a thousand Cc cannot make us mail them.
    copy_participants = models.BooleanField(
        _("copy replies to Cc'd participants"),
        default=False,
        help_text=_("Staff replies also go to the people copied on the customer's email "
                    "(at most HELPDESK_REPLY_MAX_CC of them). Receipts never do."),
    )
    leads = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="led_departments",
        limit_choices_to={"is_staff": True},
        verbose_name=_("team leads"),
        help_text=_("Told of every escalation out of and into this department."),
    )
    followers_can_reply = models.BooleanField(
        _("followers may reply"),
        default=True,
        help_text=_("Staff who follow a ticket of this department (e.g. who escalated it) may reply to the customer."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="tickets_department_email_ci_unique"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="tickets_one_default_department"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.email:
            self.email = self.email.strip().lower()
            clash = Department.objects.filter(email__iexact=self.email).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"email": _("Another department already uses this address.")})


class TicketStatus(models.Model):
    """A step of the ticket lifecycle. Services find the built-in steps by slug (see SLUG_*)."""

    NEW = "new"
    IN_PROGRESS = "in-progress"
    ANSWERED = "answered"
    ON_HOLD = "on-hold"
    ESCALATED = "escalated"
    CLOSED = "closed"

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(
        _("key"), max_length=60, unique=True, help_text=_("Stable key used by automation; rename freely.")
    )
    colour = models.CharField(_("colour"), max_length=7, validators=[colour_validator])
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_closed = models.BooleanField(_("closes the ticket"), default=False)
    pauses_sla = models.BooleanField(_("pauses the SLA clock"), default=False)
    is_default = models.BooleanField(_("default for new tickets"), default=False)
    portal_label = models.CharField(
        _("label on the client portal"), max_length=60, blank=True,
        help_text=_("What customers see, e.g. “In progress” for Escalated. Empty: “In progress” "
                    "(or “Closed” for a closing status); an internal name is never shown as it is."),
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("ticket status")
        verbose_name_plural = _("ticket statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="tickets_one_default_status"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def portal_name(self) -> str:
        """Return the name customers see as stored (the portal label, or a generic one)."""
        if self.portal_label:
            return self.portal_label
        return "Closed" if self.is_closed else "In progress"

    @property
    def customer_label(self) -> str:
        """Return the name customers see, in the active language."""
        return label(self.portal_name)


class Priority(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    level = models.PositiveSmallIntegerField(
        _("level"), unique=True, help_text=_("Higher is more urgent; the queue sorts by it.")
    )
    colour = models.CharField(_("colour"), max_length=7, default="#757575", validators=[colour_validator])
    first_response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))
    is_default = models.BooleanField(_("default for new tickets"), default=False)

    class Meta:
        ordering = ["-level"]
        verbose_name_plural = _("priorities")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="tickets_one_default_priority"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.first_response_minutes and self.resolution_minutes:
            if self.resolution_minutes < self.first_response_minutes:
                raise ValidationError(
                    {"resolution_minutes": _("The resolution target cannot be shorter than the first response.")}
                )


class Service(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """A customer's request. Its number is its primary key, the "Ticket ID" people quote."""

    subject = models.CharField(_("subject"), max_length=255)
    client = models.ForeignKey(
        "crm.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    requester_name = models.CharField(_("requester name"), max_length=200, blank=True)
    requester_email = models.EmailField(_("requester email"), blank=True)
    cc_emails = models.JSONField(_("other participants"), default=list, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tickets")
    status = models.ForeignKey(TicketStatus, on_delete=models.PROTECT, related_name="tickets")
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, related_name="tickets")
    # Copy of priority.level so the queue can sort and paginate on one index.
    priority_level = models.PositiveSmallIntegerField(default=0)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    last_staff_reply_at = models.DateTimeField(_("last staff reply"), null=True, blank=True)
    last_customer_reply_at = models.DateTimeField(_("last customer reply"), null=True, blank=True)
    last_reply_at = models.DateTimeField(_("last reply"), null=True, blank=True)
    last_replier_name = models.CharField(_("last replier"), max_length=200, blank=True)
    last_reply_by_staff = models.BooleanField(default=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    # Business seconds spent paused (On Hold, or closed before a reopen) in earlier pauses:
    # dues are start + target + this, so a recomputation keeps them (see tickets.sla).
    sla_paused_seconds = models.PositiveIntegerField(default=0)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    first_response_warned = models.BooleanField(default=False)
    resolution_warned = models.BooleanField(default=False)
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    is_spam = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_tickets"
    )
    linked_ticket = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text=_("An earlier ticket this one follows up."),
    )

    class Meta:
        ordering = ["-priority_level", "created_at", "id"]
        indexes = [
            models.Index(fields=["status", "-priority_level", "created_at", "id"], name="tk_queue_status"),
            models.Index(
                fields=["department", "status", "-priority_level", "created_at", "id"], name="tk_queue_dept"
            ),
            models.Index(fields=["assignee", "status", "-priority_level", "created_at"], name="tk_queue_assignee"),
            models.Index(fields=["-priority_level", "created_at", "id"], name="tk_queue_all"),
            models.Index(fields=["client", "-created_at"], name="tk_client"),
            # The client list counts each client's open tickets.
            models.Index(fields=["client"], condition=Q(closed_at__isnull=True), name="tk_client_open"),
            models.Index(fields=["contact", "-created_at"], name="tk_contact"),
            models.Index(fields=["created_at"], name="tk_created"),
            models.Index(fields=["service", "status"], name="tk_service"),
            models.Index(fields=["channel", "status"], name="tk_channel"),
            models.Index(fields=["priority", "status"], name="tk_priority"),
            models.Index(Lower("requester_email"), name="tk_requester_email"),
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(first_response_at__isnull=True, closed_at__isnull=True),
                name="tk_first_response_due_open",
            ),
            models.Index(
                fields=["resolution_due_at"], condition=Q(closed_at__isnull=True), name="tk_resolution_due_open"
            ),
            models.Index(
                fields=["last_staff_reply_at"], condition=Q(closed_at__isnull=True), name="tk_last_staff_open"
            ),
            # SLA and automation sweeps: each finds what is due with one range scan.
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(first_response_at__isnull=True, closed_at__isnull=True, first_response_breached=False),
                name="tk_sla_first_pending",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(closed_at__isnull=True, resolution_breached=False),
                name="tk_sla_resolution_pending",
            ),
            models.Index(
                fields=["last_customer_reply_at"],
                condition=Q(closed_at__isnull=True, last_reply_by_staff=False),
                name="tk_awaiting_staff",
            ),
            models.Index(
                fields=["status", "status_changed_at"], condition=Q(closed_at__isnull=True), name="tk_status_since"
            ),
            models.Index(fields=["closed_at"], condition=Q(closed_at__isnull=False), name="tk_closed_at"),
            # The agent's "My day" panel: my open Urgent tickets, oldest first, and how many.
            models.Index(fields=["assignee", "priority", "created_at"], condition=Q(closed_at__isnull=True),
                         name="tk_assignee_open_priority"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("staff:ticket_detail", args=[self.pk])

    @property
    def number(self) -> int:
        return self.pk

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def requester_display(self) -> str:
        if self.contact_id:
            return self.contact.full_name
        return self.requester_name or self.requester_email

    @property
    def reply_email(self) -> str:
        """The address our replies go to: the contact's, or the outside sender's."""
        if self.contact_id:
            return self.contact.email
        return self.requester_email


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer message")
        STAFF = "staff", _("Staff reply")
        NOTE = "note", _("Internal note")
        SYSTEM = "system", _("Automatic message")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(_("author name"), max_length=200, blank=True)
    author_email = models.EmailField(_("author email"), blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("sanitised HTML"), blank=True)
    # The full original text (with quoted history) when body_text was trimmed.
    original_text = models.TextField(blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    cc_emails = models.JSONField(default=list, blank=True)
    delivery_status = models.CharField(max_length=16, blank=True)
    delivery_error = models.TextField(blank=True)
    # Outbound delivery bookkeeping (tickets.outbound.sweep): sends tried so far, and when the last
    # one started (or the backstop sweep queued the message again).
    delivery_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    delivery_attempted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The predefined reply the agent started from (the "predefined reply usage" report).
    predefined_reply = models.ForeignKey(
        "PredefinedReply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="tkm_ticket_created"),
            models.Index(fields=["message_id"], condition=~Q(message_id=""), name="tkm_message_id"),
            models.Index(
                fields=["created_at"], condition=Q(predefined_reply__isnull=False), name="tkm_predefined_created"
            ),
            # The outbound sweep's rows: pending deliveries only (a handful at any time).
            models.Index(fields=["created_at"], condition=Q(delivery_status="pending"), name="tkm_pending_delivery"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"

    @property
    def is_internal(self) -> bool:
        return self.kind == self.Kind.NOTE

    @property
    def is_public(self) -> bool:
        return self.kind in (self.Kind.CUSTOMER, self.Kind.STAFF)

    @property
    def display_author(self) -> str:
        if self.author_id:
            return str(self.author)
        if self.author_contact_id:
            return self.author_contact.full_name
        return self.author_name or self.author_email or str(_("System"))


def attachment_path(instance: "Attachment", filename: str) -> str:
    ext = os.path.splitext(filename)[1][:10]
    return f"attachments/{timezone.now():%Y/%m}/{instance.sha256[:2]}/{instance.sha256}{ext}"


class Attachment(models.Model):
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120, default="application/octet-stream")
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content_id = models.CharField(_("Content-ID"), max_length=255, blank=True)
    is_inline = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class TicketEvent(models.Model):
    """One change of a ticket: the history tab, the reports and the audit trail read these."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
        STAFF_REPLIED = "staff_replied", _("Staff replied")
        NOTE_ADDED = "note_added", _("Internal note added")
        STATUS = "status", _("Status changed")
        PRIORITY = "priority", _("Priority changed")
        DEPARTMENT = "department", _("Department changed")
        ASSIGNEE = "assignee", _("Assignee changed")
        SERVICE = "service", _("Service changed")
        ESCALATED = "escalated", _("Escalated")
        MERGED = "merged", _("Merged")
        REOPENED = "reopened", _("Reopened")
        CLOSED = "closed", _("Closed")
        SLA = "sla", _("SLA")
        CUSTOM_FIELD = "custom_field", _("Custom field changed")
        TASK = "task", _("Task")
        AUTOMATION = "automation", _("Automation")
        NOTE = "note", _("Note")
        CALLBACK = "callback", _("Callback")
        HANDOFF = "handoff", _("Hand-off")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    before = models.CharField(max_length=255, blank=True)
    after = models.CharField(max_length=255, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="tke_ticket_created"),
            models.Index(fields=["kind", "created_at"], name="tke_kind_created"),
            # The FCR report probes, per closed ticket, whether it was ever escalated or reopened.
            models.Index(fields=["ticket"], condition=Q(kind__in=["escalated", "reopened"]), name="tke_fcr_breakers"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.get_kind_display()}"

    @property
    def actor_display(self) -> str:
        return str(self.actor) if self.actor_id else str(_("System"))


class CustomField(models.Model):
    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        TEXTAREA = "textarea", _("Text area")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        DROPDOWN = "dropdown", _("Dropdown")
        MULTISELECT = "multiselect", _("Multi-select")
        CHECKBOX = "checkbox", _("Checkbox")

    CHOICE_TYPES = (FieldType.DROPDOWN, FieldType.MULTISELECT)

    name = models.CharField(_("label"), max_length=100)
    slug = models.SlugField(_("key"), max_length=60, unique=True)
    field_type = models.CharField(_("type"), max_length=16, choices=FieldType.choices, default=FieldType.TEXT)
    options = models.TextField(_("options"), blank=True, help_text=_("One option per line (dropdowns)."))
    required = models.BooleanField(_("required"), default=False)
    show_on_client_portal = models.BooleanField(_("show on client portal"), default=False)
    help_text = models.CharField(_("help text"), max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.field_type in self.CHOICE_TYPES and not self.option_list:
            raise ValidationError({"options": _("A dropdown needs at least one option, one per line.")})


class CustomFieldValue(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="custom_values")
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="values")
    value = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "field"], name="tickets_cfv_unique")]

    def __str__(self) -> str:
        return f"{self.field}: {self.display_value}"

    @property
    def display_value(self) -> str:
        if isinstance(self.value, list):
            return ", ".join(str(v) for v in self.value)
        if isinstance(self.value, bool):
            return str(_("Yes")) if self.value else str(_("No"))
        return "" if self.value is None else str(self.value)


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.ForeignKey(Priority, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee"),
            models.Index(fields=["department", "status", "due_at"], name="task_department"),
        ]

    def __str__(self) -> str:
        return self.title


class PredefinedReply(models.Model):
    """A reusable reply. Merge fields such as {contact_first_name} are filled per ticket and agent."""

    MERGE_FIELDS = (
        "contact_first_name",
        "contact_name",
        "client_name",
        "ticket_number",
        "ticket_subject",
        "agent_name",
        "agent_first_name",
        "department",
    )

    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(
        _("body"), help_text=_("Merge fields: {contact_first_name}, {contact_name}, {client_name}, "
                               "{ticket_number}, {ticket_subject}, {agent_name}, {agent_first_name}, {department}.")
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, help_text=_("Empty: every department.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = _("predefined replies")

    def __str__(self) -> str:
        return self.title


class SpamFilter(models.Model):
    class Kind(models.TextChoices):
        SENDER = "sender", _("Sender (address or @domain)")
        SUBJECT = "subject", _("Subject contains")
        PHRASE = "phrase", _("Body contains phrase")

    kind = models.CharField(_("match on"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=255)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def matches(self, *, sender: str, subject: str, body: str) -> bool:
        """Return True when this filter blocks a message with these fields."""
        needle = self.value.strip().lower()
        if not needle:
            return False
        if self.kind == self.Kind.SENDER:
            sender = sender.lower()
            return sender == needle or (needle.startswith("@") and sender.endswith(needle))
        if self.kind == self.Kind.SUBJECT:
            return needle in subject.lower()
        return needle in body.lower()
