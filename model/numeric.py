"""Faster versions of numpy statistics that return the same bits (engine performance).

``np.median`` partitions around three positions (the two middle ones and the last, for its NaN check),
which at full scale costs ~5 ms on 0.47 M firms; one partition around the upper middle position plus a
max over the lower half gives the same two middle order statistics in ~0.8 ms. No loops over agents.
"""

from __future__ import annotations

import numpy as np


def median(x: np.ndarray) -> float:
    """``np.median(x)`` of a 1-D array, bit for bit (NaN if any value is NaN, as numpy gives).

    Even length n = 2h: numpy returns the mean of the order statistics h-1 and h, i.e. (lo + hi) / 2 in
    that order of addition; after ``np.partition(x, h)`` the h-th is at h and the (h-1)-th is the largest
    of the first h. Odd length: the h-th order statistic itself."""
    x = np.asarray(x)
    n = len(x)
    if x.ndim != 1 or n == 0 or x.dtype.kind != "f":
        return np.median(x)
    h = n // 2
    p = np.partition(x, h)
    if np.isnan(p[h:].max()):  # NaN sorts last: if there is one, it is in the upper part
        return np.float64(np.nan) if x.dtype == np.float64 else np.median(x)
    if n % 2:
        return p[h]
    return np.mean(np.array([p[:h].max(), p[h]], dtype=p.dtype))
