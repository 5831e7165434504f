"""Admin registrations: the manager's configuration console."""
