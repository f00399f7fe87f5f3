"""Results: the files of ``results/<name>/`` and the atomic way they are written.

Contract (other tools and the tests read it):

* ``timeseries.csv``  seed, year, region, metric, value (tidy; region includes ``national``)
* ``summary.csv``     year, region, metric, mean, p05, p50, p95 over seeds
* ``flows.csv``       seed, year, flow, category, origin, destination, value (firms, jobs, talent)
* ``manifest.json``   resolved scenario, parameters, seeds, version, git commit, wall time
* ``plots/``          PNG figures (drawn by ``plots.plot_run`` when the caller asks, e.g. `geese run`)

Everything is built in a temporary folder next to the target and renamed into place, so a failed
or interrupted run never leaves a half-written ``results/<name>/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from . import SECTORS, SKILLS, __version__
from .errors import InputError, RunError
from .guards import check_metrics_finite
from .recorder import METRICS
from .runner import ScenarioRun

FLOAT_FORMAT = "%.8g"
FLOW_CATEGORIES = {"firms": SECTORS, "jobs": SECTORS, "talent": SKILLS}


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        commit = out.stdout.strip() if out.returncode == 0 else "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=Path(__file__).resolve().parent).stdout.strip()
        return commit + ("-dirty" if dirty and commit != "unknown" else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def timeseries_frame(run: ScenarioRun) -> pd.DataFrame:
    vals = np.stack([r.values for r in run.replicates])  # [seed, year, region, metric]
    n_s, n_y, n_r, n_m = vals.shape
    regions = list(run.regions) + ["national"]
    idx = np.indices((n_s, n_y, n_r, n_m)).reshape(4, -1)
    df = pd.DataFrame({
        "seed": idx[0],
        "year": np.array(run.years)[idx[1]],
        "region": np.array(regions)[idx[2]],
        "metric": np.array(run.metrics)[idx[3]],
        "value": vals.reshape(-1),
    })
    # Only values undefined by construction (gdp_growth in 2012) are left out; anything else non-finite
    # is an invariant failure, never a silently dropped row.
    for s in range(n_s):
        check_metrics_finite(vals[s], list(run.years), list(run.metrics), tuple(run.regions))
    return df[np.isfinite(df["value"])].reset_index(drop=True)


def summary_frame(ts: pd.DataFrame) -> pd.DataFrame:
    g = ts.groupby(["year", "region", "metric"], sort=False)["value"]
    out = pd.DataFrame({
        "mean": g.mean(),
        "p05": g.quantile(0.05),
        "p50": g.quantile(0.50),
        "p95": g.quantile(0.95),
    }).reset_index()
    return out.sort_values(["metric", "region", "year"], kind="stable").reset_index(drop=True)


def flows_frame(run: ScenarioRun) -> pd.DataFrame:
    parts = []
    regions = np.array(run.regions)
    for name, cats in FLOW_CATEGORIES.items():
        arr = np.stack([r.flows[name] for r in run.replicates])  # [seed, year, cat, o, d]
        idx = np.indices(arr.shape).reshape(5, -1)
        v = arr.reshape(-1)
        keep = idx[3] != idx[4]
        parts.append(pd.DataFrame({
            "seed": idx[0][keep], "year": np.array(run.years)[idx[1][keep]], "flow": name,
            "category": np.array(cats)[idx[2][keep]], "origin": regions[idx[3][keep]],
            "destination": regions[idx[4][keep]], "value": v[keep],
        }))
    return pd.concat(parts, ignore_index=True)


def manifest(run: ScenarioRun) -> dict:
    import mesa

    return {
        "name": run.scenario.name,
        "scenario": run.scenario.model_dump(mode="json", by_alias=True),
        "parameters": run.params,
        "seeds": {"root": run.root_seed, "count": len(run.replicates),
                  "method": "numpy.random.SeedSequence(root).spawn(count); replicate i uses child i"},
        "uncertainty": uncertainty(run),
        "scale": run.scale,
        "agents": {"firms_2012": run.n_firms, "talent_2012": run.n_talent},
        "years": [run.years[0], run.years[-1]],
        "regions": list(run.regions),
        "metrics": {m: {"unit": METRICS[m][0], "meaning": METRICS[m][1]} for m in run.metrics},
        "calibration": run.calibration or {"applied": False, "why": "not recorded by the caller"},
        "package_version": __version__,
        "git_commit": git_commit(),
        "wall_seconds": round(run.wall_seconds, 3),
        "replicate_seconds": [round(r.wall_seconds, 3) for r in run.replicates],
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
    }


def uncertainty(run: ScenarioRun) -> dict:
    """What the bands of summary.csv carry: seed noise only, or posterior draws x seeds."""
    if not run.draws:
        return {"bands": "seed", "parameter_draws": 0}
    per = len(run.replicates) // len(run.draws)
    return {"bands": "parameter and seed", "parameter_draws": len(run.draws), "seeds_per_draw": per,
            "source": "calibration/posterior.csv (first N draws)",
            "replicate": "the seed column is the replicate: draw = replicate // seeds_per_draw, "
                         "seed = replicate % seeds_per_draw",
            "draws": run.draws}


# --- where results go: names, ownership, locks, and the rename swap (issue 12) -------------------
#
# The tool only ever deletes or replaces folders it wrote itself (recognised by their manifest and
# holding nothing else), never an input, and never a folder another geese process is writing.

RUN_FILES = frozenset({"timeseries.csv", "summary.csv", "flows.csv", "manifest.json", "plots"})
COMPARE_FILES = frozenset({"comparison.png", "difference.png", "comparison.csv", "manifest.json",
                           "differences_by_seed.csv", "effect_per_yuan.csv", "effect_per_yuan.png"})  # issue 13
SENSITIVITY_FILES = frozenset({"indices.csv", "samples.csv", "tornado.png", "manifest.json"})  # issue 13
EXPLORE_FILES = frozenset({"experiments.csv", "inputs.csv", "feature_scores.csv", "prim_box.csv",
                           "prim_trajectory.csv", "feature_scores.png", "prim_tradeoff.png", "prim_box.png",
                           "outcomes.png", "manifest.json"})  # issue 13: geese explore
_HIDDEN = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[A-Za-z0-9_]+$")
_rename = os.rename  # tests inject failures here


def check_name(name: object, source: str | None, key: str = "name") -> str:
    """An output folder name, from whatever source, must follow the scenario-name rule."""
    from .scenario import NAME_PATTERN

    if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
        raise InputError(source, key, name, "a lower-case name of letters, digits, '-' or '_' (no '/', '.' or "
                                            "spaces), at most 64 characters")
    return name


def safe_target(out_dir: Path, name: str, source: str | None = None) -> Path:
    """``out_dir/name`` for a valid name; it cannot land outside ``out_dir``."""
    check_name(name, source)
    return Path(os.path.abspath(out_dir)) / name


def _manifest_kind(folder: Path) -> str | None:
    """'run' or 'compare' for a folder geese wrote (by its manifest.json), else None."""
    path = folder / "manifest.json"
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > (1 << 20):
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or "package_version" not in doc:
        return None
    if doc.get("kind") in ("compare", "sensitivity", "explore"):
        return doc["kind"]
    return "run" if isinstance(doc.get("name"), str) and "scenario" in doc else None


def check_replaceable(target: Path, kind: str, option: str = "--out") -> None:
    """Refuse to replace anything but a missing or empty folder, or a ``kind`` folder geese wrote."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InputError(option, None, str(target), "it exists and is not a folder geese wrote; "
                                                    "move it away or choose another --out")
    if not target.exists():
        return
    try:
        entries = sorted(p.name for p in target.iterdir())
    except OSError as exc:
        raise InputError(option, None, str(target), f"cannot read it ({exc.strerror})") from None
    if not entries:
        return
    allowed = {"run": RUN_FILES, "sensitivity": SENSITIVITY_FILES, "explore": EXPLORE_FILES}.get(kind, COMPARE_FILES)
    legacy_compare = kind == "compare" and set(entries) <= COMPARE_FILES - {"manifest.json"}
    found = _manifest_kind(target)
    if found != kind and not legacy_compare:
        what = f"a geese {found} folder" if found else "a folder geese did not write"
        raise InputError(option, None, str(target), f"it is {what}; geese only replaces its own {kind} folders "
                                                    "(move it away or choose another --out)")
    foreign = [e for e in entries if e not in allowed]
    plots = target / "plots"
    if "plots" in entries:
        if plots.is_symlink() or not plots.is_dir():
            foreign.append("plots")
        else:
            foreign += [f"plots/{p.name}" for p in plots.iterdir() if p.suffix != ".png" or not p.is_file()]
    if foreign:
        raise InputError(option, None, str(target), f"it holds files geese did not write ({', '.join(foreign[:3])}"
                                                    f"{', ...' if len(foreign) > 3 else ''}); move them away first")


