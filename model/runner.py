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

import contextlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from .errors import InputError, RunError
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
    calibration: dict | None = None  # what calibration_record() says: applied or not, which file, its fit
    draws: list[dict[str, float]] | None = None  # posterior draws (replicate i: draw i // seeds, seed i % seeds)

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
    from .guards import quiet_numerics

    with quiet_numerics():  # no RuntimeWarning reaches the user; the model's guards check the values
        model = FlyingGeeseModel(scenario, seed=seed, scale=job.scale, params=job.params, calibrated=False)
        rec = model.run()
    first = rec.years.index(scenario.first_year)
    return Replicate(index=job.index, values=rec.values[first:], flows={k: v[first:] for k, v in rec.flows.items()},
                     wall_seconds=time.perf_counter() - t0)


# --- process pools that never outlive the parent (issue 12) ---------------------------------------

def _worker_init(parent_pid: int) -> None:
    """In each pool worker: leave Ctrl-C to the parent, stay quiet, and die with the parent."""
    import warnings

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool; no worker tracebacks
    with contextlib.suppress(AttributeError, OSError, ValueError):  # inherited blocked from start_pool
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    warnings.simplefilter("ignore", RuntimeWarning)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="geese-watch-parent").start()


def _watch_parent(parent_pid: int) -> None:
    while True:  # portable fallback to PR_SET_PDEATHSIG: an orphan is re-parented
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(1)


def start_pool(workers: int, on_created: Callable[[ProcessPoolExecutor], None] | None = None) -> ProcessPoolExecutor:
    """A spawn pool with every worker started now, with SIGINT and SIGTERM held off meanwhile.

    A signal that arrived mid-spawn would cut the parent's hand-over to a starting worker (which then
    prints an EOFError traceback). Workers inherit the blocked mask: SIGINT stays blocked (and is
    ignored) in them, so a Ctrl-C to the whole process group reaches only the parent; SIGTERM is
    unblocked again by the worker initializer. A signal held meanwhile is raised when the block lifts,
    and then the pool is terminated here. ``on_created`` hands the pool to its owner before any worker
    starts, so the owner can terminate it on any later exit path.
    """
    # spawn: no fork of a process that may hold threads (tqdm, dask), same behaviour on every OS
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_worker_init,
                               initargs=(os.getpid(),))
    if on_created is not None:
        on_created(pool)
    old = None
    with contextlib.suppress(AttributeError, OSError, ValueError):
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        try:
            for _ in range(workers):  # each submit to a pool without idle workers spawns one
                pool.submit(os.getpid)
        finally:
            if old is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)  # a held signal is raised about here
    except BaseException:
        stop_pool(pool, terminate=True)
        raise
    return pool


def stop_pool(pool: ProcessPoolExecutor, terminate: bool) -> None:
    """Shut a pool down; with ``terminate`` its workers are killed now instead of finishing their tasks."""
    if not terminate:
        pool.shutdown(wait=True)
        return
    old = None
    with contextlib.suppress(AttributeError, OSError, ValueError):
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for p in procs:
            with contextlib.suppress(Exception):
                p.terminate()
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(timeout=5)
                if p.is_alive():
                    p.kill()
                    p.join(timeout=5)
        with contextlib.suppress(Exception):
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def process_pool(workers: int):
    """A spawn process pool whose workers are terminated on every exit path but success."""
    pool = start_pool(workers)
    try:
        yield pool
    except BaseException:
        stop_pool(pool, terminate=True)
        raise
    stop_pool(pool, terminate=False)


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def cap_workers(requested: int | None, option: str = "--workers") -> int:
    """Workers capped at the usable cores, with a notice on stderr when a request is cut."""
    cores = usable_cores()
    if requested is None:
        return default_workers()
    if requested > cores:
        print(f"geese: note: {option} {requested} capped at {cores}, the number of usable cores", file=sys.stderr)
        return cores
    return requested


# --- Dask ----------------------------------------------------------------------------------------

SCHEDULER_TIMEOUT = 10.0  # seconds to reach a scheduler
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx|inproc)://)?(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?"
                      r"(?:/[A-Za-z0-9._/-]*)?$")


def check_scheduler_address(address: str) -> str:
    m = _ADDRESS.match(address or "")
    if not m or (m.group(1) and not 0 < int(m.group(1)) < 65536) or len(address) > 300:
        raise InputError("--scheduler", None, address, "a Dask scheduler address such as tcp://host:8786")
    return address


def _client(address: str):
    from distributed import Client

    check_scheduler_address(address)
    try:
        return Client(address, timeout=f"{SCHEDULER_TIMEOUT}s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise InputError("--scheduler", None, address, f"could not connect to a Dask scheduler there within "
                                                       f"{SCHEDULER_TIMEOUT:g} s ({type(exc).__name__})") from None


