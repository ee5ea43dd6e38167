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
        if hasattr(self, "add_optimize_arguments"):
            self.add_optimize_arguments(sub)

    def handle(self, *args, **options):
        if options["action"] == "solve":
            return self.solve_file(options)
        return self.optimize_team(options)  # pragma: no cover - defined once the app side lands

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
