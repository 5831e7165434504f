"""Who is reading: a stable key per visitor for votes and view counting.

A signed-in user is "u<id>". An anonymous visitor gets a random id in a signed cookie
(`kb_visitor`), so a forged or edited cookie is ignored and replaced rather than trusted.
"""

import secrets

from django.http import HttpRequest, HttpResponse

COOKIE = "kb_visitor"
_SALT = "kb.visitor"
_MAX_AGE = 365 * 24 * 3600


def visitor_key(request: HttpRequest) -> str:
    """Return the visitor key of this request, minting an anonymous id if there is none yet."""
    cached = getattr(request, "_kb_visitor_key", None)
    if cached:
        return cached
    user = request.user
    if user.is_authenticated:
        key = f"u{user.pk}"
    else:
        anon = request.get_signed_cookie(COOKIE, default=None, salt=_SALT)
        if not anon:
            anon = secrets.token_hex(12)
            request._kb_new_visitor = anon
        key = f"a{anon}"
    request._kb_visitor_key = key
    return key


def remember_visitor(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Set the anonymous visitor cookie on the response when this request minted a new id."""
    anon = getattr(request, "_kb_new_visitor", None)
    if anon:
        response.set_signed_cookie(COOKIE, anon, salt=_SALT, max_age=_MAX_AGE, httponly=True, samesite="Lax")
    return response
