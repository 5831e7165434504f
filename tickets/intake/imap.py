"""Poll department IMAP mailboxes: a channel adapter for teams without a mail server pipe.

UID-based: each mailbox remembers the last UID it stored (and the folder's UIDVALIDITY), so a
message is fetched once. A message is fetched with BODY.PEEK (not marking it read), stored as an
InboundEmail, and only then flagged \\Seen and the UID advanced; if storing fails the poll stops
there and the next run starts from the same message.
"""

import imaplib
import logging
import re
import ssl

from django.core.cache import cache

from helpdesk.field_encryption import UndecryptableSecret
from tickets.intake.reruns import record_mailbox_poll
from tickets.intake.services import NotAnEmail, store_inbound_email
from tickets.models import DepartmentMailbox, InboundEmail

logger = logging.getLogger(__name__)

BATCH = 200
LOCK_SECONDS = 540


class MailboxError(imaplib.IMAP4.error):
    """A mailbox that cannot be polled, said so that an operator knows what to change."""


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")


def _connect(mailbox: DepartmentMailbox) -> imaplib.IMAP4:
    """Connect over TLS: SSL/TLS from the start when the mailbox says so (port 993), else
    STARTTLS; plain IMAP only to this machine and only when the server offers no STARTTLS (the
    password never crosses a network in clear). Failures say what to change."""
    where = f"{mailbox.host}:{mailbox.port}"
    try:
        if mailbox.use_ssl:
            return imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=60)
        conn = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=60)
        if "STARTTLS" in conn.capabilities:
            conn.starttls(ssl_context=ssl.create_default_context())
        elif not _is_loopback(mailbox.host):
            conn.shutdown()
            raise MailboxError(f"{where} offers no STARTTLS, so the password would cross the network in clear: "
                               "turn SSL/TLS on (port 993) or enable STARTTLS on the server")
        return conn
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError(f"the TLS certificate of {where} is not trusted: {exc.verify_message}") from exc
    except ssl.SSLError as exc:
        raise MailboxError(f"no TLS at {where} ({exc.reason or exc}): the server speaks plain IMAP on this port; "
                           "use its SSL/TLS port (usually 993), or turn SSL/TLS off to use STARTTLS") from exc
    except (TimeoutError, imaplib.IMAP4.abort) as exc:
        raise MailboxError(f"no IMAP greeting from {where}: if this is an SSL/TLS port (usually 993), turn SSL/TLS "
                           f"on ({type(exc).__name__}: {exc})") from exc
    except OSError as exc:
        raise MailboxError(f"cannot connect to {where}: {exc.strerror or exc}") from exc


def _login(conn: imaplib.IMAP4, mailbox: DepartmentMailbox) -> None:
    try:
        conn.login(mailbox.username, mailbox.password)
    except imaplib.IMAP4.error as exc:
        said = str(exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else exc)
        raise MailboxError(f"{mailbox.host} refused the login of {mailbox.username!r}: check the user name and "
                           f"password (the server said: {said})") from exc


def _uid_validity(conn: imaplib.IMAP4) -> int:
    _typ, data = conn.response("UIDVALIDITY")
    try:
        return int(data[0]) if data and data[0] is not None else 0
    except (TypeError, ValueError):
        return 0


def _raw_from_fetch(data: list) -> bytes | None:
    for item in data or []:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll_mailbox(mailbox: DepartmentMailbox) -> int:
    """Store every new message of one mailbox; return how many were stored."""
    if isinstance(mailbox.password, UndecryptableSecret):
        raise imaplib.IMAP4.error(
            "the stored password cannot be decrypted (SECRET_KEY or HELPDESK_FIELD_KEY changed?): enter it again"
        )
    stored = 0
    conn = _connect(mailbox)
    try:
        _login(conn, mailbox)
        typ, _data = conn.select(_quote(mailbox.folder))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {mailbox.folder}")
        validity = _uid_validity(conn)
        last_uid = mailbox.last_uid if validity == mailbox.uid_validity else 0
        typ, data = conn.uid("SEARCH", None, f"UID {last_uid + 1}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last_uid) if typ == "OK" else []
        for uid in uids[:BATCH]:
            typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = _raw_from_fetch(data) if typ == "OK" else None
            if raw is not None:
                try:
                    store_inbound_email(raw=raw, recipient=mailbox.department.email, source=InboundEmail.Source.IMAP)
                    stored += 1
                except NotAnEmail as exc:
                    logger.warning("IMAP message is not an email", extra={"mailbox": mailbox.pk, "uid": uid,
                                                                          "reason": str(exc)})
            conn.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
            record_mailbox_poll(mailbox=mailbox, last_uid=uid, uid_validity=validity)
        record_mailbox_poll(mailbox=mailbox, uid_validity=validity, error="")
    finally:
        try:
            conn.logout()
        except Exception:
            pass
    return stored


def _quote(folder: str) -> str:
    return folder if re.fullmatch(r"[A-Za-z0-9_./-]+", folder) else '"' + folder.replace('"', '\\"') + '"'


def poll_all() -> int:
    """Poll every active mailbox once (the beat task); one run at a time."""
    if not cache.add("tickets:poll_mailboxes", 1, LOCK_SECONDS):
        return 0
    total = 0
    try:
        for mailbox in DepartmentMailbox.objects.filter(is_active=True).select_related("department"):
            try:
                total += poll_mailbox(mailbox)
            except Exception as exc:
                logger.exception("IMAP poll failed", extra={"mailbox": mailbox.pk})
                record_mailbox_poll(mailbox=mailbox, error=f"{type(exc).__name__}: {exc}")
    finally:
        cache.delete("tickets:poll_mailboxes")
    return total
