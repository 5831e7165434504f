"""Import emails from .eml files, Maildir folders or mbox files through the intake path.

For migrations and for back-filling after an outage. Emails are stored in batches and
processed in this process (one configuration read per batch), or queued for the workers
with --queue. Already-stored emails are skipped as duplicates, so a re-run is safe.
"""

import mailbox
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tickets.intake.bulk import process_inbound_bulk
from tickets.intake.services import (
    Intake,
    NotAnEmail,
    StoreResult,
    queue_inbound_email,
    store_inbound_batch,
)
from tickets.models import InboundEmail


def iter_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """Yield (label, raw bytes) for every email under `path`: a Maildir, a folder of .eml
    files (searched recursively), an mbox file or one .eml file."""
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            box = mailbox.Maildir(str(path), factory=None, create=False)
            for key in sorted(box.keys()):
                yield f"{path}:{key}", box.get_bytes(key)
            return
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if child.suffix.lower() in (".eml", ".msg", ".txt", "") or child.parent.name in ("cur", "new"):
                yield str(child), child.read_bytes()
        return
    with path.open("rb") as fh:
        start = fh.read(5)
    if start == b"From ":
        box = mailbox.mbox(str(path), factory=None, create=False)
        for key in box.keys():
            yield f"{path}#{key}", box.get_bytes(key)
        return
    yield str(path), path.read_bytes()


class Progress:
    """A one-line progress bar on stderr (no dependency)."""

    def __init__(self, stream: object, enabled: bool) -> None:
        self.stream, self.enabled, self.started, self.done = stream, enabled, time.monotonic(), 0

    def advance(self, n: int, total: int | None) -> None:
        self.done += n
        if not self.enabled:
            return
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        if total:
            filled = int(30 * self.done / total)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{total}"
        else:
            bar = f"{self.done}"
        self.stream.write(f"\r{bar} {rate:.0f} emails/s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


class Command(BaseCommand):
    help = "Import emails (.eml files, Maildir folders, mbox files) as tickets and replies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help=".eml files, folders of them, Maildirs or mbox files")
        parser.add_argument("--recipient", default="", help="Envelope recipient to assume (picks the department).")
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument("--queue", action="store_true", help="Queue each email for the workers instead.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        paths = [Path(p) for p in options["paths"]]
        for path in paths:
            if not path.exists():
                raise CommandError(_("%(path)s does not exist.") % {"path": path})
        total = None
        if all(p.is_file() for p in paths) and len(paths) > 1:
            total = len(paths)
        progress = Progress(self.stderr, enabled=not options["no_progress"] and sys.stderr.isatty() or
                            bool(options["verbosity"] and options["verbosity"] > 1))
        counts: Counter[str] = Counter()
        started = time.monotonic()
        batch: list[tuple[str, bytes]] = []
        intake = Intake.load()

        def flush() -> None:
            results = store_inbound_batch(raws=[raw for _, raw in batch], recipient=options["recipient"])
            todo: list[int] = []
            for (label, _raw), result in zip(batch, results, strict=True):
                if isinstance(result, NotAnEmail):
                    counts["not_email"] += 1
                    if options["verbosity"] > 1:
                        self.stderr.write(f"\n{label}: {result}")
                    continue
                assert isinstance(result, StoreResult)
                # A stored email still waiting (an earlier run stopped) is processed now.
                pk = result.inbound.pk
                if not result.created and (result.inbound.state != InboundEmail.State.NEW or pk in todo):
                    counts["duplicate"] += 1
                    continue
                todo.append(pk)
            if options["queue"]:
                for pk in todo:
                    queue_inbound_email(pk)
                counts["queued"] += len(todo)
            elif todo:
                waiting.extend(process_inbound_bulk(inbound_ids=todo, intake=intake).waiting)
                count_outcomes(set(todo) - set(waiting))
            progress.advance(len(batch), total)
            batch.clear()

        def count_outcomes(ids: set[int]) -> None:
            for outcome, state in InboundEmail.objects.filter(pk__in=ids).values_list("outcome", "state"):
                counts[outcome or state] += 1

        waiting: list[int] = []  # replies to emails another process was still working on
        for path in paths:
            for item in iter_messages(path):
                batch.append(item)
                if len(batch) >= options["batch_size"]:
                    flush()
        if batch:
            flush()
        if waiting:  # their parents are done by now, as a rule; if not, the workers finish them
            process_inbound_bulk(inbound_ids=waiting, intake=intake)
            count_outcomes(set(waiting))
        progress.close()
        elapsed = time.monotonic() - started
        seen = sum(counts.values())
        kept = {k: v for k, v in counts.items() if k in ("bounce", "auto_reply", "loop", "blocked", "refused",
                                                          "too_large", "held")}
        self.stdout.write(
            _("%(seen)d emails in %(s).1f s (%(rate).0f/s): new tickets %(new)d, replies %(replies)d, "
              "duplicates skipped %(dup)d, rejected %(rejected)d, failed %(failed)d%(queued)s")
            % {
                "seen": seen, "s": elapsed, "rate": seen / max(elapsed, 1e-6),
                "new": counts["ticket_opened"], "replies": counts["reply_added"],
                "dup": counts["duplicate"], "rejected": counts["not_email"] + sum(kept.values()),
                "failed": counts["failed"],
                "queued": f", queued {counts['queued'] + counts['new']}" if counts["queued"] + counts["new"] else "",
            }
        )
        if kept or counts["not_email"]:
            detail = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(kept.items()))
            if counts["not_email"]:
                detail = ", ".join(filter(None, [detail, f"not an email {counts['not_email']}"]))
            self.stdout.write(_("rejected or kept without a ticket: %(detail)s") % {"detail": detail})
