"""Callbacks in the configuration console: read and search; changes go through the staff pages."""

from django.contrib import admin

from appointments.models import Callback


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("ticket", "agent", "starts_at", "status", "reminder_sent_at", "sequence")
    list_filter = ("status",)
    search_fields = ("ticket__subject", "agent__email", "uid")
    raw_id_fields = ("ticket", "agent", "created_by")
    readonly_fields = ("uid", "sequence", "remind_at", "reminder_sent_at", "created_at", "updated_at", "closed_at")

    def has_add_permission(self, request: object) -> bool:
        return False  # booked from a ticket, so the customer is told and the history records it
