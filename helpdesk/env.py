"""Read settings from the environment through one typed helper.

Every setting that an operator may change is read here, with its type and default, so that
`grep env.` in settings.py lists the whole configuration surface.
"""

import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ImproperlyConfiguredEnv(RuntimeError):
    """Raised when an environment variable is missing or cannot be parsed."""


def _read(name: str, default: T, cast: Callable[[str], T]) -> T:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return cast(raw)
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r}: {exc}") from exc


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected a boolean (1/0, true/false, yes/no)")


def string(name: str, default: str = "") -> str:
    """Return the variable as a string."""
    return _read(name, default, str)


def boolean(name: str, default: bool = False) -> bool:
    """Return the variable as a boolean."""
    return _read(name, default, _bool)


def integer(name: str, default: int) -> int:
    """Return the variable as an integer."""
    return _read(name, default, int)


def strings(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated variable as a list of stripped, non-empty strings."""
    return _read(name, list(default or []), lambda raw: [p.strip() for p in raw.split(",") if p.strip()])


def required(name: str) -> str:
    """Return the variable, or fail loudly when it is not set."""
    raw = os.environ.get(name)
    if not raw:
        raise ImproperlyConfiguredEnv(f"{name} must be set")
    return raw


def site_url() -> str:
    """Return SITE_URL, or the address the app is served on (HOST and PORT, as `make run` and
    `serve_all` set them), so links in emails never point at a port nobody listens on."""
    explicit = string("SITE_URL")
    if explicit:
        return explicit.rstrip("/")
    host = string("HOST", "127.0.0.1") or "127.0.0.1"
    if host in ("0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"  # a wildcard bind: the loopback address reaches it
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = string("PORT", "8000") or "8000"
    return f"http://{host}:{port}"
