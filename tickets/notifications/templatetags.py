"""The notification bell of the staff top bar: {% load notification_tags %}{% notification_bell %}."""

from typing import Any

from django import template

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
