"""Writes of the CRM app. crm depends on no other app of ours."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from crm.models import Contact, User


class InvitationError(Exception):
    """The contact cannot be invited; the message says why and is safe to show."""


def set_password_url(*, user: User) -> str:
    """Return the absolute one-time link where this user chooses a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("portal_auth:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def invite_contact(*, contact: Contact, invited_by: User | None = None) -> User:
    """Give a contact a portal login and email them a link to choose their password.

    Creates the User (email = the contact's, no usable password) if the contact has none, links
    it, and turns portal access on. A contact who already has a login gets a fresh link (their
    current password keeps working until they choose a new one). Refused for inactive contacts
    and for an address that belongs to staff or to another contact. The email is sent after commit.
    """
    contact = Contact.objects.select_for_update(of=("self",)).select_related("client", "user").get(pk=contact.pk)
    if not contact.is_active:
        raise InvitationError(_("%(contact)s is inactive.") % {"contact": contact})
    user = contact.user
    if user is None:
        user = User.objects.filter(email__iexact=contact.email).first()
        if user is not None and (user.is_staff or hasattr(user, "contact")):
            raise InvitationError(
                _("The address %(email)s already belongs to another login.") % {"email": contact.email}
            )
        if user is None:
            user = User.objects.create_user(
                email=contact.email, password=None, full_name=contact.full_name, timezone=contact.timezone or "UTC"
            )
        contact.user = user
    if not user.is_active:
        raise InvitationError(_("The login of %(contact)s is disabled.") % {"contact": contact})
    contact.portal_access = True
    contact.save(update_fields=["user", "portal_access"])

    context = {
        "contact": contact,
        "client": contact.client,
        "invited_by": invited_by,
        "url": set_password_url(user=user),
        "login_url": f"{settings.SITE_URL}{reverse('portal_auth:login')}",
        "site_url": settings.SITE_URL,
    }
    subject = render_to_string("crm/email/portal_invitation_subject.txt", context).strip()
    body = render_to_string("crm/email/portal_invitation.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [contact.email], fail_silently=False)
    )
    return user
