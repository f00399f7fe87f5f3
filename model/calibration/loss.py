"""Moments from model output, the loss, and the simulated moments of parameter sets (via the runner)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError, InvariantError
from ..parameters import resolve_parameters
from ..recorder import METRICS
from ..runner import DEFAULT_ROOT_SEED, Replicate, ReplicatePool, jobs_for
from .targets import REGIONS, Moment, Quantity, Targets, baseline_of

# a parameter set that breaks a ledger or the price search is simply a bad fit
# A candidate the model refuses (agent-growth guard, 2012 state) or breaks (non-finite metric) is a bad fit.
MODEL_FAILURES: tuple[type[BaseException], ...] = (FloatingPointError, ValueError, RuntimeError, InputError,
                                                   InvariantError)
BAD_FIT = 1e9


def quantity(q: Quantity, values: np.ndarray, years: list[int], metrics: list[str], region: str | None = None) -> float:
    """The quantity from one replicate's recorder values [year, region + national, metric]."""
    regions = list(REGIONS) + ["national"]

    def raw(metric: str, reg: str, plus: bool) -> np.ndarray:
        group = [reg] + (q.plus if plus else [])
        s = sum(values[:, regions.index(g), metrics.index(metric)] for g in group)
        if q.per is not None:
            s = s / sum(values[:, regions.index(g), metrics.index(q.per)] for g in group)
        return s

    # change, max, min, peak_year and min_step read the ratio (difference) to the nation year by year;
    # value, mean and cagr compare the statistic with the nation's statistic
    series_level = q.statistic in ("change", "max", "min", "peak_year", "min_step")

    def series(reg: str) -> np.ndarray:
        s = raw(q.metric, reg, reg == q.region)
        if q.versus_region is not None:
            s = s / raw(q.metric, q.versus_region, False)
        if series_level and q.versus_national is not None and reg != "national":
            nat = series("national")
            s = s / nat if q.versus_national == "ratio" else s - nat
        return s

    def stat(reg: str) -> float:
        s = series(reg)
        if q.statistic == "value":
            return float(s[years.index(q.year)])
        if q.statistic == "min_step":
            pts = s[[years.index(y) for y in q.at]]  # type: ignore[union-attr]
            return float(np.min(np.diff(pts)))
        a, b = years.index(q.span[0]), years.index(q.span[1])  # type: ignore[index]
        w = s[a : b + 1]
        if q.statistic == "change":
            return float(s[b] - s[a])
        if q.statistic in ("mean", "max", "min", "peak_year"):  # years a metric cannot measure (NaN) are skipped
            if not np.isfinite(w).any():
                return float("nan")
            if q.statistic == "peak_year":
                return float(q.span[0] + int(np.nanargmax(w)))  # type: ignore[index]
            return float({"mean": np.nanmean, "max": np.nanmax, "min": np.nanmin}[q.statistic](w))
        return float((s[b] / s[a]) ** (1.0 / (q.span[1] - q.span[0])) - 1.0)  # type: ignore[index]

    reg = region or q.region
    v = stat(reg)
    if series_level:
        return v
    if q.versus_national == "ratio":
        nat = stat("national")
        v = v / nat if nat != 0 else float("nan")
    elif q.versus_national == "difference":
        v -= stat("national")
    return v


def moment_value(m: Moment, values: np.ndarray, years: list[int], metrics: list[str]) -> float:
    """Value moments: the statistic. Bounds: the statistic. Ordinal: the margin (> 0 when it holds)."""
    own = quantity(m, values, years, metrics)
    if m.kind != "ordinal":
        return own
    if m.below is not None:
        return quantity(m.below, values, years, metrics) - own
    others = [quantity(m, values, years, metrics, r) for r in REGIONS if r != m.region]
    return (min(others) - own) if m.rank == "lowest" else (own - max(others))


