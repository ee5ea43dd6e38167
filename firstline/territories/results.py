"""What a scenario shows: a before/after table per seller, the moves and the points of the map.
Plain data (JSON-ready), computed once when the optimizer finishes."""

import numpy as np

from firstline.territories.optimizer import metrics


def _figures(labels: np.ndarray, values: dict[str, np.ndarray], k: int, capacity: np.ndarray) -> dict:
    share = capacity / capacity.sum()
    out = {"accounts": np.bincount(labels, minlength=k).tolist()}
    for name, column in values.items():
        sums = np.bincount(labels, column, k)
        target = share * column.sum()
        out[name] = sums.round(2).tolist()
        out[f"{name}_deviation"] = (
            np.where(target > 0, sums / np.where(target > 0, target, 1) - 1, 0).round(4).tolist()
        )
    return out


def scenario_result(design, solution) -> dict:
    k = len(design.territories)
    before = _figures(design.current, design.values, k, design.capacity)
    after = _figures(solution.labels, design.values, k, design.capacity)
    sellers = [
        {
            "territory": t.name,
            "territory_id": t.pk,
            "seller": t.owner.name,
            "before": {key: before[key][i] for key in before},
            "after": {key: after[key][i] for key in after},
        }
        for i, t in enumerate(design.territories)
    ]
    moves = [
        {
            "account_id": int(design.account_ids[u]),
            "account": design.names[u],
            "from": design.territories[design.current[u]].name,
            "to": design.territories[solution.labels[u]].name,
            "potential": round(float(design.values["potential"][u]), 2),
            "workload": round(float(design.values["workload"][u]), 1),
        }
        for u in solution.moved
    ]
    max_dev = {
        name: {
            "before": float(np.abs(before[f"{name}_deviation"]).max(initial=0)),
            "after": float(np.abs(after[f"{name}_deviation"]).max(initial=0)),
        }
        for name in design.values
    }
    return {
        "sellers": sellers,
        "moves": moves,
        "max_deviation": max_dev,
        "connected": int(solution.connected.sum()),
        "territories": k,
        "connected_before": int(metrics.connected(_graph(design), design.current, k).sum()),
        "moved_potential_share": float(solution.moved_share[0]) if len(solution.moved_share) else 0.0,
        "seconds": round(solution.seconds, 2),
        "warnings": solution.warnings,
        "skipped_without_location": design.skipped,
        "points": {
            "account_ids": design.account_ids.tolist(),
            "lon": design.lonlat[:, 0].round(4).tolist(),
            "lat": design.lonlat[:, 1].round(4).tolist(),
            "before": design.current.tolist(),
            "after": solution.labels.tolist(),
            "names": [t.name for t in design.territories],
        },
    }


def _graph(design):
    from firstline.territories.optimizer.graph import build_graph

    return build_graph(design.coords)
