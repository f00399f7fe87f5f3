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
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from . import SECTORS, SKILLS, __version__
from .errors import InputError
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
        "scale": run.scale,
        "agents": {"firms_2012": run.n_firms, "talent_2012": run.n_talent},
        "years": [run.years[0], run.years[-1]],
        "regions": list(run.regions),
        "metrics": {m: {"unit": METRICS[m][0], "meaning": METRICS[m][1]} for m in run.metrics},
        "package_version": __version__,
        "git_commit": git_commit(),
        "wall_seconds": round(run.wall_seconds, 3),
        "replicate_seconds": [round(r.wall_seconds, 3) for r in run.replicates],
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
    }


def safe_target(out_dir: Path, name: str) -> Path:
    """``out_dir/name``, refusing any name that would land outside ``out_dir``."""
    target = (out_dir / name).resolve()
    if target.parent != out_dir.resolve() or name in ("", ".", ".."):
        raise InputError(None, "name", name, "a plain folder name that stays inside the output directory")
    return target


@contextlib.contextmanager
def atomic_dir(target: Path):
    """Yield a temporary folder; on success it replaces ``target`` in one rename, on failure it vanishes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(0o755)
    try:
        yield tmp
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_run(run: ScenarioRun, out_dir: Path, also: Callable[[Path], object] | None = None) -> Path:
    """Write ``run`` to ``out_dir/<name>/`` in one rename; ``also(folder)`` adds files first (e.g. plots)."""
    target = safe_target(out_dir, run.scenario.name)
    with atomic_dir(target) as tmp:
        ts = timeseries_frame(run)
        ts.to_csv(tmp / "timeseries.csv", index=False, float_format=FLOAT_FORMAT)
        summary_frame(ts).to_csv(tmp / "summary.csv", index=False, float_format=FLOAT_FORMAT)
        flows_frame(run).to_csv(tmp / "flows.csv", index=False, float_format=FLOAT_FORMAT)
        (tmp / "manifest.json").write_text(json.dumps(manifest(run), indent=2) + "\n", encoding="utf-8")
        if also is not None:
            also(tmp)
    return target
