"""Automatic mail, classified from headers and structure: bounces (delivery reports), auto-replies,
list mail, the mail server's spam verdict, and our own mail coming back (a loop). Only says what
a message is; tickets.intake.services decides what to do about it.
"""

import re
from email.message import EmailMessage, Message

from tickets.intake.message import InboundMessage
from tickets.intake.mime import (
    _HEADER_PARSER,
    _ctype,
    _first_address,
    _header,
    _parts,
    _payload_bytes,
    _raw_headers,
    normalise_message_id,
)
from tickets.threading import ticket_id_from_message_id

_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliver(ed|able)|delivery (status notification|failure|has failed|notification)|mail delivery failed"
    r"|failure notice|returned mail|delivery failure|non[- ]?delivery|mail system error|message not delivered"
    r"|warning: could not send message|nondeliverable)",
    re.IGNORECASE,
)
# What the text of a delivery report says (RFC 3464 fields, the usual MTA sentences, SMTP codes).
_DSN_TEXT = re.compile(
    r"(^(final-recipient|diagnostic-code|action:\s*failed|status:\s*5\.\d)"
    r"|could not be delivered|couldn't be delivered|delivery to the following recipients? (failed|has failed)"
    r"|permanent (fatal )?errors?|message (was )?not delivered|undeliverable|user unknown|mailbox unavailable"
    r"|no such user|address rejected|\b5[0-5]\d[ -]5\.\d\.\d)",
    re.IGNORECASE | re.MULTILINE,
)
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
_REPORT_TYPES = ("multipart/report", "message/delivery-status")
_SPAM_FLAG = re.compile(r"^\s*yes\b", re.IGNORECASE)


def _classify(msg: EmailMessage, result: InboundMessage, our_domain: str) -> None:
    heads = _raw_headers(msg)

    def has(name: str) -> bool:
        return name in heads

    sender_local = result.from_email.split("@", 1)[0]
    return_path = _header(msg, "return-path")
    return_local = _first_address(return_path).split("@", 1)[0]
    null_return = "return-path" in heads and return_path.strip() in ("<>", "")
    report = _report_part(msg)
    dsn_text = bool(_DSN_TEXT.search(result.text[:20000]))
    if report:
        result.auto_kind, result.auto_reason = "bounce", f"{report} delivery report"
    elif sender_local in _BOUNCE_SENDERS or "mailer-daemon" in result.from_name.lower():
        result.auto_kind, result.auto_reason = "bounce", f"sender {result.from_email or result.from_name}"
    elif return_local in _BOUNCE_SENDERS:
        result.auto_kind, result.auto_reason = "bounce", f"Return-Path {return_path.strip()}"
    elif has("x-failed-recipients"):
        result.auto_kind, result.auto_reason = "bounce", "X-Failed-Recipients header"
    elif null_return and (_BOUNCE_SUBJECT.match(result.subject) or dsn_text):
        result.auto_kind, result.auto_reason = "bounce", "null Return-Path and a delivery failure subject or text"
    elif _BOUNCE_SUBJECT.match(result.subject) and dsn_text and not result.in_reply_to:
        result.auto_kind, result.auto_reason = "bounce", "a delivery failure subject and text"
    if result.auto_kind == "bounce":
        _bounce_details(msg, result)
        return

    # Mailing lists (RFC 2369/2919) get no receipt: it would go to the list or its bounce address.
    if has("list-id") or has("list-unsubscribe") or has("list-post"):
        result.list_reason = "List-Id/List-Unsubscribe header"
    # The MTA's spam verdict (SpamAssassin, rspamd in SpamAssassin mode).
    spam_flag, spam_status = _header(msg, "x-spam-flag"), _header(msg, "x-spam-status")
    if _SPAM_FLAG.match(spam_flag) or _SPAM_FLAG.match(spam_status):
        result.spam_reason = f"X-Spam-Status: {spam_status[:120]}" if spam_status else f"X-Spam-Flag: {spam_flag}"

    auto_submitted = _header(msg, "auto-submitted").lower()
    precedence = (_header(msg, "precedence") or _header(msg, "x-precedence")).lower()
    suppress = _header(msg, "x-auto-response-suppress").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        kind = "auto_reply" if auto_submitted.startswith("auto-replied") else "automated"
        result.auto_kind, result.auto_reason = kind, f"Auto-Submitted: {auto_submitted}"
    elif has("x-autoreply") or has("x-autorespond") or has("x-autoresponse") or has("x-autoreply-from"):
        result.auto_kind, result.auto_reason = "auto_reply", "X-Autoreply/X-Autorespond header"
    elif suppress and re.search(r"\b(all|oof|autoreply)\b", suppress):
        result.auto_kind, result.auto_reason = "auto_reply", f"X-Auto-Response-Suppress: {suppress}"
    elif precedence.startswith(("bulk", "junk", "list", "auto_reply")):
        kind = "auto_reply" if precedence.startswith("auto_reply") else "automated"
        result.auto_kind, result.auto_reason = kind, f"Precedence: {precedence}"
    elif _header(msg, "x-loop").lower() in ("yes", "true"):
        result.auto_kind, result.auto_reason = "automated", "X-Loop header"
    elif return_path.strip() == "<>":
        result.auto_kind, result.auto_reason = "auto_reply", "null Return-Path"

    # Our own mail by the signature of our Message-IDs (tickets/threading.py), never by their
    # domain: a local user's mail through a server named like our mail domain is no loop.
    if has("x-helpdesk-ticket"):
        result.loop, result.loop_reason = True, "carries our X-Helpdesk-Ticket header"
    elif result.message_id and ticket_id_from_message_id(result.message_id) is not None:
        result.loop, result.loop_reason = True, "its Message-ID is one of ours (signed)"


def _report_part(msg: EmailMessage) -> str:
    """Return the content type of a delivery report anywhere in the message, or ""."""
    try:
        for part in _parts(msg):
            ctype = _ctype(part)
            if ctype in _REPORT_TYPES:
                if ctype == "multipart/report":
                    report_type = str(part.get_param("report-type") or "").lower()
                    if report_type not in ("delivery-status", ""):
                        continue
                return ctype
    except RecursionError:
        return ""
    return ""


def _bounce_details(msg: EmailMessage, result: InboundMessage) -> None:
    for part in _parts(msg):
        ctype = _ctype(part)
        try:
            if ctype == "message/delivery-status":
                for block in part.get_payload() or []:
                    action = str(block.get("action", "")).lower()
                    recipient = str(block.get("final-recipient", "") or block.get("original-recipient", ""))
                    if recipient and action.startswith("failed"):
                        address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
                        if address and address not in result.bounce_recipients:
                            result.bounce_recipients.append(address)
            elif ctype in ("message/rfc822", "text/rfc822-headers") and not result.bounced_message_id:
                if ctype == "message/rfc822":
                    inner = part.get_payload()
                    inner = inner[0] if isinstance(inner, list) and inner else inner
                    mid = _header(inner, "message-id") if isinstance(inner, Message) else ""
                else:
                    headers = _HEADER_PARSER.parsebytes(_payload_bytes(part), headersonly=True)
                    mid = _header(headers, "message-id")
                result.bounced_message_id = normalise_message_id(mid)
        except Exception:
            continue


