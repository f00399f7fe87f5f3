"""The Python API: build, run and compare scenarios from a notebook or a script.

    import model as geese

    base = geese.run("baseline", seeds=4, scale="tiny")            # a shipped scenario, by name
    ne = geese.scenario(base="baseline", name="ne-talent-30",
                        levers={"talent_incentive": [{"region": "northeast", "wage_topup": 0.3, "from": 2025}]})
    res = geese.run(ne, seeds=4, scale="tiny", workers=2)           # no `if __name__ == "__main__"` needed
    res.summary; res.timeseries; res.flows; res.to_xarray(); res.plot("gdp"); res.save("results")
    diff = geese.compare(base, res)                                 # paired: seed i minus seed i

Everything runs on the one simulation path of ``geese run`` (``runner.run_scenario``): the same
parameter layering (``parameters.resolve_parameters``), the same seeds, the same frames. So
``run(...).save(dir)`` writes the files ``geese run`` writes, byte for byte (tests/test_toolkit.py),
and ``Results.load(dir)`` reads a folder ``geese run`` wrote.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .model import FlyingGeeseModel
from .runner import DEFAULT_ROOT_SEED, ScenarioRun, replicate_seeds
from .scenario import SCALES, Scenario, load_scenario

__all__ = ["Results", "build_model", "compare", "load", "run", "scenario"]

KEYS = ("seed", "year", "region", "metric")


# --- scenarios -----------------------------------------------------------------------------------

def _as_scenario(sc: Scenario | Mapping | str | Path | None, what: str = "scenario") -> Scenario:
    from .resources import find_scenario
    from .scenario import scenario_from_dict

    if sc is None:
        sc = "baseline"
    if isinstance(sc, Scenario):
        return sc
    if isinstance(sc, Mapping):
        doc = dict(sc)
        if doc.get("base") is not None:
            return scenario(**{k: v for k, v in doc.items()})
        return scenario_from_dict(doc, f"<{what}>")
    if isinstance(sc, (str, Path)):
        return load_scenario(find_scenario(sc, what))
    raise InputError(f"<{what}>", None, type(sc).__name__, "a Scenario, a mapping, a scenario file or the name "
                                                          "of a shipped scenario")


def scenario(base: str | Path | None = "baseline", *, name: str | None = None, levers: Mapping | None = None,
             params: Mapping[str, float] | None = None, **fields: Any) -> Scenario:
    """A scenario built on ``base`` with exactly the merge rules of a scenario file's ``base:`` key.

    ``base`` is the name of a shipped scenario or a file (``None``: no base). ``levers`` and ``params``
    are what the file's ``levers:`` and ``params:`` would hold; other scenario keys (``description``,
    ``years``, ``seeds``, ``scale``, ``shocks``) go in ``fields``. The name defaults to ``<base>-custom``.
    See README, "Scenario files: merge rules".
    """
    from .resources import find_scenario
    from .scenario import merge_docs, raw_with_bases, scenario_from_dict

    doc: dict[str, Any] = dict(fields)
    if levers is not None:
        doc["levers"] = _plain(levers)
    if params is not None:
        doc["params"] = dict(params)
    if base is None:
        doc.setdefault("name", name or "custom")
        return scenario_from_dict(doc, "<scenario()>")
    base_path = find_scenario(base, "base")
    base_doc = raw_with_bases(base_path)
    doc["name"] = name or f"{base_doc.get('name', Path(base_path).stem)}-custom"
    return scenario_from_dict(merge_docs(base_doc, doc), "<scenario()>")


def _plain(obj: Any) -> Any:
    """Mappings and sequences as plain dicts and lists (what a YAML file would give)."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def build_model(scenario: Scenario | Mapping | str | Path | None = None, *,
                seed: int | np.random.SeedSequence | None = None, scale: str | None = None,
                params: Mapping[str, float] | None = None, calibrated: bool = True) -> FlyingGeeseModel:
    """A model of ``scenario`` (a file, a shipped name, a mapping or a Scenario; default the baseline).

    With no arguments it is replicate 0 of `geese run scenarios/baseline.yaml`: the same scenario, the
    calibration applied (``calibrated=False`` leaves it out), the seed of replicate 0 under the default
    root seed, the scenario's scale. ``params`` override by dotted name, on top of everything else.
    """
    sc = _as_scenario(scenario)
    if seed is None:
        seed = replicate_seeds(DEFAULT_ROOT_SEED, 1)[0]
    return FlyingGeeseModel(sc, seed=seed, scale=scale, params=params, calibrated=calibrated)