def check_scheduler(address: str) -> None:
    """Connect once before any compute, so a bad address fails fast with one line."""
    client = _client(address)
    with contextlib.suppress(Exception):
        client.close()


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
            self._client = _client(self.scheduler)
        return self

    def __exit__(self, exc_type=None, *exc) -> None:
        if self._executor is not None:  # on any error or interrupt the workers are killed, not awaited
            stop_pool(self._executor, terminate=exc_type is not None)
            self._executor = None
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            start_pool(self.workers, on_created=lambda pool: setattr(self, "_executor", pool))
        return self._executor

    def terminate(self) -> None:
        """Kill the workers now (after an interrupt): running jobs are abandoned, not awaited."""
        if self._executor is not None:
            stop_pool(self._executor, terminate=True)
            self._executor = None

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
        try:
            for fut in done:
                try:
                    results[position[fut]] = fut.result()
                except tolerate:
                    pass
        except BrokenProcessPool:
            raise RunError("a worker process died (out of memory, or killed); nothing was written; "
                           "try fewer --workers or a smaller --scale") from None
        except BaseException as exc:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.cancel(futures)
                if isinstance(exc, (OSError, TimeoutError)):
                    raise RunError(f"lost the Dask scheduler {self.scheduler} ({type(exc).__name__}); nothing "
                                   "was written") from None
            raise
        return results


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def run_scenario(scenario: Scenario, *, seeds: int | None = None, scale: str | None = None, workers: int = 1,
                 scheduler: str | None = None, root: int = DEFAULT_ROOT_SEED,
                 params: Mapping[str, float] | None = None, calibrated: bool = True,
                 progress: Progress | None = None,
                 draws: Sequence[Mapping[str, float]] | None = None) -> ScenarioRun:
    """All replicates of one scenario, with what the manifest needs.

    ``params`` are explicit overrides on top of the scenario's; ``calibrated`` applies the calibration
    (``parameters.resolve_parameters``). ``draws`` (posterior draws, `geese run --param-draws N`) each take
    the place of the calibration in turn: replicate i runs draw i // seeds with seed i % seeds, so the bands
    carry parameter and seed uncertainty and every draw sees the same seeds.
    """
    from .parameters import resolve_parameters
    from .recorder import METRICS
    from .regions import load_region_data
    from .scenario import SCALES

    seeds = seeds or scenario.seeds
    scale = scale or scenario.scale
    resolved = resolve_parameters(scenario.params, params, calibrated)
    jobs = jobs_for(scenario, resolved, seeds, scale, root)
    if draws:
        jobs = [j for d in draws for j in jobs_for(scenario, resolve_parameters(scenario.params, params, dict(d)),
                                                    seeds, scale, root)]
    t0 = time.perf_counter()
    with ReplicatePool(min(workers, len(jobs)), scheduler) as pool:
        reps = pool.map(jobs, progress)
    nf, nt = SCALES[scale]
    return ScenarioRun(scenario=scenario, params=resolved.as_dict(), regions=load_region_data().names,
                       years=list(range(scenario.first_year, scenario.last_year + 1)), metrics=list(METRICS),
                       replicates=reps, root_seed=root, scale=scale, n_firms=nf, n_talent=nt,
                       wall_seconds=time.perf_counter() - t0, calibration=calibration_record(calibrated),
                       draws=[dict(d) for d in draws] if draws else None)


def calibration_record(calibrated: bool | str | os.PathLike) -> dict:
    """For the manifest: was a calibration applied, from which file, and which fit (date, loss, scale)."""
    from pathlib import Path

    from .parameters import CALIBRATION_SOURCE, PARAMS_FILE, read_params_file

    if calibrated is False:
        return {"applied": False, "why": "calibrated=False (defaults of model/data/parameters.yaml)"}
    path = PARAMS_FILE if calibrated is True else Path(calibrated)
    if not path.is_file():
        return {"applied": False, "why": f"no calibration file at {path}; UNCALIBRATED defaults"}
    doc = read_params_file(path)
    fit = doc.get("fit") or {}
    where = ({} if calibrated is not True or CALIBRATION_SOURCE == "shipped" else
             {"source": CALIBRATION_SOURCE, "path": str(path)})  # a local fit or $GEESE_CALIBRATION: say which
    return {"applied": True, "file": path.name, **where, "values": len(doc.get("values") or {}),
            **{k: fit[k] for k in ("date", "loss", "scale", "seeds", "git_commit") if k in fit}}
