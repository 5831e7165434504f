"""Serve the web app with a Celery worker and embedded beat beside it (what `make run` runs).

Ctrl-C stops everything this command started.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from crm.demo import DEMO_LOGINS, DEMO_PASSWORD
from crm.models import User


class Command(BaseCommand):
    help = "Run the development web server, a Celery worker and beat together."

    def handle(self, *args: object, **options: object) -> None:
        host = os.environ.get("HOST", "127.0.0.1")
        port = os.environ.get("PORT", "8000")
        (settings.VAR_DIR / "celery" / "queue").mkdir(parents=True, exist_ok=True)
        (settings.VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
        (settings.VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
        (settings.VAR_DIR / "mail").mkdir(parents=True, exist_ok=True)
        python = sys.executable
        commands = [
            [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            [python, "-m", "celery", "-A", "helpdesk", "worker", "-B", "--loglevel=INFO",
             "--concurrency=2", "--pool=prefork", "-Q", "celery,intake_slow"],
        ]
        # The worker writes the email links: it must use the address served here.
        child_env = {**os.environ, "HOST": host, "PORT": port, "SITE_URL": settings.SITE_URL}
        procs = [subprocess.Popen(cmd, start_new_session=True, env=child_env) for cmd in commands]
        base = f"http://{host}:{port}"
        lines = [
            "",
            f"Helpdesk is running on {base}",
            f"  Agent workspace:  {base}/staff/   (login {base}/staff/login/)",
            f"  Client portal:    {base}/portal/  (login {base}/authentication/login/)",
            f"  Configuration:    {base}/admin/",
            f"  Knowledge base:   {base}/knowledge-base/",
            f"  Outgoing mail:    {settings.EMAIL_FILE_PATH}/*.eml" if "EmlFile" in settings.EMAIL_BACKEND else "",
            f"  Database:         {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}",
            f"  Celery broker:    {settings.CELERY_BROKER_URL.split('@')[-1]}",
            "",
            f"Demo logins (password {DEMO_PASSWORD}):",
        ]
        existing = set(User.objects.filter(email__in=[e for _, e in DEMO_LOGINS]).values_list("email", flat=True))
        lines += [f"  {role:<28} {email}" for role, email in DEMO_LOGINS if email in existing]
        lines += ["", "Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(line for line in lines if line is not None))

        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            if stopping:
                return
            stopping = True
            for proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
        self.stdout.write("Stopped.")
