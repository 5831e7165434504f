"""IMAP polling against real sockets: clear errors for a wrong password and for SSL/TLS on a
plain port, and no password in clear across a network when the server offers no STARTTLS."""

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tickets.intake import imap as imap_polling
from tickets.models import DepartmentMailbox

pytestmark = pytest.mark.django_db


class PlainIMAPHandler(socketserver.StreamRequestHandler):
    """Plain IMAP without STARTTLS that refuses every login."""

    def handle(self) -> None:
        self.wfile.write(b"* OK IMAP4rev1 test server ready\r\n")
        for line in self.rfile:
            tag, _, rest = line.decode().strip().partition(" ")
            command = rest.split(" ")[0].upper()
            if command == "CAPABILITY":
                self.wfile.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + f"{tag} OK done\r\n".encode())
            elif command == "LOGIN":
                self.wfile.write(f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n".encode())
            elif command == "LOGOUT":
                self.wfile.write(b"* BYE\r\n" + f"{tag} OK bye\r\n".encode())
                return
            else:
                self.wfile.write(f"{tag} BAD unknown\r\n".encode())


@pytest.fixture
def plain_imap() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), PlainIMAPHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def mailbox(departments, port: int, *, use_ssl: bool, host: str = "127.0.0.1") -> DepartmentMailbox:
    return DepartmentMailbox.objects.create(department=departments["tech"], host=host, port=port,
                                            use_ssl=use_ssl, username="support", password="wrong")


def test_wrong_password_says_so(departments, plain_imap):
    """A refused login names the user and says to check user name and password."""
    with pytest.raises(imap_polling.MailboxError) as error:
        imap_polling.poll_mailbox(mailbox(departments, plain_imap, use_ssl=False))
    assert "refused the login of 'support'" in str(error.value)
    assert "check the user name and password" in str(error.value)
    assert "AUTHENTICATIONFAILED" in str(error.value)


def test_ssl_on_a_plain_port_says_so(departments, plain_imap):
    """SSL/TLS on a port that speaks plain IMAP says to use the SSL port or turn SSL/TLS off."""
    with pytest.raises(imap_polling.MailboxError) as error:
        imap_polling.poll_mailbox(mailbox(departments, plain_imap, use_ssl=True))
    assert "speaks plain IMAP on this port" in str(error.value)


def test_poll_all_records_the_clear_error_on_the_mailbox(departments, plain_imap):
    """The beat poll keeps the clear message as the mailbox's last error."""
    box = mailbox(departments, plain_imap, use_ssl=True)
    imap_polling.poll_all()
    box.refresh_from_db()
    assert "speaks plain IMAP on this port" in box.last_error


def test_no_clear_text_password_across_a_network_without_starttls(departments, plain_imap, monkeypatch):
    """A server elsewhere that offers no STARTTLS is refused before the password is sent."""
    logins: list[str] = []
    monkeypatch.setattr(imap_polling, "_is_loopback", lambda host: False)
    monkeypatch.setattr(imap_polling.imaplib.IMAP4, "login", lambda self, u, p: logins.append(u))
    with pytest.raises(imap_polling.MailboxError) as error:
        imap_polling.poll_mailbox(mailbox(departments, plain_imap, use_ssl=False))
    assert "offers no STARTTLS" in str(error.value)
    assert logins == []


def test_nothing_listening_says_cannot_connect(departments):
    """A port where nothing listens says so."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(imap_polling.MailboxError) as error:
        imap_polling.poll_mailbox(mailbox(departments, port, use_ssl=False))
    assert str(error.value).startswith(f"cannot connect to 127.0.0.1:{port}")
