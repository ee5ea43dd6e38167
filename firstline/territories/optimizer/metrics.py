"""Measures of a partition, shared by the optimizer's result, the CLI and the benchmark."""

import contextlib

import numpy as np
from scipy.spatial import ConvexHull, QhullError
from scipy.spatial.distance import pdist

from .graph import Graph


def territory_sums(labels: np.ndarray, measures: np.ndarray, k: int) -> np.ndarray:
    return np.stack([np.bincount(labels, measures[:, j], k) for j in range(measures.shape[1])], axis=1)


def deviations(
    labels: np.ndarray, measures: np.ndarray, k: int, targets: np.ndarray | None = None
) -> np.ndarray:
    """(k, m) relative deviation of each territory from its target (by default each measure's mean)."""
    sums = territory_sums(labels, measures, k)
    mean = measures.sum(axis=0) / k if targets is None else targets
    return np.where(mean > 0, sums / np.where(mean > 0, mean, 1.0) - 1.0, 0.0)


def coefficient_of_variation(labels: np.ndarray, measures: np.ndarray, k: int) -> np.ndarray:
    sums = territory_sums(labels, measures, k)
    mean = sums.mean(axis=0)
    return np.where(mean > 0, sums.std(axis=0) / np.where(mean > 0, mean, 1.0), 0.0)


def centres(labels: np.ndarray, coords: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    wsum = np.bincount(labels, weights, k)
    xy = np.stack([np.bincount(labels, weights * coords[:, i], k) for i in range(2)], axis=1)
    return xy / np.maximum(wsum, 1e-12)[:, None]


def weighted_distance(labels: np.ndarray, coords: np.ndarray, weights: np.ndarray, k: int) -> float:
    """Sum of each unit's weight times its distance to its territory's weighted centre."""
    c = centres(labels, coords, weights, k)
    return float((weights * np.linalg.norm(coords - c[labels], axis=1)).sum())


def diameters(labels: np.ndarray, coords: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros(k)
    for t in range(k):
        pts = coords[labels == t]
        if len(pts) > 3:
            # Collinear points have no hull; the plain pairwise distances below are just as exact.
            with contextlib.suppress(QhullError):
                pts = pts[ConvexHull(pts).vertices]
        if len(pts) > 1:
            out[t] = pdist(pts).max()
    return out


def connected(graph: Graph, labels: np.ndarray, k: int) -> np.ndarray:
    """Per territory, whether its units form one component of the adjacency graph."""
    _count, comp = graph.components(labels)
    pieces = np.zeros(k, dtype=np.int64)
    for t in range(k):
        members = comp[labels == t]
        pieces[t] = len(np.unique(members))
    return pieces == 1
