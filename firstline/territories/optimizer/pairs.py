"""Exact re-partition of two neighbouring territories at a time, for small instances.

The local search moves and exchanges a few units at once and ends in local optima that a better split
of two territories' units, many units changing sides, would leave (500 x 10, seed 4 of the bench:
4,585.7 -> 4,526.7 in 8 s CPU; another run's best start 4,607.4 -> 4,513.9). Here an integer program
(HiGHS) splits the units of territories a and b again: one 0/1 variable per unit (1: a), the cost its
weighted distance to a's centre minus to b's, both territories within the tolerance on every measure,
locked units fixed. Contiguity enters as separator cuts, added only where an answer has a territory in
pieces: for unit i in a piece C of a and a unit r of a's heaviest piece, every connected split has
y[i] + y[r] - 1 <= sum of y[v] over the neighbours v of C outside it (a path from i to r leaves C
through one of them), and the mirror image for b. A split is kept only when it is balanced, connected
and lowers the true objective (centres moved with the units).

Only for the distance objective without a current plan (it moves many units at once), and only up to
`MAX_VARIABLES` units x territories: 500 x 10 runs it, 2,000 x 20 and larger the code they ran before.
"""

import highspy
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from . import metrics
from .graph import Graph
from .model import Problem

MAX_VARIABLES = 10_000  # units x territories up to which it runs
SOLVE_SECONDS = 0.15  # per solve of one pair, on the problem's clock
WALL_GUARD = 50  # HiGHS's own limit, on its wall clock, in multiples of SOLVE_SECONDS
CUT_ROUNDS = 5  # solves per pair at most, each with the cuts its last answer violated


def applies(problem: Problem) -> bool:
    return (
        problem.objective == "distance"
        and not (problem.current >= 0).any()
        and problem.k >= 2
        and problem.n * problem.k <= MAX_VARIABLES
    )


def repartition(problem: Problem, graph: Graph, labels: np.ndarray, deadline: float) -> np.ndarray:
    """Split neighbouring pairs again while one gets better or time is left; the best partition seen.
    `labels` must be balanced and connected (so every split it is offered starts from a feasible one)."""
    k = problem.k
    if not applies(problem) or not _balanced(problem, labels):
        return labels
    if not metrics.connected(graph, labels, k).all():
        return labels
    best = metrics.weighted_distance(labels, problem.coords, problem.weights, k)
    # A pair's best split depends only on its own units and centres: a pair tried in vain is tried
    # again only after one of its territories has changed.
    settled: set[tuple[int, int]] = set()
    while todo := [pair for pair in _neighbouring_pairs(graph, labels, k) if pair not in settled]:
        for a, b in todo:
            if problem.clock() > deadline:
                return labels
            split = _split(problem, graph, labels, a, b)
            value = (
                np.inf
                if split is None
                else metrics.weighted_distance(split, problem.coords, problem.weights, k)
            )
            if value < best - 1e-9 and _balanced(problem, split):
                best, labels = value, split
                settled = {pair for pair in settled if not {a, b} & set(pair)}
            else:
                settled.add((a, b))
    return labels


def _neighbouring_pairs(graph: Graph, labels: np.ndarray, k: int) -> list[tuple[int, int]]:
    src, dst = graph.directed_edges()
    touching = np.zeros((k, k), dtype=bool)
    touching[labels[src], labels[dst]] = True
    return [(a, b) for a in range(k) for b in range(a + 1, k) if touching[a, b]]


def _balanced(problem: Problem, labels: np.ndarray) -> bool:
    dev = metrics.deviations(labels, problem.measures, problem.k, problem.targets())
    return bool((np.abs(dev).max(axis=0) <= problem.tolerance + 1e-9).all())


