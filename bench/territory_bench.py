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
and our gap to it is printed. Instances are clustered (towns plus rural spread, lognormal potential,
workload correlated with it); seeds fixed.
"""

import argparse
import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, linprog, milp
from scipy.sparse import csr_matrix, vstack
from scipy.spatial import cKDTree

from firstline.territories.optimizer import Problem, evaluate, solve
from firstline.territories.optimizer.graph import build_graph, stays_connected_without
from firstline.territories.optimizer.instances import clustered
from firstline.territories.optimizer.metrics import centres, deviations, weighted_distance


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


def balanced_allocation_mip(problem, c, tol):
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
    res = milp(
        cost,
        constraints=LinearConstraint(vstack(rows), np.concatenate(lo), np.concatenate(hi)),
        integrality=np.ones(n * k),
        bounds=Bounds(0, 1),
        options={"time_limit": 60},
    )
    if res.x is None:
        return None
    return res.x.reshape(n, k).argmax(1)


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
