from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from firstline.core.jobs import ConsoleProgress
from firstline.demo.management.commands.demo import _ProgressStream
from firstline.io.engine import ImportRefused, Report
from firstline.io.fields import KINDS, PRESETS
from firstline.io.services import import_run_create, import_run_execute


class Command(BaseCommand):
    help = "Import a CRM export (CSV or XLSX): people, accounts, products, opportunities or targets."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--mapping", type=Path, help="A TOML mapping file (see docs/import.md).")
        parser.add_argument(
            "--preset", choices=sorted(PRESETS), help="Header names of a CRM's standard export."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check every row, write nothing.")
        parser.add_argument(
            "--skip-bad-rows", action="store_true", help="Import the good rows, report the bad."
        )
        parser.add_argument("--user", help="Import as this user, within their scope (default: a superuser).")

    def handle(self, *args, **options) -> None:
        actor = self._actor(options["user"])
        try:
            data = options["file"].read_bytes()
            mapping = options["mapping"].read_text(encoding="utf-8") if options["mapping"] else ""
        except OSError as error:
            raise CommandError(f"Cannot read {error.filename}: {error.strerror}.") from None
        progress = ConsoleProgress(_ProgressStream(self.stderr) if options["verbosity"] > 0 else None)
        try:
            run = import_run_create(
                actor=actor,
                kind=options["kind"],
                file_name=options["file"].name,
                data=data,
                mapping=mapping,
                skip_bad_rows=options["skip_bad_rows"],
            )
            if options["preset"] and not mapping:
                from firstline.io.engine import prepare

                _table, found = prepare(
                    kind=run.kind,
                    data=data,
                    filename=run.file_name,
                    mapping_text=None,
                    preset=options["preset"],
                )
                run.mapping = found.to_toml()
                run.save(update_fields=["mapping"])
            report = import_run_execute(run, dry_run=options["dry_run"], progress=progress)
        except ImportRefused as refused:
            raise CommandError(f"Nothing was imported. {refused}") from None
        finally:
            progress.close()
        self._summary(report, run)
        if report.rejected_rows and not report.written and not options["dry_run"]:
            raise CommandError("Nothing was imported: fix the rejected rows or use --skip-bad-rows.")

    def _actor(self, username):
        users = get_user_model().objects.filter(is_active=True)
        actor = (
            users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        )
        if actor is None:
            raise CommandError(f"No active user {username!r}." if username else "No superuser: pass --user.")
        return actor

    def _summary(self, report: Report, run) -> None:
        self.stdout.write("Mapping used (save it, edit it, pass it with --mapping):")
        self.stdout.write(report.mapping)
        counts = report.counts()
        verb = (
            "Checked (dry run, nothing written)"
            if report.dry_run
            else "Imported"
            if report.written
            else "Rejected"
        )
        self.stdout.write(self.style.SUCCESS(f"{verb}: {run.file_name} as {run.kind} (import #{run.pk})"))
        for name in ("rows", "created", "updated", "unchanged", "rejected"):
            self.stdout.write(f"  {name:<10}{counts[name]:>10,}")
        for error in report.rejected:
            self.stdout.write(f"  rejected {error}")
        for value, name in report.matches.items():
            self.stdout.write(f"  matched {value!r} to {name!r}")
        for note in report.notes:
            self.stdout.write(f"  note: {note}")
