"""Balance many territories at once: a linear program over every boundary move.

Moves judged one at a time stall once neighbouring territories differ by less than a unit: a region
that is long on potential and short on workload hands nothing on, because each neighbour would only
trade places with it. Here every boundary unit may go to any territory it touches, all at once: a
linear program (HiGHS) picks the cheapest set of moves — fewest, then most compact — that brings every
territory within tolerance on every measure. It routes surpluses through chains of territories and
chooses which units carry them (a large account one way, small ones back), which is what fixes two
measures at once. Contiguity is not in the program: the chosen moves are applied one by one, each
checked like any other move, and what is skipped is left to the local search.

Rebalancing a current plan (moves cost disruption), a plan may also move strips of units behind a
border (`_deeper`), and once the plan is balanced an integer program over every border move trades
moves for fewer moved units, balance a hard limit (`settle`).
"""

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix, hstack, identity, vstack

from .graph import surely_separable
from .search import REBALANCING_VARIANTS, Search

MOVE_COST = 0.01  # per move, in the search's compactness currency: fewest moves first
SLACK_COST = 1000.0  # per unit of a territory's mean beyond the aim: far above a move's cost
AIM = 0.6  # share of the tolerance a plan aims for (rebalancing a current plan: `Search.aim_disrupting`)
# The same for an integer program, which has no fractions to round. When moves cost disruption, every
# unit of room kept inside the tolerance costs moves (the bound they are measured against uses it all).
AIM_EXACT, AIM_EXACT_DISRUPTING = 0.95, 0.99
WHOLE, FRACTION = 0.99, 0.01  # a planned move above WHOLE is made; between the two, it is split
MIP_SECONDS = 0.5
MIP_MOVES = 1500  # moves an integer program may decide at once
PASSES = 3
# Far out of balance (this share of territories beyond tolerance) with this many split units, a plan
# rounds them instead of deciding them by an integer program.
FAR_OFF, FAR_SPLIT = 0.25, 300
SETTLE_SECONDS = 3.0  # time limit of the integer program that settles a balanced plan (`settle`)
SETTLE_TRIES = 3  # programs solved again without the moves that could not be made
SETTLE_COMPACT = 0.1  # weight of compactness against disruption in that program
# Rebalancing a current plan, a plan may also move units this many layers deep behind a border
# (`Search.depth`, 3 in the first run), each only together with a neighbour of the layer before that
# goes the same way (a strip that shifts the border): the fewest moves often take a large unit from
# inside, not several small ones on the border.
DEPTH = REBALANCING_VARIANTS[0][1]


def transfer(search: Search, refused: set[int]) -> int:
    """Plan moves for every territory at once and make them; the number of units moved. Planned moves
    that could not be made are added to `refused` (as unit * k + territory) and left out of later plans."""
    s, p = search.s, search.s.problem
    # Around territories out of tolerance, where every option counts, the units the ring test cannot
    # settle get the bounded search too.
    off = (np.abs(s.sums - 1.0) > search.tol).any(axis=1)
    found = border_moves(search, refused, off)
    if found is None:
        return 0
    u, a, b = found
    layer, after = np.zeros(len(u), dtype=np.int64), None
    if search.disrupting and search.depth > 1:
        u, a, b, layer, after = _deeper(search, u, a, b, off, refused, search.depth)
    chosen = _plan(search, u, a, b, after)
    chosen = chosen[np.argsort(layer[chosen], kind="stable")]  # a strip is made from the border inwards
    pending = [(int(u[i]), int(a[i]), int(b[i])) for i in chosen]
    made, pending = _make(search, pending, PASSES + int(layer.max(initial=0)))
    search.planned.update(uu * p.k + aa for uu, aa, _bb in made)
    refused.update(uu * p.k + bb for uu, _aa, bb in pending)
    return len(made)


def border_moves(search: Search, refused: set[int], near: np.ndarray | None = None):
    """The border moves (units, from, to) possible on their own and not `refused`, or None; together
    they are checked again when made. The ring test settles most units at once; those it cannot get
    the bounded search (with `near`, only between territories where it is true)."""
    s, p = search.s, search.s.problem
    found = search.candidates()
    if found is None:
        return None
    u, a, b = found
    alone = surely_separable(s.graph, s.labels)[u]
    unsure = ~alone if near is None else ~alone & (near[a] | near[b])
    for i in np.flatnonzero(unsure):
        alone[i] = s.can_leave(int(u[i]))
    alone &= s.counts[a] > 1
    if refused:
        alone &= ~np.isin(u * p.k + b, np.fromiter(refused, dtype=np.int64))
    return (u[alone], a[alone], b[alone]) if alone.any() else None


