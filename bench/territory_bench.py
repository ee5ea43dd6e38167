"""Territory design: our optimizer against k-means-constrained (the common open-source answer) and
weighted k-means without balance (the compactness reference), side by side on the same instances.

    .venv/bin/python bench/territory_bench.py                 # every scenario below
    .venv/bin/python bench/territory_bench.py --only 500x10   # one of them
    .venv/bin/python bench/territory_bench.py --skip-large    # without 100,000 x 500
    .venv/bin/python bench/territory_bench.py --cpu-clock     # time limits in CPU seconds (busy machine)
    .venv/bin/python bench/territory_bench.py --only rebalance --seed 1 2 3 4 5 6   # other instances
    .venv/bin/python bench/territory_bench.py --no-kmc        # without k-means-constrained (slow)

Per method: time, max relative deviation from the mean of potential and workload, coefficient of
variation, total weighted distance to territory centres relative to weighted k-means ("price of
balance"), and territories that are not one component of the Delaunay graph. The rebalancing scenario
starts from a plan about 20 % out of balance and also prints the accounts and potential moved, against
the minimum-disruption LP bound (contiguity relaxed, HiGHS via scipy). On 500 x 10 a MIP (HiGHS via
scipy.optimize.milp) solves the balanced allocation exactly for fixed centres, re-centred a few times,
and our gap to it is printed; that MIP leaves contiguity out, so a second one (HiGHS via highspy) solves
the allocation to our centres with contiguity, by separator cuts, and prints its lower bound, the best
connected allocation it found and whether that is proved optimal. Instances are clustered (towns plus
rural spread, lognormal potential, workload correlated with it); seeds fixed.
"""

import argparse
import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, linprog, milp
from scipy.sparse import csr_matrix, vstack
from scipy.spatial import cKDTree

from firstline.territories.optimizer import Problem, evaluate, solve
from firstline.territories.optimizer.graph import build_graph, stays_connected_without
from firstline.territories.optimizer.instances import clustered
from firstline.territories.optimizer.metrics import centres, deviations, weighted_distance

CUT_SECONDS = 150  # wall seconds (HiGHS's clock) for the contiguous reference on 500 x 10
CUT_SOLVE_SECONDS = 30  # each of its solves


class Stopwatch:
    """Wall time and this process's CPU time: on a shared machine the second shows what the work cost."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def elapsed(self):
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def weighted_kmeans(coords, weights, k, seed=0, iterations=50):
    """Lloyd's algorithm with sample weights and k-means++ seeding: compact, blind to balance."""
    rng = np.random.default_rng(seed)
    chosen = [int(rng.choice(len(coords), p=weights / weights.sum()))]
    d2 = ((coords - coords[chosen[0]]) ** 2).sum(1)
    for _ in range(k - 1):
        p = weights * d2
        chosen.append(int(rng.choice(len(coords), p=p / p.sum())))
        d2 = np.minimum(d2, ((coords - coords[chosen[-1]]) ** 2).sum(1))
    c = coords[chosen].copy()
    labels = np.zeros(len(coords), dtype=np.int64)
    for _ in range(iterations):
        new = nearest(coords, c)
        if (new == labels).all() and _ > 0:
            break
        labels = new
        c = centres(labels, coords, weights, k)
    return labels


def nearest(coords, c):
    return cKDTree(c).query(coords)[1].astype(np.int64)


