"""An email backend for the embedded default: each message becomes one .eml file."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    """Write each outgoing message to EMAIL_FILE_PATH as `<timestamp>-<uuid>.eml`."""

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            (folder / name).write_bytes(message.message().as_bytes(linesep="\r\n"))
            sent += 1
        return sent
