"""Entry pages: the root page that sends people to the right login, login/logout, health."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from crm import services as crm_services
from helpdesk.health import run_checks


def home(request: HttpRequest) -> HttpResponse:
    """Send staff to the workspace, contacts to the portal, everyone else to a choice of logins."""
    user = request.user
    if user.is_authenticated and user.is_staff:
        return redirect("/staff/")
    if user.is_authenticated and getattr(user, "contact", None) is not None:
        return redirect("/portal/")
    return render(request, "helpdesk/home.html")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def health(request: HttpRequest) -> JsonResponse:
    """Report database, cache, broker, worker and beat (`?only=database,cache` for some): 200
    when all pass, 503 otherwise (helpdesk/health.py)."""
    names = [n.strip() for n in request.GET.get("only", "").split(",") if n.strip()] or None
    results = run_checks(names)
    healthy = all(r.ok for r in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "fail",
         "checks": {name: {"ok": r.ok, "detail": r.detail} for name, r in results.items()}},
        status=200 if healthy else 503,
    )


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _login_page(request: HttpRequest, *, staff: bool) -> HttpResponse:
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        allowed = user.is_staff if staff else getattr(user, "contact", None) is not None
        if allowed and not staff and not user.contact.portal_access:
            allowed = False
        if not allowed:
            form.add_error(
                None,
                _("This account cannot sign in here. Use the %(other)s login.")
                % {"other": _("client portal") if staff else _("staff")},
            )
        else:
            login(request, user)
            return redirect(_safe_next(request, "/staff/" if staff else "/portal/"))
    template = "helpdesk/staff_login.html" if staff else "helpdesk/portal_login.html"
    return render(request, template, {"form": form, "next": request.GET.get("next", "")})


def staff_login(request: HttpRequest) -> HttpResponse:
    return _login_page(request, staff=True)


def portal_login(request: HttpRequest) -> HttpResponse:
    return _login_page(request, staff=False)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    staff = request.user.is_authenticated and request.user.is_staff
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("/staff/login/" if staff else "/authentication/login/")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the pages' language (the user menu's switcher): kept on the signed-in person's
    profile so it follows them to any browser, and in the language cookie for everyone."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        crm_services.set_language(user=request.user, language=language)
    return django_set_language(request)
