"""The managers' Escalations view (/staff/escalations/): open escalations by age and department;
major ones are approved or sent back with a note here."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.access import manager_required
from tickets import services
from tickets.exceptions import TicketError
from tickets.models import Department
from tickets.workspace import queries_escalations


@manager_required
def escalation_list(request: HttpRequest) -> HttpResponse:
    department = request.GET.get("department", "")
    department_id = int(department) if department.isdigit() else None
    awaiting = request.GET.get("awaiting") == "1"
    rows = list(queries_escalations.open_escalations(department_id=department_id, awaiting_only=awaiting)
                [: queries_escalations.ESCALATIONS_LIMIT])
    context = {
        "nav": "escalations",
        "groups": queries_escalations.group_by_department(rows),
        "total": len(rows),
        "awaiting_count": sum(1 for e in rows if e.awaiting_approval),
        "departments": list(Department.objects.filter(is_active=True).order_by("name")),
        "department_id": department_id,
        "awaiting": awaiting,
        "limit": queries_escalations.ESCALATIONS_LIMIT,
        "now": timezone.now(),
    }
    return render(request, "tickets/escalations.html", context)


@manager_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve a major escalation, or send it back with a note (`decision=back`)."""
    escalation = queries_escalations.get_escalation(pk=pk)
    note = request.POST.get("note", "")
    try:
        if request.POST.get("decision") == "back":
            services.send_back_escalation(escalation=escalation, manager=request.user, note=note)
            messages.success(request, _("Escalation of #%(n)s sent back to its agent.") % {"n": escalation.ticket_id})
        else:
            services.approve_escalation(escalation=escalation, manager=request.user, note=note)
            messages.success(request, _("Escalation of #%(n)s approved.") % {"n": escalation.ticket_id})
    except TicketError as exc:
        messages.error(request, str(exc))
    return redirect("staff:escalations")
