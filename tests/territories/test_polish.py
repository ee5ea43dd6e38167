"""The polishes that change many territories at once (`allocate`): they keep locked units, balance and
contiguity, and never leave a partition worse than they found it."""

import numpy as np

from firstline.territories.optimizer import Problem, solve
from firstline.territories.optimizer.allocate import allocation, chains, relocate
from firstline.territories.optimizer.graph import build_graph
from firstline.territories.optimizer.instances import clustered
from firstline.territories.optimizer.iterate import score
from firstline.territories.optimizer.metrics import centres, connected
from firstline.territories.optimizer.search import REBALANCING_VARIANTS, Search, State
from firstline.territories.optimizer.start import initial_labels


def problem_with_locks(seed=5, k=6):
    """Every 30th unit locked where a first partition put it."""
    coords, measures = clustered(300, seed=seed)
    problem = Problem(coords, measures, k, tolerance=0.03, time_limit=30)
    labels, _how = initial_labels(problem, build_graph(coords))
    problem.locked[::30] = labels[::30]
    return problem


def balanced_search(problem):
    graph = build_graph(problem.coords)
    labels, _how = initial_labels(problem, graph)
    search = Search(State.build(problem, graph, labels, deadline=float("inf")), None)
    search.run("Balancing", hard=False)
    search.run("Compacting", hard=True)
    assert search.violation() == 0
    return search


def assert_kept_its_promises(search, problem, before):
    assert search.violation() == 0
    assert connected(search.s.graph, search.s.labels, problem.k).all()
    assert (search.s.labels[problem.locked >= 0] == problem.locked[problem.locked >= 0]).all()
    assert score(search) <= before
    # The running sums are those of the partition it now has.
    sums = np.stack([np.bincount(search.s.labels, search.s.scaled[:, j], problem.k) for j in range(2)], 1)
    assert np.allclose(search.s.sums, sums)


def test_the_allocation_keeps_locked_units_and_without_balance_sends_each_unit_to_its_nearest_centre():
    problem = problem_with_locks()
    problem.tolerance = np.full(2, 10.0)  # no territory can be out of balance
    middle = centres(np.arange(problem.n) % problem.k, problem.coords, problem.weights, problem.k)
    middle += np.random.default_rng(0).normal(0, 20, size=middle.shape)
    labels = allocation(problem, middle)
    locked = problem.locked >= 0
    assert (labels[locked] == problem.locked[locked]).all()
    nearest = np.linalg.norm(problem.coords[:, None] - middle[None], axis=2).argmin(axis=1)
    assert (labels[~locked] == nearest[~locked]).all()


def test_the_allocation_gets_close_to_balance_splitting_only_a_few_units():
    problem = problem_with_locks()
    middle = centres(np.arange(problem.n) % problem.k, problem.coords, problem.weights, problem.k)
    labels = allocation(problem, middle)
    sums = np.stack([np.bincount(labels, problem.measures[:, j], problem.k) for j in range(2)], 1)
    mean = problem.measures.sum(0) / problem.k
    # The program is within the tolerance; rounding moves only the split units, at most one per
    # balance limit met (one per territory and measure), which the largest units bound.
    largest = np.sort(problem.measures, axis=0)[-problem.k * 2 :].sum(axis=0)
    assert (np.abs(sums - mean) <= problem.tolerance * mean + largest).all()
    assert (labels[problem.locked >= 0] == problem.locked[problem.locked >= 0]).all()


def test_relocating_keeps_balance_contiguity_and_locked_units_and_never_worsens_the_score():
    problem = problem_with_locks()
    search = balanced_search(problem)
    before = score(search)
    relocate(search)
    assert_kept_its_promises(search, problem, before)


def test_chains_keep_balance_contiguity_and_locked_units_and_never_worsen_the_score():
    problem = problem_with_locks(seed=6)
    search = balanced_search(problem)
    before = score(search)
    chains(search)
    assert_kept_its_promises(search, problem, before)


def test_the_polishes_leave_a_rebalancing_alone():
    problem = problem_with_locks()
    search = balanced_search(problem)
    problem.current = search.s.labels.copy()
    problem.disruption_weight = 0.05
    rebalancing = Search(State.build(problem, search.s.graph, search.s.labels.copy(), float("inf")), None)
    assert relocate(rebalancing) == 0 and chains(rebalancing) == 0
    assert np.array_equal(rebalancing.s.labels, problem.current)


def test_each_rebalancing_run_plans_its_moves_its_own_way():
    problem = problem_with_locks()
    graph = build_graph(problem.coords)
    state = State.build(problem, graph, initial_labels(problem, graph)[0], float("inf"))
    variants = {(Search(state, None, i).aim_disrupting, Search(state, None, i).depth) for i in range(3)}
    assert variants == set(REBALANCING_VARIANTS)


def test_a_small_design_is_balanced_connected_and_keeps_locked_units_with_the_polishes():
    problem = problem_with_locks()
    solution = solve(problem)
    assert solution.balanced and solution.all_connected
    locked = problem.locked >= 0
    assert (solution.labels[locked] == problem.locked[locked]).all()
