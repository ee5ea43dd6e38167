"""The territory optimizer as a library: constraints it must keep and messages it must give."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstline.territories.optimizer import Infeasible, Problem, solve
from firstline.territories.optimizer.graph import build_graph, stays_connected_without, surely_separable
from firstline.territories.optimizer.instances import clustered
from firstline.territories.optimizer.metrics import connected, deviations, diameters
from firstline.territories.optimizer.search import Search, State
from firstline.territories.optimizer.transfer import transfer


def small(n=300, k=5, **options):
    coords, measures = clustered(n, seed=4)
    return Problem(coords, measures, k, measure_names=["potential", "workload"], time_limit=20, **options)


def test_it_balances_every_measure_within_tolerance_and_keeps_territories_connected():
    problem = small(tolerance=0.05)
    solution = solve(problem)
    assert solution.balanced
    assert (np.abs(solution.deviation) <= 0.05 + 1e-9).all()
    assert solution.all_connected
    assert connected(build_graph(problem.coords), solution.labels, problem.k).all()
    assert sorted(np.unique(solution.labels)) == list(range(problem.k))


def test_locked_units_never_move():
    problem = small(tolerance=0.05)
    rng = np.random.default_rng(3)
    locked = np.full(problem.n, -1)
    chosen = rng.choice(problem.n, 12, replace=False)
    locked[chosen] = np.arange(12) % problem.k
    problem.locked = locked
    solution = solve(problem)
    assert (solution.labels[chosen] == locked[chosen]).all()
    assert solution.all_connected


def test_it_keeps_the_current_plan_when_it_is_already_balanced():
    first = solve(small(tolerance=0.05))
    again = solve(small(tolerance=0.05, current=first.labels, disruption_weight=1.0))
    assert again.balanced
    assert len(again.moved) == 0


def counts_plan(problem):
    """A contiguous plan with equal numbers of accounts: out of balance on potential and workload."""
    return solve(Problem(problem.coords, np.ones((problem.n, 1)), problem.k, tolerance=0.01)).labels


def test_a_move_budget_is_respected():
    problem = small(tolerance=0.05)
    free = solve(small(tolerance=0.05, current=counts_plan(problem)))
    capped = solve(small(tolerance=0.05, current=counts_plan(problem), max_moves=3))
    assert len(free.moved) > 3  # the budget binds
    assert len(capped.moved) <= 3
    assert not capped.balanced and "not reached" in capped.warnings[-1]


def test_a_unit_bigger_than_a_territory_is_reported_with_the_bound_it_imposes():
    problem = small(tolerance=0.02)
    problem.measures[7, 0] = problem.measures[:, 0].sum()  # one account holds half of all potential
    with pytest.raises(Infeasible) as raised:
        solve(problem)
    assert raised.value.units == [7]
    assert "unit 7" in str(raised.value) and "tolerance of at least" in str(raised.value)
    assert raised.value.bound > 1


def test_large_units_are_flagged_without_stopping_the_run():
    problem = small(k=5, tolerance=0.05)
    mean = problem.measures[:, 0].sum() / 5
    problem.measures[11, 0] = 0.3 * mean
    solution = solve(problem)
    assert any("exceed 15%" in w and "11" in w for w in solution.warnings)


def test_units_locked_beyond_the_tolerance_are_refused():
    problem = small(tolerance=0.05)
    locked = np.full(problem.n, -1)
    locked[: problem.n // 2] = 0
    problem.locked = locked
    with pytest.raises(Infeasible, match="locked to territory 0"):
        solve(problem)


def test_an_adjacency_with_more_islands_than_territories_is_refused():
    coords = np.array([[0, 0], [1, 0], [5, 5], [6, 5], [9, 9]], dtype=float)
    edges = np.array([[0, 1], [2, 3]])
    problem = Problem(coords, np.ones((5, 1)), 2, edges=edges)
    with pytest.raises(Infeasible, match="3 separate groups"):
        solve(problem)


def test_a_given_edge_list_replaces_the_delaunay_graph():
    # A 6 x 6 grid with rook adjacency; a territory must be connected through these edges only.
    xs, ys = np.meshgrid(np.arange(6), np.arange(6))
    coords = np.column_stack([xs.ravel(), ys.ravel()]).astype(float)
    index = np.arange(36).reshape(6, 6)
    edges = np.concatenate(
        [
            np.column_stack([index[:, :-1].ravel(), index[:, 1:].ravel()]),
            np.column_stack([index[:-1, :].ravel(), index[1:, :].ravel()]),
        ]
    )
    problem = Problem(coords, np.ones((36, 1)), 4, tolerance=0.0, edges=edges)
    solution = solve(problem)
    assert solution.balanced and (np.bincount(solution.labels) == 9).all()
    assert connected(build_graph(coords, edges), solution.labels, 4).all()


def test_three_measures_with_the_diameter_objective():
    coords, measures = clustered(200, seed=5, measures=3)
    problem = Problem(coords, measures, 4, tolerance=0.05, objective="diameter", time_limit=20)
    solution = solve(problem)
    assert solution.balanced and solution.all_connected
    assert solution.objective_value == pytest.approx(diameters(solution.labels, coords, 4).max())


def test_progress_is_reported_from_zero_to_done():
    seen = []
    solve(small(tolerance=0.05), progress=lambda done, total, message: seen.append((done, total, message)))
    assert seen[0][0] == 0 and seen[-1] == (100, 100, "Done")
    assert [d for d, _t, _m in seen] == sorted(d for d, _t, _m in seen)


@settings(max_examples=40)
@given(st.integers(0, 10_000), st.integers(2, 6))
def test_the_connectivity_check_never_approves_a_move_that_splits_a_territory(seed, k):
    rng = np.random.default_rng(seed)
    coords = rng.uniform(0, 10, size=(40, 2))
    graph = build_graph(coords)
    labels = rng.integers(0, k, 40)
    for u in range(40):
        if stays_connected_without(graph, labels, u):
            before = _pieces(graph, labels, labels[u], exclude=None)
            after = _pieces(graph, labels, labels[u], exclude=u)
            assert after <= max(before, 1) or before > 1


def _pieces(graph, labels, territory, exclude):
    members = {int(v) for v in np.flatnonzero(labels == territory)} - {exclude}
    seen, count = set(), 0
    for start in members:
        if start in seen:
            continue
        count += 1
        stack = [start]
        seen.add(start)
        while stack:
            v = stack.pop()
            for w in graph.neighbours(v):
                w = int(w)
                if w in members and w not in seen:
                    seen.add(w)
                    stack.append(w)
    return count


def test_a_half_time_seller_gets_half_a_share():
    problem = small(k=4, tolerance=0.05, capacity=np.array([1.0, 1.0, 1.0, 0.5]))
    solution = solve(problem)
    share = solution.sums[:, 0] / solution.sums[:, 0].sum()
    assert solution.balanced
    assert share[3] == pytest.approx(0.5 / 3.5, rel=0.05)
    assert share[0] == pytest.approx(1 / 3.5, rel=0.05)


@settings(max_examples=40)
@given(st.integers(0, 10_000), st.integers(2, 6))
def test_the_vectorised_ring_test_never_approves_a_move_that_splits_a_territory(seed, k):
    rng = np.random.default_rng(seed)
    coords = rng.uniform(0, 10, size=(40, 2))
    graph = build_graph(coords)
    labels = rng.integers(0, k, 40)
    for u in np.flatnonzero(surely_separable(graph, labels)):
        before = _pieces(graph, labels, labels[u], exclude=None)
        after = _pieces(graph, labels, labels[u], exclude=int(u))
        assert after <= max(before, 1) or before > 1


def test_a_plan_for_all_territories_balances_without_splitting_or_moving_locked_units():
    problem = small(k=6, tolerance=0.03)
    labels = counts_plan(problem)  # contiguous, equal counts: out of balance on both measures
    locked = np.full(problem.n, -1)
    locked[::25] = labels[::25]
    problem.locked = locked
    graph = build_graph(problem.coords)
    search = Search(State.build(problem, graph, labels.copy(), deadline=float("inf")), None)
    before = search.violations()
    moved = transfer(search, set())
    assert moved > 0 and search.violations() < before
    assert connected(graph, search.s.labels, problem.k).all()
    assert (search.s.labels[::25] == labels[::25]).all()
    # The running sums the search keeps are the sums of the partition it now has.
    sums = np.stack([np.bincount(search.s.labels, search.s.scaled[:, j], problem.k) for j in range(2)], 1)
    assert np.allclose(search.s.sums, sums)


@settings(max_examples=20)
@given(st.integers(0, 10_000))
def test_a_remembered_refusal_to_leave_holds_only_while_the_territory_is_unchanged(seed):
    rng = np.random.default_rng(seed)
    coords = rng.uniform(0, 10, size=(60, 2))
    problem = Problem(coords, np.ones((60, 1)), 4)
    graph = build_graph(coords)
    state = State.build(problem, graph, rng.integers(0, 4, 60), deadline=float("inf"))
    for _ in range(40):
        for u in rng.choice(60, 10, replace=False):
            assert state.can_leave(int(u)) == stays_connected_without(graph, state.labels, int(u))
        u = int(rng.integers(60))
        state.apply(u, int(state.labels[u]), int(rng.integers(4)))


def test_units_sharing_a_location_are_joined_to_the_first_of_them():
    coords = np.array([[0, 0], [4, 0], [0, 4], [4, 0], [4, 4], [4, 0]], dtype=float)
    graph = build_graph(coords)
    assert set(graph.neighbours(3)) == {1} and set(graph.neighbours(5)) == {1}
    assert {3, 5} <= set(graph.neighbours(1))
    assert graph.components()[0] == 1


@pytest.mark.parametrize("seed", [1, 2])
def test_it_reaches_one_percent_on_two_measures_with_a_hundred_accounts_a_territory(seed):
    coords, measures = clustered(400, seed=seed)
    # The units at the four edges of the map, each locked to its own territory.
    ends = [int(np.argmin(coords[:, 0])), int(np.argmax(coords[:, 0]))]
    ends += [int(np.argmin(coords[:, 1])), int(np.argmax(coords[:, 1]))]
    locked = np.full(400, -1)
    locked[ends] = [0, 1, 2, 3]
    solution = solve(Problem(coords, measures, 4, tolerance=0.01, time_limit=120, locked=locked))
    assert solution.balanced and (solution.max_deviation <= 0.01 + 1e-9).all()
    assert solution.all_connected
    assert (solution.labels[ends] == [0, 1, 2, 3]).all()


def test_rebalancing_moves_about_what_the_imbalance_needs():
    problem = small(tolerance=0.03)
    balanced = solve(problem).labels
    graph = build_graph(problem.coords)
    # Grow territory 0 by boundary units of its neighbours until it is well out of balance.
    current, taken = balanced.copy(), 0
    src, dst = graph.directed_edges()
    while np.abs(deviations(current, problem.measures, problem.k)).max() < 0.15:
        border = src[(current[src] != 0) & (current[dst] == 0)]
        u = next(int(v) for v in border if stays_connected_without(graph, current, int(v)))
        current[u] = 0
        taken += 1
    again = solve(small(tolerance=0.03, current=current, disruption_weight=0.05))
    assert again.balanced and again.all_connected
    assert 0 < len(again.moved) <= 2 * taken
