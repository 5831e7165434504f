"""Callback pages under /staff/appointments/: the agenda and week calendar, scheduling from a
ticket, and a callback's page with its actions. Thin: validate, call a service, respond."""

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appointments import queries, services
from appointments.forms import CallbackForm, CancelForm, FinishForm, NoShowForm, ScheduleForm
from appointments.models import Callback
from helpdesk.access import staff_required
from tickets.workspace import queries as ticket_queries


def _staff() -> list[Any]:
    return list(ticket_queries.staff_members())


def _starts_at(form: CallbackForm, *, user: Any, customer_tz: str) -> datetime:
    tz = customer_tz if form.cleaned_data["entered_in"] == "customer" else user.timezone
    typed = form.cleaned_data["starts_local"]
    if timezone.is_aware(typed):  # the form made it aware in the active zone: take the wall clock back
        typed = timezone.make_naive(typed)
    return services.local_to_utc(typed, tz)


def _agent(form: CallbackForm, staff: list[Any]) -> Any:
    return next(u for u in staff if u.pk == form.cleaned_data["agent"])


@staff_required
def schedule(request: HttpRequest, number: int) -> HttpResponse:
    """Book a callback on a ticket (the agent guide's Workflow 4)."""
    ticket = ticket_queries.get_ticket_for_agent(user=request.user, number=number)
    staff = _staff()
    customer_tz = services.customer_timezone_of(ticket)
    form = ScheduleForm(request.POST or None, staff=staff, initial={
        "agent": request.user.pk, "phone": ticket.contact.phone if ticket.contact_id else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_callback(
                ticket=ticket, agent=_agent(form, staff), actor=request.user,
                starts_at=_starts_at(form, user=request.user, customer_tz=customer_tz),
                duration_minutes=form.cleaned_data["duration_minutes"],
                reminder_minutes=form.cleaned_data["reminder_minutes"], notes=form.cleaned_data["notes"],
                phone=form.cleaned_data["phone"], remind_customer=form.cleaned_data["remind_customer"],
                confirm_to_customer=form.cleaned_data["confirm_to_customer"],
            )
        except services.CallbackError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Callback booked."))
            return redirect(ticket)
    return render(request, "appointments/schedule.html", {
        "nav": "appointments", "ticket": ticket, "form": form, "customer_tz": customer_tz,
    }, status=400 if form.errors else 200)


def _monday(raw: str, user: Any) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = datetime.now(services.zone(user.timezone)).date()
    return day - timedelta(days=day.weekday())


@staff_required
def agenda(request: HttpRequest) -> HttpResponse:
    """My callbacks (leads: the department's) as an agenda or a week calendar."""
    user = request.user
    scope = request.GET.get("scope", "mine")
    scope = scope if scope == "department" and queries.may_see_department(user) else "mine"
    view = "week" if request.GET.get("view") == "week" else "agenda"
    status = request.GET.get("status", "scheduled")
    status = status if status in Callback.Status.values or status == "" else "scheduled"
    context: dict[str, Any] = {"nav": "appointments", "scope": scope, "view": view, "status": status,
                               "statuses": Callback.Status.choices,
                               "can_see_department": queries.may_see_department(user)}
    if view == "week":
        monday = _monday(request.GET.get("week", ""), user)
        context.update(days=queries.week(user=user, scope=scope, monday=monday), monday=monday,
                       prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7))
    else:
        start = None
        if status == Callback.Status.SCHEDULED:
            tz = services.zone(user.timezone)
            start = datetime.combine(datetime.now(tz).date(), datetime.min.time(), tzinfo=tz)
        context["callbacks"] = list(queries.agenda(user=user, scope=scope, status=status, start=start)[:200])
    return render(request, "appointments/agenda.html", context)


def _detail(request: HttpRequest, callback: Callback, *, status: int = 200, **forms: Any) -> HttpResponse:
    staff = _staff()
    edit = forms.get("edit_form") or CallbackForm(staff=staff, initial={
        "starts_local": callback.starts_at.astimezone(services.zone(request.user.timezone)).replace(tzinfo=None),
        "entered_in": "agent", "duration_minutes": callback.duration_minutes,
        "reminder_minutes": callback.reminder_minutes, "agent": callback.agent_id, "phone": callback.phone,
        "notes": callback.notes, "remind_customer": callback.remind_customer,
    })
    return render(request, "appointments/detail.html", {
        "nav": "appointments", "callback": callback, "ticket": callback.ticket,
        "agent_when": services.when_in(callback.starts_at, callback.agent.timezone),
        "customer_when": services.when_in(callback.starts_at, callback.customer_timezone),
        "my_when": services.when_in(callback.starts_at, request.user.timezone),
        "edit_form": edit, "finish_form": forms.get("finish_form") or FinishForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(), "no_show_form": NoShowForm(),
    }, status=status)


@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, queries.get_callback_for_agent(user=request.user, pk=pk))


@staff_required
@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    callback = queries.get_callback_for_agent(user=request.user, pk=pk)
    staff = _staff()
    form = CallbackForm(request.POST, staff=staff)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.update_callback(callback=callback, actor=request.user, changes={
                "starts_at": _starts_at(form, user=request.user, customer_tz=callback.customer_timezone),
                "duration_minutes": data["duration_minutes"], "reminder_minutes": data["reminder_minutes"],
                "agent": _agent(form, staff), "phone": data["phone"], "notes": data["notes"],
                "remind_customer": data["remind_customer"],
            })
        except services.CallbackError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Callback updated."))
            return redirect(callback)
    return _detail(request, callback, edit_form=form, status=400)


@staff_required
@require_POST
def finish(request: HttpRequest, pk: int) -> HttpResponse:
    callback = queries.get_callback_for_agent(user=request.user, pk=pk)
    form = FinishForm(request.POST)
    if form.is_valid():
        try:
            services.finish_callback(callback=callback, actor=request.user, outcome=form.cleaned_data["outcome"],
                                     close_ticket=form.cleaned_data["close_ticket"])
        except services.CallbackError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Callback marked finished; the outcome is on the ticket."))
            return redirect(callback.ticket)
    return _detail(request, callback, finish_form=form, status=400)


@staff_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    callback = queries.get_callback_for_agent(user=request.user, pk=pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_callback(callback=callback, actor=request.user, reason=form.cleaned_data["reason"],
                                     tell_customer=form.cleaned_data["tell_customer"])
        except services.CallbackError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Callback cancelled."))
    return redirect(callback)


@staff_required
@require_POST
def no_show(request: HttpRequest, pk: int) -> HttpResponse:
    callback = queries.get_callback_for_agent(user=request.user, pk=pk)
    form = NoShowForm(request.POST)
    if form.is_valid():
        try:
            services.mark_no_show(callback=callback, actor=request.user, note=form.cleaned_data["note"])
        except services.CallbackError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Marked as a no-show."))
    return redirect(callback)
