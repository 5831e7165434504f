"""Admin for clients, contacts, staff and the client file's records (the manager's console).

crm depends on no other app, so a staff member's departments are edited on the Department page.
"""


from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm import services
from crm.models import (
    Activity,
    Announcement,
    Client,
    Contact,
    Contract,
    DeliveryNote,
    DeliveryReturn,
    DeliveryReturnLine,
    Invoice,
    Lead,
    Opportunity,
    Order,
    OrderLine,
    StaffProfile,
    User,
)


class HttpsURLs:
    """URLs typed without a scheme are taken as https:// (Django 6's default, chosen now)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


# --- users and staff -----------------------------------------------------------------------


def _clean_unique_email(form: forms.ModelForm) -> str:
    email = User.objects.normalize_email(form.cleaned_data.get("email") or "").lower()
    clash = User.objects.filter(email__iexact=email)
    if form.instance.pk:
        clash = clash.exclude(pk=form.instance.pk)
    if clash.exists():
        raise forms.ValidationError(_("Another user already signs in with this email address."))
    return email


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "timezone")

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    extra = 0
    max_num = 1
    verbose_name_plural = _("staff profile (role, signature)")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    inlines = [StaffProfileInline]
    list_display = ("email", "full_name", "is_staff", "role", "is_superuser", "is_active", "timezone", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "staff_profile__role", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "timezone", "language")}),
        (
            _("Access"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "description": _(
                    "Staff members sign in at /staff/; customers are users linked to a contact and "
                    "sign in at /authentication/login/. Departments are set on each department's page."
                ),
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "timezone", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).select_related("staff_profile")

    @admin.display(description=_("role"), ordering="staff_profile__role")
    def role(self, obj: User) -> str:
        profile = getattr(obj, "staff_profile", None)
        return profile.get_role_display() if profile else "—"

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list:
        # The profile belongs to staff only; a new user gets it once saved as staff.
        return self.inlines if obj is not None and obj.is_staff else []


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "is_available")
    list_filter = ("role", "is_available")
    list_editable = ("is_available",)
    search_fields = ("user__email", "user__full_name")
    autocomplete_fields = ("user",)
    ordering = ("user__email",)


# --- clients and their file ----------------------------------------------------------------


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("first_name", "last_name", "email", "phone", "job_title", "is_primary", "portal_access", "is_active")
    show_change_link = True


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    fields = ("subject", "sla_tier", "start_on", "end_on", "value", "currency")
    show_change_link = True


@admin.register(Client)
class ClientAdmin(HttpsURLs, admin.ModelAdmin):
    list_display = ("name", "tier", "phone", "account_manager", "contact_count", "overdue_invoices", "is_active")
    list_filter = ("tier", "is_active")
    search_fields = ("name", "vat_number", "contacts__email", "contacts__last_name")
    ordering = ("name",)
    inlines = [ContactInline, ContractInline]
    autocomplete_fields = ("account_manager",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Client]:
        return (
            super()
            .get_queryset(request)
            .select_related("account_manager")
            .annotate(
                _contacts=Count("contacts", distinct=True),
                _overdue=Count(
                    "invoices",
                    filter=Q(
                        invoices__status=Invoice.Status.UNPAID,
                        invoices__paid_on__isnull=True,
                        invoices__due_on__lt=timezone.localdate(),
                    ),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=_("contacts"), ordering="_contacts")
    def contact_count(self, obj: Client) -> int:
        return obj._contacts

    @admin.display(description=_("overdue invoices"), ordering="_overdue")
    def overdue_invoices(self, obj: Client) -> int:
        return obj._overdue


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    actions = ["send_portal_invitation"]
    list_display = ("full_name", "email", "client", "phone", "is_primary", "portal_access", "has_login", "is_active")
    list_filter = ("is_primary", "portal_access", "is_active", "client__tier")
    search_fields = ("first_name", "last_name", "email", "phone", "client__name")
    ordering = ("first_name", "last_name")
    autocomplete_fields = ("client", "user")
    list_select_related = ("client",)

    @admin.display(description=_("name"), ordering="first_name")
    def full_name(self, obj: Contact) -> str:
        return obj.full_name

    @admin.display(description=_("portal login"), boolean=True)
    def has_login(self, obj: Contact) -> bool:
        return obj.user_id is not None

    @admin.action(description=_("Send portal invitation"), permissions=["change"])
    def send_portal_invitation(self, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
        """Email each selected contact a link to set their portal password (creating the login)."""
        sent = 0
        for contact in queryset:
            try:
                services.invite_contact(contact=contact, invited_by=request.user)
            except services.InvitationError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext("Sent %(n)d portal invitation.", "Sent %(n)d portal invitations.", sent) % {"n": sent},
                messages.SUCCESS,
            )


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
        overdue = Q(status=Invoice.Status.UNPAID, paid_on__isnull=True, due_on__lt=timezone.localdate())
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("number", "client", "amount", "currency", "issued_on", "due_on", "paid_on", "status_display")
    list_filter = (OverdueFilter, "status", "currency")
    search_fields = ("number", "client__name")
    ordering = ("-issued_on",)
    date_hierarchy = "issued_on"
    autocomplete_fields = ("client",)
    list_select_related = ("client",)

    def save_model(self, request: HttpRequest, obj: Invoice, form: forms.ModelForm, change: bool) -> None:
        """Issued, paid or cancelled invoices appear on the client's Activity tab."""
        old_status = form.initial.get("status", "") if change else ""
        super().save_model(request, obj, form, change)
        services.record_invoice_saved(invoice=obj, created=not change, old_status=old_status, actor=request.user)

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: Invoice) -> str:
        if obj.is_overdue:
            return render_to_string("crm/admin/_overdue.html", {"label": obj.display_status})
        return obj.display_status