def _split(problem: Problem, graph: Graph, labels: np.ndarray, a: int, b: int) -> np.ndarray | None:
    """The best connected split of territories a and b that HiGHS finds, to their current centres;
    None when it finds nothing connected."""
    units = np.flatnonzero((labels == a) | (labels == b))
    centre = metrics.centres(labels, problem.coords, problem.weights, problem.k)
    to = np.linalg.norm(problem.coords[units, None, :] - centre[None, [a, b], :], axis=2)
    highs = _program(problem, units, a, b, problem.weights[units] * (to[:, 0] - to[:, 1]))
    start = (labels[units] == a).astype(float)
    where = np.arange(len(units), dtype=np.int32)
    local = _local_adjacency(graph, units)
    until = [0.0]
    # HiGHS counts its time limit on the wall clock; the problem's clock may count CPU seconds (a
    # benchmark on a busy machine), where a wall limit would leave each solve a fraction of its time.
    highs.cbMipInterrupt.subscribe(lambda event: event.interrupt(problem.clock() > until[0]))
    for _ in range(CUT_ROUNDS):
        highs.setSolution(len(units), where, start)  # connected and balanced: meets every cut
        until[0] = problem.clock() + SOLVE_SECONDS
        highs.run()
        if highs.getInfo().primal_solution_status != 2:  # kSolutionStatusFeasible: no answer in time
            return None
        side = np.asarray(highs.getSolution().col_value) > 0.5
        cuts = _cuts(local, side, problem.weights[units])
        if not cuts:
            split = labels.copy()
            split[units] = np.where(side, a, b)
            return split
        for index, value, upper in cuts:
            highs.addRow(-np.inf, upper, len(index), index, value)
    return None


def _program(problem: Problem, units: np.ndarray, a: int, b: int, cost: np.ndarray) -> highspy.Highs:
    """y[i] = 1 puts unit i in a, 0 in b; both within tolerance on every measure; locked units fixed."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("time_limit", SOLVE_SECONDS * WALL_GUARD)
    n = len(units)
    locked = problem.locked[units]
    lower = (locked == a).astype(float)
    upper = np.where(locked == b, 0.0, 1.0)
    none = np.zeros(0, dtype=np.int32)
    highs.addCols(n, cost, lower, upper, 0, none, none, np.zeros(0))
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger))
    targets = problem.targets()
    for j in range(problem.m):
        values = problem.measures[units, j]
        room_a = targets[a, j] * problem.tolerance[j]
        room_b = targets[b, j] * problem.tolerance[j]
        # a's share is the measure on y; b's is the rest, so b's limits bound a's share from the other side.
        low = max(targets[a, j] - room_a, values.sum() - targets[b, j] - room_b)
        high = min(targets[a, j] + room_a, values.sum() - targets[b, j] + room_b)
        highs.addRow(low, high, n, np.arange(n, dtype=np.int32), values)
    return highs


def _local_adjacency(graph: Graph, units: np.ndarray) -> csr_matrix:
    src, dst = graph.directed_edges()
    position = np.full(graph.n, -1)
    position[units] = np.arange(len(units))
    keep = (position[src] >= 0) & (position[dst] >= 0)
    n = len(units)
    return csr_matrix((np.ones(int(keep.sum())), (position[src[keep]], position[dst[keep]])), shape=(n, n))


Cut = tuple[np.ndarray, np.ndarray, float]  # variable indices, coefficients, upper bound


def _cuts(local: csr_matrix, side: np.ndarray, weights: np.ndarray) -> list[Cut]:
    """Separator cuts (indices, coefficients, upper bound) for every piece but the heaviest of each side.

    For side a (y = 1): y[i] + y[r] - sum y[v] <= 1. For side b the same in 1 - y, which reads
    -y[i] - y[r] + sum y[v] <= |around| - 1."""
    cuts = []
    for members, sign in ((np.flatnonzero(side), 1.0), (np.flatnonzero(~side), -1.0)):
        count, piece_of = connected_components(local[members][:, members], directed=False)
        if count <= 1:
            continue
        heaviest = int(np.argmax(np.bincount(piece_of, weights[members])))
        root = members[np.flatnonzero(piece_of == heaviest)[0]]
        for piece in range(count):
            if piece == heaviest:
                continue
            inside = members[piece_of == piece]
            around = np.setdiff1d(local[inside].indices, inside)
            upper = 1.0 if sign > 0 else len(around) - 1.0
            for i in inside:
                index = np.r_[i, root, around].astype(np.int32)
                cuts.append((index, sign * np.r_[1.0, 1.0, -np.ones(len(around))], upper))
    return cuts
