""""Create KB article from this ticket": an agent drafts an article prefilled from the public
thread, removes the personal data, and saves it as a draft a manager reviews and publishes in the
configuration console (Knowledge base > Articles, status Draft)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from helpdesk.access import staff_required
from tickets.models import TicketMessage
from tickets.workspace import queries
from tickets.workspace.forms_desk import KBDraftForm


def _prefill(ticket: object) -> str:
    """Return a Markdown draft from the public thread: the question, then the staff answers."""
    parts = []
    for message in queries.ticket_messages(ticket=ticket):
        if message.kind == TicketMessage.Kind.CUSTOMER and not parts:
            parts.append(f"## {_('Problem')}\n\n{message.body_text.strip()}")
        elif message.kind == TicketMessage.Kind.STAFF:
            parts.append(f"## {_('Solution')}\n\n{message.body_text.strip()}")
    return "\n\n".join(parts)


@staff_required
def kb_draft(request: HttpRequest, number: int) -> HttpResponse:
    """Show the prefilled draft form; save it as a KB draft for a manager to publish."""
    from kb.models import KBArticle, KBGroup
    from kb.services import save_article

    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    groups = list(KBGroup.objects.order_by("order", "name"))
    if request.method == "POST":
        form = KBDraftForm(request.POST, groups=groups)
        if form.is_valid():
            data = form.cleaned_data
            group = next(g for g in groups if g.pk == data["group"])
            article = save_article(title=data["title"], group=group, body_markdown=data["body"],
                                   status=KBArticle.Status.DRAFT)
            messages.success(request, _("Draft “%(title)s” saved: a manager reviews and publishes it.")
                             % {"title": article.title})
            return redirect(ticket)
    else:
        form = KBDraftForm(initial={"title": ticket.subject, "body": _prefill(ticket)}, groups=groups)
    return render(request, "tickets/kb_draft.html", {"ticket": ticket, "form": form, "nav": "tickets"},
                  status=400 if form.errors else 200)
