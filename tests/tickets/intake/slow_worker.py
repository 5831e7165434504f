"""Imported by a test's Celery worker (`--include`): the sanitiser stalls for 30 s on HTML that
says SLOW, a stand-in for a pathological email the hardening does not catch."""

import time

from celery.signals import worker_process_init


@worker_process_init.connect
def _slow_sanitiser(**_kwargs: object) -> None:
    from tickets.intake import email

    real = email.sanitise_html

    def sanitise(html: str) -> str:
        if "SLOW" in html:
            time.sleep(30)
        return real(html)

    email.sanitise_html = sanitise