def _make(search: Search, pending: list, passes: int) -> tuple[list, list]:
    """Make the moves (unit, from, to) that can be made; returns those made and those left. A move
    that cannot be made yet may become possible once others are (a unit stops being the only link of
    its territory when a neighbour leaves with it), so go over the rest again while that helps."""
    s, made = search.s, []
    for _ in range(passes):
        waiting = []
        for uu, aa, bb in pending:
            if s.labels[uu] != aa:
                continue
            if (
                s.counts[aa] <= 1
                or search.over_budget(uu, aa, bb)
                or not s.touches(uu, bb)
                or not s.can_leave(uu)
            ):
                waiting.append((uu, aa, bb))
                continue
            s.apply(uu, aa, bb)
            made.append((uu, aa, bb))
        if len(waiting) == len(pending):
            break
        pending = waiting
    return made, pending


def _deeper(search: Search, u, a, b, off, refused, depth: int = DEPTH):
    """The border moves plus moves of units up to `depth` layers inside territories out of tolerance,
    each behind a move of the layer before to the same territory. Returns the moves with their layer
    (0 on the border) and `after`: a (deep moves, moves) matrix, +1 for the deep move and -1 for each
    move it may follow, so `after @ x <= 0` says a deep unit moves only behind one of them."""
    s, p, g = search.s, search.s.problem, search.s.graph
    k = p.k
    layers = [(u, a, b)]
    seen = set((u * k + b).tolist())
    rows_, cols_, vals_ = [], [], []
    first = 0  # index of the previous layer's first move in the final arrays
    total = len(u)
    for _ in range(1, depth):
        pu, pa, pb = layers[-1]
        keep = off[pa]
        idx = np.flatnonzero(keep)
        if not len(idx):
            break
        degree = g.indptr[pu[idx] + 1] - g.indptr[pu[idx]]
        rep = np.repeat(idx, degree)
        starts = np.repeat(g.indptr[pu[idx]] - np.cumsum(degree) + degree, degree)
        w = g.indices[starts + np.arange(len(rep))]
        ok = (s.labels[w] == pa[rep]) & search.free[w]
        rep, w = rep[ok], w[ok]
        key = w * k + pb[rep]
        fresh = ~np.isin(key, np.fromiter(seen, dtype=np.int64, count=len(seen)))
        if refused:
            fresh &= ~np.isin(key, np.fromiter(refused, dtype=np.int64))
        rep, w, key = rep[fresh], w[fresh], key[fresh]
        if not len(key):
            break
        new, inverse = np.unique(key, return_inverse=True)
        nu, nb = new // k, new % k
        na = s.labels[nu]
        seen.update(new.tolist())
        # Row of each new move: +1 on itself, -1 on each previous-layer move it may follow.
        rows_.append(np.arange(len(new)) + (total - len(u)))
        cols_.append(np.arange(len(new)) + total)
        vals_.append(np.ones(len(new)))
        rows_.append(inverse + (total - len(u)))
        cols_.append(rep + first)
        vals_.append(-np.ones(len(rep)))
        first = total
        total += len(new)
        layers.append((nu, na, nb))
    if len(layers) == 1:
        return u, a, b, np.zeros(len(u), dtype=np.int64), None
    after = coo_matrix(
        (np.concatenate(vals_), (np.concatenate(rows_), np.concatenate(cols_))), shape=(total - len(u), total)
    ).tocsr()
    layer = np.concatenate([np.full(len(x[0]), i) for i, x in enumerate(layers)])
    return (*(np.concatenate([x[j] for x in layers]) for j in range(3)), layer, after)