def _softplus(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _bound_excess(m: Moment, sim: float) -> float:
    """How far ``sim`` lies outside the bound(s), in units of ``scale`` (< 0 inside)."""
    ex = []
    if m.upper is not None:
        ex.append(sim - m.upper)
    if m.lower is not None:
        ex.append(m.lower - sim)
    return max(ex) / m.scale


def moment_loss(m: Moment, sim: float) -> float:
    if not math.isfinite(sim):
        return BAD_FIT
    if m.kind == "value":
        return m.weight * ((sim - m.target) / m.tolerance) ** 2  # type: ignore[operator]
    if m.kind == "bound":
        excess = _bound_excess(m, sim)
        return m.weight * (_softplus(excess) / math.log(2)) ** 2 * (0.25 if excess <= 0 else 1.0)
    return m.weight * (_softplus(-sim / m.scale) / math.log(2)) ** 2 * (0.25 if sim > 0 else 1.0)


def passes(m: Moment, sim: float) -> bool:
    if not math.isfinite(sim):
        return False
    if m.kind == "value":
        return abs(sim - m.target) <= m.tolerance  # type: ignore[operator]
    if m.kind == "bound":
        return (m.upper is None or sim <= m.upper) and (m.lower is None or sim >= m.lower)
    return sim > 0


def discrepancy(m: Moment, sim: float) -> float:
    """Signed distance from the requirement in tolerances (value) or scales (bound, ordinal); 0 when met
    for bounds and ordinals. The history matching's implausibility uses it."""
    if m.kind == "value":
        return (sim - m.target) / m.tolerance  # type: ignore[operator]
    if m.kind == "bound":
        return max(_bound_excess(m, sim), 0.0)
    return max(-sim / m.scale, 0.0)


def total_loss(t: Targets, sims: np.ndarray) -> float:
    mean = sims.mean(axis=0)
    if not np.all(np.isfinite(mean)):
        return BAD_FIT
    return float(sum(moment_loss(m, v) for m, v in zip(t.moments, mean)))


# --- simulated moments ------------------------------------------------------------------------------------

def replicate_moments(t: Targets, replicates: Sequence[Replicate]) -> np.ndarray:
    """[seed, moment] values of replicates of the targets' baseline."""
    years = list(range(t.years[0], t.years[1] + 1))
    metrics = list(METRICS)
    def safe(m: Moment, r: Replicate) -> float:
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                return moment_value(m, r.values, years, metrics)
        except (ZeroDivisionError, FloatingPointError, ValueError):  # a degenerate run: the moment is undefined
            return float("nan")

    return np.array([[safe(m, r) for m in t.moments] for r in replicates])


def simulate_candidates(pool: ReplicatePool, t: Targets, candidates: Sequence[Mapping[str, float]], scale: str,
                        seeds: int, calibrated: bool | str | Path = True, root: int = DEFAULT_ROOT_SEED,
                        tolerate: tuple[type[BaseException], ...] = ()) -> list[np.ndarray | None]:
    """[seed, moment] values for each candidate parameter set, all run as one batch on ``pool``.

    Candidate values are the explicit layer of ``resolve_parameters``; every candidate runs replicates
    0..seeds-1 of ``root`` (common random numbers). A candidate whose model raises one of ``tolerate``
    gives None.
    """
    scenario = baseline_of(t)
    jobs = []
    for c in candidates:
        jobs += jobs_for(scenario, resolve_parameters(scenario.params, c, calibrated), seeds, scale, root)
    reps = pool.map(jobs, tolerate=tolerate)
    out: list[np.ndarray | None] = []
    for k in range(len(candidates)):
        chunk = reps[k * seeds : (k + 1) * seeds]
        out.append(None if any(r is None for r in chunk) else replicate_moments(t, chunk))  # type: ignore[arg-type]
    return out


def simulate(params: Mapping[str, float], t: Targets, scale: str, seeds: int, *, calibrated: bool | str | Path = True,
             workers: int = 1, pool: ReplicatePool | None = None, root: int = DEFAULT_ROOT_SEED) -> np.ndarray:
    """[seed, moment] moment values for the baseline with ``params`` on top (common random numbers)."""
    if pool is not None:
        return simulate_candidates(pool, t, [params], scale, seeds, calibrated, root)[0]  # type: ignore[return-value]
    with ReplicatePool(min(workers, seeds)) as own:
        return simulate_candidates(own, t, [params], scale, seeds, calibrated, root)[0]  # type: ignore[return-value]