class DeliveryNoteInline(HttpsURLs, admin.TabularInline):
    model = DeliveryNote
    extra = 0
    fields = ("awb_number", "carrier", "tracking_url", "shipped_at", "delivered_at")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "client", "status", "summary", "total", "ordered_at")
    list_filter = ("status",)
    search_fields = ("number", "summary", "client__name", "delivery_notes__awb_number")
    ordering = ("-ordered_at",)
    date_hierarchy = "ordered_at"
    autocomplete_fields = ("client",)
    list_select_related = ("client",)
    def get_inlines(self, request: HttpRequest, obj: Order | None) -> list:
        return [DeliveryNoteInline, OrderLineInline]  # OrderLineInline is defined below


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ("sku", "description", "quantity", "unit_price")


class DeliveryReturnLineInline(admin.TabularInline):
    model = DeliveryReturnLine
    extra = 0
    fields = ("description", "quantity")
    readonly_fields = ("description", "quantity")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DeliveryReturn)
class DeliveryReturnAdmin(admin.ModelAdmin):
    """Returns are created from a ticket or the order page; the warehouse marks them received."""

    list_display = ("pk", "order", "status", "ticket_number", "created_by", "created_at", "received_at")
    list_filter = ("status",)
    search_fields = ("order__number", "order__client__name", "reason")
    readonly_fields = ("order", "reason", "status", "ticket_number", "created_by", "created_at", "received_at")
    inlines = [DeliveryReturnLineInline]
    actions = ["mark_received"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Mark the selected returns received"), permissions=["change"])
    def mark_received(self, request: HttpRequest, queryset: QuerySet[DeliveryReturn]) -> None:
        done, skipped = 0, []
        for delivery_return in queryset:
            try:
                services.set_return_status(delivery_return=delivery_return, status=DeliveryReturn.Status.RECEIVED,
                                           actor=request.user)
            except services.CrmError as exc:
                skipped.append(str(exc))
            else:
                done += 1
        self.message_user(request, _("Marked received: %(n)d.") % {"n": done}, messages.SUCCESS)
        if skipped:
            self.message_user(request, " ".join(skipped), messages.WARNING)


@admin.register(DeliveryNote)
class DeliveryNoteAdmin(HttpsURLs, admin.ModelAdmin):
    list_display = ("awb_number", "carrier", "order", "shipped_at", "delivered_at", "tracking")
    list_filter = ("carrier",)
    search_fields = ("awb_number", "order__number", "order__client__name")
    ordering = ("-shipped_at",)
    autocomplete_fields = ("order",)
    list_select_related = ("order",)

    @admin.display(description=_("tracking"))
    def tracking(self, obj: DeliveryNote) -> str:
        if not obj.tracking_url:
            return "—"
        return render_to_string("crm/admin/_tracking.html", {"url": obj.tracking_url, "label": _("track")})


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ("subject", "client", "sla_tier", "start_on", "end_on", "value", "currency", "active")
    list_filter = ("sla_tier",)
    search_fields = ("subject", "client__name")
    ordering = ("-start_on",)
    autocomplete_fields = ("client",)
    list_select_related = ("client",)

    @admin.display(description=_("active"), boolean=True)
    def active(self, obj: Contract) -> bool:
        return obj.is_active


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ("name", "client", "stage", "value", "currency", "owner", "created_at")
    list_filter = ("stage",)
    search_fields = ("name", "client__name")
    ordering = ("-created_at",)
    autocomplete_fields = ("client", "owner")
    list_select_related = ("client", "owner")

    def save_model(self, request: HttpRequest, obj: Opportunity, form: forms.ModelForm, change: bool) -> None:
        """New opportunities and stage changes appear on the client's Activity tab."""
        old_stage = form.initial.get("stage", "") if change else ""
        super().save_model(request, obj, form, change)
        services.record_opportunity_saved(opportunity=obj, created=not change, old_stage=old_stage,
                                          actor=request.user)


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "email", "phone", "source", "status", "owner", "created_at")
    list_filter = ("status", "source")
    search_fields = ("name", "company", "email", "phone")
    ordering = ("-created_at",)
    autocomplete_fields = ("owner",)
    list_select_related = ("owner",)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("created_at", "client", "actor", "kind", "short_description")
    list_filter = ("kind",)
    search_fields = ("description", "client__name")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    autocomplete_fields = ("client", "actor")
    list_select_related = ("client", "actor")

    @admin.display(description=_("description"))
    def short_description(self, obj: Activity) -> str:
        return obj.description[:100]


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ("title", "for_customers", "for_staff", "client", "starts_at", "ends_at", "is_current")
    list_filter = ("for_customers", "for_staff")
    search_fields = ("title", "body")
    ordering = ("-starts_at",)
    autocomplete_fields = ("client",)

    @admin.display(description=_("shown now"), boolean=True)
    def is_current(self, obj: Announcement) -> bool:
        now = timezone.now()
        return obj.starts_at <= now and (obj.ends_at is None or obj.ends_at > now)
