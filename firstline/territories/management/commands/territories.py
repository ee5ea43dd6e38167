"""`firstline territories solve` (plain files) and `firstline territories optimize` (the app's data)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from firstline.territories.optimizer import Infeasible, Solution, solve
from firstline.territories.optimizer.files import read_edges, read_units, write_assignment


class Command(BaseCommand):
    help = "Design territories: solve a units file, or optimize a team's territories."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        files = sub.add_parser("solve", help="Partition the units of a CSV file into territories.")
        files.add_argument(
            "units", type=Path, help="CSV: id, x/y or longitude/latitude, one column per measure"
        )
        files.add_argument("--territories", type=int, required=True)
        files.add_argument("--edges", type=Path, help="CSV of adjacent unit id pairs (default: Delaunay)")
        files.add_argument("--tolerance", type=float, default=0.05, help="allowed relative deviation")
        files.add_argument("--objective", choices=["distance", "diameter"], default="distance")
        files.add_argument("--time-limit", type=float, default=30.0)
        files.add_argument("--seed", type=int, default=0)
        files.add_argument("--out", type=Path, required=True)
        team = sub.add_parser("optimize", help="Propose balanced territories for a team (a scenario).")
        team.add_argument("--team", required=True, help="the team's name")
        team.add_argument("--balance", default="potential,workload", help="measures, comma-separated")
        team.add_argument("--tolerance", type=float, default=0.02)
        team.add_argument("--max-moves", type=int)
        team.add_argument("--format", choices=["text", "json"], default="text")
        team.add_argument("--as", dest="username", help="run as this user (default: the team's manager)")

    def handle(self, *args, **options):
        if options["action"] == "solve":
            return self.solve_file(options)
        return self.optimize_team(options)

    def solve_file(self, options) -> None:
        try:
            problem = read_units(
                options["units"],
                k=options["territories"],
                tolerance=options["tolerance"],
                objective=options["objective"],
                time_limit=options["time_limit"],
                seed=options["seed"],
            )
            if options["edges"]:
                problem.edges = read_edges(options["edges"], problem.unit_ids)
            solution = self.run_with_bar(problem)
        except (Infeasible, OSError) as error:
            raise CommandError(str(error)) from None
        write_assignment(options["out"], problem.unit_ids, solution.labels)
        self.print_summary(problem.measure_names, solution)
        self.stdout.write(f"Assignment written to {options['out']}")

    def run_with_bar(self, problem):
        show = self.stderr.isatty() if hasattr(self.stderr, "isatty") else False
        with tqdm(total=100, desc="Optimizing", file=self.stderr._out, disable=not show) as bar:

            def progress(done, total, message):
                bar.n = round(100 * done / max(total, 1))
                bar.set_postfix_str(message, refresh=True)

            return solve(problem, progress)

    def print_summary(self, names: list[str], solution: Solution, as_json: bool = False) -> None:
        summary = summarize(names, solution)
        if as_json:
            self.stdout.write(json.dumps(summary, indent=2))
            return
        for name, dev, cv in zip(names, solution.max_deviation, solution.cv, strict=True):
            self.stdout.write(
                f"{name}: max deviation from the mean {dev:.2%}, coefficient of variation {cv:.2%}"
            )
        self.stdout.write(
            "Every territory is connected."
            if solution.all_connected
            else f"{int((~solution.connected).sum())} territories are NOT connected."
        )
        label = (
            "largest territory diameter" if solution.objective == "diameter" else "total weighted distance"
        )
        self.stdout.write(f"Objective ({label}): {solution.objective_value:,.2f}")
        self.stdout.write(
            f"Balanced within tolerance: {'yes' if solution.balanced else 'no'}; {solution.seconds:.2f} s"
        )
        for warning in solution.warnings:
            self.stderr.write(f"Warning: {warning}")

    def optimize_team(self, options) -> None:
        from firstline.core.scoping import OutOfScope
        from firstline.territories.design import scenario_create, scenario_run

        team, actor = self.team_and_actor(options)
        try:
            scenario = scenario_create(
                actor=actor,
                team=team,
                balance=[m.strip() for m in options["balance"].split(",") if m.strip()],
                tolerance=options["tolerance"],
                max_moves=options["max_moves"],
            )
        except (OutOfScope, ValueError) as error:
            raise CommandError(str(error)) from None
        scenario = scenario_run(scenario)
        if scenario.status != "ready":
            raise CommandError(scenario.message)
        result = scenario.result
        summary = {
            "scenario": scenario.pk,
            "team": team.name,
            "max_deviation": result["max_deviation"],
            "moves": len(result["moves"]),
            "moved_potential_share": round(result["moved_potential_share"], 4),
            "connected": f"{result['connected']}/{result['territories']}",
            "seconds": result["seconds"],
            "sellers": result["sellers"],
            "warnings": result["warnings"],
        }
        if options["format"] == "json":
            self.stdout.write(json.dumps(summary, indent=2))
            return
        for name, dev in result["max_deviation"].items():
            self.stdout.write(
                f"{name}: largest gap from a fair share {dev['before']:.1%} -> {dev['after']:.1%}"
            )
        self.stdout.write(
            f"Accounts moved: {summary['moves']} ({summary['moved_potential_share']:.1%} of potential)"
        )
        self.stdout.write(f"Connected territories: {summary['connected']}; {summary['seconds']} s")
        self.stdout.write(
            f"Scenario {scenario.pk} is ready; a manager applies it on the territory design page."
        )

    def team_and_actor(self, options):
        from django.contrib.auth import get_user_model

        from firstline.org.models import Team

        teams = list(Team.objects.filter(name=options["team"]).select_related("manager__user"))
        if len(teams) != 1:
            raise CommandError(f"{len(teams)} teams are named {options['team']!r}; name exactly one.")
        team = teams[0]
        if options["username"]:
            actor = get_user_model().objects.filter(username=options["username"]).first()
        else:
            actor = team.manager.user if team.manager and team.manager.user else None
        if actor is None:
            raise CommandError("No user to run as: pass --as USERNAME.")
        return team, actor


def summarize(names: list[str], solution: Solution) -> dict:
    return {
        "max_deviation": dict(zip(names, solution.max_deviation.round(6).tolist(), strict=True)),
        "coefficient_of_variation": dict(zip(names, solution.cv.round(6).tolist(), strict=True)),
        "all_connected": solution.all_connected,
        "objective": solution.objective,
        "objective_value": round(solution.objective_value, 4),
        "balanced": solution.balanced,
        "moved": len(solution.moved),
        "seconds": round(solution.seconds, 3),
        "warnings": solution.warnings,
    }
