#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    if sys.argv[1:2] == ["pipe_email"]:
        # A mail server runs this once per email: store it without Django's full start-up
        # (tickets/intake/pipe.py); None means the ordinary command does it.
        from tickets.intake import pipe as inbound_pipe

        code = inbound_pipe.main(sys.argv[2:])
        if code is not None:
            inbound_pipe.exit_now(code)
        inbound_pipe.run_command(sys.argv)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
