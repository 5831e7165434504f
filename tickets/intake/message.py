"""Channel adapters' common currency: an inbound message as plain data.

Every channel (email pipe, IMAP, provider webhooks, later WhatsApp) turns its input into an
`InboundMessage` and hands it to `tickets.intake.services.receive_inbound_message`. Nothing in
this package writes to the database.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import IO


@dataclass
class InboundAttachment:
    """One attachment: small ones as bytes, large ones spooled to a temporary file."""

    name: str
    content: bytes | IO[bytes]
    size: int
    content_type: str = "application/octet-stream"
    content_id: str = ""
    inline: bool = False


@dataclass
class InboundMessage:
    """What a channel received, decoded and classified, ready for the intake service.

    `auto_kind` is "" for mail a person wrote, else "bounce", "auto_reply" (out of office,
    another helpdesk's receipt) or "bulk" (lists, notifications); `auto_reason` says which
    header gave it away. `loop` is set when the message is one of our own coming back.
    """

    channel: str = "email"
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_name: str = ""
    from_email: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    envelope_recipient: str = ""
    date: datetime | None = None
    text: str = ""
    html: str = ""
    # The reply without the quoted history below it ("" when nothing was cut).
    reply_text: str = ""
    reply_html: str = ""
    attachments: list[InboundAttachment] = field(default_factory=list)
    auto_kind: str = ""
    auto_reason: str = ""
    loop: bool = False
    loop_reason: str = ""
    # Mailing-list mail (no receipt) and the mail server's spam verdict (held, no receipt).
    list_reason: str = ""
    spam_reason: str = ""
    bounced_message_id: str = ""
    bounce_recipients: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        """Every address the message was for, in the order that picks the department."""
        return list(dict.fromkeys(a for a in [*self.to, *self.cc, *self.delivered_to, self.envelope_recipient] if a))

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this one answers: In-Reply-To first, then References right-most first."""
        return list(dict.fromkeys(mid for mid in [*self.in_reply_to, *reversed(self.references)] if mid))
