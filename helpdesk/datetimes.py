"""How the product writes a moment, a day and "how long ago": one module for both template
engines (Django's via {% load datetimes %}, the Jinja2 fragments via their filters) and for texts
built in Python (notifications, emails).

The formats are the active language's (helpdesk/formats/<lang>/formats.py); moments are shown in
the active time zone (the person's, helpdesk.middleware). Relative times ("3 h 05 min ago") are
kept where a list is read at a glance (the queue's last reply, the bell); everything else shows
the moment itself.
"""

import zoneinfo
from datetime import date, datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _


def _local(value: date | datetime, tz_name: str = "") -> date | datetime:
    # A moment in the active time zone, or in `tz_name`; {{ t|timezone:"…" }} marks its result
    # as already converted (convert_to_local_time) and is left alone.
    if not isinstance(value, datetime) or not timezone.is_aware(value):
        return value
    if tz_name:
        return value.astimezone(zoneinfo.ZoneInfo(tz_name))
    if not getattr(value, "convert_to_local_time", True):
        return value
    return timezone.localtime(value)


def moment(value: datetime | None, *, tz_name: str = "", weekday: bool = False) -> str:
    """Return a date and time in the active language's format ("2 Dec 2026, 14:05"), in the
    active time zone or in `tz_name`; with `weekday`, led by the day's short name ("Wed 2 Dec …").
    "" for None."""
    if value is None or value == "":
        return ""
    value = _local(value, tz_name)
    text = formats.date_format(value, "DATETIME_FORMAT")
    return f"{formats.date_format(value, 'D')} {text}" if weekday else text


def day(value: date | datetime | None) -> str:
    """Return a day in the active language's format (a moment's day in the active time zone)."""
    if value is None or value == "":
        return ""
    value = _local(value)
    return formats.date_format(value, "DATE_FORMAT")


def time_of_day(value: datetime | None) -> str:
    """Return a moment's time of day in the active time zone ("14:05")."""
    if value is None or value == "":
        return ""
    value = _local(value)
    return formats.time_format(value, "TIME_FORMAT")


def duration(seconds: float) -> str:
    """Return a short duration in the active language: '2 d 3 h', '4 h 05 min', '12 min' (the
    sign is dropped; the caller says "late", "left" or "ago")."""
    minutes = abs(int(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


def elapsed(value: datetime | date | None, now: datetime | None = None) -> str:
    """Return the time since a moment or a day's start, without "ago" ("12 d 3 h")."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        value = timezone.make_aware(datetime(value.year, value.month, value.day))
    return duration(((now or timezone.now()) - value).total_seconds())


def ago(value: datetime | date | None, now: datetime | None = None) -> str:
    """Return how long ago a moment was ("just now", "3 h 05 min ago"), or how far ahead
    ("in 2 d 3 h"). A day (a date) counts from its start in the active time zone."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        value = timezone.make_aware(datetime(value.year, value.month, value.day))
    seconds = int(((now or timezone.now()) - value).total_seconds())
    if abs(seconds) < 60:
        return _("just now")
    if seconds < 0:
        return _("in %(t)s") % {"t": duration(-seconds)}
    return _("%(t)s ago") % {"t": duration(seconds)}
