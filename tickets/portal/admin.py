"""Admin views of what the portal records: KB deflections (read-only, for the deflection rate)."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tickets.models import Deflection


@admin.register(Deflection)
class DeflectionAdmin(admin.ModelAdmin):
    list_display = ("opened_at", "contact", "article_title", "query", "deflected")
    list_filter = ("opened_at",)
    search_fields = ("article_title", "article_url", "query", "contact__email")
    list_select_related = ("contact",)
    date_hierarchy = "opened_at"
    readonly_fields = ("contact", "form_session", "article_url", "article_title", "query", "opened_at", "ticket")

    @admin.display(boolean=True, description=_("deflected"))
    def deflected(self, obj: Deflection) -> bool:
        return obj.is_deflected

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
