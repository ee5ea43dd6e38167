import json
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from firstline.core.periods import PeriodError, fiscal_calendar
from firstline.deals.api import forecast_payload
from firstline.deals.forecasting import team_forecast
from firstline.org.models import Team


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _percent(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.0f} %"


class Command(BaseCommand):
    help = (
        "A team's forecast for a period: the call, the stage-weighted pipeline and the Monte Carlo "
        "projection of percent to plan. --as-of replays what was known on a past day from the stage history."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--team", required=True, help="Team name (exact, case-insensitive).")
        parser.add_argument("--period", required=True, help="2025Q3, 2025, 2025-07.")
        parser.add_argument(
            "--as-of", type=date.fromisoformat, help="YYYY-MM-DD: replay that day's knowledge."
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (default 0).")
        parser.add_argument(
            "--user", help="Whose view to take (default: the first active superuser); scoping applies."
        )

    def handle(self, *args, **options) -> None:
        user = self._user(options["user"])
        try:
            period = fiscal_calendar().parse(options["period"])
        except PeriodError as error:
            raise CommandError(str(error)) from None
        team = Team.objects.visible_to(user).filter(name__iexact=options["team"]).order_by("path").first()
        if team is None:
            raise CommandError(f"No team called {options['team']!r} that {user.get_username()} can see.")
        result = team_forecast(
            user=user, team=team, period=period, as_of=options["as_of"], seed=options["seed"]
        )
        payload = forecast_payload(result)
        if options["format"] == "json":
            payload["as_of"] = payload["as_of"].isoformat()
            self.stdout.write(json.dumps(payload, indent=2))
            return
        self._write_text(result, payload)

    def _user(self, username: str | None):
        users = get_user_model().objects.filter(is_active=True)
        user = (
            users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        )
        if user is None:
            raise CommandError(
                f"No active user {username!r}." if username else "No active superuser; pass --user."
            )
        return user

    def _write_text(self, result, payload) -> None:
        mode = "replayed from the stage history" if result.replayed else "live"
        if result.rolled_up:
            mode = f"added up from {result.rolled_up} teams' figures stored by `firstline deals refresh`"
        lines = [
            f"Forecast for {result.team.name}, {result.period.label} as of {result.as_of:%Y-%m-%d} ({mode})",
            f"  target                 {_money(payload['target'])}",
            f"  won so far             {_money(payload['won_so_far'])}",
            f"  commit call            {_money(payload['commit_call'])}"
            + (" (manager's adjustment)" if payload["call_adjusted"] else ""),
            f"  best case call         {_money(payload['best_case_call'])}",
            f"  stage-weighted         {_money(payload['stage_weighted'])}",
            f"  run-rate               {_money(payload['run_rate'])}",
            f"  projection             {_money(payload['projection_mean'])}"
            f"  (80 % interval {_money(payload['projection_low'])} – {_money(payload['projection_high'])})",
            f"  percent to plan        {_percent(payload['percent_to_plan'])}"
            f"  ({_percent(payload['percent_to_plan_low'])} – {_percent(payload['percent_to_plan_high'])})",
            f"  open deals             {payload['open_deals']}"
            + (f", {payload['unknown_amounts']} without an amount" if payload["unknown_amounts"] else ""),
        ]
        self.stdout.write("\n".join(lines))
