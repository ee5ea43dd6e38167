import time

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from firstline.demo.catalog import COMPANY_NAME
from firstline.demo.generator import (
    DEFAULT_SEED,
    DEFAULT_SELLERS,
    NOT_EMPTY_MESSAGE,
    DatabaseNotEmpty,
    Login,
    database_has_data,
    demo_logins,
    generate_demo,
)


class _ProgressStream:
    """Lets tqdm redraw its line on the command's stderr, which would otherwise end every write
    with a newline."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")

    def flush(self) -> None:
        self._wrapper.flush()


class Command(BaseCommand):
    help = (
        f"Fill an empty database with {COMPANY_NAME}, a demo sales organisation with three fiscal years "
        "of accounts, opportunities, stage history and targets, then print demo sign-ins."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--sellers", type=int, default=DEFAULT_SELLERS, help="Sellers (default 60).")
        parser.add_argument(
            "--opportunities", type=int, help="Opportunities (default about 417 per seller: 25,000 for 60)."
        )
        parser.add_argument(
            "--accounts", type=int, help="Accounts (default about 67 per seller: 4,000 for 60)."
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Same seed, same company (default 7)."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="If the database already has data, skip without an error."
        )

    def handle(self, *args, **options) -> None:
        if database_has_data():
            if not options["if_empty"]:
                raise CommandError(NOT_EMPTY_MESSAGE)
            self.stdout.write("The database already has data; skipped creating the demo company.")
            self._write_logins(demo_logins())
            return
        started = time.monotonic()
        try:
            result = generate_demo(
                sellers=options["sellers"],
                accounts=options["accounts"],
                opportunities=options["opportunities"],
                seed=options["seed"],
                progress=_ProgressStream(self.stderr) if options["verbosity"] > 0 else None,
            )
        except (DatabaseNotEmpty, ValueError) as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Created {COMPANY_NAME} in {elapsed:.1f} s:"))
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<16}{count:>12,}")
        self._write_logins(result.logins)

    def _write_logins(self, logins: list[Login]) -> None:
        if not logins:
            self.stdout.write("No demo sign-ins found.")
            return
        self.stdout.write("Sign in as:")
        self.stdout.write(f"  {'role':<12}{'username':<28}{'password':<18}name")
        for login in logins:
            self.stdout.write(f"  {login.role:<12}{login.username:<28}{login.password:<18}{login.name}")
