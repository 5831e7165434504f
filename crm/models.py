"""Clients, contacts, staff and everything the agent sees in a client's file.

crm depends on no other app of ours: tickets, kb and the rest point at crm, never the reverse.
"""

import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

e164_validator = RegexValidator(
    r"^\+[1-9]\d{6,14}$", _("Enter the phone number in international E.164 form, e.g. +40721234567.")
)


def validate_timezone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(tz)s is not a known time zone."), params={"tz": value})


def language_choices() -> list[tuple[str, str]]:
    """Return the languages a person may choose ("" follows the browser)."""
    from django.conf import settings

    return [("", _("As the browser says")), *settings.LANGUAGES]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in: staff (is_staff) or a client's contact (has a `contact`).

    Staff reach /staff/ and, with permissions, /admin/; contacts reach only /portal/.
    """

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("staff member"), default=False, help_text=_("Staff members use the agent workspace.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=language_choices,
        help_text=_("The language of the pages; empty: the browser's."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="crm_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name or self.email).split(" ")[0]

    @property
    def is_manager(self) -> bool:
        profile = getattr(self, "staff_profile", None)
        return self.is_superuser or bool(profile and profile.role == StaffProfile.Role.MANAGER)


class StaffProfile(models.Model):
    class Role(models.TextChoices):
        L1 = "l1", _("L1 agent")
        L2 = "l2", _("L2 / technical agent")
        MANAGER = "manager", _("Manager")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff_profile")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.L1)
    signature = models.TextField(_("email signature"), blank=True)
    is_available = models.BooleanField(
        _("available for assignment"), default=True, help_text=_("Off while on leave or off shift.")
    )

    class Meta:
        verbose_name = _("staff profile")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Client(models.Model):
    class Tier(models.TextChoices):
        BASIC = "basic", _("Basic")
        PRO = "pro", _("Pro")
        ENTERPRISE = "enterprise", _("Enterprise")

    name = models.CharField(_("company"), max_length=200)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.BASIC)
    vat_number = models.CharField(_("VAT number"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[e164_validator])
    website = models.URLField(_("website"), blank=True)
    address = models.TextField(_("address"), blank=True)
    account_manager = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_clients"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(Lower("name"), name="crm_client_name_lower")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("staff:client_detail", args=[self.pk])


class Contact(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="contact"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[e164_validator])
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    portal_access = models.BooleanField(_("portal access"), default=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=language_choices,
        help_text=_("The language of the portal; empty: the browser's."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["first_name", "last_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="crm_contact_email_ci_unique")]
        indexes = [models.Index(fields=["phone"], name="crm_contact_phone")]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        UNPAID = "unpaid", _("Unpaid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(_("number"), max_length=40, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    issued_on = models.DateField(_("issued"))
    due_on = models.DateField(_("due"))
    paid_on = models.DateField(_("paid"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UNPAID)
    # A dispute forwarded to accounts receivable: set when forwarded, cleared when its task is done.
    # The task lives in tickets (crm imports no other app), so it is kept by id, not a foreign key.
    disputed_at = models.DateTimeField(_("disputed since"), null=True, blank=True)
    dispute_task_id = models.PositiveBigIntegerField(_("dispute task"), null=True, blank=True, db_index=True)

    # The status as last read from or written to the database: crm.events compares it with the
    # saved status to send "invoice issued" and "payment confirmed" once per transition.
    UNKNOWN_STATUS = object()
    loaded_status: "str | None | object" = None

    class Meta:
        ordering = ["-issued_on"]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def from_db(cls, db: str | None, field_names: list[str], values: list[object]) -> "Invoice":
        instance = super().from_db(db, field_names, values)
        instance.loaded_status = instance.__dict__.get("status", cls.UNKNOWN_STATUS)
        return instance

    def refresh_from_db(self, using: str | None = None, fields: object = None, from_queryset: object = None) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "status" in fields:
            self.loaded_status = self.status

    def clean(self) -> None:
        if self.due_on and self.issued_on and self.due_on < self.issued_on:
            raise ValidationError({"due_on": _("The due date cannot be before the issue date.")})

    @property
    def is_overdue(self) -> bool:
        """An unpaid invoice past its due date is overdue; derived, never stored."""
        return self.status == self.Status.UNPAID and self.paid_on is None and self.due_on < timezone.localdate()

    @property
    def display_status(self) -> str:
        return str(_("Overdue")) if self.is_overdue else self.get_status_display()

    @property
    def is_disputed(self) -> bool:
        return self.disputed_at is not None


class Order(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        PROCESSING = "processing", _("Processing")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(_("number"), max_length=40, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=0)
    ordered_at = models.DateTimeField(_("ordered"), default=now)

    class Meta:
        ordering = ["-ordered_at"]

    def __str__(self) -> str:
        return self.number


class DeliveryNote(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="delivery_notes")
    awb_number = models.CharField(_("AWB number"), max_length=60)
    carrier = models.CharField(_("carrier"), max_length=60)
    tracking_url = models.URLField(_("tracking URL"), blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-shipped_at"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.awb_number}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(_("SKU"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"


class DeliveryReturn(models.Model):
    """Goods a customer sends back: requested by support, received by the warehouse."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    # The ticket it came from, by number (crm imports no other app).
    ticket_number = models.PositiveBigIntegerField(_("ticket"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{_('Return')} {self.pk} ({self.order})"


class DeliveryReturnLine(models.Model):
    delivery_return = models.ForeignKey(DeliveryReturn, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    description = models.CharField(_("item"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"


class Contract(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contracts")
    subject = models.CharField(_("subject"), max_length=200)
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end"), null=True, blank=True)
    sla_tier = models.CharField(_("SLA tier"), max_length=16, choices=Client.Tier.choices)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")

    class Meta:
        ordering = ["-start_on"]

    def __str__(self) -> str:
        return self.subject

    def clean(self) -> None:
        if self.end_on and self.start_on and self.end_on < self.start_on:
            raise ValidationError({"end_on": _("A contract cannot end before it starts.")})

    @property
    def is_active(self) -> bool:
        today = timezone.localdate()
        return self.start_on <= today and (self.end_on is None or self.end_on >= today)


class Opportunity(models.Model):
    class Stage(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        QUALIFIED = "qualified", _("Qualified")
        PROPOSAL = "proposal", _("Proposal")
        NEGOTIATION = "negotiation", _("Negotiation")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    OPEN_STAGES = (Stage.PROSPECT, Stage.QUALIFIED, Stage.PROPOSAL, Stage.NEGOTIATION)

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="opportunities")
    name = models.CharField(_("name"), max_length=200)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.PROSPECT)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The support ticket it came from, by number (crm imports no other app).
    ticket_number = models.PositiveBigIntegerField(_("ticket"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("opportunities")

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        CONVERTED = "converted", _("Converted")
        LOST = "lost", _("Lost")

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[e164_validator])
    source = models.CharField(_("source"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["phone"], name="crm_lead_phone")]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """Who did what on a client, when: the client file's Activity tab.

    Typed in (calls, meetings) or written by the services that do the thing (ticket opened,
    callback, return...) through crm.services.record_activity; kinds: crm/activity.py.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="activities")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=40)
    description = models.TextField(_("description"))
    link = models.CharField(_("link"), max_length=300, blank=True, help_text=_("A path inside the helpdesk."))
    created_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["client", "-created_at"], name="crm_activity_client_recent"),
            models.Index(fields=["client", "kind", "-created_at"], name="crm_activity_client_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.description[:60]}"

    @property
    def kind_label(self) -> str:
        from crm.activity import label

        return label(self.kind)

    @property
    def safe_link(self) -> str:
        """The link if it is a path on this site (never another site or a javascript: URL)."""
        return self.link if self.link.startswith("/") and not self.link.startswith("//") else ""


class Announcement(models.Model):
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    for_customers = models.BooleanField(_("show to customers"), default=True)
    for_staff = models.BooleanField(_("show to staff"), default=False)
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="announcements",
        help_text=_("Leave empty to show to every client."),
    )
    starts_at = models.DateTimeField(_("shown from"), default=now)
    ends_at = models.DateTimeField(_("shown until"), null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if not (self.for_customers or self.for_staff):
            raise ValidationError(_("Choose at least one audience: customers or staff."))
        if self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})
