"""Admin registrations: the manager's configuration console."""

from tickets import admin_inbound  # noqa: E402,F401  (inbound emails and IMAP mailboxes)
