"""Links and panels other apps add to the agent's pages, so tickets imports none of them.

An app (appointments) registers from its AppConfig.ready():
- a ticket action: a link on the ticket page to one of its own pages (`url_name` takes the
  ticket number);
- a ticket panel: a template included in the ticket page's side column, with the data its
  `context(user=..., ticket=...)` function returns (None hides the panel);
- a queue panel: the same above the queue, with `context(user=...)`.
The functions are called once per page view; they must issue a fixed number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class TicketAction:
    key: str
    label: Promise | str
    url_name: str


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[..., dict[str, Any] | None]


_ticket_actions: dict[str, TicketAction] = {}
_ticket_panels: dict[str, Panel] = {}
_queue_panels: dict[str, Panel] = {}


def register_ticket_action(*, key: str, label: Promise | str, url_name: str) -> None:
    """Add (or replace) a link on the ticket page."""
    _ticket_actions[key] = TicketAction(key=key, label=label, url_name=url_name)


def register_ticket_panel(*, key: str, template: str, context: Callable[..., dict[str, Any] | None]) -> None:
    """Add (or replace) a panel in the ticket page's side column."""
    _ticket_panels[key] = Panel(key=key, template=template, context=context)


def register_queue_panel(*, key: str, template: str, context: Callable[..., dict[str, Any] | None]) -> None:
    """Add (or replace) a panel above the queue."""
    _queue_panels[key] = Panel(key=key, template=template, context=context)


def ticket_actions() -> list[TicketAction]:
    return list(_ticket_actions.values())


def ticket_panels(*, user: Any, ticket: Any) -> list[dict[str, Any]]:
    """Return [{template, data}] of the ticket panels that have something to show."""
    shown = []
    for panel in _ticket_panels.values():
        data = panel.context(user=user, ticket=ticket)
        if data is not None:
            shown.append({"key": panel.key, "template": panel.template, "data": data})
    return shown


def queue_panels(*, user: Any) -> list[dict[str, Any]]:
    """Return [{template, data}] of the queue panels that have something to show."""
    shown = []
    for panel in _queue_panels.values():
        data = panel.context(user=user)
        if data is not None:
            shown.append({"key": panel.key, "template": panel.template, "data": data})
    return shown
