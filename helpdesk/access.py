"""Who may enter which part: staff pages for staff, portal pages for contacts.

Decorators for views; the object-level checks live in each app's queries module.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Let only active staff in; anonymous users go to the staff login, contacts get 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "/staff/login/")
        if not (user.is_active and user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view: View) -> View:
    """Let only managers (role manager or superuser) in."""

    @wraps(view)
    @staff_required
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_manager:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def contact_required(view: View) -> View:
    """Let only contacts with portal access in; others go to the portal login."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        user = request.user
        contact = getattr(user, "contact", None) if user.is_authenticated else None
        if contact is None or not (contact.portal_access and contact.is_active and user.is_active):
            return redirect_to_login(request.get_full_path(), "/authentication/login/")
        request.contact = contact
        return view(request, *args, **kwargs)

    return wrapper
