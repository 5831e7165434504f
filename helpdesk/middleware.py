"""Activate the signed-in person's own time zone for every request.

Staff use the time zone on their user; a customer uses the one on their contact record (the
one staff see and edit in the CRM), falling back to their user's.
"""

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def timezone_name(user: object) -> str:
    """Return the time zone name to show this user's pages in ("" for the site default)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    if not user.is_staff:
        contact = getattr(user, "contact", None)
        if contact is not None and contact.timezone:
            return contact.timezone
    return getattr(user, "timezone", "") or ""


class UserTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tzname = timezone_name(getattr(request, "user", None))
        try:
            timezone.activate(zoneinfo.ZoneInfo(tzname)) if tzname else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)
