"""Local search that moves one boundary unit at a time and never disconnects a territory.

Each round scores the boundary moves at once with numpy (after the first round, only those between
territories changed since), then walks the improving ones best first in Python, checking that the
unit's old territory stays one component; a move whose territories an earlier move changed waits for
the next wave of the round, scored afresh. Two phases:

1. balance: a plan for all territories at once (`transfer`), then single moves scored by the excess
   over each measure's tolerance (in proportion and squared, plus a small pull towards the mean), with
   compactness and disruption as tie-breakers, and a new plan or exchanges whenever they stall;
2. polish: balance becomes a hard limit and the compactness objective (plus disruption) is improved.
"""

from dataclasses import dataclass

import numpy as np

from .graph import Graph, stays_connected_without
from .model import Problem, Progress

# Excess over tolerance costs in proportion (so balance outweighs compactness however small the
# excess) and in its square (so the worst territories go first).
VIOLATION_LINEAR = 10.0
VIOLATION_WEIGHT = 100.0
MEAN_PULL = 10.0
EPS = 1e-12
BALANCE_DISRUPTION_SHARE = 0.05
PLAN_PAYS = 5  # moves a plan must make for the next stall to start with a plan again
DISRUPTING_AIM = 0.99  # share of the tolerance single moves aim for when moves cost disruption
FEW_CHANGED = 8  # a round reads only the changed territories' rows of the graph below 1 / this share
PATIENCE = 12  # stalls of single moves without a better balance before the balancing phase gives up
# Rebalancing a current plan runs once per variant while the time allows (`solve`): the share of the
# tolerance a plan aims for and the layers behind a border it may take units from (`transfer`). Each
# variant ends with a different set of moves, a few more or fewer; the best of them is steadier.
REBALANCING_VARIANTS = ((0.9, 3), (0.8, 3), (0.9, 2))


@dataclass
class State:
    problem: Problem
    graph: Graph
    labels: np.ndarray
    scaled: np.ndarray  # measures / mean per territory, so deviations are relative
    ratio: np.ndarray  # (k,) mean / this territory's target: 1 unless capacities differ
    sums: np.ndarray  # (k, m) in units of the mean: 1.0 is perfectly balanced
    wxy: np.ndarray
    wsum: np.ndarray
    counts: np.ndarray
    moved: int
    deadline: float
    # `version[t]` is the number of the last change to territory t (`changes` counts them all, so a
    # number is never shared by two states of territories); `stuck[u]` is the version of u's territory
    # when u was last found unable to leave it. A territory that has not changed since gives the same
    # answer, so the walk that found it is not repeated.
    version: np.ndarray
    stuck: np.ndarray
    changes: int = 0

    @classmethod
    def build(cls, problem: Problem, graph: Graph, labels: np.ndarray, deadline: float) -> "State":
        k = problem.k
        mean = problem.measures.sum(axis=0) / k
        scaled = problem.measures / np.where(mean > 0, mean, 1.0)
        ratio = problem.capacity.mean() / problem.capacity
        sums = np.stack([np.bincount(labels, scaled[:, j], k) for j in range(problem.m)], axis=1)
        sums *= ratio[:, None]
        sums[:, mean <= 0] = 1.0  # a measure that is zero everywhere is balanced by definition
        w = problem.weights
        wxy = np.stack([np.bincount(labels, w * problem.coords[:, i], k) for i in range(2)], axis=1)
        moved = int(((problem.current >= 0) & (labels != problem.current)).sum())
        return cls(
            problem,
            graph,
            labels,
            scaled,
            ratio,
            sums,
            wxy,
            np.bincount(labels, w, k),
            np.bincount(labels, minlength=k),
            moved,
            deadline,
            np.zeros(k, dtype=np.int64),
            np.full(problem.n, -1, dtype=np.int64),
        )

    def reset(self, labels: np.ndarray) -> None:
        fresh = State.build(self.problem, self.graph, labels.copy(), self.deadline)
        for name in ("labels", "sums", "wxy", "wsum", "counts", "moved", "stuck"):
            setattr(self, name, getattr(fresh, name))
        self.changes += 1  # every territory may have changed
        self.version[:] = self.changes

    def centres(self) -> np.ndarray:
        return self.wxy / np.maximum(self.wsum, 1e-12)[:, None]

    def touches(self, u: int, t: int) -> bool:
        """Whether u has a neighbour (other than itself) in territory t."""
        g = self.graph
        return bool((self.labels[g.indices[g.indptr[u] : g.indptr[u + 1]]] == t).any())

    def can_leave(self, u: int) -> bool:
        """Whether u's territory surely stays one component without u (`stays_connected_without`)."""
        t = self.labels[u]
        if self.stuck[u] == self.version[t]:
            return False
        if stays_connected_without(self.graph, self.labels, u):
            return True
        self.stuck[u] = self.version[t]
        return False

    def apply(self, u: int, a: int, b: int) -> None:
        p = self.problem
        self.labels[u] = b
        self.changes += 1
        self.version[a] = self.version[b] = self.changes
        self.sums[a] -= self.scaled[u] * self.ratio[a]
        self.sums[b] += self.scaled[u] * self.ratio[b]
        w = p.weights[u]
        self.wxy[a] -= w * p.coords[u]
        self.wxy[b] += w * p.coords[u]
        self.wsum[a] -= w
        self.wsum[b] += w
        self.counts[a] -= 1
        self.counts[b] += 1
        if p.current[u] >= 0:
            self.moved += int(b != p.current[u]) - int(a != p.current[u])


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values: np.unique without its hashing pass, which is slower on these keys."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _row_positions(indptr: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Positions in a CSR `indices` array of the rows of `units`, row after row."""
    starts, ends = indptr[units], indptr[units + 1]
    lengths = ends - starts
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(int(lengths.sum()))


