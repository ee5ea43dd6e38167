"""What a page hands to charts.js: the numbers and every label written by the formatting module.

Tooltips and the value axis read the labels made here, so a chart says "$1.2M" exactly as the table
beside it does, in the viewer's locale; charts.js formats nothing itself.

    chart("trend", ["FY26 Q1", …], [("Closed won", [..]), ("Plan", [..])], formatting.money_compact)
"""

import math
from collections.abc import Callable, Sequence

TICKS = 5


def nice_ticks(top: float, count: int = TICKS, *, whole: bool = False) -> list[float]:
    """Round values from 0 that cover `top` in about `count` steps of 1, 2 or 5 × 10ⁿ (steps of at
    least 1 when the values are `whole` numbers, such as counts of deals)."""
    if not top or top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    rough = top / count
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    if whole:
        step = max(step, 1)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def chart(
    kind: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence]],
    fmt: Callable[[object], str],
    *,
    whole: bool = False,
) -> dict:
    """A chart spec: `kind` ("trend" or "funnel"), one label per point, (name, values) per series,
    `fmt` writing one value (None stays a gap, shown with the formatter's own missing mark);
    `whole` for counts, so the axis has no fractional ticks."""
    values = [[None if v is None else float(v) for v in points] for _name, points in series]
    top = max((v for points in values for v in points if v is not None), default=0)
    ticks = nice_ticks(top, whole=whole)
    return {
        "type": kind,
        "labels": list(labels),
        "series": [
            {"label": name, "values": points, "display": [fmt(v) for v in raw]}
            for (name, raw), points in zip(series, values, strict=True)
        ],
        "axis": {"values": ticks, "labels": [fmt(tick) for tick in ticks]},
    }
