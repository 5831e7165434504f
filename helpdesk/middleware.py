"""Activate the signed-in person's own time zone and language for every request.

Staff use the time zone on their user; a customer uses the one on their contact record (the
one staff see and edit in the CRM), falling back to their user's.
"""

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


def _preference(user: object, field: str) -> str:
    """A signed-in person's own setting: a customer's on their contact record (the one staff see
    and edit in the CRM) when set, else the one on their user; "" when there is none."""
    if not getattr(user, "is_authenticated", False):
        return ""
    if not user.is_staff:
        contact = getattr(user, "contact", None)
        if contact is not None and getattr(contact, field):
            return getattr(contact, field)
    return getattr(user, field, "") or ""


def timezone_name(user: object) -> str:
    """Return the time zone name to show this user's pages in ("" for the site default)."""
    return _preference(user, "timezone")


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


def language_code(user: object) -> str:
    """Return the language this user chose ("" to follow the browser's Accept-Language).

    Staff choose on their user; a customer's choice is kept on their contact record (staff see
    it in the CRM), falling back to their user's.
    """
    return _preference(user, "language")


class UserLanguageMiddleware:
    """Activate the signed-in person's chosen language (after LocaleMiddleware has picked the
    session's, the cookie's or the browser's, which still apply to anyone without a choice)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = language_code(getattr(request, "user", None))
        if code and code != translation.get_language() and code in dict(settings.LANGUAGES):
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)
