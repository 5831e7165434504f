"""Opening a ticket from the portal, with KB suggestions while the customer types the subject.

Deflection: each suggestion links to `open_suggestion`, which records the article opened (with
the form's session token and what was typed) and redirects to the article. If the customer then
submits the same form, those rows are marked as submitted anyway; otherwise they count as a
deflected ticket (tickets.portal.queries.deflection_stats).
"""

import secrets
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from helpdesk.access import contact_required
from tickets.exceptions import AttachmentRejected, CustomFieldError, TicketError
from tickets.portal import services as portal_services
from tickets.portal.forms import CF_PREFIX, PortalTicketForm, new_attachments

try:  # The knowledge base app provides search; without it the form simply suggests nothing.
    from kb.search import search_articles
except ImportError:  # pragma: no cover - only before the kb app's search lands
    search_articles = None

KB_PREFIX = "/knowledge-base/"
MIN_QUERY = 3
MAX_SUGGESTIONS = 5


def suggest_articles(query: str) -> list[object]:
    """Return public KB articles matching what the customer typed (nothing if kb is absent)."""
    query = (query or "").strip()
    if search_articles is None or len(query) < MIN_QUERY:
        return []
    return list(search_articles(query, include_staff_only=False, limit=MAX_SUGGESTIONS))


def _suggestion_link(hit: object, *, query: str, form_session: str) -> str:
    params = {"u": hit.url, "t": hit.title, "q": query[:255], "fs": form_session, "from": "ticket-form"}
    return "/portal/tickets/new/opened/?" + urlencode(params)


def _suggestions_context(query: str, form_session: str) -> dict[str, object]:
    hits = suggest_articles(query)
    return {
        "suggestions": [(hit, _suggestion_link(hit, query=query, form_session=form_session)) for hit in hits],
        "query": query,
    }


@contact_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PortalTicketForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = portal_services.submit_portal_ticket(
                    contact=request.contact,
                    department=data["department"],
                    subject=data["subject"],
                    body_text=data["message"],
                    priority=data.get("priority"),
                    service=data.get("service"),
                    custom_values=data["custom_raw"],
                    attachments=new_attachments(data["attachments"]),
                    form_session=data.get("form_session") or "",
                )
            except CustomFieldError as exc:
                for slug, message in exc.errors.items():
                    form.add_error(CF_PREFIX + slug if CF_PREFIX + slug in form.fields else None, message)
            except AttachmentRejected as exc:
                form.add_error("attachments", str(exc))
            except TicketError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Ticket #%(n)s is open. We will answer by email and here.") % {"n": ticket.pk}
                )
                return redirect("portal:ticket_detail", number=ticket.pk)
        status = 400
        form_session = request.POST.get("form_session") or secrets.token_urlsafe(16)
    else:
        form_session = secrets.token_urlsafe(16)
        form = PortalTicketForm(initial={"form_session": form_session, "subject": request.GET.get("subject", "")[:255]})
        status = 200
    context = {
        "form": form,
        "form_session": form_session,
        "nav": "new",
        "kb_enabled": search_articles is not None,
        **_suggestions_context(form["subject"].value() or "", form_session),
    }
    return render(request, "tickets/portal/ticket_new.html", context, status=status)


@contact_required
def ticket_suggestions(request: HttpRequest) -> HttpResponse:
    """The htmx fragment of KB articles matching the subject typed so far."""
    query = request.GET.get("subject", "")[:255]
    form_session = request.GET.get("form_session", "")[:64]
    return render(request, "tickets/portal/ticket_new.html#suggestions", _suggestions_context(query, form_session))


def _article_path(url: str) -> str:
    """Return the local path of a KB article URL, or raise Http404 for anything else.

    Only the path is kept, so the redirect always stays on this site (no open redirect).
    """
    parts = urlsplit(url or "")
    path = parts.path
    if parts.scheme not in ("", "http", "https") or not path.startswith(KB_PREFIX) or "//" in path or ".." in path:
        raise Http404
    return path


@contact_required
def open_suggestion(request: HttpRequest) -> HttpResponse:
    """Record that a suggested article was opened from the ticket form, then show the article."""
    path = _article_path(request.GET.get("u", ""))
    form_session = request.GET.get("fs", "")
    if form_session and request.GET.get("from") == "ticket-form":
        portal_services.record_deflection(
            contact=request.contact,
            form_session=form_session,
            article_url=path,
            article_title=request.GET.get("t", ""),
            query=request.GET.get("q", ""),
        )
    # kb notes articles opened with ?ref=… in the session; the redirect says where this came from.
    return redirect(f"{path}?ref=ticket-form")