# --- the pool, safe without a __main__ guard ------------------------------------------------------

@contextlib.contextmanager
def main_module_hidden() -> Iterator[None]:
    """Spawned workers do not re-run the calling script (so no ``if __name__ == "__main__"`` is needed).

    The ``spawn`` start method (the only one the runner uses) imports the parent's ``__main__`` in every
    worker; a script without a guard would then start its pool again in each worker and fail with
    ``BrokenProcessPool``. The workers need nothing from ``__main__`` (they run ``runner.run_job``), so
    while the pool starts, ``__main__`` looks like an interactive session, which spawn does not import.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    try:
        main.__dict__.pop("__file__", None)
        main.__dict__["__spec__"] = None
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


# --- results -------------------------------------------------------------------------------------

class Results:
    """One scenario's results: the frames of a ``geese run`` folder, in memory.

    ``timeseries`` (seed, year, region, metric, value; region includes ``national``), ``summary`` (year,
    region, metric, mean, p05, p50, p95 over seeds), ``flows`` (seed, year, flow, category, origin,
    destination, value: counts of firms, jobs or talent moving in the year) and ``manifest`` (the dict of
    ``manifest.json``) are exactly the files' contents. ``run`` is the in-memory ``ScenarioRun`` when the
    results were computed in this session (None when loaded from a folder).
    """

    def __init__(self, timeseries: pd.DataFrame, summary: pd.DataFrame, flows: pd.DataFrame, manifest: dict,
                 run: ScenarioRun | None = None):
        self.timeseries, self.summary, self.flows, self.manifest, self.run = timeseries, summary, flows, manifest, run

    @classmethod
    def from_run(cls, run: ScenarioRun) -> Results:
        from .results import flows_frame, manifest, summary_frame, timeseries_frame

        ts = timeseries_frame(run)
        return cls(ts, summary_frame(ts), flows_frame(run), manifest(run), run)

    @classmethod
    def load(cls, folder: str | Path) -> Results:
        """Read a results folder written by ``geese run`` (or ``Results.save``)."""
        folder = Path(folder)
        missing = [f for f in ("timeseries.csv", "summary.csv", "flows.csv", "manifest.json")
                   if not (folder / f).is_file()]
        if missing:
            raise InputError(str(folder), None, str(folder), f"a results folder written by `geese run` "
                                                             f"(missing {', '.join(missing)})")
        read = {"keep_default_na": False, "na_values": [""]}
        return cls(pd.read_csv(folder / "timeseries.csv", **read), pd.read_csv(folder / "summary.csv", **read),
                   pd.read_csv(folder / "flows.csv", **read),
                   json.loads((folder / "manifest.json").read_text(encoding="utf-8")))

    # what the manifest says
    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def scenario(self) -> Scenario:
        return Scenario.model_validate(self.manifest["scenario"])

    @property
    def params(self) -> dict[str, float]:
        return dict(self.manifest["parameters"])

    @property
    def seeds(self) -> int:
        return int(self.manifest["seeds"]["count"])

    @property
    def scale(self) -> str:
        return self.manifest["scale"]

    @property
    def calibrated(self) -> bool:
        return bool(self.manifest.get("calibration", {}).get("applied", False))

    def __repr__(self) -> str:
        y = self.manifest.get("years", ["?", "?"])
        return (f"<Results {self.name}: {self.seeds} seeds at scale {self.scale}, {y[0]}-{y[1]}, "
                f"{'calibrated' if self.calibrated else 'NOT calibrated'}>")

    def series(self, metric: str, region: str = "national") -> pd.DataFrame:
        """A wide [year x seed] frame of one metric in one region (or ``national``)."""
        self._check_metric(metric)
        rows = self.timeseries[(self.timeseries["metric"] == metric) & (self.timeseries["region"] == region)]
        if rows.empty:
            regions = sorted(self.timeseries["region"].unique())
            raise InputError("<results>", "region", region, f"one of {', '.join(regions)}")
        return rows.pivot(index="year", columns="seed", values="value")

    def _check_metric(self, metric: str) -> None:
        from .errors import did_you_mean

        known = list(self.manifest.get("metrics") or self.timeseries["metric"].unique())
        if metric not in known:
            raise InputError("<results>", "metric", metric, f"a metric of these results{did_you_mean(metric, known)}")

    def to_xarray(self):
        """An ``xarray.Dataset``: one variable per metric over (seed, year, region), units in ``attrs``."""
        try:
            import xarray  # noqa: F401  (pandas needs it for to_xarray)
        except ImportError:
            raise ImportError("Results.to_xarray needs xarray: pip install 'flying-geese[analysis]'") from None
        ds = self.timeseries.set_index(list(KEYS))["value"].to_xarray().to_dataset(dim="metric")
        for m, info in (self.manifest.get("metrics") or {}).items():
            if m in ds:
                ds[m].attrs.update(units=info.get("unit", ""), long_name=info.get("meaning", m))
        ds.attrs.update(scenario=self.name, scale=self.scale, seeds=self.seeds, calibrated=int(self.calibrated))
        return ds

    def plot(self, metric: str = "industrial_va_share", regions: Sequence[str] | None = None, ax=None):
        """Median and 5-95 % band over seeds of one metric, one line per region; returns the Axes."""
        import matplotlib.pyplot as plt

        from .plots.style import REGION_COLOURS

        self._check_metric(metric)
        rows = self.summary[self.summary["metric"] == metric]
        present = list(dict.fromkeys(rows["region"]))
        regions = list(regions) if regions is not None else [r for r in present if r != "national"] or present
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
        unit = (self.manifest.get("metrics") or {}).get(metric, {}).get("unit", "")
        for r in regions:
            g = rows[rows["region"] == r].sort_values("year")
            colour = REGION_COLOURS.get(r, "#333333")
            ax.fill_between(g["year"], g["p05"], g["p95"], color=colour, alpha=0.2, linewidth=0)
            ax.plot(g["year"], g["p50"], color=colour, label=r)
        ax.set_title(f"{self.name}: {metric} (median, 5-95 % band over {self.seeds} seeds)")
        ax.set_xlabel("year")
        ax.set_ylabel(f"{metric} ({unit})" if unit else metric)
        ax.legend(frameon=False, fontsize="small")
        return ax

    def save(self, out: str | Path = "results", plots: bool = False) -> Path:
        """Write ``out/<name>/`` exactly as ``geese run --out out`` would (atomically; only over geese folders)."""
        from .results import FLOAT_FORMAT, Output

        def fill(tmp: Path) -> None:
            for key in ("timeseries", "summary", "flows"):
                getattr(self, key).to_csv(tmp / f"{key}.csv", index=False, float_format=FLOAT_FORMAT)
            (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=2) + "\n", encoding="utf-8")
            if plots:
                from .plots import plot_run

                plot_run(tmp, tmp / "plots")

        with Output(Path(out), [self.name], "run", option="out") as output:
            return output.write(self.name, fill)


def load(folder: str | Path) -> Results:
    """``Results.load``: read a folder written by ``geese run``."""
    return Results.load(folder)


# --- running -------------------------------------------------------------------------------------

def run(scenario: Scenario | Mapping | str | Path | None = "baseline", *, seeds: int | None = None,
        scale: str | None = None, params: Mapping[str, float] | None = None,
        param_draws: pd.DataFrame | Sequence[Mapping[str, float]] | None = None, workers: int = 1,
        root_seed: int = DEFAULT_ROOT_SEED, calibrated: bool = True,
        progress: bool | Callable = False) -> Results:
    """Run a scenario the way ``geese run`` does and return its ``Results``.

    ``scenario`` is a shipped scenario's name, a file, a mapping or a ``scenario(...)``. ``seeds`` and
    ``scale`` default to the scenario's; ``params`` override parameters by dotted name on top of the
    calibration and the scenario's own (``parameters.resolve_parameters``); ``workers`` > 1 uses a
    process pool (safe in scripts without a ``__main__`` guard and in notebooks).

    ``param_draws`` (one parameter set per replicate, e.g. posterior draws from the calibration) is the
    hook for issue 11: not implemented yet, it raises ``NotImplementedError`` when given.
    """
    from .runner import cap_workers, run_scenario

    sc = _as_scenario(scenario)
    _check_count("seeds", seeds, 10_000)
    _check_count("workers", workers, None)
    if scale is not None and scale not in SCALES:
        raise InputError("<run>", "scale", scale, f"one of {', '.join(SCALES)}")
    if param_draws is not None:
        raise NotImplementedError("param_draws (one parameter set per replicate) is reserved for the calibration's "
                                  "posterior draws (issue 11); pass params= for one parameter set")
    wrap = None
    if progress is True:
        from tqdm.auto import tqdm

        wrap = lambda it: tqdm(it, total=seeds or sc.seeds, desc=sc.name, unit="seed")  # noqa: E731
    elif callable(progress):
        wrap = progress
    with main_module_hidden():
        r = run_scenario(sc, seeds=seeds, scale=scale, workers=cap_workers(workers, "workers"), root=root_seed,
                         params=params, calibrated=calibrated, progress=wrap)
    if calibrated is not False and not (r.calibration or {}).get("applied"):
        import warnings

        warnings.warn(f"{sc.name}: no calibration was applied ({(r.calibration or {}).get('why', 'unknown')}); "
                      "the results use the uncalibrated defaults", UserWarning, stacklevel=2)
    elif (r.calibration or {}).get("source"):  # a local fit or $GEESE_CALIBRATION, not the shipped one
        import warnings

        warnings.warn(f"{sc.name}: applied the calibration {r.calibration['path']} ({r.calibration['source']}), "
                      "not the shipped fit", UserWarning, stacklevel=2)
    return Results.from_run(r)


def _check_count(key: str, value: object, hi: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1 or (hi and value > hi):
        raise InputError("<run>", key, value, "a whole number >= 1" + (f" up to {hi:,}" if hi else ""))


def compare(a: Results | str | Path, b: Results | str | Path, metrics: Sequence[str] | None = None,
            regions: Sequence[str] | None = None) -> pd.DataFrame:
    """Paired differences ``b - a``, seed by seed (common random numbers), in a tidy frame.

    Columns: seed, year, region, metric, a, b, difference. Both runs must share their seeds (same root
    seed and count) so that seed i of one is paired with seed i of the other. ``Results`` or folders.
    """
    ra = a if isinstance(a, Results) else Results.load(a)
    rb = b if isinstance(b, Results) else Results.load(b)
    ma, mb = ra.manifest.get("seeds", {}), rb.manifest.get("seeds", {})
    if ma.get("root") != mb.get("root") or ma.get("count") != mb.get("count"):
        raise InputError("<compare>", "seeds", f"{ma.get('count')} from {ma.get('root')} vs {mb.get('count')} "
                         f"from {mb.get('root')}", "both runs with the same seeds (count and root) to pair them")
    ta, tb = ra.timeseries, rb.timeseries
    if metrics is not None:
        for m in metrics:
            ra._check_metric(m)
        ta, tb = ta[ta["metric"].isin(metrics)], tb[tb["metric"].isin(metrics)]
    if regions is not None:
        ta, tb = ta[ta["region"].isin(regions)], tb[tb["region"].isin(regions)]
    out = ta.merge(tb, on=list(KEYS), suffixes=("_a", "_b"), how="inner")
    out = out.rename(columns={"value_a": "a", "value_b": "b"})
    out["difference"] = out["b"] - out["a"]
    out.attrs.update(a=ra.name, b=rb.name)
    return out.reset_index(drop=True)


def paired_summary(diff: pd.DataFrame) -> pd.DataFrame:
    """Per year, region and metric: mean, p05, p50, p95 of the per-seed differences of ``compare``."""
    g = diff.groupby(["year", "region", "metric"], sort=False)["difference"]
    out = pd.DataFrame({"mean": g.mean(), "p05": g.quantile(0.05), "p50": g.quantile(0.5),
                        "p95": g.quantile(0.95), "seeds": g.count()}).reset_index()
    return out.sort_values(["metric", "region", "year"], kind="stable").reset_index(drop=True)
