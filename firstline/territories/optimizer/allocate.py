"""Two polishes for the distance objective that change many territories at once, where single moves
and exchanges between two territories end in a local optimum.

`relocate` is Hess and Weaver's location-allocation alternation. With the centres held fixed, a linear
program (HiGHS) allocates every unit to a territory at once, cheapest weighted distance within the
tolerance on every measure; a vertex of it splits only about one unit per balance limit it meets, and
those go to their largest share. Contiguity is not in the program: stray pieces are handed to their
neighbours (`repair_connectivity`), the search balances again and compacts with balance as a hard
limit, and the result is kept only when it is balanced, connected and better. Its centres start the
next round.

`chains` is an integer program over the border moves (and strips of units two deep behind a border)
that improves compactness with balance a hard limit: it finds the cycles of moves, one territory to
the next and round, that no exchange between two territories can make. Its moves are made one by one,
each checked for contiguity, and kept only when the search's score improves.

Both only for the distance objective without a current plan (moving many units at once is what
rebalancing must not do), and only on small and medium instances: `relocate`'s program has n × k
variables.
"""

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

from . import metrics
from .iterate import score
from .search import Search
from .start import repair_connectivity
from .transfer import PASSES, _deeper, _make, border_moves, chosen_moves

MAX_VARIABLES = 100_000  # units × territories up to which the polishes run (500 x 10, 2,000 x 20)
ROUNDS = 4  # allocations at most, each from the centres of the best partition so far
AIM = 0.9  # share of the tolerance the allocation uses: rounding and repairs need a little room
CHAIN_DEPTH = 2  # layers behind a border `chains` may take units from
CHAIN_SECONDS = 1.0  # time limit of each of its integer programs
CHAIN_ROUNDS = 20  # its programs at most, each solved again without the moves that could not be made


def allocation(problem, centres: np.ndarray, aim: float = AIM) -> np.ndarray | None:
    """Each unit's territory in the cheapest allocation to fixed `centres` that keeps every territory
    within `aim` of its tolerance on every measure, contiguity relaxed; locked units stay put. None
    when the program has no answer (locked units leave no room, or the time is out)."""
    k, m = problem.k, problem.m
    free = np.flatnonzero(problem.locked < 0)
    locked = np.flatnonzero(problem.locked >= 0)
    nf = len(free)
    dist = np.linalg.norm(problem.coords[free, None, :] - centres[None, :, :], axis=2)
    cost = (problem.weights[free, None] * dist).ravel()
    col = np.arange(nf * k)
    once = csr_matrix((np.ones(nf * k), (col // k, col)), shape=(nf, nf * k))
    targets = problem.targets()
    held = metrics.territory_sums(problem.locked[locked], problem.measures[locked], k) if len(locked) else 0.0
    rows, upper, lower = [], [], []
    for j in range(m):
        rows.append(csr_matrix((np.repeat(problem.measures[free, j], k), (col % k, col)), shape=(k, nf * k)))
        room = targets[:, j] * problem.tolerance[j] * aim
        upper.append(targets[:, j] + room - (held[:, j] if len(locked) else 0.0))
        lower.append(targets[:, j] - room - (held[:, j] if len(locked) else 0.0))
    sums = vstack(rows)
    result = linprog(
        cost,
        A_ub=vstack([sums, -sums]),
        b_ub=np.concatenate([np.concatenate(upper), -np.concatenate(lower)]),
        A_eq=once,
        b_eq=np.ones(nf),
        bounds=(0, 1),
        method="highs",
    )
    if result.status != 0:
        return None
    labels = problem.locked.copy()
    labels[free] = result.x.reshape(nf, k).argmax(axis=1)
    return labels


def applies(search: Search) -> bool:
    """Whether the polishes run: see the module's docstring."""
    p = search.s.problem
    return p.objective == "distance" and not search.disrupting and p.k >= 2 and p.n * p.k <= MAX_VARIABLES


def relocate(search: Search, rounds: int = ROUNDS) -> int:
    """Alternate allocation to fixed centres and the local search while it pays; the number of
    improving rounds. Leaves the search at the best partition it saw."""
    s, p = search.s, search.s.problem
    if not applies(search):
        return 0
    best, best_labels = score(search), s.labels.copy()
    better = 0
    for _ in range(rounds):
        if p.clock() > s.deadline:
            break
        labels = allocation(p, s.centres())
        if labels is None:
            break
        repair_connectivity(p, s.graph, labels)
        s.reset(labels)
        search.run("Balancing", hard=False)
        search.run("Compacting", hard=True)
        now = score(search)
        if now < best and metrics.connected(s.graph, s.labels, p.k).all():
            best, best_labels = now, s.labels.copy()
            better += 1
        else:
            break
    if not np.array_equal(s.labels, best_labels):
        s.reset(best_labels)
    return better


def chains(search: Search, depth: int = CHAIN_DEPTH, rounds: int = CHAIN_ROUNDS) -> int:
    """Compactness moves for every territory at once: an integer program over border moves (and
    strips up to `depth` deep) with balance a hard limit. Finds the cycles of moves (one territory
    to the next and round) that single moves and exchanges between two territories cannot."""
    s, p = search.s, search.s.problem
    if not applies(search) or search.violation() > 0:
        return 0
    refused: set[int] = set()
    better = 0
    for _ in range(rounds):
        if p.clock() > s.deadline:
            break
        found = border_moves(search, refused)
        if found is None:
            break
        u, a, b = found
        layer, after = np.zeros(len(u), dtype=np.int64), None
        if depth > 1:
            u, a, b, layer, after = _deeper(search, u, a, b, np.ones(p.k, dtype=bool), refused, depth)
        cost = search.compact_delta(u, a, b, s.centres())
        behind = None if after is None else (after, np.zeros(after.shape[0]))
        chosen = chosen_moves(search, u, a, b, cost, CHAIN_SECONDS, behind)
        if chosen is None or not len(chosen) or cost[chosen].sum() >= -1e-9:
            break
        chosen = chosen[np.argsort(layer[chosen], kind="stable")]
        before, before_score = s.labels.copy(), score(search)
        _made, pending = _make(search, [(int(u[i]), int(a[i]), int(b[i])) for i in chosen], PASSES + depth)
        if search.violation() > 0:
            search.run("Balancing", hard=False)
        search.run("Compacting", hard=True, exchanges=False)
        if score(search) < before_score:
            better += 1
        else:
            s.reset(before)
            if not pending:
                break
        refused.update(uu * p.k + bb for uu, _aa, bb in pending)
    return better
