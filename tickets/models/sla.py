"""SLA configuration: business calendars (weekly hours, time zone, holidays) and SLA policies
(targets per client tier and priority that override the priority's defaults).

The arithmetic lives in tickets.sla (pure functions); the services turn these rows into a
tickets.sla.calendar.Schedule and store the resulting due times on the ticket.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(tz)s is not a known time zone (e.g. Europe/Bucharest)."), params={"tz": value})


def validate_country(value: str) -> None:
    if not value:
        return
    import holidays

    if value.upper() not in holidays.list_supported_countries():
        raise ValidationError(
            _("%(code)s is not a country the holidays package knows (use an ISO code such as RO, DE, US)."),
            params={"code": value},
        )


class Tier(models.TextChoices):
    """The client tiers of crm.Client.Tier, repeated here so tickets reads them without joins."""

    BASIC = "basic", _("Basic")
    PRO = "pro", _("Pro")
    ENTERPRISE = "enterprise", _("Enterprise")


class BusinessCalendar(models.Model):
    """Working hours in a time zone, with holidays. A department without one uses the default
    calendar, and without a default the SLA clock runs 24/7."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=8,
        blank=True,
        validators=[validate_country],
        help_text=_("ISO country code (e.g. RO, DE, US): its public holidays are outside business hours."),
    )
    holiday_subdivision = models.CharField(
        _("region"), max_length=16, blank=True, help_text=_("Optional state or region code for regional holidays.")
    )
    is_default = models.BooleanField(
        _("default calendar"), default=False, help_text=_("Used by departments that have no calendar of their own.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="tickets_one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.holiday_country = self.holiday_country.strip().upper()
        if self.holiday_subdivision and not self.holiday_country:
            raise ValidationError({"holiday_subdivision": _("Choose a country for the region.")})
        if self.holiday_country and self.holiday_subdivision:
            import holidays

            known = holidays.list_supported_countries().get(self.holiday_country, [])
            if self.holiday_subdivision not in known:
                raise ValidationError({"holiday_subdivision": _("Unknown region for this country.")})


class BusinessHours(models.Model):
    """One opening interval of a weekday, e.g. Monday 09:00-17:00 (several make a lunch break)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"), help_text=_("Same day; an interval cannot cross midnight."))

    class Meta:
        ordering = ["calendar", "weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValidationError({"closes": _("Closing time must be after opening time on the same day.")})


class Holiday(models.Model):
    """A day the support team does not work, on top of the country's public holidays."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="tickets_holiday_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class SLAPolicy(models.Model):
    """Targets for the clients of one tier (the guide's "Differentiated SLA"). A client's active
    contract with an SLA tier decides the tier; otherwise the client's own tier does."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    tier = models.CharField(_("client tier"), max_length=16, choices=Tier.choices, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["tier"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class SLATarget(models.Model):
    """First response and resolution targets of one priority under a policy (business minutes)."""

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.ForeignKey("Priority", on_delete=models.CASCADE, related_name="sla_targets")
    first_response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))

    class Meta:
        ordering = ["policy", "-priority__level"]
        verbose_name = _("SLA target")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="tickets_sla_target_unique")
        ]

    def __str__(self) -> str:
        return f"{self.policy} / {self.priority}"

    def clean(self) -> None:
        if self.first_response_minutes and self.resolution_minutes:
            if self.resolution_minutes < self.first_response_minutes:
                raise ValidationError(
                    {"resolution_minutes": _("The resolution target cannot be shorter than the first response.")}
                )
