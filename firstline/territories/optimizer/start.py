"""A first partition: METIS on the adjacency graph (balanced on every measure at once, or on large
graphs on their average), or the current plan when there is one; then locked units put in place and
every territory made one component."""

from collections import deque

import numpy as np
from scipy.optimize import linear_sum_assignment

from .graph import Graph
from .model import Problem

ONE_WEIGHT_ABOVE = 20_000  # units from which METIS balances one weight (see `_partition`)

try:  # METIS is optional: region growing below is the fallback
    import pymetis
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    pymetis = None


def initial_labels(problem: Problem, graph: Graph, attempt: int = 0) -> tuple[np.ndarray, str]:
    """The start: the current plan when every unit has one, else a partition (a different one for
    each `attempt`)."""
    if (problem.current >= 0).all():
        labels, how = problem.current.copy(), "current plan"
    else:
        seed = problem.seed + attempt
        labels, how = _partition(problem, graph, seed), "METIS" if pymetis is not None else "region growing"
        labels = _match_labels(labels, problem)
        if (problem.current >= 0).any():
            keep = problem.current >= 0
            labels[keep] = problem.current[keep]
    locked = problem.locked >= 0
    labels[locked] = problem.locked[locked]
    repair_connectivity(problem, graph, labels)
    return labels, how


def _partition(problem: Problem, graph: Graph, seed: int) -> np.ndarray:
    k = problem.k
    if k == 1:
        return np.zeros(problem.n, dtype=np.int64)
    if pymetis is None:
        return region_growing(problem, graph, seed)
    totals = problem.measures.sum(axis=0)
    scaled = problem.measures / np.where(totals > 0, totals, 1.0) * 1e6
    if problem.n > ONE_WEIGHT_ABOVE:
        # One weight per unit, its average share of the measures: with contiguous parts METIS
        # balances several weights at once far worse on large graphs (30-37 % off at 100,000 x 500,
        # against 10-15 % for the average), and the search reaches balance seconds sooner from there.
        # Smaller instances end more compact from the multi-constraint start (500 x 10: 1-3 %).
        scaled = scaled.mean(axis=1)
    # METIS wants positive integer weights; a floor of 1 keeps zero-measure units placeable.
    vweights = np.maximum(1, np.rint(scaled)).astype(np.int64).ravel()
    # Short edges are expensive to cut, so territories follow natural gaps between towns.
    typical = np.median(graph.lengths) if len(graph.lengths) else 1.0
    eweights = np.maximum(1, np.rint(100 * typical / (graph.lengths + typical * 1e-3))).astype(np.int64)
    options = pymetis.Options(contig=1, ufactor=5, seed=seed, niter=20)
    _cuts, parts = pymetis.part_graph(
        k,
        pymetis.CSRAdjacency(graph.indptr, graph.indices),
        vweights=vweights,
        eweights=eweights,
        options=options,
    )
    return np.asarray(parts, dtype=np.int64)


def _match_labels(labels: np.ndarray, problem: Problem) -> np.ndarray:
    """Renumber parts so they agree as much as possible with locked and current territories."""
    hint = np.where(problem.locked >= 0, problem.locked, problem.current)
    known = hint >= 0
    if not known.any():
        return labels
    k = problem.k
    overlap = np.zeros((k, k))
    np.add.at(overlap, (labels[known], hint[known]), problem.weights[known] + 1e-9)
    np.add.at(overlap, (labels[problem.locked >= 0], problem.locked[problem.locked >= 0]), 1e6)
    rows, cols = linear_sum_assignment(-overlap)
    mapping = np.empty(k, dtype=np.int64)
    mapping[rows] = cols
    return mapping[labels]


