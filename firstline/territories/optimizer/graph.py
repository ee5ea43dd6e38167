"""Adjacency of the units: the Delaunay graph of their locations, or an edge list given by the caller.

Everything here works on a CSR layout (`indptr`, `indices`) so the search can walk neighbours without
building Python sets per unit; the connectivity walk, which reads one neighbour at a time, reads the
same rows as Python lists (`rows`), which serve single entries much faster than arrays.
"""

from collections import deque
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, QhullError


@dataclass(frozen=True)
class Graph:
    indptr: np.ndarray
    indices: np.ndarray
    lengths: np.ndarray  # Euclidean length of each directed edge, aligned with `indices`
    # Each row is sorted by angle around its unit; `linked[i]` says whether neighbour i is itself
    # adjacent to the next one in that ring, so a run of linked neighbours is a connected chain.
    linked: np.ndarray

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @cached_property
    def rows(self) -> list[tuple[list[int], list[bool]]]:
        """Per unit, its neighbours in ring order and their `linked` flags, as Python lists."""
        bounds, flat, links = self.indptr.tolist(), self.indices.tolist(), self.linked.tolist()
        return [(flat[i:j], links[i:j]) for i, j in pairwise(bounds)]

    def neighbours(self, u: int) -> np.ndarray:
        return self.indices[self.indptr[u] : self.indptr[u + 1]]

    def directed_edges(self) -> tuple[np.ndarray, np.ndarray]:
        src = np.repeat(np.arange(self.n), np.diff(self.indptr))
        return src, self.indices

    def components(self, labels: np.ndarray | None = None) -> tuple[int, np.ndarray]:
        """Connected components, of the whole graph or (with `labels`) of each territory's subgraph."""
        src, dst = self.directed_edges()
        keep = slice(None) if labels is None else labels[src] == labels[dst]
        matrix = coo_matrix(
            (np.ones(int(np.size(src[keep]))), (src[keep], dst[keep])), shape=(self.n, self.n)
        )
        return connected_components(matrix, directed=False)


def delaunay_edges(coords: np.ndarray) -> np.ndarray:
    """Undirected edges of the Delaunay triangulation; collinear or tiny inputs fall back to a chain."""
    n = len(coords)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    # Units sharing one location are one vertex of the triangulation, chained to its first unit.
    order = np.lexsort((coords[:, 1], coords[:, 0]))
    repeat = np.r_[False, (np.diff(coords[order], axis=0) == 0).all(axis=1)]
    group = np.cumsum(~repeat) - 1
    first = order[~repeat]  # per vertex, its first unit (lexsort is stable)
    unique = coords[first]
    edges: list[np.ndarray] = []
    if len(unique) >= 3:
        try:
            s = Delaunay(unique).simplices
            edges.append(np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]]))
        except QhullError:
            pass  # all points on a line: the chain below is the whole graph
    if not edges and len(unique) >= 2:
        edges.append(np.column_stack([np.arange(len(unique) - 1), np.arange(1, len(unique))]))
    mapped = first[np.concatenate(edges)] if edges else np.empty((0, 2), dtype=np.int64)
    chain = np.column_stack([first[group[repeat]], order[repeat]])
    return np.concatenate([mapped, chain]).astype(np.int64)


def build_graph(coords: np.ndarray, edges: np.ndarray | None = None) -> Graph:
    n = len(coords)
    pairs = delaunay_edges(coords) if edges is None else np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= n):
        raise ValueError("An edge refers to a unit that does not exist.")
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    keys = np.sort(np.r_[pairs[:, 0] * n + pairs[:, 1], pairs[:, 1] * n + pairs[:, 0]])
    keys = keys[np.r_[True, np.diff(keys) != 0]] if len(keys) else keys
    both = np.column_stack([keys // max(n, 1), keys % max(n, 1)]).astype(np.int64)
    indptr = np.r_[0, np.cumsum(np.bincount(both[:, 0], minlength=n))].astype(np.int64)
    if len(both):
        delta = coords[both[:, 1]] - coords[both[:, 0]]
        # By unit, then by angle (in [0, 2π], below 8): one float key sorts faster than a lexsort.
        angle = np.arctan2(delta[:, 1], delta[:, 0]) + np.pi
        both = both[np.argsort(both[:, 0] * 8.0 + angle, kind="stable")]
    indices = both[:, 1].astype(np.int64)
    lengths = np.linalg.norm(coords[both[:, 0]] - coords[indices], axis=1) if len(both) else np.zeros(0)
    return Graph(indptr=indptr, indices=indices, lengths=lengths, linked=_ring_links(n, both, indptr))


def _ring_links(n: int, both: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    if not len(both):
        return np.zeros(0, dtype=bool)
    position = np.arange(len(both))
    row_end = indptr[both[:, 0] + 1]
    following = np.where(position + 1 < row_end, position + 1, indptr[both[:, 0]])
    nxt = both[following, 1]
    keys = np.sort(both[:, 0] * n + both[:, 1])
    wanted = both[:, 1] * n + nxt
    found = np.searchsorted(keys, wanted)
    return (found < len(keys)) & (keys[np.minimum(found, len(keys) - 1)] == wanted) & (nxt != both[:, 1])


def surely_separable(graph: Graph, labels: np.ndarray) -> np.ndarray:
    """Per unit, whether it can leave its territory without splitting it, by the ring test alone.

    The vectorised form of the first test in `stays_connected_without`: the unit's neighbours in its
    own territory form a single chained run around it. False means "maybe not", not "surely not".
    """
    if not len(graph.indices):
        return np.ones(graph.n, dtype=bool)
    src, dst = graph.directed_edges()
    inside = labels[dst] == labels[src]
    position = np.arange(len(dst))
    previous = np.where(position > graph.indptr[src], position - 1, graph.indptr[src + 1] - 1)
    starts = inside & ~(inside[previous] & graph.linked[previous])
    return np.bincount(src, starts, graph.n) <= 1


def stays_connected_without(graph: Graph, labels: np.ndarray, u: int, budget: int = 48) -> bool:
    """Whether u's territory surely stays one component once u leaves it.

    Only u's neighbours in the territory need to reach each other; the search stops as soon as they
    have, which in a triangulation is usually within a step or two. Past `budget` visited units it
    answers no: a move is lost now and then, but a check never costs a walk over a whole territory.
    """
    territory = labels[u]
    rows = graph.rows
    ring, links = rows[u]
    inside = [labels[v] == territory for v in ring]
    # Neighbours inside the territory that start a new run (not chained to the previous one).
    runs = sum(1 for i, yes in enumerate(inside) if yes and not (inside[i - 1] and links[i - 1]))
    if runs <= 1:
        return True
    own = [v for v, yes in zip(ring, inside, strict=True) if yes]
    wanted = set(own[1:])
    seen = {u, own[0]}
    queue = deque([own[0]])
    while queue:
        for w in rows[queue.popleft()][0]:
            if w in seen or labels[w] != territory:
                continue
            seen.add(w)
            if len(seen) > budget:
                return False
            wanted.discard(w)
            if not wanted:
                return True
            queue.append(w)
    return False
