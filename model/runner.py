"""Replicates: seeds, executors, and the arrays one replicate returns.

Each replicate gets its own seed from ``numpy.random.SeedSequence(root).spawn(n)``; replicate i of
every scenario shares its seed (common random numbers), so differences between scenarios are not
noise between seeds. Results are assembled in seed order, so they are identical for any number of
workers. Locally a process pool runs the replicates; ``scheduler="tcp://host:port"`` sends them to a
Dask distributed cluster (for SLURM, start one with dask-jobqueue).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from .scenario import Scenario

DEFAULT_ROOT_SEED = 20120101


@dataclass
class Replicate:
    index: int
    values: np.ndarray               # [year, region + national, metric]
    flows: dict[str, np.ndarray]     # name -> [year, category, origin, destination]
    wall_seconds: float


@dataclass
class ScenarioRun:
    scenario: Scenario
    params: dict[str, float]
    regions: tuple[str, ...]
    years: list[int]
    metrics: list[str]
    replicates: list[Replicate]
    root_seed: int
    scale: str
    n_firms: int
    n_talent: int
    wall_seconds: float


def replicate_seeds(root: int, n: int) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(root).spawn(n)


def run_replicate(scenario_json: str, root: int, index: int, scale: str,
                  params: dict[str, float] | None = None) -> Replicate:
    """Run one replicate; top-level so process pools and Dask workers can import it."""
    from .model import FlyingGeeseModel

    scenario = Scenario.model_validate_json(scenario_json)
    seed = replicate_seeds(root, index + 1)[index]
    t0 = time.perf_counter()
    model = FlyingGeeseModel(scenario, seed=seed, scale=scale, params=params)
    rec = model.run()
    first = rec.years.index(scenario.first_year)
    return Replicate(index=index, values=rec.values[first:], flows={k: v[first:] for k, v in rec.flows.items()},
                     wall_seconds=time.perf_counter() - t0)


def _pool(workers: int) -> ProcessPoolExecutor:
    # spawn: no fork of a process that may hold threads (tqdm, dask), same behaviour on every OS
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))


def run_replicates(scenario: Scenario, seeds: int, scale: str, workers: int = 1, scheduler: str | None = None,
                   root: int = DEFAULT_ROOT_SEED, params: dict[str, float] | None = None,
                   progress: Callable[[Iterable], Iterable] | None = None) -> list[Replicate]:
    """Run ``seeds`` replicates in order-independent fashion and return them sorted by index."""
    payload = scenario.model_dump_json(by_alias=True)
    args = [(payload, root, i, scale, params) for i in range(seeds)]
    wrap = progress or (lambda it: it)
    results: list[Replicate] = []
    if scheduler:
        from distributed import Client, as_completed as dask_completed

        with Client(scheduler, timeout="30s") as client:
            futures = [client.submit(run_replicate, *a, pure=False) for a in args]
            for fut in wrap(dask_completed(futures)):
                results.append(fut.result())
    elif workers <= 1 or seeds == 1:
        for a in wrap(args):
            results.append(run_replicate(*a))
    else:
        with _pool(min(workers, seeds)) as pool:
            futures = [pool.submit(run_replicate, *a) for a in args]
            for fut in wrap(as_completed(futures)):
                results.append(fut.result())
    return sorted(results, key=lambda r: r.index)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def run_scenario(scenario: Scenario, *, seeds: int | None = None, scale: str | None = None, workers: int = 1,
                 scheduler: str | None = None, root: int = DEFAULT_ROOT_SEED,
                 params: dict[str, float] | None = None,
                 progress: Callable[[Iterable], Iterable] | None = None) -> ScenarioRun:
    """All replicates of one scenario, with what the manifest needs."""
    from .parameters import ParamSet
    from .recorder import METRICS
    from .regions import load_region_data
    from .scenario import SCALES

    seeds = seeds or scenario.seeds
    scale = scale or scenario.scale
    resolved = ParamSet.defaults().with_overrides(scenario.params, "<scenario>").with_overrides(
        dict(params or {}), "<params>")
    t0 = time.perf_counter()
    reps = run_replicates(scenario, seeds, scale, workers, scheduler, root, params, progress)
    nf, nt = SCALES[scale]
    return ScenarioRun(scenario=scenario, params=resolved.as_dict(), regions=load_region_data().names,
                       years=list(range(scenario.first_year, scenario.last_year + 1)), metrics=list(METRICS),
                       replicates=reps, root_seed=root, scale=scale, n_firms=nf, n_talent=nt,
                       wall_seconds=time.perf_counter() - t0)