def kmeans_constrained(coords, k, seed=0):
    from k_means_constrained import KMeansConstrained

    n = len(coords)
    model = KMeansConstrained(n_clusters=k, size_min=n // k, size_max=-(-n // k), random_state=seed, n_init=1)
    return np.asarray(model.fit_predict(coords), dtype=np.int64)


def align(labels, reference, k):
    """Renumber `labels` to agree most with `reference`, so moved accounts count real changes."""
    overlap = np.zeros((k, k))
    np.add.at(overlap, (labels, reference), 1)
    rows, cols = linear_sum_assignment(-overlap)
    mapping = np.empty(k, dtype=np.int64)
    mapping[rows] = cols
    return mapping[labels]


def row(name, problem, labels, seconds, reference_distance, graph):
    sol = evaluate(problem, labels, graph=graph)
    moved = len(sol.moved) if (problem.current >= 0).any() else None
    return {
        "method": name,
        "seconds": seconds,
        "dev": sol.max_deviation,
        "cv": sol.cv,
        "price": sol.weighted_distance / reference_distance - 1,
        "disconnected": int((~sol.connected).sum()),
        "moved": moved,
        "moved_potential": sol.moved_share[0] if moved is not None else None,
        "diameter": sol.max_diameter,
        "distance": sol.weighted_distance,
    }


def print_rows(title, rows, measures=("potential", "workload")):
    print(f"\n## {title}")
    devs = " | ".join(f"max dev {m}" for m in measures)
    print(
        f"| method | time s (CPU s) | {devs} | CV potential | price of balance | not connected "
        "| moved (potential) |"
    )
    print("|---" * (6 + len(measures)) + "|")
    for r in rows:
        moved = "" if r["moved"] is None else f"{r['moved']} ({r['moved_potential']:.1%})"
        devs = " | ".join(f"{d:.2%}" for d in r["dev"])
        print(
            f"| {r['method']} | {r['seconds'][0]:.2f} ({r['seconds'][1]:.2f}) | {devs} | {r['cv'][0]:.2%} | "
            f"{r['price']:+.1%} | {r['disconnected']} | {moved} |"
        )


def compare(n, k, tol, *, seed=1, run_kmc=True, measures=2, objective="distance", time_limit=60.0):
    coords, values = clustered(n, seed=seed, measures=measures)
    names = ["potential", "workload", "third"][:measures]
    problem = Problem(
        coords,
        values,
        k,
        tolerance=tol,
        objective=objective,
        time_limit=time_limit,
        measure_names=names,
        clock=CLOCK[0],
    )
    graph = build_graph(coords)
    t = Stopwatch()
    wk = weighted_kmeans(coords, problem.weights, k, seed=seed)
    wk_seconds = t.elapsed()
    reference = weighted_distance(wk, coords, problem.weights, k)
    t = Stopwatch()
    ours = solve(problem)
    rows = [row(f"ours (±{tol * 100:g}%, {objective})", problem, ours.labels, t.elapsed(), reference, graph)]
    if run_kmc and KMC[0]:
        t = Stopwatch()
        labels = kmeans_constrained(coords, k, seed=seed)
        rows.append(
            row(
                "k-means-constrained (equal counts)",
                problem,
                labels,
                t.elapsed(),
                reference,
                graph,
            )
        )
    rows.append(row("weighted k-means (no balance)", problem, wk, wk_seconds, reference, graph))
    title = f"{n:,} accounts × {k} territories, {measures} measures at ±{tol * 100:g}%, objective {objective}"
    print_rows(title, rows, names)
    if objective == "diameter":
        print(
            f"Largest diameter: ours {rows[0]['diameter']:.2f}, weighted k-means {rows[-1]['diameter']:.2f}"
        )
    for w in ours.warnings:
        print(f"Warning: {w}")
    return problem, ours, graph, reference


def perturb(problem, labels, graph, target=0.20, seed=2):
    """Grow random territories by their neighbours' boundary units until one is `target` off balance."""
    rng = np.random.default_rng(seed)
    labels = labels.copy()
    src, dst = graph.directed_edges()
    k = problem.k
    while np.abs(deviations(labels, problem.measures, k)).max() < target:
        t = int(rng.integers(k))
        for _ in range(5):
            edges = np.flatnonzero((labels[dst] == t) & (labels[src] != t))
            if not len(edges):
                break
            u = int(src[rng.choice(edges)])
            a = labels[u]
            if (labels == a).sum() > 1 and stays_connected_without(graph, labels, u, budget=10**9):
                labels[u] = t
    return labels


def disruption_lp_bound(problem, tol):
    """Fewest accounts that must move to reach ±tol when contiguity is ignored (LP relaxation)."""
    n, k, m = problem.n, problem.k, problem.m
    cur = problem.current
    cost = np.zeros(n * k)
    cost[np.arange(n) * k + cur] = -1.0  # maximise what stays: n + cost·x is the number moved
    assign = csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), np.arange(n * k))), shape=(n, n * k))
    blocks = []
    for j in range(m):
        col = np.arange(n * k)
        blocks.append(csr_matrix((np.repeat(problem.measures[:, j], k), (col % k, col)), shape=(k, n * k)))
    mean = problem.measures.sum(0) / k
    lo = np.concatenate([np.full(k, mean[j] * (1 - tol)) for j in range(m)])
    hi = np.concatenate([np.full(k, mean[j] * (1 + tol)) for j in range(m)])
    a_ub = vstack([vstack(blocks), -vstack(blocks)])
    b_ub = np.concatenate([hi, -lo])
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=assign, b_eq=np.ones(n), bounds=(0, 1), method="highs")
    return n + res.fun if res.status == 0 else float("nan")


