"""Staff notifications: the list behind the bell, opening one (marks it read, goes to the
ticket), marking all read, and the profile page with email preferences."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.access import staff_required
from tickets.notifications import services as notifications
from tickets.notifications.forms import NotificationPreferenceForm
from tickets.workspace import queries


@staff_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.notifications_for(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "tickets/notifications/list.html", {"page": page, "nav": "notifications"})


@staff_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = queries.get_notification_for_user(user=request.user, pk=pk)
    notifications.mark_read(notification=notification)
    if notification.ticket_id:
        return redirect("staff:ticket_detail", number=notification.ticket_id)
    return redirect("staff:notifications")


@staff_required
@require_POST
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notifications.mark_all_read(user=request.user)
    messages.success(request, _("%(n)d notification(s) marked read.") % {"n": count})
    return redirect("staff:notifications")


@staff_required
def profile(request: HttpRequest) -> HttpResponse:
    form = NotificationPreferenceForm(
        request.POST or None, initial={"email_kinds": queries.email_kinds_of(user=request.user)}
    )
    if request.method == "POST" and form.is_valid():
        notifications.set_email_kinds(user=request.user, kinds=form.cleaned_data["email_kinds"])
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("staff:profile")
    return render(request, "tickets/notifications/profile.html", {"form": form, "nav": "profile"})