def _plan(search: Search, u: np.ndarray, a: np.ndarray, b: np.ndarray, chain=None) -> np.ndarray:
    """Indices of the candidate moves (unit u from territory a to b) the plan makes; `chain`, when
    given, says which moves may be made only behind others (see `_deeper`)."""
    s, p = search.s, search.s.problem
    sums, once = _effects(search, u, a, b)
    each_once = coo_matrix((np.ones(len(u)), (once, np.arange(len(u))))).tocsr()
    excess = (s.sums - 1.0).ravel()
    # Every move costs something, so the program never moves a unit for compactness alone: that is
    # the polish phase's job, where balance is a hard limit. Disruption counts in full here (unlike in
    # the single-move search): balance is a constraint, so it cannot be traded away for fewer moves.
    cost = np.maximum(
        MOVE_COST + search.compact_delta(u, a, b, s.centres()) + search.disrupt_delta(u, a, b),
        MOVE_COST / 2,
    )
    # Aiming inside the tolerance leaves room for the moves that cannot be made; when moves cost
    # disruption, each one of that room costs too, so aim nearer the limit.
    aim = search.aim_disrupting if search.disrupting else AIM
    x, _solved = _program(
        search,
        cost,
        sums,
        each_once,
        excess,
        _limits(search, excess, aim),
        integral=False,
        after=None if chain is None else (chain, np.zeros(chain.shape[0])),
    )
    if x is None:
        return np.zeros(0, dtype=np.int64)
    # A vertex of the program splits a few units between territories. Keep the whole moves and decide
    # the split ones exactly: a small integer program (HiGHS, a fraction of a second). When that leaves
    # territories beyond their aim (rounding only the split units often cannot work) and the split units
    # concern few territories, a second one decides every move between those territories instead.
    whole = x > WHOLE
    split = (x > FRACTION) & ~whole & ~np.isin(once, once[whole])
    if not split.any():
        return np.flatnonzero(whole)
    if not search.disrupting and split.sum() > FAR_SPLIT and search.off_count() > p.k * FAR_OFF:
        # Far out of balance the next rounds change much of the plan anyway: deciding many split units
        # exactly (a time limit's worth at 100,000 units, rarely to the end) is not worth its time.
        return np.flatnonzero(whole | (split & (x > 0.5)))
    limits = _limits(search, excess, AIM_EXACT_DISRUPTING if search.disrupting else AIM_EXACT)

    def decide(free: np.ndarray) -> tuple[np.ndarray, tuple[float, float], bool]:
        """The moves made when the program decides `free` and keeps the whole moves outside it, with
        their (excess beyond the limits, cost), and whether the program was solved to the end."""
        fixed = whole & ~free
        free = np.flatnonzero(free & ~np.isin(once, once[fixed]))
        rest = excess + np.asarray(sums[:, fixed].sum(axis=1)).ravel()
        _, again = np.unique(once[free], return_inverse=True)
        each_once = coo_matrix((np.ones(len(free)), (again, np.arange(len(free))))).tocsr()
        behind = None
        if chain is not None:
            # Moves decided already count as made: a deep move needs one of the others behind it.
            behind = (chain[:, free], -np.asarray(chain[:, fixed].sum(axis=1)).ravel())
        y, solved = _program(
            search, cost[free], sums[:, free], each_once, rest, limits, integral=True, after=behind
        )
        chosen = np.flatnonzero(fixed) if y is None else np.r_[np.flatnonzero(fixed), free[y > 0.5]]
        after = excess + np.asarray(sums[:, chosen].sum(axis=1)).ravel()
        beyond = float(np.maximum(np.abs(after) - limits, 0).sum())
        return chosen, (round(beyond, 9), float(cost[chosen].sum())), solved

    chosen, score, _solved = decide(split)
    zone = np.zeros(p.k, dtype=bool)
    zone[a[split]] = zone[b[split]] = True
    free = zone[a] & zone[b]
    if score[0] > 0 and free.sum() <= MIP_MOVES:
        # Cut short by its time limit, the wider program's answer can take many more moves than needed.
        # When moves cost disruption, the few territories left beyond their aim are then better left
        # to the next rounds, which move only what brings a territory nearer tolerance.
        wider, wider_score, solved = decide(free)
        if (solved or not search.disrupting) and wider_score < score:
            chosen = wider
    return chosen


def _limits(search: Search, excess: np.ndarray, aim: float) -> np.ndarray:
    """Per territory and measure, how far from the mean a plan may leave it: `aim` of the tolerance,
    or where it is already within tolerance, no further out than it is."""
    full = np.tile(search.tol, search.s.problem.k)
    return np.where(np.abs(excess) <= full, np.maximum(full * aim, np.abs(excess)), full * aim)


def _effects(search: Search, u: np.ndarray, a: np.ndarray, b: np.ndarray):
    """(k * m, moves) change of each territory's measures per move, and each move's unit number."""
    s, p = search.s, search.s.problem
    m, nv = p.m, len(u)
    column = np.repeat(np.arange(nv), m)
    measure = np.tile(np.arange(m), nv)
    sums = coo_matrix(
        (
            np.r_[(s.scaled[u] * s.ratio[b][:, None]).ravel(), -(s.scaled[u] * s.ratio[a][:, None]).ravel()],
            (np.r_[np.repeat(b, m) * m + measure, np.repeat(a, m) * m + measure], np.r_[column, column]),
        ),
        shape=(p.k * m, nv),
    ).tocsr()
    _, once = np.unique(u, return_inverse=True)
    return sums, once


