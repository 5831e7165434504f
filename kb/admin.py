"""Configuration console for the knowledge base (managers): groups and articles.

Saves go through kb.services so the Markdown is rendered, sanitised and indexed for search.
"""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kb import services
from kb.models import KBArticle, KBGroup


@admin.register(KBGroup)
class KBGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "staff_only", "article_count"]
    list_editable = ["order"]
    list_filter = ["staff_only"]
    search_fields = ["name", "description"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[KBGroup]:
        return super().get_queryset(request).annotate(n_articles=Count("articles"))

    @admin.display(description=_("articles"), ordering="n_articles")
    def article_count(self, obj: KBGroup) -> int:
        return obj.n_articles

    def save_model(self, request: HttpRequest, obj: KBGroup, form: object, change: bool) -> None:
        services.save_group(
            group=obj, name=obj.name, slug=obj.slug, order=obj.order, description=obj.description,
            staff_only=obj.staff_only,
        )


@admin.register(KBArticle)
class KBArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "status", "staff_only", "view_count", "helpful_yes", "helpful_no", "updated_at"]
    list_filter = ["status", "group", "staff_only"]
    search_fields = ["title", "search_keywords", "body_markdown"]
    list_select_related = ["group"]
    filter_horizontal = ["related"]
    readonly_fields = ["view_count", "helpful_yes", "helpful_no", "created_at", "updated_at", "published_at"]
    fields = [
        "title", "slug", "group", "status", "staff_only", "search_keywords", "body_markdown", "related",
        "view_count", "helpful_yes", "helpful_no", "created_at", "updated_at", "published_at",
    ]
    view_on_site = True

    def save_model(self, request: HttpRequest, obj: KBArticle, form: object, change: bool) -> None:
        services.save_article(
            article=obj, title=obj.title, group=obj.group, body_markdown=obj.body_markdown, slug=obj.slug,
            status=obj.status, staff_only=obj.staff_only, search_keywords=obj.search_keywords,
        )
