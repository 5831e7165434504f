"""Knowledge base pages: public reading, votes, search, pickers and the manager's metrics.

Visibility is decided in kb.queries (404 for anything a visitor may not see). Staff read the same
pages inside the workspace layout, with drafts and staff-only content marked.
"""

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.access import manager_required
from kb import metrics, queries, services
from kb.search import search_articles
from kb.visitors import remember_visitor, visitor_key

PORTAL_BASE = "helpdesk/portal_base.html"
OPENED_SESSION_KEY = "kb_opened"
REF_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,31}")
STAFF_BASE = "helpdesk/staff_base.html"


def _context(request: HttpRequest, **extra: object) -> dict:
    staff = queries.is_staff(request.user)
    return {"nav": "kb", "is_staff": staff, "base_template": STAFF_BASE if staff else PORTAL_BASE, **extra}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    groups = [g for g in queries.groups_for(user=user) if g.article_count or queries.is_staff(user)]
    context = _context(request, groups=groups, popular=queries.popular_articles(user=user, limit=6))
    if getattr(user, "is_manager", False):
        context["drafts_to_review"] = queries.draft_count()
    return render(request, "kb/home.html", context)


@require_GET
def group(request: HttpRequest, slug: str) -> HttpResponse:
    kb_group = queries.get_group_for(user=request.user, slug=slug)
    articles = queries.group_articles(user=request.user, group=kb_group)
    return render(request, "kb/group.html", _context(request, group=kb_group, articles=articles))


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    kb_article = queries.get_article_for(user=request.user, slug=slug)
    key = visitor_key(request)
    if kb_article.is_published:
        services.record_view(article=kb_article, visitor_key=key, by_staff=queries.is_staff(request.user))
        _remember_opened_from(request, kb_article)
    context = _context(
        request,
        article=kb_article,
        related=queries.related_articles(user=request.user, article=kb_article),
        vote=queries.visitor_vote(article=kb_article, visitor_key=key),
        voted_now=False,
    )
    return remember_visitor(request, render(request, "kb/article.html", context))


def _remember_opened_from(request: HttpRequest, kb_article: object) -> None:
    """Note in the session which articles a visitor opened from a suggestion list (`?ref=ticket-form`).

    The portal reads `kb_opened` when the visitor leaves the ticket form without submitting it,
    to count a deflected ticket; kb only records what was opened, and from where.
    """
    ref = request.GET.get("ref", "")
    if not REF_PATTERN.fullmatch(ref):
        return
    opened = [o for o in request.session.get(OPENED_SESSION_KEY, []) if o.get("article_id") != kb_article.pk]
    opened.append({"article_id": kb_article.pk, "ref": ref, "at": timezone.now().isoformat()})
    request.session[OPENED_SESSION_KEY] = opened[-20:]


@require_POST
def vote(request: HttpRequest, slug: str) -> HttpResponse:
    """Record "Was this helpful?"; htmx gets the vote box back, a plain form post a redirect."""
    kb_article = queries.get_article_for(user=request.user, slug=slug)
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no") or not kb_article.is_published:
        return HttpResponseBadRequest(_("Answer yes or no."))
    helpful = answer == "yes"
    services.record_vote(article=kb_article, visitor_key=visitor_key(request), helpful=helpful)
    if request.htmx:
        context = _context(request, article=kb_article, vote=helpful, voted_now=True)
        return remember_visitor(request, render(request, "kb/article.html#vote", context))
    messages.success(request, _("Thank you for your feedback!"))
    return remember_visitor(request, redirect(kb_article.get_absolute_url() + "#vote"))


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    hits = search_articles(q, include_staff_only=queries.is_staff(request.user), limit=20) if q else []
    context = _context(request, q=q, search_q=q, hits=hits)
    if request.htmx:
        return render(request, "kb/search.html#results", context)
    return render(request, "kb/search.html", context)


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Return matching articles as an HTML list (htmx) or JSON (`format=json`), for pickers and suggestions.

    Staff get staff-only articles too when they ask with include_staff=1; `mode=picker` adds an
    "Insert link" button per article (the agent's reply box); `ref=ticket-form` is carried into
    the article links, so the article page can note that it was opened from the suggestions.
    """
    # `subject` too, so the portal's ticket subject field can ask directly with hx-get.
    q = (request.GET.get("q") or request.GET.get("subject") or "").strip()[:200]
    include_staff = request.GET.get("include_staff") == "1" and queries.is_staff(request.user)
    try:
        limit = max(1, min(int(request.GET.get("limit", 5)), 10))
    except ValueError:
        limit = 5
    hits = search_articles(q, include_staff_only=include_staff, limit=limit) if q else []
    wants_json = request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", "")
    if wants_json:
        return JsonResponse(
            {
                "query": q,
                "results": [
                    {"id": h.id, "title": h.title, "url": h.url, "group": h.group, "snippet": str(h.snippet),
                     "rank": round(h.rank, 4), "staff_only": h.staff_only}
                    for h in hits
                ],
            }
        )
    ref = request.GET.get("ref", "")
    context = {"q": q, "hits": hits, "picker": request.GET.get("mode") == "picker",
               "ref": ref if REF_PATTERN.fullmatch(ref) else ""}
    return render(request, "kb/suggest.html", context)


@manager_required
def metrics_page(request: HttpRequest) -> HttpResponse:
    context = _context(request, **metrics.overview())
    context["base_template"] = STAFF_BASE
    return render(request, "kb/metrics.html", context)
