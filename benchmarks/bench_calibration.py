"""Calibration throughput: model evaluations per minute at scale ``small`` (the calibration setting:
baseline 2012-2024, 2 seeds per evaluation, common random numbers), serial and on a process pool.

Run: ``.venv/bin/python benchmarks/bench_calibration.py [--evals 40] [--workers 2]``.
Bar to beat (calibration issue): 1,000 evaluations in <= 10 minutes on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from model.calibration import ROOT_SEED, _evaluate, bounds_of, load_targets

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evals", type=int, default=40)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--scale", default="small")
    ap.add_argument("--seeds", type=int, default=2)
    a = ap.parse_args()
    targets = ROOT / "calibration" / "targets.yaml"
    t = load_targets(targets)
    names = [fp.name for fp in t.free_parameters]
    lo, hi = np.array(bounds_of(t)).T
    xs = lo + (hi - lo) * np.random.default_rng(0).random((a.evals, len(names)))
    args = (names, str(targets), a.scale, a.seeds, ROOT_SEED)
    print(f"calibration evaluations: scale {a.scale}, {a.seeds} seeds each, years {t.years[0]}-{t.years[1]}, "
          f"{len(names)} free parameters, {len(t.moments)} moments")
    t0 = time.perf_counter()
    n_serial = max(4, a.evals // 4)
    for x in xs[:n_serial]:
        _evaluate(x, *args)
    serial = n_serial / (time.perf_counter() - t0) * 60
    print(f"  serial (1 core):      {serial:7.1f} evaluations/minute")
    if a.workers > 1:
        with ProcessPoolExecutor(max_workers=a.workers, mp_context=get_context("spawn")) as pool:
            list(pool.map(_evaluate, xs[: a.workers], *[[v] * a.workers for v in args]))  # warm the workers
            t0 = time.perf_counter()
            list(pool.map(_evaluate, xs, *[[v] * len(xs) for v in args]))
            parallel = a.evals / (time.perf_counter() - t0) * 60
        print(f"  pool ({a.workers} workers):     {parallel:7.1f} evaluations/minute")
    else:
        parallel = serial
    minutes = 1000 / parallel
    print(f"  1,000 evaluations: {minutes:.1f} minutes ({'meets' if minutes <= 10 else 'MISSES'} <= 10 minutes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