def check_not_input(target: Path, inputs: list[Path], option: str = "--out") -> None:
    """``target`` may not be, contain, or lie inside an input folder."""
    t = Path(os.path.realpath(target))
    for inp in inputs:
        i = Path(os.path.realpath(inp))
        if t == i or i.is_relative_to(t) or t.is_relative_to(i):
            raise InputError(option, None, str(target), f"it is, contains or lies inside the input {inp}; "
                                                        "choose an output folder apart from the inputs")


def _exists(p: Path) -> bool:
    try:
        p.stat()
        return True
    except OSError:
        return False


def check_out_dir(out: Path, option: str = "--out") -> Path:
    """``out`` must be (or be creatable as) a writable folder, with every path component of legal length."""
    out = Path(os.path.abspath(out))
    name_max = 255
    probe = out
    while not _exists(probe) and probe != probe.parent:
        probe = probe.parent
    try:
        name_max = os.pathconf(probe if probe.is_dir() else probe.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        pass
    long = [part for part in out.parts if len(os.fsencode(part)) > name_max - 40]
    if long:
        raise InputError(option, None, str(out), f"a path component is too long ({len(long[0])} characters; "
                                                 f"at most {name_max - 40} leave room for the result folders)")
    if len(os.fsencode(str(out))) > 3000:
        raise InputError(option, None, str(out), "the path is too long")
    try:
        out.stat()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise InputError(option, None, str(out), f"cannot use it ({exc.strerror})") from None
    if out.exists() and not out.is_dir():
        raise InputError(option, None, str(out), "it is a file; give a folder")
    if not probe.is_dir():
        raise InputError(option, None, str(out), f"{probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(option, None, str(out), f"{probe} is not writable")
    return out


@contextlib.contextmanager
def _signals_deferred():
    """Defer SIGINT and SIGTERM (in this thread) while a short critical section runs."""
    import signal

    sigs = {signal.SIGINT, signal.SIGTERM}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    except (AttributeError, OSError, ValueError):
        old = None
    try:
        yield
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


class TargetLock:
    """An exclusive lock on ``parent/name`` held in ``parent/.name.lock`` (released on any exit, even SIGKILL)."""

    def __init__(self, target: Path, option: str = "--out"):
        self.target, self.option = target, option
        self.path = target.parent / f".{target.name}.lock"
        self.fd: int | None = None

    def acquire(self) -> TargetLock:
        import fcntl

        for _ in range(20):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError as exc:
                raise InputError(self.option, None, str(self.target.parent),
                                 f"cannot write there ({exc.strerror})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise InputError(self.option, None, str(self.target),
                                 "another geese process is writing this results folder; wait for it to "
                                 "finish or choose another --out") from None
            try:  # the file we locked must still be the one at the path (a finishing writer unlinks it)
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                return self
            os.close(fd)
        raise InputError(self.option, None, str(self.target), "could not lock it; try again")

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self.fd)
        self.fd = None


def clean_stale(parent: Path, held: set[str]) -> None:
    """Remove temp and backup folders left by dead geese processes in ``parent``.

    A name's leftovers are stale when nobody holds its lock (we hold ``held``). If a crash struck
    between the two renames of a swap, the previous results are restored from their backup.
    """
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    by_name: dict[str, list[Path]] = {}
    for p in entries:
        m = _HIDDEN.match(p.name)
        if m and p.is_dir() and not p.is_symlink():
            by_name.setdefault(m["name"], []).append(p)
    for name, paths in by_name.items():
        lock = None
        if name not in held:
            try:
                lock = TargetLock(parent / name).acquire()
            except InputError:
                continue  # a live process is writing it
        try:
            target = parent / name
            olds = sorted((p for p in paths if ".old-" in p.name), key=lambda p: p.stat().st_mtime)
            if olds and not target.exists() and not target.is_symlink():
                _rename(olds.pop(), target)  # the swap was cut between its renames: restore
            for p in paths:
                if p.exists():
                    shutil.rmtree(p, ignore_errors=True)
        finally:
            if lock is not None:
                lock.release()


class Output:
    """Everything one command writes, prepared before any compute: checked, locked, cleaned.

    Use as a context manager; ``write(name, fill)`` builds ``out/name`` in a temporary folder with
    ``fill(tmp)`` and swaps it into place. On exit the locks are released and a folder this command
    created but left empty is removed again.
    """

    def __init__(self, out: Path, names: list[str], kind: str, inputs: list[Path] = (), option: str = "--out",
                 source: str | None = None, check_names: bool = True):
        self.option, self.kind = option, kind
        seen = set()
        for n in names:
            if check_names:
                check_name(n, source)
            if n in seen:
                raise InputError(source, "name", n, "each scenario name may appear only once in one command "
                                                    "(they name the result folders)")
            seen.add(n)
        self.out = check_out_dir(out, option)
        self.targets = {n: self.out / n for n in names}
        for t in self.targets.values():
            check_not_input(t, list(inputs), option)
            check_replaceable(t, kind, option)
        self.locks: list[TargetLock] = []
        self.created: list[Path] = []
        self.written: list[Path] = []

    def __enter__(self) -> Output:
        missing = []
        p = self.out
        while not _exists(p):
            missing.append(p)
            p = p.parent
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(self.option, None, str(self.out), f"cannot create it ({exc.strerror})") from None
        self.created = missing
        try:
            for n in sorted(self.targets):
                self.locks.append(TargetLock(self.targets[n], self.option).acquire())
            clean_stale(self.out, set(self.targets))
            for t in self.targets.values():  # again, under the lock
                check_replaceable(t, self.kind, self.option)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for lock in self.locks:
            lock.release()
        self.locks = []
        for d in self.created:  # deepest first; only if still empty
            with contextlib.suppress(OSError):
                d.rmdir()

    def write(self, name: str, fill) -> Path:
        target = self.targets[name]
        check_replaceable(target, self.kind, self.option)
        try:
            with atomic_dir(target) as tmp:
                fill(tmp)
        except OSError as exc:
            raise RunError(f"cannot write {target}: {exc.strerror or exc}; nothing was changed there") from None
        self.written.append(target)
        return target


@contextlib.contextmanager
def atomic_dir(target: Path):
    """Yield a temporary folder; on success it replaces ``target`` by a rename swap, on failure it vanishes.

    The previous folder is moved aside, the new one renamed into place, and the old one deleted; if the
    second rename fails, the previous folder is renamed back.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        tmp.chmod(0o755)
        yield tmp
        with _signals_deferred():
            old = None
            if target.exists() or target.is_symlink():
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-", dir=target.parent))
                try:
                    _rename(target, old)  # onto the empty placeholder: atomic on POSIX
                except BaseException:
                    old.rmdir()
                    raise
            try:
                _rename(tmp, target)
            except BaseException:
                if old is not None:
                    _rename(old, target)
                raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_run(run: ScenarioRun, out_dir: Path, also: Callable[[Path], object] | None = None,
              output: Output | None = None) -> Path:
    """Write ``run`` to ``out_dir/<name>/`` by a rename swap; ``also(folder)`` adds files first (e.g. plots).

    ``output`` is the caller's prepared and locked ``Output`` (``geese run`` prepares it before any
    compute); without it, one is prepared here.
    """

    def fill(tmp: Path) -> None:
        ts = timeseries_frame(run)
        ts.to_csv(tmp / "timeseries.csv", index=False, float_format=FLOAT_FORMAT)
        summary_frame(ts).to_csv(tmp / "summary.csv", index=False, float_format=FLOAT_FORMAT)
        flows_frame(run).to_csv(tmp / "flows.csv", index=False, float_format=FLOAT_FORMAT)
        (tmp / "manifest.json").write_text(json.dumps(manifest(run), indent=2) + "\n", encoding="utf-8")
        if also is not None:
            also(tmp)

    if output is not None:
        return output.write(run.scenario.name, fill)
    with Output(out_dir, [run.scenario.name], "run") as out:
        return out.write(run.scenario.name, fill)
