"""Synthetic instances like real account bases: accounts around towns plus rural spread, lognormal
potential, workload correlated with it. Used by the benchmark and the tests."""

import numpy as np


def clustered(
    n: int, *, towns: int | None = None, rural_share: float = 0.2, measures: int = 2, seed: int = 0
):
    """(coords, measures) for n accounts; column 0 potential, column 1 workload, further ones random."""
    rng = np.random.default_rng(seed)
    towns = towns or max(3, n // 150)
    centres = rng.uniform(0, 100, size=(towns, 2))
    size = rng.pareto(1.5, towns) + 1  # a few big cities, many small towns
    spread = 0.8 + 1.5 * np.sqrt(size / size.max()) * 3
    n_rural = int(n * rural_share)
    town_of = rng.choice(towns, size=n - n_rural, p=size / size.sum())
    urban = centres[town_of] + rng.normal(size=(n - n_rural, 2)) * spread[town_of, None]
    rural = rng.uniform(0, 100, size=(n_rural, 2))
    coords = np.concatenate([urban, rural])
    potential = rng.lognormal(mean=10, sigma=0.8, size=n)
    workload = 2 + 0.6 * potential / potential.mean() * rng.lognormal(0, 0.35, n)
    columns = [potential, workload]
    for _ in range(measures - 2):
        columns.append(rng.lognormal(3, 0.5, n))
    order = rng.permutation(n)
    return coords[order], np.column_stack(columns[:measures])[order]
