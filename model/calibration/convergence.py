"""Calibrate where results converge (`geese convergence`): the 2030 regional shares and every moment at
several scales, each against the largest scale run (normally full), and the smallest scale that agrees.

A scale agrees with the reference when every 2030 regional share (industrial value added, firms,
population, GDP) is within ``SHARE_TOL`` (2 points) and every value moment within its tolerance; a bound
or ordinal moment agrees when it is within its penalty scale or reaches the same pass/miss verdict (its
scale is a smoothing constant of the loss, not a tolerance). Every scale runs the same seeds (replicate i of each).
Writes ``calibration/convergence.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ..parameters import resolve_parameters
from ..recorder import METRICS
from ..runner import ReplicatePool, default_workers, jobs_for
from .loss import passes, replicate_moments
from .report import write_text_atomic
from .screening import unit_of
from .targets import REGIONS, Targets, baseline_of, load_targets

SHARE_YEAR = 2030
SHARE_TOL = 0.02
SHARE_METRICS = ("industrial_va", "firms", "population", "gdp")
ORDER = ("tiny", "small", "medium", "full")


def shares(values: np.ndarray, years: list[int]) -> dict[str, float]:
    """{metric/region: share of the national total in SHARE_YEAR} from one replicate."""
    y = years.index(min(SHARE_YEAR, years[-1]))
    out = {}
    for m in SHARE_METRICS:
        j = list(METRICS).index(m)
        tot = values[y, : len(REGIONS), j].sum()
        for r, reg in enumerate(REGIONS):
            out[f"{m} share {reg}"] = float(values[y, r, j] / tot)
    return out


def run_scales(t: Targets, scales: list[str], seeds: int, workers: int,
               calibrated: bool | str | Path = True) -> dict[str, dict]:
    scenario = baseline_of(t)
    params = resolve_parameters(scenario.params, None, calibrated)
    years = list(range(t.years[0], t.years[1] + 1))
    out = {}
    with ReplicatePool(workers) as pool:
        for sc in scales:
            t0 = time.perf_counter()
            reps = pool.map(jobs_for(scenario, params, seeds, sc))
            wall = time.perf_counter() - t0
            mom = replicate_moments(t, reps)  # type: ignore[arg-type]
            sh = [shares(r.values, years) for r in reps]  # type: ignore[union-attr]
            out[sc] = {"moments": np.nanmean(mom, axis=0), "moment_sd": np.nanstd(mom, axis=0),
                       "shares": {k: float(np.mean([s[k] for s in sh])) for k in sh[0]},
                       "seconds_per_replicate": float(np.mean([r.wall_seconds for r in reps])),  # type: ignore[union-attr]
                       "wall": wall}
    return out


def agreement(t: Targets, res: dict[str, dict], ref: str) -> dict[str, dict]:
    """Per scale: worst share gap (points), moments outside tolerance against ``ref``, and whether it agrees."""
    units = np.array([unit_of(m) for m in t.moments])
    out = {}
    for sc, r in res.items():
        gap = max(abs(r["shares"][k] - res[ref]["shares"][k]) for k in r["shares"])
        dm = np.abs(r["moments"] - res[ref]["moments"]) / units
        # value moments: within their tolerance; bounds and ordinals: within their scale or the same verdict
        same = np.array([m.kind != "value" and passes(m, a) == passes(m, b)
                         for m, a, b in zip(t.moments, r["moments"], res[ref]["moments"])])
        off = [t.moments[j].id for j in np.flatnonzero(~((dm <= 1.0) | same))]  # NaN counts as off
        out[sc] = {"share_gap": gap, "moments_off": off, "agrees": gap <= SHARE_TOL and not off}
    return out


def format_table(t: Targets, res: dict[str, dict], agree: dict[str, dict], ref: str) -> str:
    scales = list(res)
    lines = ["| quantity | tolerance | " + " | ".join(scales) + " |", "|---|---|" + "---|" * len(scales)]
    for k in res[ref]["shares"]:
        lines.append(f"| {k} {SHARE_YEAR} | {SHARE_TOL:g} | " + " | ".join(f"{res[s]['shares'][k]:.4f}" for s in scales) + " |")
    for j, m in enumerate(t.moments):
        lines.append(f"| moment `{m.id}` | {unit_of(m):.3g} | "
                     + " | ".join(f"{res[s]['moments'][j]:.4g}" for s in scales) + " |")
    lines.append("| seconds per replicate | | " + " | ".join(f"{res[s]['seconds_per_replicate']:.2f}" for s in scales) + " |")
    lines.append(f"| largest 2030 share gap to {ref} (points) | {100 * SHARE_TOL:g} | "
                 + " | ".join(f"{100 * agree[s]['share_gap']:.2f}" for s in scales) + " |")
    lines.append(f"| moments off by more than their tolerance vs {ref} | 0 | "
                 + " | ".join(str(len(agree[s]["moments_off"])) for s in scales) + " |")
    return "\n".join(lines)


def convergence_command(a: argparse.Namespace) -> int:
    t = load_targets(a.targets)
    scales = sorted(set(a.scales), key=ORDER.index)
    ref = scales[-1]
    res = run_scales(t, scales, a.seeds, a.workers or default_workers())
    agree = agreement(t, res, ref)
    chosen = next((s for s in scales if agree[s]["agrees"]), ref)
    table = format_table(t, res, agree, ref)
    lines = ["# Convergence across scales", "",
             f"`geese convergence --scales {' '.join(scales)} --seeds {a.seeds}`: the baseline with the committed "
             f"parameters, the same {a.seeds} seeds at every scale, against `{ref}`. A scale agrees when every 2030 "
             f"regional share is within {100 * SHARE_TOL:g} points and every moment within its tolerance.", "",
             table, ""]
    for s in scales:
        off = agree[s]["moments_off"]
        lines.append(f"- `{s}`: {'agrees' if agree[s]['agrees'] else 'does not agree'} with `{ref}`"
                     + (f" (moments off: {', '.join(off)})" if off else "") + ".")
    lines += ["", f"**Smallest scale that agrees with `{ref}`: `{chosen}`.**", ""]
    text = "\n".join(lines)
    write_text_atomic(Path(a.out) / "convergence.md", text + "\n")
    print(text)
    return 0
