"""Exchanges of small groups of units across a shared border (one for one, two for one, one for two).

Single moves shift every measure of both territories the same way, so they cannot fix a territory that
is short on one measure and long on another; workload grows with potential, so even a one-for-one swap
often cannot either, while giving two small accounts for one large one can.
"""

from itertools import combinations

import numpy as np

from .search import BALANCE_DISRUPTION_SHARE, EPS, Search, distinct

SIDE = 10  # boundary units considered per side of a border
TRIES = 8  # best exchanges tried per border before giving up on it


class Exchange:
    def __init__(self, search: Search):
        self.search = search
        self.s = search.s
        self.hard = False
        # Per border (ta * k + tb), the versions of its two territories when it last had no exchange
        # to make: until one of them changes, it has none still, so it is not searched again.
        self.tried: dict[int, tuple[int, int]] = {}

    def round(self, hard: bool) -> int:
        self.hard = hard
        found = self.search.candidates()
        if found is None:
            return 0
        u, a, b = found
        k = self.s.problem.k
        key = a * k + b
        order = np.argsort(key, kind="stable")
        u, a, b, key = u[order], a[order], b[order], key[order]
        pairs = distinct(key[a < b])
        if not hard:
            # Balancing: only borders of a territory out of tolerance.
            off = (np.abs(self.s.sums - 1.0) > self.search.tol).any(axis=1)
            pairs = pairs[off[pairs // k] | off[pairs % k]]
        centres = self.s.centres()
        touched = np.zeros(k, dtype=bool)
        done = 0
        for step, pair in enumerate(pairs):
            if step % 64 == 63 and self.s.problem.clock() > self.s.deadline:
                break
            ta, tb = int(pair // k), int(pair % k)
            versions = (int(self.s.version[ta]), int(self.s.version[tb]))
            if touched[ta] or touched[tb] or self.tried.get(int(pair)) == versions:
                continue
            lo, hi = np.searchsorted(key, [pair, pair + 1])
            back = tb * k + ta
            blo, bhi = np.searchsorted(key, [back, back + 1])
            if lo == hi or blo == bhi:
                continue
            us, vs = self._side(u[lo:hi], ta, tb, centres), self._side(u[blo:bhi], tb, ta, centres)
            if self._best(us, vs, ta, tb, centres, hard):
                touched[ta] = touched[tb] = True
                done += 1
            else:
                self.tried[int(pair)] = versions
        return done

    def _side(self, units, origin, dest, centres):
        """The units most worth trading from origin to dest. Balancing: those carrying most of what
        origin has too much of, relative to dest. Compacting: those that gain most by the move."""
        if self.hard:
            ones = np.ones(len(units), dtype=np.int64)
            gain = self.search.compact_delta(units, ones * origin, ones * dest, centres)
        else:
            gain = -(self.s.scaled[units] @ (self.s.sums[origin] - self.s.sums[dest]))
        return units[np.argsort(gain, kind="stable")[:SIDE]]

    def _groups(self, units, origin, dest, centres):
        """Singles and pairs of `units`, each with its measure vector, compactness cost and disruption."""
        srch = self.search
        origins, dests = np.full(len(units), origin), np.full(len(units), dest)
        members = [(i,) for i in range(len(units))] + list(combinations(range(len(units)), 2))
        index = np.array([m if len(m) == 2 else (m[0], -1) for m in members])
        pair = index[:, 1] >= 0

        def total(values):
            second = np.where(pair.reshape((-1,) + (1,) * (values.ndim - 1)), values[index[:, 1]], 0)
            return values[index[:, 0]] + second

        compact = srch.compact_delta(units, origins, dests, centres)
        disrupt = srch.disrupt_delta(units, origins, dests)
        return members, total(self.s.scaled[units]), total(compact), total(disrupt), pair

    def _best(self, us, vs, ta, tb, centres, hard) -> bool:
        s, srch = self.s, self.search
        give, gvec, gcost, gdisrupt, gpair = self._groups(us, ta, tb, centres)
        take, tvec, tcost, tdisrupt, tpair = self._groups(vs, tb, ta, centres)
        net = gvec[:, None, :] - tvec[None, :, :]
        ea, eb = s.sums[ta] - 1.0, s.sums[tb] - 1.0
        na, nb = ea - net * s.ratio[ta], eb + net * s.ratio[tb]
        if hard:
            ok = (np.abs(na) <= np.maximum(srch.tol, np.abs(ea)) + EPS).all(-1) & (
                np.abs(nb) <= np.maximum(srch.tol, np.abs(eb)) + EPS
            ).all(-1)
            bal = np.where(ok, 1e-3 * srch.balance_delta(ea, eb, na, nb), np.inf)
        else:
            bal = srch.balance_delta(ea, eb, na, nb)
        share = 1.0 if hard else BALANCE_DISRUPTION_SHARE
        d = bal + srch.admissible(ea, eb, na, nb, hard) + gcost[:, None] + tcost[None, :]
        d = d + share * (gdisrupt[:, None] + tdisrupt[None, :])
        d[gpair[:, None] & tpair[None, :]] = np.inf  # two for two: rarely needed, costly to try
        for idx in np.argsort(d, axis=None)[:TRIES]:
            if d.flat[idx] >= -EPS:
                return False
            i, j = divmod(int(idx), len(take))
            moves = [(int(us[x]), ta, tb) for x in give[i]] + [(int(vs[x]), tb, ta) for x in take[j]]
            if self._try(moves):
                return True
        return False

    def _try(self, moves) -> bool:
        s = self.s
        done = []
        for u, origin, dest in moves:
            if (
                s.counts[origin] <= 1
                or self.search.over_budget(u, origin, dest)
                or not s.touches(u, dest)
                or not s.can_leave(u)
            ):
                for v, o, t in reversed(done):
                    s.apply(v, t, o)
                return False
            s.apply(u, origin, dest)
            done.append((u, origin, dest))
        return True
