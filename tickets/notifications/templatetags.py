"""The notification bell of the staff top bar: {% load notification_tags %}{% notification_bell %},
and the staff announcements under it: {% staff_announcements %}."""

from typing import Any

from django import template
from django.db.models import Q
from django.utils import timezone

from tickets.models import Notification

register = template.Library()


@register.inclusion_tag("tickets/notifications/_bell.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated and user.is_staff:
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"unread": unread}


def current_staff_announcements() -> list[dict[str, Any]]:
    """Return the announcements for staff shown now (one small query; a cache would make the
    page's query count depend on what earlier requests did)."""
    from crm.models import Announcement

    now = timezone.now()
    return list(
        Announcement.objects.filter(for_staff=True, starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("-starts_at").values("pk", "title", "body")[:3]
    )


@register.inclusion_tag("tickets/notifications/_announcements.html", takes_context=True)
def staff_announcements(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {"announcements": []}
    return {"announcements": current_staff_announcements()}