def chosen_moves(search: Search, u, a, b, cost, seconds: float, after=None) -> np.ndarray | None:
    """The moves (indices into `u`, `a`, `b`) an integer program picks for the least total `cost`,
    with balance a hard limit (a territory already out of tolerance may not get further out) and each
    unit moved once at most; None when it finds no answer in `seconds`."""
    s, p = search.s, search.s.problem
    sums, once = _effects(search, u, a, b)
    each_once = coo_matrix((np.ones(len(u)), (once, np.arange(len(u))))).tocsr()
    excess = (s.sums - 1.0).ravel()
    limits = np.maximum(np.tile(search.tol, p.k) - 1e-9, np.abs(excess))
    x, _solved = _program(
        search, cost, sums, each_once, excess, limits, integral=True, after=after, seconds=seconds
    )
    return None if x is None else np.flatnonzero(x > 0.5)


def _program(search: Search, cost, sums, each_once, excess, tol, *, integral: bool, after=None, seconds=None):
    """Choose moves (0..1 each, at most one per unit) that bring every territory's excess within `tol`.

    Excess beyond the aim is allowed at a price (slack), so there is always an answer: when the border
    units cannot balance everything in one go, they balance as much as they can. Also returns whether
    the program was solved to optimality (not stopped by its time limit). HiGHS counts its time limit
    on the wall clock; the search's deadline may be counted in CPU time, which a wall limit never exceeds."""
    left = search.s.deadline - search.s.problem.clock()
    if left <= 0:
        return None, False
    nv, rows = sums.shape[1], sums.shape[0]
    slack = -identity(rows, format="csr")
    none = csr_matrix((each_once.shape[0], rows))
    blocks = [hstack([sums, slack]), hstack([-sums, slack]), hstack([each_once, none])]
    upper = [tol - excess, tol + excess, np.ones(each_once.shape[0])]
    if after is not None:
        # (matrix, bound): each deep move at most the sum of the moves it may follow (`_deeper`).
        blocks.append(hstack([after[0], csr_matrix((after[0].shape[0], rows))]))
        upper.append(after[1])
    matrix = vstack(blocks).tocsr()
    upper = np.concatenate(upper)
    objective = np.r_[cost, np.full(rows, SLACK_COST)]
    bounds = Bounds(0, np.r_[np.ones(nv), np.full(rows, np.inf)])
    result = milp(
        objective,
        constraints=LinearConstraint(matrix, -np.inf, upper),
        integrality=np.r_[np.full(nv, int(integral)), np.zeros(rows)],
        bounds=bounds,
        options={"time_limit": min(seconds or MIP_SECONDS, left) if integral else left},
    )
    return (None if result.x is None else result.x[:nv]), result.status == 0


def settle(search: Search) -> int:
    """Rebalancing a current plan, once it is balanced: an integer program over every border move at
    once, with balance as a hard limit, looks for fewer moved units (disruption first, a tenth of the
    compactness as a tie-breaker). Single moves and exchanges cannot undo a move whose territories are
    at their limits; the program can trade it against others anywhere (put a unit back and send a
    larger one, undo moves that cancel out along a chain). Moves that cannot be made (contiguity) are
    refused; what they leave out of balance, the balancing search restores; the result is kept only
    when balanced and better on the search's own score. Returns the number of units moved."""
    from .iterate import score  # iterate imports the search too; here the cycle does not matter

    s, p = search.s, search.s.problem
    if not search.disrupting or search.violation() > 0:
        return 0
    refused: set[int] = set()
    total = 0
    for _ in range(SETTLE_TRIES):
        if p.clock() > s.deadline:
            break
        found = border_moves(search, refused)
        if found is None:
            break
        u, a, b = found
        compact = search.compact_delta(u, a, b, s.centres())
        cost = search.disrupt_delta(u, a, b) + SETTLE_COMPACT * compact + MOVE_COST / 100
        chosen = chosen_moves(search, u, a, b, cost, SETTLE_SECONDS)
        if chosen is None or not len(chosen) or cost[chosen].sum() >= 0:
            break
        before, before_score, before_moved = s.labels.copy(), score(search), s.moved
        moves, pending = _make(search, [(int(u[i]), int(a[i]), int(b[i])) for i in chosen], PASSES)
        made = len(moves)
        if pending and search.violation() > 0:
            made += search.run("Settling", hard=False)
        within_budget = search.budget is None or s.moved <= max(search.budget, before_moved)
        if score(search) < before_score and within_budget:
            total += made
        else:
            s.reset(before)
        if not pending:
            break
        refused.update(uu * p.k + bb for uu, _aa, bb in pending)
    return total
