"""The survey builder (Django admin is the configuration console): surveys with their questions
inline; invitations and responses are read-only records."""

from django.contrib import admin

from surveys.models import Answer, Invitation, Question, Response, Survey


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 1
    fields = ("order", "kind", "text", "required", "choices", "is_active")
    ordering = ("order", "id")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "is_active", "is_default")
    list_filter = ("is_active",)
    inlines = [QuestionInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("ticket", "survey", "email", "channel", "sent_at", "expires_at", "answered_at")
    list_filter = ("survey", "channel")
    search_fields = ("email", "ticket__id")
    raw_id_fields = ("ticket", "contact")
    readonly_fields = ("survey", "ticket", "contact", "email", "channel", "sent_at", "expires_at", "answered_at")
    exclude = ("token_hash",)

    def has_add_permission(self, request: object) -> bool:
        return False


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    readonly_fields = ("question", "number", "text")
    can_delete = False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("invitation", "rating", "nps", "submitted_at")
    list_filter = ("rating",)
    readonly_fields = ("invitation", "rating", "nps", "comment", "submitted_at", "updated_at")
    inlines = [AnswerInline]

    def has_add_permission(self, request: object) -> bool:
        return False


