"""Plain-file input and output for `firstline territories solve`: UNITS.csv, EDGES.csv, ASSIGNMENT.csv."""

import csv
import math
from pathlib import Path

import numpy as np

from .model import Infeasible, Problem

RESERVED = {"id", "x", "y", "longitude", "latitude", "lon", "lat", "current", "locked"}
EARTH_KM_PER_DEGREE = 111.32


def read_units(path: Path, **options) -> Problem:
    """A Problem from a CSV with id, x/y (or longitude/latitude), one column per measure, and optional
    `current` and `locked` territory numbers (blank for none). Latitude/longitude become kilometres."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    lower = {c.lower(): c for c in columns}
    xcol, ycol, geographic = _coordinate_columns(lower, path)
    if "id" not in lower:
        raise Infeasible(f"{path}: the header needs an `id` column.")
    measures = [c for c in columns if c.lower() not in RESERVED]
    if not measures:
        raise Infeasible(f"{path}: no measure columns; add at least one column to balance.")
    ids, coords, values = [], [], []
    current, locked = [], []
    for line, row in enumerate(rows, start=2):
        ids.append(row[lower["id"]])
        coords.append([_number(row, xcol, path, line), _number(row, ycol, path, line)])
        values.append([_number(row, c, path, line) for c in measures])
        current.append(_territory(row, lower.get("current"), path, line))
        locked.append(_territory(row, lower.get("locked"), path, line))
    if len(set(ids)) != len(ids):
        raise Infeasible(f"{path}: unit ids must be unique.")
    xy = np.array(coords, dtype=float).reshape(-1, 2)
    if geographic and len(xy):
        xy = project(xy[:, 0], xy[:, 1])
    return Problem(
        coords=xy,
        measures=np.array(values, dtype=float),
        current=np.array(current),
        locked=np.array(locked),
        measure_names=measures,
        unit_ids=ids,
        **options,
    )


def project(longitude: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    """Equirectangular projection in kilometres: exact enough for the distances within one country."""
    scale = math.cos(math.radians(float(np.mean(latitude))))
    return np.column_stack([longitude * scale, latitude]) * EARTH_KM_PER_DEGREE


def _coordinate_columns(lower: dict[str, str], path: Path) -> tuple[str, str, bool]:
    if "x" in lower and "y" in lower:
        return lower["x"], lower["y"], False
    for lon, lat in (("longitude", "latitude"), ("lon", "lat")):
        if lon in lower and lat in lower:
            return lower[lon], lower[lat], True
    raise Infeasible(f"{path}: the header needs x and y, or longitude and latitude.")


def _number(row: dict, column: str, path: Path, line: int) -> float:
    try:
        value = float(row.get(column, ""))
    except ValueError:
        raise Infeasible(f"{path}, line {line}: {column} is {row.get(column)!r}, not a number.") from None
    if not math.isfinite(value):
        raise Infeasible(f"{path}, line {line}: {column} must be a finite number.")
    return value


def _territory(row: dict, column: str | None, path: Path, line: int) -> int:
    raw = row.get(column, "") if column else ""
    if raw == "":
        return -1
    if not raw.isdigit():
        raise Infeasible(f"{path}, line {line}: {column} is {raw!r}, not a territory number (0, 1, …).")
    return int(raw)


def read_edges(path: Path, ids: list[str]) -> np.ndarray:
    """Pairs of unit ids, one pair a line (a header row with non-id values is skipped)."""
    index = {unit: i for i, unit in enumerate(ids)}
    pairs = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            if len(row) < 2:
                continue
            a, b = row[0].strip(), row[1].strip()
            if line == 1 and (a not in index or b not in index):
                continue  # header
            if a not in index or b not in index:
                missing = a if a not in index else b
                raise Infeasible(f"{path}, line {line}: unit {missing!r} is not in the units file.")
            pairs.append((index[a], index[b]))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def write_assignment(path: Path, ids: list[str], labels: np.ndarray) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "territory"])
        writer.writerows(zip(ids, labels.tolist(), strict=True))
