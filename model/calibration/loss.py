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

    def series(metric: str, reg: str) -> np.ndarray:
        group = [reg] + (q.plus if reg == q.region else [])
        s = sum(values[:, regions.index(g), metrics.index(metric)] for g in group)
        if q.per is not None:
            s = s / sum(values[:, regions.index(g), metrics.index(q.per)] for g in group)
        return s

    def stat(reg: str) -> float:
        s = series(q.metric, reg)
        if q.statistic == "value":
            return float(s[years.index(q.year)])
        a, b = years.index(q.span[0]), years.index(q.span[1])  # type: ignore[index]
        if q.statistic == "mean":
            return float(np.mean(s[a : b + 1]))
        return float((s[b] / s[a]) ** (1.0 / (q.span[1] - q.span[0])) - 1.0)  # type: ignore[index]

    reg = region or q.region
    v = stat(reg)
    if q.versus_national == "ratio":
        v /= stat("national")
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


def moment_loss(m: Moment, sim: float) -> float:
    if m.kind == "value":
        return m.weight * ((sim - m.target) / m.tolerance) ** 2  # type: ignore[operator]
    if m.kind == "bound":
        excess = (sim - m.upper) if m.upper is not None else (m.lower - sim)  # type: ignore[operator]
        return m.weight * (_softplus(excess / m.scale) / math.log(2)) ** 2 * (0.25 if excess <= 0 else 1.0)
    return m.weight * (_softplus(-sim / m.scale) / math.log(2)) ** 2 * (0.25 if sim > 0 else 1.0)


def passes(m: Moment, sim: float) -> bool:
    if m.kind == "value":
        return abs(sim - m.target) <= m.tolerance  # type: ignore[operator]
    if m.kind == "bound":
        return sim <= m.upper if m.upper is not None else sim >= m.lower  # type: ignore[operator]
    return sim > 0


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
    return np.array([[moment_value(m, r.values, years, metrics) for m in t.moments] for r in replicates])


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
