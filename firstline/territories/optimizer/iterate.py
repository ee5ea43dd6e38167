"""Iterated local search: shake the partition towards compactness (letting balance slip), re-balance,
polish, and keep the result only if it is balanced and better. Stops when `patience` shakes in a row
bring nothing or time runs out."""

import numpy as np

from . import metrics
from .search import Search

SHAKE_BOOSTS = (25.0, 10.0, 60.0, 40.0, 15.0)


def score(search: Search) -> tuple[float, float]:
    """(balance violation, objective): lower is better, violation first."""
    s, p = search.s, search.s.problem
    if p.objective == "diameter":
        objective = float(metrics.diameters(s.labels, p.coords, p.k).max())
    else:
        objective = metrics.weighted_distance(s.labels, p.coords, p.weights, p.k) * search.compact_scale
    return round(search.violation(), 9), objective + search.disrupt * s.moved


def iterate(
    search: Search, deadline: float, polish, *, exchanges: bool, loosen=None, patience: int = 6
) -> int:
    """`loosen`, when given, is called after each shake to push the partition further its own way."""
    best_labels = search.s.labels.copy()
    best = score(search)
    stale = shakes = 0
    while stale < patience and search.s.problem.clock() < deadline:
        boost = SHAKE_BOOSTS[shakes % len(SHAKE_BOOSTS)]
        shakes += 1
        search.compact_scale *= boost
        search.run("Shaking", hard=False, max_rounds=8, shake=True)
        search.compact_scale /= boost
        if loosen:
            loosen()
        search.run("Balancing", hard=False)
        search.run("Compacting", hard=True, exchanges=exchanges)
        polish()
        now = score(search)
        if (now < best and now[1] < best[1] - 1e-9) or now[0] < best[0]:
            best, best_labels, stale = now, search.s.labels.copy(), 0
        else:
            stale += 1
            search.s.reset(best_labels)
    if not np.array_equal(search.s.labels, best_labels):
        search.s.reset(best_labels)
    return shakes
