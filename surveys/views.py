"""Survey pages: the customer's answer page (no login; only a POST records) and the managers'
results under /staff/surveys/."""

import csv

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from helpdesk.access import manager_required
from surveys import queries, services
from surveys.models import Invitation
from tickets.labels import label
from tickets.reports.filters import DIMENSIONS, NAMED
from tickets.reports.forms import ReportFilterForm
from tickets.reports.queries import dimension_labels

ROBOTS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "same-origin"}


def _private(response: HttpResponse) -> HttpResponse:
    """Keep survey pages out of search engines and their token out of other sites' Referer.

    same-origin, not no-referrer: with no-referrer the browser posts the form with Origin: null
    and CSRF refuses it.
    """
    for header, value in ROBOTS.items():
        response[header] = value
    return response


def _invitation_or_refusal(request: HttpRequest, token: str) -> tuple[Invitation | None, HttpResponse | None]:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return None, _private(render(request, "surveys/refused.html", {"reason": "invalid"}, status=404))
    if invitation.expires_at <= timezone.now():
        return None, _private(render(request, "surveys/refused.html", {"reason": "expired"}, status=410))
    return invitation, None


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """Show the survey (GET records nothing: mail scanners open links); record the answers on POST."""
    invitation, refusal = _invitation_or_refusal(request, token)
    if refusal is not None:
        return refusal
    questions = list(invitation.survey.questions.filter(is_active=True).order_by("order", "id"))
    error = ""
    if request.method == "POST":
        posted = {q.pk: request.POST.get(f"q{q.pk}", "") for q in questions}
        try:
            services.submit_response(invitation=invitation, answers=posted)
        except services.SurveyError as exc:
            error = str(exc)
        else:
            return redirect("surveys:thanks", token=token)
        given = posted
    else:
        response = getattr(invitation, "response", None)
        given = {}
        if response is not None:
            for a in response.answers.all():
                given[a.question_id] = str(a.number) if a.number is not None else a.text
    rows = [{"question": q, "value": str(given.get(q.pk, "") or ""),
             "scale": range(1, 6) if q.kind == "rating" else range(0, 11) if q.kind == "nps" else ()}
            for q in questions]
    return _private(render(request, "surveys/answer.html",
                           {"invitation": invitation, "rows": rows, "error": error, "token": token},
                           status=400 if error else 200))


@never_cache
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation, refusal = _invitation_or_refusal(request, token)
    if refusal is not None:
        return refusal
    return _private(render(request, "surveys/thanks.html", {"invitation": invitation, "token": token}))


@manager_required
def results(request: HttpRequest) -> HttpResponse:
    """The managers' results: rate, average and distribution, CSAT %, NPS, by dimension; comments."""
    form = ReportFilterForm(request.GET or None, user=request.user)
    filters = form.to_filters()
    dimension = request.GET.get("by") if request.GET.get("by") in DIMENSIONS else "department"
    totals = queries.report_figures(filters).get(None)
    grouped = queries.report_figures(filters, dimension)
    labels = dimension_labels(dimension, list(grouped))
    shown = label if dimension in NAMED else str
    by_rows = [{"key": k, "label": shown(labels.get(k, "—")), "f": f} for k, f in grouped.items()]
    by_rows.sort(key=lambda r: str(r["label"]))
    if request.GET.get("format") == "csv":
        return _csv(by_rows, dimension)
    comments = Paginator(queries.comments(filters), 25).get_page(request.GET.get("page"))
    return render(request, "surveys/results.html", {
        "form": form, "filters": filters, "totals": totals, "by_rows": by_rows, "dimension": dimension,
        "dimensions": list(DIMENSIONS), "distribution": queries.rating_distribution(filters), "comments": comments,
        "nav": "reports", "query": request.GET.urlencode(),
    })


def _csv(rows: list[dict], dimension: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="survey-results-by-{dimension}.csv"'
    writer = csv.writer(response)
    writer.writerow([dimension, "sent", "responses", "response_rate_pct", "average", "csat_pct", "nps", "promoters",
                     "passives", "detractors"])
    for r in rows:
        f = r["f"]
        writer.writerow([r["label"], f.sent, f.responses, _num(f.response_rate), _num(f.average, 2),
                         _num(f.csat_pct), _num(f.nps), f.promoters, f.passives, f.detractors])
    return response


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


