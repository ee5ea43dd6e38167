"""Polish for the diameter objective: shrink the widest territory by handing its far-out units to a
neighbour, as long as balance, locks and connectivity allow and no other territory becomes as wide.
Without the balance condition, the same steps shake a partition for the iterated search (which
balances again afterwards)."""

import numpy as np
from scipy.spatial.distance import cdist

from .search import EPS, State


def _diameter(coords: np.ndarray) -> tuple[float, int, int]:
    if len(coords) < 2:
        return 0.0, 0, 0
    d = cdist(coords, coords)
    i = int(np.argmax(d))
    return float(d.flat[i]), i // len(coords), i % len(coords)


def polish_diameter(state: State, deadline: float, max_steps: int = 5000, balanced: bool = True) -> None:
    p, graph = state.problem, state.graph
    tol = p.tolerance if balanced else np.full(p.m, np.inf)
    blocked: set[tuple[int, int]] = set()
    for _ in range(max_steps):
        if p.clock() > deadline:
            return
        members = [np.flatnonzero(state.labels == t) for t in range(p.k)]
        diam = np.array([_diameter(p.coords[m])[0] for m in members])
        order = np.argsort(-diam)
        if not _shrink_one(state, graph, members, diam, order[0], tol, blocked):
            return


def _shrink_one(state, graph, members, diam, a, tol, blocked) -> bool:
    p = state.problem
    coords = p.coords[members[a]]
    _d, i, j = _diameter(coords)
    worst = diam.max()
    for end in (members[a][i], members[a][j]):
        u = int(end)
        if p.locked[u] >= 0 or state.counts[a] <= 1:
            continue
        for b in {int(state.labels[v]) for v in graph.neighbours(u)} - {a}:
            if (u, b) in blocked:
                continue
            new_a = state.sums[a] - state.scaled[u] * state.ratio[a] - 1.0
            new_b = state.sums[b] + state.scaled[u] * state.ratio[b] - 1.0
            if (np.abs(new_a) > tol + EPS).any() or (np.abs(new_b) > tol + EPS).any():
                continue
            reach = cdist(p.coords[u : u + 1], p.coords[members[b]]).max(initial=0.0)
            if max(reach, diam[b]) >= worst - EPS:
                continue
            if not state.can_leave(u):
                blocked.add((u, b))
                continue
            state.apply(u, a, b)
            return True
    return False
