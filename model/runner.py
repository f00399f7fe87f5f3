"""Replicates: seeds, the pool they run on, and the arrays one replicate returns.

Every simulation that is more than one model in a notebook runs here: ``geese run``, ``geese
calibrate``, ``geese targets``, the tuning notebook and the benchmarks.

A ``Job`` is one replicate: a scenario, the resolved parameter values it runs with
(``parameters.resolve_parameters``, so workers read no files) and ``index``, the child of the root
seed it uses: ``numpy.random.SeedSequence(root).spawn(n)[index]``. Replicate i of every scenario and
every parameter set shares its seed (common random numbers), so differences between scenarios or
calibration candidates are not noise between seeds. A ``ReplicatePool`` runs batches of jobs and
returns them in job order, so results are identical for any number of workers. Locally a process pool
runs them; ``scheduler="tcp://host:port"`` sends them to a Dask distributed cluster (for SLURM, start
one with dask-jobqueue).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from .scenario import Scenario

DEFAULT_ROOT_SEED = 20120101

Progress = Callable[[Iterable], Iterable]


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

    def series(self, metric: str, region: str = "national") -> np.ndarray:
        """[seed, year] values of one metric in one region (or ``national``)."""
        r = (list(self.regions) + ["national"]).index(region)
        return np.stack([rep.values[:, r, self.metrics.index(metric)] for rep in self.replicates])


@dataclass(frozen=True)
class Job:
    """One replicate to run: a scenario (JSON), its resolved parameter values and its seed index."""

    scenario_json: str
    params: Mapping[str, float]
    index: int
    scale: str
    root: int = DEFAULT_ROOT_SEED


def replicate_seeds(root: int, n: int) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(root).spawn(n)


def jobs_for(scenario: Scenario, params: Mapping[str, float], seeds: int | Iterable[int], scale: str,
             root: int = DEFAULT_ROOT_SEED) -> list[Job]:
    """The jobs of replicates ``range(seeds)`` (or the given indices) of one scenario and parameter set."""
    payload = scenario.model_dump_json(by_alias=True)
    values = dict(params)
    indices = range(seeds) if isinstance(seeds, int) else seeds
    return [Job(payload, values, i, scale, root) for i in indices]


def run_job(job: Job) -> Replicate:
    """Run one replicate; top-level so process pools and Dask workers can import it."""
    from .model import FlyingGeeseModel

    scenario = Scenario.model_validate_json(job.scenario_json)
    seed = replicate_seeds(job.root, job.index + 1)[job.index]
    t0 = time.perf_counter()
    model = FlyingGeeseModel(scenario, seed=seed, scale=job.scale, params=job.params, calibrated=False)
    rec = model.run()
    first = rec.years.index(scenario.first_year)
    return Replicate(index=job.index, values=rec.values[first:], flows={k: v[first:] for k, v in rec.flows.items()},
                     wall_seconds=time.perf_counter() - t0)


class ReplicatePool:
    """Runs batches of jobs: in this process (one worker), on a local process pool, or on a Dask cluster.

    Open it once (``with ReplicatePool(workers) as pool:``) and call ``map`` for as many batches as
    needed (a calibration maps one batch per generation); the processes are started on the first
    batch that can use more than one and stopped when the block ends.
    """

    def __init__(self, workers: int = 1, scheduler: str | None = None):
        self.workers = max(1, int(workers))
        self.scheduler = scheduler
        self._executor: ProcessPoolExecutor | None = None
        self._client = None

    def __enter__(self) -> ReplicatePool:
        if self.scheduler:
            from distributed import Client

            self._client = Client(self.scheduler, timeout="30s")
        return self

    def __exit__(self, *exc) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn: no fork of a process that may hold threads (tqdm, dask), same behaviour on every OS
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"))
        return self._executor

    def map(self, jobs: Sequence[Job], progress: Progress | None = None,
            tolerate: tuple[type[BaseException], ...] = ()) -> list[Replicate | None]:
        """The replicates of ``jobs``, in job order; a job that raises one of ``tolerate`` gives None."""
        wrap = progress or (lambda it: it)
        results: list[Replicate | None] = [None] * len(jobs)
        if self._client is not None:
            from distributed import as_completed as dask_completed

            futures = [self._client.submit(run_job, job, pure=False) for job in jobs]
            done: Iterable = wrap(dask_completed(futures))
        elif self.workers <= 1 or len(jobs) <= 1:
            for i in wrap(range(len(jobs))):
                try:
                    results[i] = run_job(jobs[i])
                except tolerate:
                    pass
            return results
        else:
            futures = [self._pool().submit(run_job, job) for job in jobs]
            done = wrap(as_completed(futures))
        position = {f: i for i, f in enumerate(futures)}
        for fut in done:
            try:
                results[position[fut]] = fut.result()
            except tolerate:
                pass
        return results


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def run_scenario(scenario: Scenario, *, seeds: int | None = None, scale: str | None = None, workers: int = 1,
                 scheduler: str | None = None, root: int = DEFAULT_ROOT_SEED,
                 params: Mapping[str, float] | None = None, calibrated: bool = True,
                 progress: Progress | None = None) -> ScenarioRun:
    """All replicates of one scenario, with what the manifest needs.

    ``params`` are explicit overrides on top of the scenario's; ``calibrated`` applies the calibration
    (``parameters.resolve_parameters``).
    """
    from .parameters import resolve_parameters
    from .recorder import METRICS
    from .regions import load_region_data
    from .scenario import SCALES

    seeds = seeds or scenario.seeds
    scale = scale or scenario.scale
    resolved = resolve_parameters(scenario.params, params, calibrated)
    t0 = time.perf_counter()
    with ReplicatePool(min(workers, seeds), scheduler) as pool:
        reps = pool.map(jobs_for(scenario, resolved, seeds, scale, root), progress)
    nf, nt = SCALES[scale]
    return ScenarioRun(scenario=scenario, params=resolved.as_dict(), regions=load_region_data().names,
                       years=list(range(scenario.first_year, scenario.last_year + 1)), metrics=list(METRICS),
                       replicates=reps, root_seed=root, scale=scale, n_firms=nf, n_talent=nt,
                       wall_seconds=time.perf_counter() - t0)
