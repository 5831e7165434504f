"""The notification bell of the staff top bar: {% load notification_tags %}{% notification_bell %},
and the staff announcements under it: {% staff_announcements %}. Both read tickets.notifications.topbar
(one query for every count of the top bar, cached briefly; announcements cached for everybody)."""

from typing import Any

from django import template

from tickets.notifications import topbar

register = template.Library()


def _staff(context: dict[str, Any]) -> bool:
    user = getattr(context.get("request"), "user", None)
    return user is not None and user.is_authenticated and user.is_staff


@register.inclusion_tag("tickets/notifications/_bell.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    unread = topbar.counts(context["request"]).get("notifications", 0) if _staff(context) else 0
    return {"unread": unread}


@register.inclusion_tag("tickets/notifications/_announcements.html", takes_context=True)
def staff_announcements(context: dict[str, Any]) -> dict[str, Any]:
    return {"announcements": topbar.staff_announcements() if _staff(context) else []}
