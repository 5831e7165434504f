"""The WhatsApp link in the workspace's top bar, with the unread count (one indexed query)."""

from django import template

from whatsapp.queries import unread_total

register = template.Library()


@register.inclusion_tag("whatsapp/_nav_link.html", takes_context=True)
def whatsapp_nav_link(context: template.Context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    unread = unread_total(user=user) if user is not None and user.is_authenticated and user.is_staff else 0
    return {"unread": unread, "active": context.get("nav") == "whatsapp"}
