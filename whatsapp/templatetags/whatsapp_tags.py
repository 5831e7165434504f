"""The WhatsApp link in the workspace's top bar, with the unread count (one of the top bar's
counts: tickets.notifications.topbar, registered in WhatsappConfig.ready())."""

from django import template

from tickets.notifications import topbar

register = template.Library()


@register.inclusion_tag("whatsapp/_nav_link.html", takes_context=True)
def whatsapp_nav_link(context: template.Context) -> dict:
    request = context.get("request")
    unread = topbar.counts(request).get("whatsapp_unread", 0) if request is not None else 0
    return {"unread": unread, "active": context.get("nav") == "whatsapp"}
