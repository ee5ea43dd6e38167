"""NumPy helpers for columns of millions of values, shared by the readers and the math (no Django)."""

import numpy


def distinct(values: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The distinct values, ascending, and each value's index among them (int32), as numpy.unique
    gives them; without sorting when the values lie within a range no wider than their number (stage
    ids, days): a table of the range."""
    if not len(values):
        return values[:0], numpy.zeros(0, dtype=numpy.int32)
    low, high = int(values.min()), int(values.max())
    if high - low > len(values):
        found, inverse = numpy.unique(values, return_inverse=True)
        return found, inverse.astype(numpy.int32)
    present = numpy.zeros(high - low + 1, dtype=bool)
    present[values - low] = True
    index = numpy.cumsum(present, dtype=numpy.int32) - 1
    return (numpy.flatnonzero(present) + low).astype(values.dtype), index[values - low]