def region_growing(problem: Problem, graph: Graph, seed: int = 0) -> np.ndarray:
    """Grow k regions from spread-out seeds, always extending the lightest region by a neighbour."""
    n, k = problem.n, problem.k
    rng = np.random.default_rng(seed)
    seeds = [int(rng.integers(n))]
    dist = np.linalg.norm(problem.coords - problem.coords[seeds[0]], axis=1)
    while len(seeds) < k:
        nxt = int(np.argmax(dist))
        seeds.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(problem.coords - problem.coords[nxt], axis=1))
    labels = np.full(n, -1, dtype=np.int64)
    load = np.zeros(k)
    size = problem.weights + 1e-9
    frontier = [deque() for _ in range(k)]
    for t, s in enumerate(seeds):
        labels[s] = t
        load[t] += size[s]
        frontier[t].extend(int(v) for v in graph.neighbours(s))
    remaining = n - k
    active = np.ones(k, dtype=bool)
    while remaining and active.any():
        t = int(np.argmin(np.where(active, load, np.inf)))
        while frontier[t] and labels[frontier[t][0]] >= 0:
            frontier[t].popleft()
        if not frontier[t]:
            active[t] = False
            continue
        u = frontier[t].popleft()
        labels[u] = t
        load[t] += size[u]
        remaining -= 1
        frontier[t].extend(int(v) for v in graph.neighbours(u) if labels[v] < 0)
    labels[labels < 0] = 0  # only units unreachable from every seed; repair handles them
    return labels


def repair_connectivity(problem: Problem, graph: Graph, labels: np.ndarray) -> None:
    """Make every territory one component: join stray locked pieces by a path, give other pieces away."""
    for _ in range(50):
        count, comp = graph.components(labels)
        if count == problem.k and np.bincount(labels, minlength=problem.k).min() > 0:
            return
        main = _main_component(problem, labels, comp)
        stray = ~np.isin(comp, list(main.values()))
        if not stray.any():
            _fill_empty(problem, graph, labels)
            continue
        for t, c in main.items():
            pieces = np.unique(comp[stray & (labels == t) & (problem.locked == t)])
            for piece in pieces:
                _connect(graph, labels, problem.locked, np.flatnonzero(comp == piece), comp == c, t)
        count, comp = graph.components(labels)
        main = _main_component(problem, labels, comp)
        stray_units = np.flatnonzero(~np.isin(comp, list(main.values())) & (problem.locked < 0))
        _hand_to_neighbours(graph, labels, stray_units, set(stray_units.tolist()))
        _fill_empty(problem, graph, labels)


def _main_component(problem: Problem, labels: np.ndarray, comp: np.ndarray) -> dict[int, int]:
    """Per territory, the piece to keep: the one with most locked units, then the heaviest."""
    score = problem.weights + 1.0 + (problem.locked >= 0) * 1e12
    best: dict[int, tuple[float, int]] = {}
    for c in np.unique(comp):
        members = comp == c
        t = int(labels[np.argmax(members)])
        s = float(score[members].sum())
        if t not in best or s > best[t][0]:
            best[t] = (s, int(c))
    return {t: c for t, (_s, c) in best.items()}


def _connect(graph: Graph, labels, locked, piece: np.ndarray, target: np.ndarray, t: int) -> None:
    """Give territory t the shortest path (through unlocked units) from a stray piece to its main part."""
    parent = {int(u): -1 for u in piece}
    queue = deque(parent)
    while queue:
        u = queue.popleft()
        if target[u]:
            step = parent[u]
            while step >= 0:
                labels[step] = t
                step = parent[step]
            return
        for v in graph.neighbours(u):
            v = int(v)
            if v not in parent and (locked[v] < 0 or locked[v] == t):
                parent[v] = u
                queue.append(v)


def _hand_to_neighbours(graph: Graph, labels, units: np.ndarray, pending: set[int]) -> None:
    """Reassign stray units to the territory of an adjacent unit that is not itself stray."""
    for _ in range(len(units) + 1):
        if not pending:
            return
        progressed = False
        for u in list(pending):
            for v in graph.neighbours(u):
                if int(v) not in pending:
                    labels[u] = labels[v]
                    pending.discard(u)
                    progressed = True
                    break
        if not progressed:
            return


def _fill_empty(problem: Problem, graph: Graph, labels: np.ndarray) -> None:
    """Seed any empty territory with an unlocked unit at the edge of the biggest territory."""
    counts = np.bincount(labels, minlength=problem.k)
    for t in np.flatnonzero(counts == 0):
        big = int(np.argmax(counts))
        members = np.flatnonzero((labels == big) & (problem.locked < 0))
        if len(members) == 0:
            continue
        centre = problem.coords[members].mean(axis=0)
        u = int(members[np.argmax(np.linalg.norm(problem.coords[members] - centre, axis=1))])
        labels[u] = t
        counts[big] -= 1
        counts[t] += 1