def rebalance(n, k, tol=0.02, seed=1):
    problem, ours, graph, reference = compare(n, k, tol, seed=seed, run_kmc=False)
    start = perturb(problem, ours.labels, graph)
    off = np.abs(deviations(start, problem.measures, k)).max()
    problem.current = start
    problem.disruption_weight = 0.05
    t = Stopwatch()
    again = solve(problem)
    rows = [
        row(
            "ours, rebalancing the current plan",
            problem,
            again.labels,
            t.elapsed(),
            reference,
            graph,
        )
    ]
    wk = weighted_kmeans(problem.coords, problem.weights, k, seed=seed)
    rows.append(
        row("weighted k-means (no balance)", problem, align(wk, start, k), (0.0, 0.0), reference, graph)
    )
    t = time.perf_counter()
    bound = disruption_lp_bound(problem, tol)
    lp_seconds = time.perf_counter() - t
    print_rows(f"Rebalancing {n:,} × {k} from a plan {off:.0%} out of balance to ±{tol:.0%}", rows)
    print(
        f"Minimum-disruption LP bound (contiguity relaxed): {bound:.1f} accounts ({lp_seconds:.1f} s); "
        f"ours moved {len(again.moved)}, ratio {len(again.moved) / bound:.2f} (goal ≤ 2)"
    )


def mip_gap(n=500, k=10, tol=0.02, seed=1, rounds=3):
    problem, ours, graph, _reference = compare(n, k, tol, seed=seed)
    c = centres(ours.labels, problem.coords, problem.weights, k)
    best, best_labels, t = np.inf, None, time.perf_counter()
    for _ in range(rounds):
        labels = balanced_allocation_mip(problem, c, tol)
        if labels is None:
            break
        value = weighted_distance(labels, problem.coords, problem.weights, k)
        if value < best - 1e-9:
            best, best_labels = value, labels
        c = centres(labels, problem.coords, problem.weights, k)
    seconds = time.perf_counter() - t
    connected = evaluate(problem, best_labels, graph=graph).connected.sum() if best_labels is not None else 0
    print(
        f"MIP (HiGHS, balanced allocation to centres re-centred {rounds}×, contiguity relaxed): "
        f"{best:,.1f} in {seconds:.1f} s, {connected}/{k} territories connected; "
        f"ours {ours.weighted_distance:,.1f}: "
        f"gap {ours.weighted_distance / best - 1:+.2%} (goal ≤ 2 %)"
    )
    t = time.perf_counter()
    cut = contiguous_allocation(problem, graph, ours.labels, tol)
    ours_cost = cut.cost(ours.labels)  # equals our objective: the centres are our territories' centres
    proof = "proved optimal" if cut.proved else "not proved optimal"
    if cut.best_cost < ours_cost:
        found = f"{cut.best_cost:,.1f} ({proof}; ours {ours_cost / cut.best_cost - 1:+.2%})"
    else:
        found = f"none better than ours (ours {proof})"
    print(
        f"Contiguous MIP (HiGHS, balanced allocation to our centres with separator cuts; "
        f"{cut.solves} solves, {cut.cuts} cuts, {time.perf_counter() - t:.0f} s): lower bound "
        f"{cut.bound:,.1f} for these centres (ours {ours_cost / cut.bound - 1:+.2%} above it); connected "
        f"allocation found: {found}; the last solve's answer {cut.last_cost:,.1f}, "
        f"{'connected' if cut.connected else 'not connected'}"
    )


