"""`firstline kpis`: the KPI set of a team or a seller for a period, as a table, JSON or CSV.

firstline kpis --team "East" --period 2025Q3
firstline kpis --seller "Alice Archer" --period 2025YTD --format json
firstline kpis --rebuild            # recompute the pre-aggregated results from the deals
"""

import csv
import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from firstline.core.periods import PeriodError, fiscal_calendar
from firstline.kpis.figures import kpi_set, seller_population, team_population
from firstline.kpis.rollup import results_rebuild
from firstline.org.models import Person, Team

TABLE_FIGURES = (
    ("won_amount", "Closed won"),
    ("won_count", "Deals won"),
    ("lost_count", "Deals lost"),
    ("close_ratio_count", "Close ratio by count"),
    ("close_ratio_amount", "Close ratio by amount"),
    ("target", "Target"),
    ("percent_to_plan", "Percent to plan"),
    ("growth", "Growth vs a year before"),
    ("open_amount", "Open pipeline closing in period"),
    ("pipeline_coverage", "Pipeline coverage"),
    ("average_deal_size", "Average deal size"),
    ("sales_cycle_days", "Sales cycle (days)"),
    ("velocity", "Sales velocity (per day)"),
)


def find(model, name: str):
    """A person or team by id or by name as shown in the app; a clear error when it is not one."""
    objects = model.objects.all()
    matches = objects.filter(pk=int(name)) if name.isdigit() else objects.filter(name__iexact=name.strip())
    found = list(matches[:2])
    kind = model._meta.verbose_name
    if not found:
        raise CommandError(f"No {kind} is called {name!r}.")
    if len(found) > 1:
        raise CommandError(f"More than one {kind} is called {name!r}; give the id instead.")
    return found[0]


class Command(BaseCommand):
    help = "Show the KPIs of a team or a seller for a period (or rebuild the pre-aggregated results)."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group()
        who.add_argument("--team", help="A team's name as shown in the app, or its id.")
        who.add_argument("--seller", help="A person's name as shown in the app, or their id.")
        who.add_argument("--rebuild", action="store_true", help="Recompute the results from the deals.")
        parser.add_argument("--period", help="2025, 2025Q3, 2025-07 or 2025YTD.")
        parser.add_argument("--format", choices=("table", "json", "csv"), default="table")

    def handle(self, *args, **options):
        if options["rebuild"]:
            started = time.perf_counter()
            rows = results_rebuild()
            self.stdout.write(f"Rebuilt {rows:,} result rows in {time.perf_counter() - started:.1f} s.")
            return
        if not (options["team"] or options["seller"]) or not options["period"]:
            raise CommandError("Name a --team or a --seller, and a --period.")
        try:
            period = fiscal_calendar().parse(options["period"])
        except PeriodError as error:
            raise CommandError(str(error)) from None
        if options["team"]:
            population = team_population(find(Team, options["team"]))
        else:
            population = seller_population(find(Person, options["seller"]))
        figures = kpi_set(population, period).as_dict()
        getattr(self, f"_write_{options['format']}")(figures)

    def _write_json(self, figures):
        self.stdout.write(json.dumps(figures, cls=DjangoJSONEncoder, indent=2))

    def _write_csv(self, figures):
        writer = csv.writer(self.stdout)
        writer.writerow(["figure", "value", "period", "population"])
        for name, _label in TABLE_FIGURES:
            value = figures[name]
            shown = "" if value is None else value
            writer.writerow([name, shown, figures["period"]["label"], figures["population"]["name"]])

    def _write_table(self, figures):
        self.stdout.write(f"{figures['population']['description']} · {figures['period']['label']}")
        for name, label in TABLE_FIGURES:
            value = figures[name]
            self.stdout.write(f"  {label:<34}{'no data' if value is None else value:>20}")
        unknown = {key: count for key, count in figures["unknown"].items() if count}
        if unknown:
            listed = ", ".join(f"{count} {key}" for key, count in unknown.items())
            self.stdout.write(f"  Not counted above: {listed}")
