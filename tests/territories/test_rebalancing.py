"""Rebalancing a current plan: few moves, measured against the minimum-disruption LP bound."""

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

from firstline.territories.optimizer import Problem, solve
from firstline.territories.optimizer.graph import build_graph, stays_connected_without
from firstline.territories.optimizer.instances import clustered
from firstline.territories.optimizer.metrics import connected, deviations
from firstline.territories.optimizer.search import Search, State
from firstline.territories.optimizer.transfer import _deeper, settle


def problem_for(seed, **options):
    coords, measures = clustered(400, seed=seed)
    return Problem(coords, measures, 5, tolerance=0.03, time_limit=30, **options)


def out_of_balance(problem, labels, graph, target=0.15, seed=0):
    """Grow random territories by their neighbours' border units until one is `target` off."""
    rng = np.random.default_rng(seed)
    labels = labels.copy()
    src, dst = graph.directed_edges()
    while np.abs(deviations(labels, problem.measures, problem.k)).max() < target:
        t = int(rng.integers(problem.k))
        edges = np.flatnonzero((labels[dst] == t) & (labels[src] != t))
        u = int(src[rng.choice(edges)])
        if (labels == labels[u]).sum() > 1 and stays_connected_without(graph, labels, u, budget=10**9):
            labels[u] = t
    return labels


def lp_bound(problem, tol):
    """Fewest units that must move to reach ±tol with contiguity relaxed (the LP relaxation)."""
    n, k = problem.n, problem.k
    cost = np.zeros(n * k)
    cost[np.arange(n) * k + problem.current] = -1.0
    col = np.arange(n * k)
    assign = csr_matrix((np.ones(n * k), (col // k, col)), shape=(n, n * k))
    sums = vstack(
        [
            csr_matrix((np.repeat(problem.measures[:, j], k), (col % k, col)), shape=(k, n * k))
            for j in range(2)
        ]
    )
    mean = problem.measures.sum(0) / k
    hi = np.concatenate([np.full(k, mean[j] * (1 + tol)) for j in range(2)])
    lo = np.concatenate([np.full(k, mean[j] * (1 - tol)) for j in range(2)])
    res = linprog(cost, A_ub=vstack([sums, -sums]), b_ub=np.r_[hi, -lo], A_eq=assign, b_eq=np.ones(n))
    assert res.status == 0
    return n + res.fun


@pytest.mark.parametrize("seed", [1, 2])
def test_rebalancing_meets_tolerance_within_twice_the_lp_bound(seed):
    problem = problem_for(seed)
    graph = build_graph(problem.coords)
    current = out_of_balance(problem, solve(problem).labels, graph, seed=seed)
    again = solve(problem_for(seed, current=current, disruption_weight=0.05))
    bound = lp_bound(problem_for(seed, current=current), 0.03)
    assert again.balanced and again.all_connected
    assert bound > 3  # the bound is not trivial: the plan is well out of balance
    assert len(again.moved) <= 2 * bound


def test_settling_keeps_balance_contiguity_and_locked_units_and_never_worsens_the_score():
    from firstline.territories.optimizer.iterate import score

    problem = problem_for(3)
    graph = build_graph(problem.coords)
    balanced = solve(problem).labels
    current = out_of_balance(problem, balanced, graph, seed=3)
    locked = np.full(problem.n, -1)
    locked[::20] = balanced[::20]
    # The balanced plan as a rebalancing of `current`: many more moves than needed, so room to settle.
    problem = problem_for(3, current=current, disruption_weight=0.05, locked=locked)
    search = Search(State.build(problem, graph, balanced.copy(), deadline=float("inf")), None)
    assert search.violation() == 0
    before, moved_before = score(search), search.s.moved
    settle(search)
    assert search.violation() == 0
    assert score(search) <= before
    assert connected(graph, search.s.labels, problem.k).all()
    assert (search.s.labels[::20] == balanced[::20]).all()
    assert search.s.moved <= moved_before
    assert search.s.moved == int((search.s.labels != current).sum())  # the running count is right


def test_a_deep_move_follows_a_move_of_the_layer_before_to_the_same_territory():
    problem = problem_for(4)
    graph = build_graph(problem.coords)
    labels = out_of_balance(problem, solve(problem).labels, graph, seed=4)
    problem = problem_for(4, current=labels, disruption_weight=0.05)
    search = Search(State.build(problem, graph, labels.copy(), deadline=float("inf")), None)
    u, a, b = search.candidates()
    off = np.ones(problem.k, dtype=bool)
    u, a, b, layer, chain = _deeper(search, u, a, b, off, set(), depth=3)
    assert layer.max() == 2 and chain.shape == ((layer > 0).sum(), len(u))
    assert (a == labels[u]).all() and (a != b).all()
    assert len(set((u * problem.k + b).tolist())) == len(u)  # each (unit, territory) once
    rows = chain.tolil().rows
    values = chain.tolil().data
    deep = np.flatnonzero(layer > 0)
    for r, j in enumerate(deep):
        follows = [c for c, v in zip(rows[r], values[r], strict=True) if v < 0]
        assert rows[r][values[r].index(1.0)] == j
        assert follows and all(layer[c] == layer[j] - 1 and b[c] == b[j] for c in follows)
        assert all(int(u[j]) in set(graph.neighbours(int(u[c])).tolist()) for c in follows)


def test_a_move_budget_holds_while_rebalancing_with_a_disruption_weight():
    problem = problem_for(2)
    graph = build_graph(problem.coords)
    current = out_of_balance(problem, solve(problem).labels, graph, seed=2)
    capped = solve(problem_for(2, current=current, disruption_weight=0.05, max_moves=4))
    assert len(capped.moved) <= 4
    assert capped.all_connected


def test_once_balanced_a_rebalancing_never_moves_more_units_for_compactness():
    problem = problem_for(5)
    graph = build_graph(problem.coords)
    balanced = solve(problem).labels
    current = out_of_balance(problem, balanced, graph, seed=5)
    # A tiny disruption weight: every compactness gain would be worth a move.
    problem = problem_for(5, current=current, disruption_weight=1e-6)
    search = Search(State.build(problem, graph, current.copy(), deadline=float("inf")), None)
    search.run("Balancing", hard=False)
    assert search.violation() == 0
    search.keep_moves()
    needed = search.s.moved
    search.run("Compacting", hard=True)
    assert search.violation() == 0
    assert search.s.moved <= needed
    assert search.s.moved == int((search.s.labels != current).sum())


def test_a_small_instance_that_converges_early_tries_other_starts(monkeypatch):
    from firstline.territories.optimizer import start

    coords, measures = clustered(300, seed=6)
    tried: list[int] = []
    original = start._partition

    def spy(problem, graph, seed):
        tried.append(seed)
        return original(problem, graph, seed)

    monkeypatch.setattr(start, "_partition", spy)
    best = solve(Problem(coords, measures, 4, tolerance=0.03, time_limit=60, seed=7))
    assert tried == [7, 8, 9]
    assert best.balanced and best.all_connected
