"""Password reset by email for portal users (and anyone else with a login).

Django's own views, with two changes: links in the email are built from SITE_URL (never from the
request's Host header), and contacts who were invited but never set a password can ask for a
new link too (Django's form skips users without a usable password).
"""

from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse
from django.urls import reverse_lazy


class PortalPasswordResetForm(PasswordResetForm):
    def get_users(self, email: str) -> Iterator[object]:
        """Return active users with this email: with a password, or invited contacts without one."""
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        for user in users:
            contact = getattr(user, "contact", None)
            if user.has_usable_password() or (contact is not None and contact.portal_access):
                yield user


class PortalPasswordResetView(auth_views.PasswordResetView):
    form_class = PortalPasswordResetForm
    template_name = "helpdesk/password_reset_form.html"
    email_template_name = "helpdesk/email/password_reset.txt"
    subject_template_name = "helpdesk/email/password_reset_subject.txt"
    success_url = reverse_lazy("portal_auth:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


password_reset = PortalPasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="helpdesk/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="helpdesk/password_reset_confirm.html",
    success_url=reverse_lazy("portal_auth:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="helpdesk/password_reset_complete.html"
)
