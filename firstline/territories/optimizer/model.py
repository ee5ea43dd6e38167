"""The optimizer's inputs and outputs, and the checks that turn impossible input into a clear message."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Objective = Literal["distance", "diameter"]
Progress = Callable[[int, int, str], None]

# A unit larger than this share of a territory's mean makes tight balance hard to reach; it is
# flagged so the caller can pre-assign (lock) it. The figure is the one the goals name.
LARGE_UNIT_SHARE = 0.15


class Infeasible(ValueError):
    """The input cannot be balanced as asked; the message says why and what would make it possible."""

    def __init__(self, message: str, *, units: list[int] | None = None, bound: float | None = None):
        super().__init__(message)
        self.units = units or []
        self.bound = bound


@dataclass
class Problem:
    """Units to split into `k` territories.

    coords: (n, 2) planar positions. measures: (n, m) non-negative quantities to balance, each within
    `tolerance[j]` (relative) of its mean per territory. edges: optional (e, 2) adjacency, default the
    Delaunay graph. locked / current: (n,) territory index per unit, -1 for none. weights: the unit
    weights of the distance objective (default: the unit's average share of each measure's total).
    """

    coords: np.ndarray
    measures: np.ndarray
    k: int
    tolerance: np.ndarray | float = 0.05
    edges: np.ndarray | None = None
    locked: np.ndarray | None = None
    current: np.ndarray | None = None
    objective: Objective = "distance"
    weights: np.ndarray | None = None
    disruption_weight: float = 0.0
    max_moves: int | None = None
    time_limit: float = 30.0
    seed: int = 0
    measure_names: list[str] = field(default_factory=list)
    unit_ids: list[str] | None = None
    capacity: np.ndarray | None = None  # (k,) relative capacity: a 0.5 territory gets half the share
    # What `time_limit` is counted on: wall time. A benchmark on a shared machine may pass
    # time.process_time to give the search the CPU seconds an idle machine would.
    clock: Callable[[], float] = time.monotonic

    def targets(self) -> np.ndarray:
        """(k, m) what each territory should hold of each measure: the total split by capacity."""
        return np.outer(self.capacity / self.capacity.sum(), self.measures.sum(axis=0))

    def __post_init__(self) -> None:
        self.coords = np.asarray(self.coords, dtype=float).reshape(-1, 2)
        n = len(self.coords)
        self.measures = np.asarray(self.measures, dtype=float).reshape(n, -1)
        m = self.measures.shape[1]
        self.tolerance = np.broadcast_to(np.asarray(self.tolerance, dtype=float), (m,)).copy()
        self.locked = _labels(self.locked, n)
        self.current = _labels(self.current, n)
        if not self.measure_names:
            self.measure_names = [f"measure {j + 1}" for j in range(m)]
        if self.weights is None:
            totals = self.measures.sum(axis=0)
            shares = self.measures / np.where(totals > 0, totals, 1.0)
            self.weights = shares.mean(axis=1) * n
        self.weights = np.asarray(self.weights, dtype=float)
        capacity = np.ones(self.k) if self.capacity is None else np.asarray(self.capacity, dtype=float)
        if capacity.shape != (self.k,) or not (capacity > 0).all():
            raise Infeasible(f"Capacity needs one positive number per territory ({self.k}).")
        self.capacity = capacity

    @property
    def n(self) -> int:
        return len(self.coords)

    @property
    def m(self) -> int:
        return self.measures.shape[1]

    def name_of(self, unit: int) -> str:
        return self.unit_ids[unit] if self.unit_ids else str(unit)


def _labels(values, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, -1, dtype=np.int64)
    return np.asarray(values, dtype=np.int64).reshape(n)


@dataclass
class Solution:
    labels: np.ndarray
    sums: np.ndarray  # (k, m)
    deviation: np.ndarray  # (k, m), relative to each measure's mean
    max_deviation: np.ndarray  # (m,)
    cv: np.ndarray  # (m,)
    connected: np.ndarray  # (k,) bool
    weighted_distance: float
    max_diameter: float
    objective: Objective
    balanced: bool
    moved: np.ndarray  # unit indices whose territory differs from `current`
    moved_share: np.ndarray  # (m,) share of each measure's total that moved
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    start: str = ""

    @property
    def all_connected(self) -> bool:
        return bool(self.connected.all())

    @property
    def objective_value(self) -> float:
        return self.max_diameter if self.objective == "diameter" else self.weighted_distance


def check_feasible(problem: Problem, n_components: int) -> list[str]:
    """Raise Infeasible for input that cannot be balanced; return warnings for input that may not be."""
    n, k, m = problem.n, problem.k, problem.m
    if k < 1:
        raise Infeasible("The number of territories must be at least 1.")
    if n < k:
        raise Infeasible(f"There are {n} units for {k} territories; every territory needs at least one.")
    if not np.isfinite(problem.measures).all() or (problem.measures < 0).any():
        raise Infeasible("Measures must be finite and not negative.")
    if (problem.locked >= k).any() or (problem.current >= k).any():
        raise Infeasible(f"A locked or current territory number is not below {k}.")
    if n_components > k:
        raise Infeasible(
            f"The adjacency splits the units into {n_components} separate groups but there are only {k} "
            "territories, so some territory would have to be disconnected. Add edges or territories."
        )
    # Feasibility is judged against the smallest territory's share, the tightest one.
    mean = problem.targets().min(axis=0)
    warnings: list[str] = []
    for j in range(m):
        if mean[j] <= 0:
            continue
        name, tol = problem.measure_names[j], problem.tolerance[j]
        share = problem.measures[:, j] / mean[j]
        too_big = np.flatnonzero(share > 1 + tol)
        if len(too_big):
            worst = int(too_big[np.argmax(share[too_big])])
            raise Infeasible(
                f"{len(too_big)} unit(s) hold more {name} than a territory may have: unit "
                f"{problem.name_of(worst)} alone is {share[worst]:.0%} of a territory's mean, above the "
                f"allowed {1 + tol:.0%}. Balance on {name} is possible only with a tolerance of at least "
                f"{share[worst] - 1:.1%}, or with more units.",
                units=[int(u) for u in too_big],
                bound=float(share[worst] - 1),
            )
        locked_sum = np.bincount(
            problem.locked[problem.locked >= 0], problem.measures[problem.locked >= 0, j], k
        )
        over = np.flatnonzero(locked_sum > mean[j] * (1 + tol))
        if len(over):
            t = int(over[0])
            raise Infeasible(
                f"The units locked to territory {t} already hold {locked_sum[t] / mean[j]:.0%} of a "
                f"territory's mean {name}, above the allowed {1 + tol:.0%}. Unlock some of them.",
                bound=float(locked_sum[t] / mean[j] - 1),
            )
        large = np.flatnonzero((share > LARGE_UNIT_SHARE) & (problem.locked < 0))
        if len(large):
            worst = int(large[np.argmax(share[large])])
            warnings.append(
                f"{len(large)} unlocked unit(s) exceed {LARGE_UNIT_SHARE:.0%} of a territory's mean {name} "
                f"(largest: {problem.name_of(worst)} at {share[worst]:.0%}); each one fixes most of its "
                f"territory by itself, so ±{tol:.1%} may be out of reach unless they are pre-assigned."
            )
    return warnings