def excess(dev: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """The cost of being beyond tolerance."""
    over = np.maximum(np.abs(dev) - tol, 0.0)
    return (VIOLATION_LINEAR * over + VIOLATION_WEIGHT * over**2).sum(axis=-1)


def penalty(dev: np.ndarray, tol: np.ndarray, pull: float = MEAN_PULL) -> np.ndarray:
    return excess(dev, tol) + (pull * dev**2).sum(axis=-1)


class Search:
    def __init__(self, state: State, progress: Progress | None, variant: int = 0):
        self.s = state
        p = state.problem
        self.aim_disrupting, self.depth = REBALANCING_VARIANTS[variant % len(REBALANCING_VARIANTS)]
        self.progress = progress
        self.src, self.dst = state.graph.directed_edges()
        self.free = p.locked < 0
        self.tol = p.tolerance
        # The balance phase aims a little inside the tolerance so the polish phase has room to move.
        self.target_tol = p.tolerance * 0.9
        radius = np.sqrt(np.ptp(p.coords, axis=0).prod() / p.k) if p.n > 1 else 1.0
        # Compactness in the same currency as balance: a unit's weighted distance, relative to a
        # territory's total weight times its typical radius.
        self.compact_scale = 1.0 / (max(radius, 1e-12) * p.weights.sum() / p.k)
        self.disrupt = p.disruption_weight
        self.disrupting = self.disrupt > 0 and bool((p.current >= 0).any())
        if self.disrupting:
            # Rebalancing a current plan, room inside the tolerance is paid in moved units.
            self.target_tol = p.tolerance * DISRUPTING_AIM
        # Moves a plan made (unit * k + the territory it left): single moves do not undo them, or the
        # two would trade the same units back and forth.
        self.planned: set[int] = set()
        # Territory versions when the last round of single moves started: a move between territories
        # that have not changed since scores as it did then, so the next round skips it.
        self.checked: np.ndarray | None = None
        # Units that may be moved from the current plan at most (`over_budget`): the caller's limit,
        # lowered while rebalancing to what balance took (`keep_moves`).
        self.budget: int | None = p.max_moves

    def candidates(self, only: np.ndarray | None = None):
        """Boundary moves (unit, its territory, a neighbouring territory), optionally only those
        touching a territory marked in `only`."""
        lab = self.s.labels
        src, dst = self.src, self.dst
        if only is not None and only.sum() * FEW_CHANGED < len(only):
            # Few territories changed: only edges from their units and from those units' neighbours
            # can touch them, so read those rows of the graph instead of every edge.
            g = self.s.graph
            inside = np.flatnonzero(only[lab])
            near = distinct(np.r_[inside, g.indices[_row_positions(g.indptr, inside)]])
            at = _row_positions(g.indptr, near)
            src, dst = np.repeat(near, g.indptr[near + 1] - g.indptr[near]), g.indices[at]
        mask = (lab[src] != lab[dst]) & self.free[src]
        if only is not None:
            mask &= only[lab[src]] | only[lab[dst]]
        if not mask.any():
            return None
        key = distinct(src[mask] * self.s.problem.k + lab[dst[mask]])
        u, b = key // self.s.problem.k, key % self.s.problem.k
        return u, lab[u], b

    def compact_delta(self, u, a, b, centres):
        p = self.s.problem
        da = np.linalg.norm(p.coords[u] - centres[a], axis=-1)
        db = np.linalg.norm(p.coords[u] - centres[b], axis=-1)
        return p.weights[u] * (db - da) * self.compact_scale

    def disrupt_delta(self, u, a, b):
        cur = self.s.problem.current[u]
        return self.disrupt * ((cur >= 0) & (a == cur)).astype(float) - self.disrupt * (
            (cur >= 0) & (b == cur)
        ).astype(float)

    def balance_delta(self, ea, eb, na, nb):
        tol = self.target_tol
        return penalty(na, tol) + penalty(nb, tol) - penalty(ea, tol) - penalty(eb, tol)

    def admissible(self, ea, eb, na, nb, hard: bool):
        """0 for moves the phase allows, infinity for the others. While balancing a current plan, only
        moves that bring territories nearer tolerance: disruption counts little then (it must never
        keep a territory beyond tolerance), so other moves would shuffle units for compactness alone."""
        if hard or not self.disrupting:
            return 0.0
        tol = self.target_tol
        fixes = excess(na, tol) + excess(nb, tol) < excess(ea, tol) + excess(eb, tol) - EPS
        return np.where(fixes, 0.0, np.inf)

    def delta(self, u, a, b, centres, hard: bool):
        s = self.s
        vals = s.scaled[u]
        ea, eb = s.sums[a] - 1.0, s.sums[b] - 1.0
        na, nb = ea - vals * s.ratio[a][..., None], eb + vals * s.ratio[b][..., None]
        if hard:
            # Balance is a limit: a move may not push a territory past tolerance (or further past).
            ok_a = (np.abs(na) <= np.maximum(self.tol, np.abs(ea)) + EPS).all(axis=-1)
            ok_b = (np.abs(nb) <= np.maximum(self.tol, np.abs(eb)) + EPS).all(axis=-1)
            bal = np.where(ok_a & ok_b, 0.0, np.inf)
            bal = bal + 1e-3 * self.balance_delta(ea, eb, na, nb)
        else:
            bal = self.balance_delta(ea, eb, na, nb)
        # While out of balance, disruption only breaks ties: it must never keep a territory over tolerance.
        disrupt = self.disrupt_delta(u, a, b) * (1.0 if hard else BALANCE_DISRUPTION_SHARE)
        return bal + self.admissible(ea, eb, na, nb, hard) + self.compact_delta(u, a, b, centres) + disrupt

    def over_budget(self, u: int, a: int, b: int) -> bool:
        p = self.s.problem
        if self.budget is None or p.current[u] < 0:
            return False
        grows = (a == p.current[u]) and (b != p.current[u])
        return grows and self.s.moved >= self.budget

    def round(self, hard: bool) -> int:
        """Improving single moves, best first. Moves are scored all at once, a wave at a time: a move
        whose territory an earlier move of the wave changed waits for the next wave, scored afresh."""
        s = self.s
        changed = None if self.checked is None or self.budget is not None else s.version != self.checked
        self.checked = s.version.copy()
        found = self.candidates(changed)
        if found is None:
            return 0
        u, a, b = found
        centres = s.centres()
        k = s.problem.k
        todo = np.arange(len(u))
        done = 0
        while len(todo) and s.problem.clock() <= s.deadline:
            d = self.delta(u[todo], a[todo], b[todo], centres, hard)
            todo = todo[d < -EPS][np.argsort(d[d < -EPS], kind="stable")]
            touched = np.zeros(k, dtype=bool)
            waiting = []
            for i in todo.tolist():
                uu, aa, bb = int(u[i]), int(a[i]), int(b[i])
                if s.labels[uu] != aa or s.counts[aa] <= 1 or self.over_budget(uu, aa, bb):
                    continue
                if self.planned and uu * k + bb in self.planned:
                    continue
                if touched[aa] or touched[bb]:
                    waiting.append(i)
                    continue
                if not s.touches(uu, bb) or not s.can_leave(uu):
                    continue
                s.apply(uu, aa, bb)
                touched[aa] = touched[bb] = True
                done += 1
            todo = np.array(waiting, dtype=np.int64)
        return done

    def off_count(self) -> int:
        """Territories beyond tolerance on some measure."""
        return int((np.abs(self.s.sums - 1.0) > self.tol).any(axis=1).sum())

    def keep_moves(self) -> None:
        """Rebalancing a current plan, once balanced: later phases may trade moved units for others
        but not move more than now. Compactness is worth a move at the disruption weight, but the
        moves are what the manager pays, and the balance already reached needed only these."""
        if self.disrupting and self.violation() == 0:
            self.budget = self.s.moved if self.budget is None else min(self.budget, self.s.moved)

    def violation(self) -> float:
        return float(np.maximum(np.abs(self.s.sums - 1.0) - self.tol, 0).max(initial=0.0))

    def violations(self) -> tuple[float, float]:
        """Excess over tolerance: the worst territory's, then the sum over all territories."""
        over = np.maximum(np.abs(self.s.sums - 1.0) - self.tol, 0)
        return round(float(over.max(initial=0.0)), 9), float(over.sum())

    def run(
        self, phase: str, hard: bool, max_rounds: int = 10_000, shake: bool = False, exchanges: bool = True
    ) -> int:
        """Rounds of moves until they stall. Balancing (not `hard`) plans moves for all territories at
        once and ends at the best balance it saw; a `shake` lets balance slip on purpose, so it does
        neither. When single moves stall, exchanges of units across borders are tried, unless
        `exchanges` is off."""
        from .exchange import Exchange  # one module each; they use each other
        from .transfer import transfer

        total = 0
        swaps = Exchange(self)
        refused: set[int] = set()
        self.planned.clear()
        self.checked = None
        best, best_labels = self.violations(), self.s.labels.copy()
        progress, stale = best[1], 0
        plans_pay = True
        balancing = not hard and not shake
        for r in range(max_rounds):
            if self.s.problem.clock() > self.s.deadline:
                break
            # Far out of balance, a plan for every territory at once beats a round of single moves;
            # single moves then tidy up until they stall, and the next plan starts from there.
            plan = r == 0 and balancing and self.violation() > 0
            done = transfer(self, refused) if plan else self.round(hard)
            stalled = done == 0
            if stalled and (hard or self.violation() > 0):
                # Single moves stalled: plan moves for every territory at once, then try exchanges.
                # Once plans bring little (the last units are a matter of granularity), exchanges go
                # first and a plan is made only when they stall too.
                planned = balancing and plans_pay
                off = self.off_count()
                done = transfer(self, refused) if planned else 0
                plans_pay = done >= max(PLAN_PAYS, off)
                done = done or (swaps.round(hard) if exchanges else 0)
                if not done and balancing and not planned:
                    done = transfer(self, refused)
            total += done
            if self.progress and r % 5 == 0:
                self.progress(r, max_rounds, f"{phase}: round {r + 1}, {total} moves")
            if balancing:
                now = self.violations()
                if now < best:
                    best, best_labels = now, self.s.labels.copy()
                # Progress is the summed excess: the worst territory alone hides most of it. Patience
                # counts the times single moves stalled, whatever the rounds in between.
                if now[1] < progress - EPS:
                    progress, stale = now[1], 0
                else:
                    stale += stalled
                if stale > PATIENCE or now[0] == 0:
                    break  # balanced: the moves left are compactness's, under hard limits
            if done == 0:
                break
        if balancing and self.violations() > best:
            self.s.reset(best_labels)
        return total
