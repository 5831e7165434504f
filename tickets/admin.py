"""Admin registrations: the manager's configuration console."""

from tickets import admin_portal  # noqa: E402, F401  (portal deflections)
