"""The pipe behind a real mail server: bin/pipe-email's exit codes under a broken environment,
pipe_email against a database that never answers, and large emails shared between the pipe's
user and the workers' user through group permissions."""

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tickets.intake.test_email import build
from tests.tickets.intake.test_pipe_command import _db_url, on_postgres
from tickets.models import InboundEmail

ROOT = Path(__file__).resolve().parents[3]
WRAPPER = ROOT / "bin" / "pipe-email"
EMAIL = build(message_id="<entry@client.example>")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder anyone may write to (the wrapper runs as `nobody` in some tests)."""
    folder = Path(tempfile.mkdtemp(prefix="pipe-entry-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def run_wrapper(folder: Path, env: dict[str, str], raw: bytes = EMAIL, *, as_nobody: bool = False,
                umask: int | None = None) -> subprocess.CompletedProcess:
    """Run bin/pipe-email as a mail server would: a bare environment, the email on stdin."""
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HELPDESK_PIPE_LOG": str(folder / "pipe.log"),
            "HELPDESK_PYTHON": sys.executable, "TMPDIR": str(folder)}
    kwargs: dict = {}
    if as_nobody and os.geteuid() == 0:
        kwargs.update(user="nobody", group="nogroup" if _group_exists("nogroup") else "nobody", extra_groups=[])
    if umask is not None:
        kwargs["umask"] = umask
    return subprocess.run([str(WRAPPER), "support@company.com"], input=raw, capture_output=True,
                          env={**base, **env}, cwd="/", timeout=120, **kwargs)


def _group_exists(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def assert_clean_temporary_failure(result: subprocess.CompletedProcess, log: Path, *, logged: str) -> None:
    output = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 75, output
    assert "Traceback" not in output and "File \"" not in output, output
    assert output.count("\n") <= 1, output
    assert logged in log.read_text(), log.read_text()


def test_unreadable_environment_file_is_a_temporary_failure(shared_dir):
    """An environment file the pipe's user cannot read exits 75 (not sh's 2), with the reason logged."""
    env_file = shared_dir / "helpdesk.env"
    env_file.write_text("DEBUG=0\n")
    env_file.chmod(0o600 if os.geteuid() == 0 else 0o000)  # root reads anything: run as nobody then
    result = run_wrapper(shared_dir, {"HELPDESK_ENV_FILE": str(env_file)}, as_nobody=True)
    assert_clean_temporary_failure(result, shared_dir / "pipe.log", logged="cannot read the environment file")


def test_environment_file_with_a_syntax_error_is_a_temporary_failure(shared_dir):
    """An environment file sh cannot parse exits 75, not 2."""
    env_file = shared_dir / "helpdesk.env"
    env_file.write_text("if then\n")
    result = run_wrapper(shared_dir, {"HELPDESK_ENV_FILE": str(env_file)})
    assert_clean_temporary_failure(result, shared_dir / "pipe.log", logged="does not load")


@pytest.mark.parametrize("mode", [0o644, None], ids=["not-executable", "missing"])
def test_interpreter_that_cannot_run_is_a_temporary_failure(shared_dir, mode):
    """A venv interpreter that is not executable (126) or missing (127) exits 75."""
    python = shared_dir / "python"
    if mode is not None:
        python.write_text("#!/bin/sh\nexit 0\n")
        python.chmod(mode)
    result = run_wrapper(shared_dir, {"HELPDESK_PYTHON": str(python)})
    assert_clean_temporary_failure(result, shared_dir / "pipe.log", logged="cannot execute")


@pytest.mark.parametrize("code", [1, 2, 126, 127, 137])
def test_any_other_exit_code_is_a_temporary_failure_and_the_traceback_only_logged(shared_dir, code):
    """Whatever else the interpreter exits with becomes 75; what it printed goes to the log only."""
    python = shared_dir / "python"
    python.write_text(f"#!/bin/sh\ncat >/dev/null\necho 'Traceback (most recent call last):' >&2\n"
                      f"echo '  File \"/srv/helpdesk/secret/path.py\", line 1' >&2\necho noise\nexit {code}\n")
    python.chmod(0o755)
    result = run_wrapper(shared_dir, {"HELPDESK_PYTHON": str(python)})
    assert_clean_temporary_failure(result, shared_dir / "pipe.log", logged="/srv/helpdesk/secret/path.py")


def test_a_setting_that_does_not_parse_is_a_temporary_failure_without_traceback(shared_dir):
    """A typo in a setting (DEBUG=maybe) exits 75 with one line; the traceback is in the log."""
    env_file = shared_dir / "helpdesk.env"
    env_file.write_text("DEBUG=maybe\nCELERY_TASK_ALWAYS_EAGER=1\n")
    result = run_wrapper(shared_dir, {"HELPDESK_ENV_FILE": str(env_file)})
    assert_clean_temporary_failure(result, shared_dir / "pipe.log", logged="ImproperlyConfiguredEnv")


def test_manage_py_pipe_email_with_a_broken_setting_exits_75():
    """Even without the wrapper, pipe_email with a setting that does not load exits 75, not 1."""
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "pipe_email"], input=EMAIL,
                            capture_output=True, env={**os.environ, "DEBUG": "maybe"}, cwd=ROOT, timeout=120)
    assert result.returncode == 75, result.stderr
    assert result.stderr.decode().strip().splitlines()[-1].startswith("pipe_email: temporary failure")


def test_not_an_email_keeps_65_and_its_one_line_reason(shared_dir):
    """Input that is no email at all still exits 65 with pipe_email's one-line reason (the bounce)."""
    env_file = shared_dir / "helpdesk.env"
    env_file.write_text("CELERY_TASK_ALWAYS_EAGER=1\nDATABASE_URL=postgres://nobody@127.0.0.1:1/none\n")
    result = run_wrapper(shared_dir, {"HELPDESK_ENV_FILE": str(env_file)}, raw=b"")
    assert result.returncode == 65, result.stderr
    assert result.stdout == b""
    assert result.stderr.decode() == "pipe_email: not an email: empty input\n"


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_wrapper_stores_an_email_and_exits_zero(shared_dir, departments):
    """With a working environment the wrapper exits 0 and the email is stored once."""
    env_file = shared_dir / "helpdesk.env"
    env_file.write_text(f"DATABASE_URL={_db_url()}\nCELERY_TASK_ALWAYS_EAGER=1\n"
                        "EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend\n"
                        f"MEDIA_ROOT={shared_dir / 'media'}\n")
    result = run_wrapper(shared_dir, {"HELPDESK_ENV_FILE": str(env_file)})
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert InboundEmail.objects.filter(message_id="<entry@client.example>").count() == 1


