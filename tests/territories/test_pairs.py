"""The pair re-partition (`pairs`): the best connected, balanced split of two territories, checked
against every split of a tiny instance; on a larger one it keeps its promises and never worsens."""

import itertools

import numpy as np

from firstline.territories.optimizer import Problem, pairs
from firstline.territories.optimizer.graph import build_graph
from firstline.territories.optimizer.instances import clustered
from firstline.territories.optimizer.metrics import centres, connected, deviations, weighted_distance

from .test_polish import balanced_search, problem_with_locks


def every_feasible_split(problem, graph):
    """Each split of the units into territories 0 and 1 that is balanced and connected."""
    for bits in itertools.product((0, 1), repeat=problem.n):
        labels = np.array(bits)
        if not labels.any() or labels.all():
            continue
        balanced = (np.abs(deviations(labels, problem.measures, 2)).max(axis=0) <= problem.tolerance).all()
        if balanced and connected(graph, labels, 2).all():
            yield labels


def fixed_centre_cost(problem, labels, middle):
    return float((problem.weights * np.linalg.norm(problem.coords - middle[labels], axis=1)).sum())


def test_a_split_is_the_cheapest_connected_balanced_one_of_every_split_to_those_centres():
    for seed in (1, 2, 3):
        coords, measures = clustered(12, seed=seed)
        problem = Problem(coords, measures, 2, tolerance=0.25)
        graph = build_graph(coords)
        feasible = list(every_feasible_split(problem, graph))
        start = max(feasible, key=lambda labels: weighted_distance(labels, coords, problem.weights, 2))
        middle = centres(start, coords, problem.weights, 2)
        cheapest = min(fixed_centre_cost(problem, labels, middle) for labels in feasible)
        split = pairs._split(problem, graph, start, 0, 1)
        assert connected(graph, split, 2).all() and pairs._balanced(problem, split)
        assert np.isclose(fixed_centre_cost(problem, split, middle), cheapest)


def test_repartition_keeps_balance_contiguity_and_locked_units_and_never_worsens():
    problem = problem_with_locks()
    search = balanced_search(problem)
    before = weighted_distance(search.s.labels, problem.coords, problem.weights, problem.k)
    # A few seconds are enough to find splits that are better; what matters is that none is worse.
    labels = pairs.repartition(problem, search.s.graph, search.s.labels.copy(), deadline=problem.clock() + 5)
    assert pairs._balanced(problem, labels)
    assert connected(search.s.graph, labels, problem.k).all()
    locked = problem.locked >= 0
    assert (labels[locked] == problem.locked[locked]).all()
    assert weighted_distance(labels, problem.coords, problem.weights, problem.k) <= before


def test_repartition_leaves_rebalancing_the_diameter_objective_and_large_instances_alone():
    problem = problem_with_locks()
    search = balanced_search(problem)
    labels = search.s.labels.copy()
    rebalancing = Problem(problem.coords, problem.measures, problem.k, tolerance=0.03, current=labels)
    diameter = Problem(problem.coords, problem.measures, problem.k, tolerance=0.03, objective="diameter")
    for other in (rebalancing, diameter):
        assert not pairs.applies(other)
        assert pairs.repartition(other, search.s.graph, labels, float("inf")) is labels
    coords, measures = clustered(2_000, seed=1)
    assert not pairs.applies(Problem(coords, measures, 20))
