"""Territory design: split units (accounts, postcodes) into contiguous, compact territories that balance
any number of measures, keep locked units in place and move few units from the current plan.

Pure numpy/scipy and HiGHS (plus METIS when installed): no Django in here, so the app, the file CLI and the
benchmark all call `solve()` the same way.
"""

import numpy as np

from . import metrics, pairs
from .allocate import chains, relocate
from .diameter import polish_diameter
from .graph import build_graph
from .iterate import iterate, score
from .model import LARGE_UNIT_SHARE, Infeasible, Objective, Problem, Progress, Solution, check_feasible
from .search import Search, State
from .start import initial_labels
from .transfer import settle

RESERVE = 0.05  # share of the time limit kept for finishing
DIAMETER_SHAKE = 20  # units a shake for the diameter objective takes from the widest territories
COARSE_SHARE = 0.75  # share of the time after balancing that shakes may take before exchanges
STARTS = 3  # starts tried at most, each only while the time left fits another run as long as the first

__all__ = ["LARGE_UNIT_SHARE", "Infeasible", "Objective", "Problem", "Solution", "evaluate", "solve"]


def solve(problem: Problem, progress: Progress | None = None) -> Solution:
    """Propose territories for `problem`.

    Raises Infeasible with a clear message when balance cannot be had.
    """
    started = problem.clock()
    report = _monotone(progress)
    report(0, 100, "Building the adjacency graph")
    graph = build_graph(problem.coords, problem.edges)
    n_components, _ = graph.components()
    warnings = check_feasible(problem, n_components)
    # The search stops a little early: the last round and the final evaluation fit in what is left.
    deadline = started + problem.time_limit * (1 - RESERVE)
    report(5, 100, "Partitioning the graph")
    labels, how = initial_labels(problem, graph)
    search = _design(problem, graph, labels, deadline, report)
    best, best_labels = score(search), search.s.labels.copy()
    # A search that ends long before its limit (small instances converge in seconds) has time for
    # other starts: each ends in its own local optimum, and the best of a few is far steadier than one.
    took = problem.clock() - started
    # Rebalancing starts from the current plan every time; each run plans its moves a little
    # differently instead (`REBALANCING_VARIANTS`).
    for attempt in range(1, STARTS):
        if problem.clock() + took > deadline:
            break
        again = "Rebalancing another way" if how == "current plan" else "Trying another start"
        report(95, 100, f"{again} ({attempt + 1} of {STARTS})")
        labels, _how = initial_labels(problem, graph, attempt)
        other = _design(problem, graph, labels, deadline, None, attempt)
        # Another partition may not be repairable into connected territories around locked units.
        if score(other) < best and metrics.connected(graph, other.s.labels, problem.k).all():
            best, best_labels = score(other), other.s.labels.copy()
    solution = evaluate(problem, best_labels, graph=graph, warnings=warnings)
    solution.start = how
    solution.seconds = problem.clock() - started
    if not solution.balanced:
        worst = int(np.argmax(solution.max_deviation - problem.tolerance))
        solution.warnings.append(
            f"Balance within tolerance was not reached (the search stopped after {solution.seconds:.1f} s of "
            f"{problem.time_limit:g} s allowed): {problem.measure_names[worst]} "
            f"is off by up to {solution.max_deviation[worst]:.1%} (allowed {problem.tolerance[worst]:.1%})."
        )
    report(100, 100, "Done")
    return solution


def _design(
    problem: Problem, graph, labels: np.ndarray, deadline: float, report: Progress | None, attempt: int = 0
) -> Search:
    """Balance, then compactness coarse to fine, from the start `labels`; the search at its end."""

    def say(done: int, message: str) -> None:
        if report:
            report(done, 100, message)

    state = State.build(problem, graph, labels, deadline)
    search = Search(state, lambda d, t, msg: say(10 + min(55, d), msg), attempt)
    search.run("Balancing", hard=False)
    settle(search)
    search.keep_moves()
    say(70, "Improving compactness")
    # Compactness coarse to fine: single moves and shakes first (cheap, large gains each), then the
    # same with exchanges of units across borders (dear, small gains each) in the time left.
    search.run("Compacting", hard=True, exchanges=False)

    def polish() -> None:
        if problem.objective == "diameter":
            polish_diameter(state, deadline)

    def loosen() -> None:
        polish_diameter(state, deadline, max_steps=DIAMETER_SHAKE, balanced=False)

    polish()
    say(80, "Trying variations")
    now = problem.clock()
    shake_more = loosen if problem.objective == "diameter" else None
    iterate(search, now + (deadline - now) * COARSE_SHARE, polish, exchanges=False, loosen=shake_more)
    say(90, "Exchanging units across borders")
    search.run("Compacting", hard=True)
    polish()
    iterate(search, deadline, polish, exchanges=True, loosen=shake_more)
    relocate(search)
    chains(search)
    settle(search)
    # On small instances, pairs of territories split again exactly: where a start ends decides which
    # better splits are in reach, so every start gets it, not only the best.
    if pairs.applies(problem):
        say(93, "Splitting pairs of territories again")
        labels = pairs.repartition(problem, graph, state.labels, deadline)
        if labels is not state.labels:
            state.reset(labels)
    return search


def _monotone(progress: Progress | None) -> Progress:
    """Progress that never goes backwards, whatever phase restarts its own count."""
    reached = [0]

    def report(done: int, total: int, message: str) -> None:
        reached[0] = max(reached[0], round(100 * done / max(total, 1)))
        if progress:
            progress(reached[0], 100, message)

    return report


def evaluate(problem: Problem, labels: np.ndarray, *, graph=None, warnings=None) -> Solution:
    """Every reported figure of a partition, recomputed from scratch (no running totals trusted)."""
    graph = graph or build_graph(problem.coords, problem.edges)
    k = problem.k
    dev = metrics.deviations(labels, problem.measures, k, problem.targets())
    max_dev = np.abs(dev).max(axis=0)
    moved = np.flatnonzero((problem.current >= 0) & (labels != problem.current))
    totals = problem.measures.sum(axis=0)
    return Solution(
        labels=labels,
        sums=metrics.territory_sums(labels, problem.measures, k),
        deviation=dev,
        max_deviation=max_dev,
        cv=metrics.coefficient_of_variation(labels, problem.measures, k),
        connected=metrics.connected(graph, labels, k),
        weighted_distance=metrics.weighted_distance(labels, problem.coords, problem.weights, k),
        max_diameter=float(metrics.diameters(labels, problem.coords, k).max()),
        objective=problem.objective,
        balanced=bool((max_dev <= problem.tolerance + 1e-9).all()),
        moved=moved,
        moved_share=problem.measures[moved].sum(axis=0) / np.where(totals > 0, totals, 1.0),
        warnings=list(warnings or []),
    )
