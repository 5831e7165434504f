"""Knowledge base: groups, articles, votes and views.

kb depends on no other app of ours. Visitors are identified by a string key ("u<user id>" for a
signed-in user, "a<random id>" from a signed cookie for an anonymous one), so votes and views
need no foreign key to crm. Articles are written through kb.services.save_article, which renders
the Markdown to sanitised HTML and refreshes the PostgreSQL search vector; the GIN indexes on
the vector and the trigram index on the title are created by a PostgreSQL-only migration.
"""

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Group slugs share /knowledge-base/<slug>/ with the fixed pages.
RESERVED_GROUP_SLUGS = frozenset({"article", "search", "suggest", "metrics", "group", "vote", "admin"})


def validate_group_slug(value: str) -> None:
    if value in RESERVED_GROUP_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved for a knowledge base page."), params={"slug": value})


class KBGroup(models.Model):
    """A section of the knowledge base ("Billing & Payments"); staff-only groups hide all their articles."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("slug"), max_length=120, unique=True, blank=True, validators=[validate_group_slug],
        help_text=_("Part of the group's address. Leave empty to derive it from the name."),
    )
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Lower numbers come first."))
    description = models.TextField(_("description"), blank=True)
    staff_only = models.BooleanField(
        _("staff only"), default=False, help_text=_("Only staff can see this group and its articles.")
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("KB group")
        verbose_name_plural = _("KB groups")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("kb:group", args=[self.slug])


class KBArticle(models.Model):
    """One article. Its public URL (/knowledge-base/article/<slug>/) does not depend on its group."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=200, unique=True, blank=True,
        help_text=_("The public link. Leave empty to derive it from the title; changing it breaks old links."),
    )
    group = models.ForeignKey(KBGroup, on_delete=models.PROTECT, related_name="articles", verbose_name=_("group"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    staff_only = models.BooleanField(
        _("staff only"), default=False, help_text=_("Only staff can see this article, whatever its group.")
    )
    body_markdown = models.TextField(_("body (Markdown)"))
    body_html = models.TextField(_("body (rendered)"), blank=True, editable=False)
    body_text = models.TextField(_("body (plain text)"), blank=True, editable=False)
    search_keywords = models.CharField(
        _("search phrases"), max_length=500, blank=True,
        help_text=_("Comma-separated words and phrases customers use for this topic, e.g. “forgot password, "
                    "can't log in”. They weigh like the title in search."),
    )
    related = models.ManyToManyField("self", blank=True, verbose_name=_("related articles"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    last_viewed_at = models.DateTimeField(_("last viewed"), null=True, blank=True, editable=False)
    helpful_yes = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    helpful_no = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)
    # Filled on PostgreSQL only: the whole article (title and search phrases weight A, body weight B),
    # and the title and phrases alone, small enough to rank thousands of matches quickly.
    search_vector = SearchVectorField(null=True, editable=False)
    title_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["group__order", "title"]
        verbose_name = _("KB article")
        verbose_name_plural = _("KB articles")
        indexes = [
            models.Index(fields=["status", "group"], name="kb_article_status_group"),
            models.Index(fields=["-view_count"], name="kb_article_views"),
            models.Index(fields=["last_viewed_at"], name="kb_article_last_viewed"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("kb:article", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_staff_only(self) -> bool:
        """True when the article or its group is hidden from customers."""
        return self.staff_only or self.group.staff_only

    @property
    def votes_total(self) -> int:
        return self.helpful_yes + self.helpful_no

    @property
    def negative_share(self) -> float:
        return self.helpful_no / self.votes_total if self.votes_total else 0.0


class KBVote(models.Model):
    """One visitor's answer to "Was this helpful?" on one article; changing it replaces it."""

    article = models.ForeignKey(KBArticle, on_delete=models.CASCADE, related_name="votes")
    visitor_key = models.CharField(max_length=64)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "visitor_key"], name="kb_vote_once_per_visitor")]
        verbose_name = _("KB vote")
        verbose_name_plural = _("KB votes")

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"


class KBView(models.Model):
    """A visitor read an article on a day. One row per article, visitor and day: reloads add nothing."""

    article = models.ForeignKey(KBArticle, on_delete=models.CASCADE, related_name="views")
    visitor_key = models.CharField(max_length=64)
    day = models.DateField()
    by_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "visitor_key", "day"], name="kb_view_once_per_visitor_day")
        ]
        indexes = [models.Index(fields=["day", "by_staff"], name="kb_view_day")]
        verbose_name = _("KB view")
        verbose_name_plural = _("KB views")

    def __str__(self) -> str:
        return f"{self.article_id} on {self.day}"
