"""Admin registrations of the CRM: the manager's console for clients and contacts."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm import services
from crm.models import Contact


@admin.action(description=_("Send portal invitation"), permissions=["change"])
def send_portal_invitation(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
    """Email each selected contact a link to set their portal password (creating the login)."""
    sent = 0
    for contact in queryset:
        try:
            services.invite_contact(contact=contact, invited_by=request.user)
        except services.InvitationError as exc:
            modeladmin.message_user(request, str(exc), messages.WARNING)
        else:
            sent += 1
    if sent:
        modeladmin.message_user(
            request,
            ngettext("Sent %(n)d portal invitation.", "Sent %(n)d portal invitations.", sent) % {"n": sent},
            messages.SUCCESS,
        )


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("__str__", "client", "is_primary", "portal_access", "has_login", "is_active")
    list_filter = ("is_primary", "portal_access", "is_active")
    search_fields = ("first_name", "last_name", "email", "client__name")
    list_select_related = ("client", "user")
    raw_id_fields = ("client", "user")
    actions = [send_portal_invitation]

    @admin.display(boolean=True, description=_("portal login"))
    def has_login(self, obj: Contact) -> bool:
        return obj.user_id is not None
