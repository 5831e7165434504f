"""Sign-in throttling that cannot lock everyone out (django-axes, configured in settings).

Two counters, over the cool-off window:
- failures for one username from one IP: AXES_FAILURE_LIMIT (5) locks that username at that IP;
- failures from one IP whatever the username: HELPDESK_LOGIN_IP_FAILURE_LIMIT (50) locks the IP.
So five wrong guesses at made-up addresses from an office's shared IP lock those addresses only,
not every colleague and customer behind it.

The client IP is REMOTE_ADDR, unless REMOTE_ADDR is one of HELPDESK_TRUSTED_PROXIES: then the
rightmost X-Forwarded-For address that is not itself a trusted proxy (anyone can write the
header; only our own proxy's word counts).
"""

import ipaddress
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

SCOPE_USER = "username"
SCOPE_IP = "ip"


def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for raw in settings.HELPDESK_TRUSTED_PROXIES:
        try:
            networks.append(ipaddress.ip_network(raw, strict=False))
        except ValueError:
            continue
    return networks


def _trusted(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """Return the client's IP: X-Forwarded-For only when the peer is a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks()
    if not networks or not _trusted(remote, networks):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote
    return hops[0] if hops else remote


def lockout_parameters(request: object, credentials: dict | None = None) -> list:
    """Count per username+IP and per IP (the two counters above)."""
    return [["username", "ip_address"], "ip_address"]


class ThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with a separate, higher limit for the per-IP counter."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        per_user, per_ip = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if per_ip >= settings.HELPDESK_LOGIN_IP_FAILURE_LIMIT:
            request.axes_lock_scope = SCOPE_IP
            return max(per_user, settings.AXES_FAILURE_LIMIT)
        request.axes_lock_scope = SCOPE_USER
        return per_user


def lockout_response(request: HttpRequest, original_response: object = None,
                     credentials: dict | None = None) -> HttpResponse:
    """Say truthfully what was locked (this address for this username, or the whole network
    address) and for how long, in the product's look, with a way back."""
    minutes = int(timedelta(hours=settings.AXES_COOLOFF_TIME).total_seconds() // 60)
    scope = getattr(request, "axes_lock_scope", SCOPE_USER)
    path = getattr(request, "path", "") or ""
    if path.startswith("/staff/") or path.startswith("/admin/"):
        back = "/staff/login/"
    else:
        back = "/authentication/login/"
    context = {
        "scope": scope,
        "username": get_client_username(request, credentials) or "",
        "minutes": minutes,
        "back_url": back,
        "user_limit": settings.AXES_FAILURE_LIMIT,
        "ip_limit": settings.HELPDESK_LOGIN_IP_FAILURE_LIMIT,
    }
    return render(request, "helpdesk/locked_out.html", context, status=429)
