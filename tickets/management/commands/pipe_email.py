"""Read one raw email from standard input and store it for processing (what a mail alias runs).

Exit codes follow sysexits.h, which mail servers understand:
  0  EX_OK        stored (or a duplicate of an email already stored)
  65 EX_DATAERR   the input is not an email at all; the reason is one line on stderr
  75 EX_TEMPFAIL  the database cannot be reached (or anything else failed): the mail server
                  keeps the message and retries later, so nothing is lost

`manage.py pipe_email` normally does not get here: its fast path (tickets/intake/pipe.py)
stores the email the same way without Django's full start-up. This command runs when the fast
path steps aside (tasks run eagerly, a broker other than Redis, unknown options) and for
call_command().
"""

import sys

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Store one email read from standard input as an inbound email and queue its processing."
    # Runs once per email: skip the system checks (URLconf, templates, admin) for a fast start.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recipient", default="", help="The envelope recipient (e.g. Postfix's ${recipient}).")

    def handle(self, *args: object, **options: object) -> None:
        self.verbosity = int(options.get("verbosity") or 1)
        sys.exit(self.pipe(sys.stdin.buffer, recipient=str(options.get("recipient") or "")))

    verbosity = 1

    def pipe(self, stream: object, *, recipient: str) -> int:
        from tickets.intake.pipe import pipe_email_outcome
        from tickets.intake.services import store_inbound_email

        outcome = pipe_email_outcome(store=store_inbound_email, raw=stream.read(), recipient=recipient)
        if outcome.error:
            self.stderr.write(outcome.error)
        elif self.verbosity > 1:
            self.stdout.write(outcome.stored)
        return outcome.code