# --- a database that accepts connections and never answers ----------------------------------


@pytest.fixture
def silent_database() -> Iterator[int]:
    """A TCP server on loopback that accepts connections and never says a word; yield its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


@pytest.mark.parametrize("path", ["fast", "command"])
@pytest.mark.parametrize("limits", [{"DATABASE_CONNECT_TIMEOUT": "2"},
                                    {"DATABASE_CONNECT_TIMEOUT": "0", "HELPDESK_PIPE_TIMEOUT_SECONDS": "2"}],
                         ids=["connect-timeout", "watchdog"])
def test_pipe_email_against_a_database_that_never_answers_exits_75(silent_database, path, limits):
    """pipe_email gives up with 75 within seconds (connect timeout, else its own watchdog), on
    the fast path and the ordinary command alike; it never hangs the mail server."""
    env = {**os.environ, "DATABASE_URL": f"postgres://helpdesk:x@127.0.0.1:{silent_database}/helpdesk",
           "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15", **limits}
    if path == "command":
        env["CELERY_TASK_ALWAYS_EAGER"] = "1"  # the fast path steps aside
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "pipe_email"], input=EMAIL,
                            capture_output=True, env=env, cwd=ROOT, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 75, result.stderr
    assert result.stderr.decode().startswith("pipe_email: temporary failure"), result.stderr
    assert elapsed < 20


# --- large emails in the shared media folder ---------------------------------------------------


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_large_email_written_under_a_strict_umask_stays_readable_by_the_group(shared_dir, departments):
    """A mail server runs the pipe with umask 077; a raw email over the in-database size is still
    written into group-writable setgid folders as a group-readable file, so workers running as
    another user of the same group can read it (and the pipe can add to folders they made)."""
    media = shared_dir / "media"
    media.mkdir()
    media.chmod(0o2770)  # the documented set-up: chgrp helpdesk var/media; chmod 2770 var/media
    env_file = shared_dir / "helpdesk.env"
    env_file.write_text(f"DATABASE_URL={_db_url()}\nCELERY_TASK_ALWAYS_EAGER=0\n"
                        "CELERY_BROKER_URL=memory://\nHELPDESK_INBOUND_DB_MAX_BYTES=100\n"
                        f"MEDIA_ROOT={media}\n")
    # The command itself, not only the wrapper (which sets umask 007), keeps the modes.
    python = shared_dir / "python"
    python.write_text(f"#!/bin/sh\numask 077\nexec {sys.executable} \"$@\"\n")
    python.chmod(0o755)
    result = run_wrapper(shared_dir, {"HELPDESK_ENV_FILE": str(env_file), "HELPDESK_PYTHON": str(python)})
    assert result.returncode == 0, (shared_dir / "pipe.log").read_text()
    row = InboundEmail.objects.get(message_id="<entry@client.example>")
    assert row.raw_file
    path = media / row.raw_file.name
    assert stat.S_IMODE(path.stat().st_mode) & 0o040
    folder = path.parent
    while folder != media:
        mode = stat.S_IMODE(folder.stat().st_mode)
        assert mode & 0o070 == 0o070 and mode & stat.S_ISGID, (folder, oct(mode))
        folder = folder.parent
