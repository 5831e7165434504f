"""The actions an automation rule may run, by name.

The built-in actions register themselves in tickets.automation.actions. Other apps register
theirs from their AppConfig.ready(), e.g. surveys:

    from tickets.automation.registry import register_action
    register_action("send_survey", _("Send a survey"), run=send_survey, validate=check_params)

`run(ctx)` receives an ActionContext and returns a short text saying what it did (the run log).
`validate(params)` raises django.core.exceptions.ValidationError with a clear message.
`params` (optional) describes the action's parameters for the admin's rule editor, e.g.
    params=[Param("status", _("Status"), kind="choice", choices=status_choices, required=True)]
An empty list means "takes no parameters"; None (the default) lets the editor offer a JSON object.
"""

from collections.abc import Callable, Sequence
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


Choices = Sequence[tuple[Any, str | Promise]] | Callable[[], Sequence[tuple[Any, str | Promise]]]
PARAM_KINDS = ("text", "textarea", "number", "choice", "suggest", "lines")


@dataclass(frozen=True)
class Param:
    """One parameter of an action as the rule editor shows it. Kinds: text, textarea, number (a JSON
    number), choice (a select; `choices` may be a callable read when the form is shown), suggest
    (free text with `choices` as suggestions), lines (a textarea stored as a list of strings)."""

    name: str
    label: str | Promise
    kind: str = "text"
    choices: Choices = ()
    required: bool = False
    help: str | Promise = ""

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r} (one of {', '.join(PARAM_KINDS)})")

    def choice_list(self) -> list[tuple[Any, str]]:
        choices = self.choices() if callable(self.choices) else self.choices
        return [(value, str(label)) for value, label in choices]


@dataclass(frozen=True)
class Action:
    name: str
    label: str | Promise
    run: Callable[[ActionContext], str]
    validate: Callable[[dict[str, Any]], None] | None = None
    params: Sequence[Param] | None = None


_actions: dict[str, Action] = {}


def register_action(
    name: str,
    label: str | Promise,
    *,
    run: Callable[[ActionContext], str],
    validate: Callable[[dict[str, Any]], None] | None = None,
    params: Sequence[Param] | None = None,
) -> None:
    """Make an action available to rules (registering a name again replaces it)."""
    _actions[name] = Action(name=name, label=label, run=run, validate=validate,
                            params=tuple(params) if params is not None else None)


def unregister_action(name: str) -> None:
    _actions.pop(name, None)


def get_action(name: str) -> Action | None:
    return _actions.get(name)


def available_actions() -> list[Action]:
    """Return the registered actions, in name order (what the admin offers)."""
    return [_actions[name] for name in sorted(_actions)]