def allocation_model(problem, c, tol):
    """The balanced allocation to fixed centres `c`: per unit and territory a 0/1 variable (unit-major),
    its weighted distance as cost; each unit in one territory, every measure within ±tol of its mean."""
    n, k, m = problem.n, problem.k, problem.m
    dist = np.linalg.norm(problem.coords[:, None, :] - c[None, :, :], axis=2)
    cost = (problem.weights[:, None] * dist).ravel()
    col = np.arange(n * k)
    rows = [csr_matrix((np.ones(n * k), (col // k, col)), shape=(n, n * k))]
    lo, hi = [np.ones(n)], [np.ones(n)]
    mean = problem.measures.sum(0) / k
    for j in range(m):
        rows.append(csr_matrix((np.repeat(problem.measures[:, j], k), (col % k, col)), shape=(k, n * k)))
        lo.append(np.full(k, mean[j] * (1 - tol)))
        hi.append(np.full(k, mean[j] * (1 + tol)))
    return cost, vstack(rows).tocsr(), np.concatenate(lo), np.concatenate(hi)


def balanced_allocation_mip(problem, c, tol):
    n, k = problem.n, problem.k
    cost, matrix, lo, hi = allocation_model(problem, c, tol)
    res = milp(
        cost,
        constraints=LinearConstraint(matrix, lo, hi),
        integrality=np.ones(n * k),
        bounds=Bounds(0, 1),
        options={"time_limit": 60},
    )
    if res.x is None:
        return None
    return res.x.reshape(n, k).argmax(1)


@dataclass
class CutResult:
    unit_cost: np.ndarray  # (n, k) cost of each unit in each territory
    bound: float  # lower bound on the contiguous allocation to these centres
    best_cost: float  # of the best connected allocation found
    proved: bool  # whether that one is optimal (a solve ended optimal with every territory connected)
    last_cost: float  # the last solve's answer
    connected: bool  # whether that one is connected
    solves: int
    cuts: int

    def cost(self, labels):
        return float(self.unit_cost[np.arange(len(labels)), labels].sum())


def contiguous_allocation(problem, graph, start, tol, seconds=CUT_SECONDS, per_solve=CUT_SOLVE_SECONDS):
    """The balanced allocation to the centres of the connected plan `start`, with every territory
    connected: HiGHS solves it without contiguity, each territory's pieces apart from its heaviest get
    separator cuts, and it solves again (from the best connected answer so far), until an answer is
    connected or `seconds` (wall, HiGHS's clock) are spent.

    For unit i in piece C of territory j and a unit a of another piece of j, any connected plan has
    x[i,j] + x[a,j] - 1 <= sum of x[v,j] over the neighbours v of C outside it (a path from i to a
    leaves C through one of them). No unit is fixed as a territory's root, so the cuts and the lower
    bound hold for every connected allocation to these centres; the centres stay fixed, so it is not a
    bound on the design model itself, whose centres move with its territories.
    """
    n, k = problem.n, problem.k
    cost, matrix, lo, hi = allocation_model(problem, centres(start, problem.coords, problem.weights, k), tol)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    none = np.zeros(0, dtype=np.int32)
    h.addCols(n * k, cost, np.zeros(n * k), np.ones(n * k), 0, none, none, np.zeros(0))
    h.changeColsIntegrality(
        n * k, np.arange(n * k, dtype=np.int32), np.full(n * k, highspy.HighsVarType.kInteger)
    )
    h.addRows(
        len(lo),
        lo,
        hi,
        matrix.nnz,
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )
    result = CutResult(cost.reshape(n, k), -np.inf, np.inf, False, np.inf, False, 0, 0)
    best = start
    result.best_cost = result.cost(best)
    began = time.perf_counter()
    while (left := seconds - (time.perf_counter() - began)) > 1:
        warm = np.zeros(n * k)
        warm[np.arange(n) * k + best] = 1.0  # connected, so it meets every cut
        h.setSolution(n * k, np.arange(n * k, dtype=np.int32), warm)
        h.setOptionValue("time_limit", min(left, per_solve))
        h.run()
        result.solves += 1
        result.bound = max(result.bound, h.getInfo().mip_dual_bound)
        labels = np.asarray(h.getSolution().col_value).reshape(n, k).argmax(1)
        result.last_cost = result.cost(labels)
        cuts = separators(graph, labels, k, problem.weights)
        result.connected = not cuts
        if not cuts:
            if result.last_cost < result.best_cost:
                best, result.best_cost = labels, result.last_cost
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                result.proved = True
                break
        for index, value in cuts:
            h.addRow(-np.inf, 1.0, len(index), index.astype(np.int32), value)
        result.cuts += len(cuts)
    return result


def separators(graph, labels, k, weights):
    """The separator cuts (variable indices, coefficients; right-hand side 1) that `labels` violates:
    per territory in pieces, one per unit of each piece but the heaviest, anchored in the heaviest."""
    n = len(labels)
    cuts = []
    for j in range(k):
        inside = labels == j
        _count, comp = graph.components(np.where(inside, j, -1 - np.arange(n)))
        pieces = np.unique(comp[inside])
        if len(pieces) <= 1:
            continue
        main = pieces[np.argmax([weights[comp == q].sum() for q in pieces])]
        anchor = int(np.flatnonzero(comp == main)[0])
        for q in pieces[pieces != main]:
            piece = np.flatnonzero(comp == q)
            around = np.setdiff1d(np.concatenate([graph.neighbours(u) for u in piece]), piece)
            for i in piece:
                index = np.r_[i * k + j, anchor * k + j, around * k + j]
                cuts.append((index, np.r_[1.0, 1.0, -np.ones(len(around))]))
    return cuts


CLOCK = [time.monotonic]  # what our time limit counts: wall seconds, or with --cpu-clock CPU seconds
KMC = [True]  # whether k-means-constrained runs (--no-kmc)

SCENARIOS = {
    "500x10": lambda seed: mip_gap(seed=seed),
    "500x10-diameter": lambda seed: compare(
        500, 10, 0.05, seed=seed, measures=3, objective="diameter", time_limit=10
    ),
    "10000x100": lambda seed: compare(10_000, 100, 0.01, seed=seed, time_limit=2.5),
    "10000x50": lambda seed: compare(10_000, 50, 0.01, seed=seed, time_limit=2.5),
    "rebalance": lambda seed: rebalance(2_000, 20, seed=seed),
    "100000x500": lambda seed: compare(100_000, 500, 0.01, seed=seed, run_kmc=False, time_limit=8),
    # The calibration reached ±0.9 % here in about 9 s.
    "100000x500-0.9": lambda seed: compare(100_000, 500, 0.009, seed=seed, run_kmc=False, time_limit=8),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SCENARIOS))
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument(
        "--cpu-clock",
        action="store_true",
        help="count our time limits in this process's CPU seconds: on a machine shared with other work, "
        "what an idle machine would give in those seconds",
    )
    parser.add_argument(
        "--seed",
        type=int,
        nargs="+",
        default=[1],
        help="the instances' seeds (default 1); with several, each scenario runs once per seed",
    )
    parser.add_argument("--no-kmc", action="store_true", help="leave k-means-constrained out (it is slow)")
    args = parser.parse_args()
    if args.cpu_clock:
        CLOCK[0] = time.process_time
    if args.no_kmc:
        KMC[0] = False
    for name, run in SCENARIOS.items():
        if (args.only and name != args.only) or (args.skip_large and name.startswith("100000x500")):
            continue
        for seed in args.seed:
            print(f"\n# {name}, seed {seed}")
            run(seed)


if __name__ == "__main__":
    main()
