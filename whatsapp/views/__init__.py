"""Entry points of the WhatsApp app: Meta's webhook (webhook.py) and the agent inbox (inbox.py)."""

from whatsapp.views.webhook import webhook  # noqa: F401
