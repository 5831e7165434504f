"""The actions an automation rule may run, by name.

The built-in actions register themselves in tickets.automation.actions. Other apps register
theirs from their AppConfig.ready(), e.g. surveys:

    from tickets.automation.registry import register_action
    register_action("send_survey", _("Send a survey"), run=send_survey, validate=check_params)

`run(ctx)` receives an ActionContext and returns a short text saying what it did (the run log).
`validate(params)` raises django.core.exceptions.ValidationError with a clear message.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass
class ActionContext:
    """What an action gets: the ticket (locked), its parameters, the rule and the run."""

    ticket: Any
    params: dict[str, Any]
    rule: Any
    run: Any
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    name: str
    label: str | Promise
    run: Callable[[ActionContext], str]
    validate: Callable[[dict[str, Any]], None] | None = None


_actions: dict[str, Action] = {}


def register_action(
    name: str,
    label: str | Promise,
    *,
    run: Callable[[ActionContext], str],
    validate: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Make an action available to rules (registering a name again replaces it)."""
    _actions[name] = Action(name=name, label=label, run=run, validate=validate)


def unregister_action(name: str) -> None:
    _actions.pop(name, None)


def get_action(name: str) -> Action | None:
    return _actions.get(name)


def available_actions() -> list[Action]:
    """Return the registered actions, in name order (what the admin offers)."""
    return [_actions[name] for name in sorted(_actions)]
