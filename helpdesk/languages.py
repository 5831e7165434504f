"""The language a message is written in when no request chose one: the recipient's.

Pages follow the reader (helpdesk.middleware). Mail and notifications are written outside the
reader's request (a Celery task, a sweep, or an agent's request in the agent's language), so
they are rendered under `translation.override(<recipient's language>)`: a contact's
`language`, a staff user's `language`, else the site's LANGUAGE_CODE. Dates follow, since
helpdesk.datetimes formats in the active language.

`per_language(render)` renders a text once per language however many recipients share it.
"""

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from django.conf import settings
from django.utils import translation

T = TypeVar("T")


def recipient_language(code: str | None) -> str:
    """Return `code` when it is one of the site's languages, else the site's language."""
    return code if code and code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def language_of(person: Any) -> str:
    """Return the language to write to a contact or a staff user in (the site's when unset)."""
    return recipient_language(getattr(person, "language", "") if person is not None else "")


def in_language_of(person: Any) -> AbstractContextManager:
    """Render what follows in this contact's or staff user's language."""
    return translation.override(language_of(person))


def in_language(code: str | None) -> AbstractContextManager:
    """Render what follows in language `code` (the site's when empty or unknown)."""
    return translation.override(recipient_language(code))


def all_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def per_language(render: Callable[[], T]) -> Callable[[str | None], T]:
    """Return a function of a language code that renders `render()` in that language, once each."""
    cache: dict[str, T] = {}

    def rendered(code: str | None) -> T:
        lang = recipient_language(code)
        if lang not in cache:
            with translation.override(lang):
                cache[lang] = render()
        return cache[lang]

    return rendered


def group_by_language(items: Iterable[T], language: Callable[[T], str | None]) -> dict[str, list[T]]:
    """Group items by their recipient's language (site language for unset ones), keeping order."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(recipient_language(language(item)), []).append(item)
    return groups
