"""Exploration and scenario discovery (`geese explore`): levers x uncertainties, feature scoring, PRIM.

EMA Workbench (``ema_workbench``) in its own conventions does the design and the analysis:

* **uncertainties** are model parameters (``talent.moving_cost``) over a range: by default the 5-95 %
  interval of the calibration's posterior draws (calibration/posterior.csv) for a calibrated
  parameter, else the range in model/data/parameters.yaml; ``NAME=LO:HI`` gives one explicitly;
* **levers** are scenario keys: ``talent_incentive.northeast.wage_topup`` (a regional lever entry:
  the scenario's own entry for that region, or a new one acting from ``lever_start``),
  ``carbon_price.2030`` (a point of the carbon price path) or a full dotted key ``levers....`` as in
  ``geese run --set``; every sampled value is checked by the scenario schema;
* EMA's Latin hypercube samples ``scenarios`` points of the uncertainties and ``policies`` points of
  the levers and crosses them (full factorial), as ``perform_experiments`` does;
* the experiments are evaluated by ``GeeseEvaluator``, an EMA evaluator that sends all experiments x
  seeds to the project's one simulation path (``sensitivity.evaluate_cases`` on a
  ``runner.ReplicatePool``) as ONE batch: one root seed, every experiment on the same seeds;
* ``feature scores`` are EMA's extra-trees scores of every input for every outcome and for the
  success criterion; ``PRIM`` (EMA's ``prim.Prim``) finds the box of inputs where the criterion holds.

A criterion is ``OUTCOME OP OUTCOME`` or ``OUTCOME OP NUMBER`` with OP one of ``>= > <= <``, e.g.
``industrial_va_share:northeast:2035 >= industrial_va_share:northeast:2023``: the northeast keeps its
2023 share of industrial value added in 2035 (both sides in the same experiment, seed means).
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InputError, did_you_mean
from .scenario import FIRST_YEAR, HORIZON, Levers, Scenario, scenario_from_dict
from .sensitivity import Outcome, parse_outcome, parameter_names

DEFAULT_CRITERION = "industrial_va_share:northeast:2035 >= industrial_va_share:northeast:2023"
DEFAULT_LEVERS = ("talent_incentive.northeast.wage_topup=0:0.3", "digitalization.northeast.adoption_subsidy=0:0.5",
                  "rd_support.northeast.subsidy=0:0.3", "business_environment.northeast.friction_cut=0:0.6")
DEFAULT_OUTCOMES = ("industrial_va_share:northeast", "gdp:national")
OPS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
MAX_EXPERIMENTS = 100_000
DEFAULT_LEVER_START = 2025
REGIONAL = [n for n in Levers.model_fields if n != "carbon_price"]
from .results import EXPLORE_FILES  # noqa: E402,F401  (the files `geese explore` writes)


@contextlib.contextmanager
def _quiet_ema():
    """EMA Workbench 3.0 warns on import (no ipyparallel) and PRIM uses pandas' deprecated ``inplace=``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # pandas.errors.Pandas4Warning is one
        warnings.simplefilter("ignore", FutureWarning)
        yield


def ema():
    """The ``ema_workbench`` module, or a one-line error saying how to install it."""
    try:
        with _quiet_ema():
            import ema_workbench
    except ImportError:
        raise InputError("explore", None, "ema_workbench", "install it: pip install 'flying-geese[analysis]'") from None
    return ema_workbench


# --- inputs ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Uncertainty:
    name: str
    lo: float
    hi: float
    source: str  # where the bounds come from


@dataclass(frozen=True)
class Lever:
    key: str                   # as the user wrote it, also the column name
    path: tuple                # into the raw scenario document
    lo: float
    hi: float
    new_entry: dict | None = None  # a regional entry to append when the scenario has none for the region


@dataclass(frozen=True)
class Criterion:
    left: Outcome
    op: str
    right: Outcome | float
    text: str

    def outcomes(self) -> list[Outcome]:
        return [self.left] + ([self.right] if isinstance(self.right, Outcome) else [])

    def holds(self, values: dict[Outcome, np.ndarray]) -> np.ndarray:
        right = values[self.right] if isinstance(self.right, Outcome) else self.right
        return OPS[self.op](values[self.left], right)


def _range(text: str, option: str, key: str) -> tuple[float, float]:
    lo, sep, hi = text.partition(":")
    try:
        a, b = float(lo), float(hi)
    except ValueError:
        a = b = float("nan")
    if not sep or not (np.isfinite(a) and np.isfinite(b)) or not a < b:
        raise InputError(option, key, text, "a range LO:HI of two numbers with LO < HI, e.g. 0:0.4")
    return a, b


def posterior_bounds() -> dict[str, tuple[float, float]]:
    """5-95 % intervals of the shipped posterior draws, by parameter (empty when there is none)."""
    from .parameters import PARAMS_FILE

    path = PARAMS_FILE.parent / "posterior.csv"  # beside the calibration applied
    if not path.is_file():
        return {}
    df = pd.read_csv(path).drop(columns="draw", errors="ignore")
    return {c: (float(df[c].quantile(0.05)), float(df[c].quantile(0.95))) for c in df.columns
            if df[c].quantile(0.05) < df[c].quantile(0.95)}


def parse_uncertainty(text: str, option: str = "--uncertainties") -> Uncertainty:
    """``NAME`` or ``NAME=LO:HI``; LO:HI must lie inside the parameter's documented range."""
    from .parameters import spec_for

    name, sep, rng = str(text).partition("=")
    allowed = parameter_names()
    spec = spec_for(name)
    if spec is None or name not in allowed:
        why = ("a parameter whose parts must sum to one cannot be varied alone" if spec is not None else
               "a parameter name from `geese list --params`" + did_you_mean(name, allowed))
        raise InputError(option, None, text, why)
    plo, phi = (float(x) for x in spec.range)
    if sep:
        lo, hi = _range(rng, option, name)
        if lo < plo or hi > phi:
            raise InputError(option, name, rng, f"a range inside the parameter's documented range [{plo:g}, {phi:g}]")
        return Uncertainty(name, lo, hi, "given")
    post = posterior_bounds()
    if name in post:
        return Uncertainty(name, *post[name], "posterior 5-95 %")
    if not plo < phi:
        raise InputError(option, None, text, f"a parameter with a range to vary over (its range is [{plo:g}, {phi:g}])")
    return Uncertainty(name, plo, phi, "parameters.yaml range")


_LEVER = re.compile(r"^(?P<key>[A-Za-z0-9_.]+)=(?P<range>.*)$")


def parse_lever(text: str, doc: dict, start: int = DEFAULT_LEVER_START, option: str = "--levers") -> Lever:
    """``talent_incentive.northeast.wage_topup=0:0.4``, ``carbon_price.2030=50:300`` or ``levers.X.0.f=LO:HI``."""
    from .regions import load_region_data
    from .scenario_ops import parse_set

    m = _LEVER.match(str(text))
    if not m:
        raise InputError(option, None, text, "KEY=LO:HI, e.g. talent_incentive.northeast.wage_topup=0:0.4 or "
                                              "carbon_price.2030=50:300")
    key = m["key"]
    lo, hi = _range(m["range"], option, key)
    parts = key.split(".")
    lever_names = list(Levers.model_fields)
    if parts[0] == "levers":
        path, _ = parse_set(f"{key}=0")
        if len(path) < 3 or path[1] not in lever_names:
            raise InputError(option, None, key, f"levers.<lever>.<...>, a lever one of {', '.join(lever_names)}")
        return Lever(key, tuple(path), lo, hi)
    if parts[0] not in lever_names:
        raise InputError(option, None, key, f"a lever, one of {', '.join(lever_names)}"
                                            f"{did_you_mean(parts[0], lever_names)}")
    if parts[0] == "carbon_price":
        if len(parts) != 2 or not parts[1].isdigit() or not FIRST_YEAR < int(parts[1]) <= HORIZON:
            raise InputError(option, None, key, f"carbon_price.YEAR with a year from {FIRST_YEAR + 1} to {HORIZON} "
                                                "(a point of the price path, yuan/t)")
        return Lever(key, ("levers", "carbon_price", "path", int(parts[1])), lo, hi)
    regions = list(load_region_data().names)
    model = Levers.model_fields[parts[0]].annotation.__args__[0]
    fields = [f.alias or n for n, f in model.model_fields.items()
              if n not in ("region", "start", "end", "sectors", "skill")]
    if len(parts) != 3:
        raise InputError(option, None, key, f"{parts[0]}.REGION.FIELD, a field one of {', '.join(fields)}")
    if parts[1] not in regions:
        raise InputError(option, None, key, f"a region, one of {', '.join(regions)}{did_you_mean(parts[1], regions)}")
    if parts[2] not in fields:
        raise InputError(option, None, key, f"a field of {parts[0]}, one of {', '.join(fields)}"
                                            f"{did_you_mean(parts[2], fields)}")
    entries = ((doc.get("levers") or {}).get(parts[0])) or []
    idx = [i for i, e in enumerate(entries) if isinstance(e, dict) and e.get("region") == parts[1]]
    if idx:
        return Lever(key, ("levers", parts[0], tuple(idx), parts[2]), lo, hi)
    return Lever(key, ("levers", parts[0], "new", parts[2]), lo, hi, new_entry={"region": parts[1], "from": start})


def apply_levers(doc: dict, levers: Sequence[Lever], values: Sequence[float]) -> dict:
    """The raw scenario document with each lever set to its value (new regional entries appended once)."""
    import copy

    out = copy.deepcopy(doc)
    new: dict[tuple[str, str], dict] = {}
    for lever, value in zip(levers, values):
        value = float(value)
        path = lever.path
        if lever.new_entry is not None:
            k = (path[1], lever.new_entry["region"])
            if k not in new:
                new[k] = dict(lever.new_entry)
                out.setdefault("levers", {}).setdefault(path[1], []).append(new[k])
            new[k][path[3]] = value
        elif len(path) == 4 and isinstance(path[2], tuple):  # every entry of the scenario for that region
            for i in path[2]:
                out["levers"][path[1]][i][path[3]] = value
        else:
            from .scenario_ops import apply_sets

            out = apply_sets(out, [".".join(map(str, path)) + f"={value!r}"])
    return out


def check_lever_bounds(doc: dict, levers: Sequence[Lever], file: str, option: str = "--levers") -> None:
    """Both ends of every lever's range must pass the scenario schema."""
    for i, lever in enumerate(levers):
        for end in (lever.lo, lever.hi):
            vals = [lv.lo for lv in levers]
            vals[i] = end
            try:
                scenario_from_dict(apply_levers(doc, levers, vals), file)
            except InputError as exc:
                raise InputError(option, lever.key, f"{lever.lo:g}:{lever.hi:g}",
                                 f"a range the scenario schema accepts at both ends; at {end:g}: "
                                 f"{exc.key or ''} {exc.allowed}".strip()) from None


_CRIT = re.compile(r"^\s*(?P<left>\S+)\s*(?P<op>>=|<=|>|<)\s*(?P<right>\S+)\s*$")


def parse_criterion(text: str, option: str = "--criterion") -> Criterion:
    """``METRIC:REGION:YEAR OP METRIC:REGION:YEAR`` or ``... OP NUMBER``."""
    m = _CRIT.match(str(text))
    if not m:
        raise InputError(option, None, text, "OUTCOME OP OUTCOME or OUTCOME OP NUMBER with OP one of >= > <= <, e.g. "
                                             "'industrial_va_share:northeast:2035 >= industrial_va_share:northeast:2023'")
    left = parse_outcome(m["left"], option)
    try:
        right: Outcome | float = float(m["right"])
        if not np.isfinite(right):
            raise InputError(option, None, m["right"], "a finite number or an outcome METRIC:REGION[:YEAR]")
    except ValueError:
        right = parse_outcome(m["right"], option)
    return Criterion(left, m["op"], right, " ".join(str(text).split()))


# --- EMA Workbench: model, evaluator, design ------------------------------------------------------

@dataclass
class Exploration:
    """What `geese explore` computes: the experiments, scores, and the PRIM box."""

    experiments: pd.DataFrame           # inputs, scenario/policy ids, outcomes, criterion, failed
    inputs: pd.DataFrame                # name, kind (lever|uncertainty), lo, hi, source
    outcome_labels: list[str]
    criterion: Criterion | None
    scores: pd.DataFrame | None = None  # input x (outcomes, criterion)
    trajectory: pd.DataFrame | None = None
    box: pd.DataFrame | None = None     # dimension, min, max, lo, hi, qp
    box_stats: dict = field(default_factory=dict)


def _placeholder(**_kwargs):
    raise RuntimeError("geese experiments are evaluated in one batch by GeeseEvaluator")


def ema_model(uncertainties: Sequence[Uncertainty], levers: Sequence[Lever], outcome_labels: Sequence[str]):
    """An EMA Model; EMA 3 wants Python identifiers as names, so inputs are u0.., l0.. and outcomes o0.."""
    e = ema()
    m = e.Model("geese", function=_placeholder)
    m.uncertainties = [e.RealParameter(f"u{i}", u.lo, u.hi) for i, u in enumerate(uncertainties)]
    m.levers = [e.RealParameter(f"l{i}", lv.lo, lv.hi) for i, lv in enumerate(levers)]
    m.outcomes = [e.ScalarOutcome(f"o{j}") for j in range(len(outcome_labels))]
    return m


def _evaluator_class():
    from ema_workbench.em_framework.evaluators import BaseEvaluator

    class GeeseEvaluator(BaseEvaluator):
        """An EMA evaluator that runs all experiments x seeds as one batch on a ReplicatePool."""

        def __init__(self, msis, run_batch):
            super().__init__(msis)
            self.run_batch = run_batch

        def initialize(self):
            pass

        def finalize(self):
            pass

        def evaluate_experiments(self, experiments, callback, **kwargs):
            exps = list(experiments)
            results = self.run_batch([(dict(e.scenario), dict(e.policy)) for e in exps])
            for e, res in zip(exps, results):
                callback(e, res)

    return GeeseEvaluator


def explore(scenario: Scenario, doc: dict, levers: Sequence[Lever], uncertainties: Sequence[Uncertainty],
            outcomes: Sequence[Outcome], criterion: Criterion | None, pool, n_scenarios: int, n_policies: int,
            seeds: int = 1, scale: str = "tiny", root: int | None = None, progress=None, sample_seed: int = 0,
            calibrated: bool = True, file: str = "<scenario>", min_density: float = 0.8) -> Exploration:
    """Run the levers x uncertainties experiments and analyse them (feature scores, PRIM)."""
    from .calibration.loss import MODEL_FAILURES
    from .parameters import resolve_parameters
    from .sensitivity import evaluate_cases

    e = ema()
    outs = list(dict.fromkeys([*outcomes, *(criterion.outcomes() if criterion else [])]))
    labels = [o.label(scenario.last_year) for o in outs]
    model = ema_model(uncertainties, levers, labels)
    base = resolve_parameters(scenario.params, None, calibrated)
    years = scenario.years

    def run_batch(pairs):
        cases = []
        for unc, pol in pairs:
            sc = scenario
            if levers:
                sc = scenario_from_dict(apply_levers(doc, levers, [pol[f"l{i}"] for i in range(len(levers))]), file)
                sc = sc.model_copy(update={"years": years, "name": scenario.name})
            p = base.with_overrides({u.name: float(unc[f"u{i}"]) for i, u in enumerate(uncertainties)}, "<explore>",
                                    check_sums=False) if uncertainties else base
            cases.append((sc, p))
        y = evaluate_cases(cases, outs, pool, seeds, scale, root, progress, tolerate=MODEL_FAILURES)
        return [{f"o{j}": y[i, j] for j in range(len(labels))} for i in range(len(cases))]

    # not under _quiet_ema: the model runs inside (workers=1), and its warnings must reach the caller's filters
    with _evaluator_class()(model, run_batch) as ev:
        experiments, res = e.perform_experiments(
            model, scenarios=n_scenarios if uncertainties else 0, policies=n_policies if levers else 0,
            evaluator=ev, log_progress=True,
            uncertainty_sampling_kwargs={"rng": sample_seed}, lever_sampling_kwargs={"rng": sample_seed + 1})
    names = [u.name for u in uncertainties] + [lv.key for lv in levers]
    ids = [f"u{i}" for i in range(len(uncertainties))] + [f"l{i}" for i in range(len(levers))]
    df = experiments[ids].astype(float).set_axis(names, axis=1)
    df.insert(0, "experiment", np.arange(len(df)))
    df["scenario_id"] = experiments["scenario"].astype(str).to_numpy()
    df["policy_id"] = experiments["policy"].astype(str).to_numpy()
    for j, lab in enumerate(labels):
        df[lab] = np.asarray(res[f"o{j}"], dtype=float)
    df["failed"] = df[labels].isna().any(axis=1)
    if criterion is not None:
        vals = {o: df[o.label(scenario.last_year)].to_numpy() for o in outs}
        ok = criterion.holds(vals)
        df["criterion"] = np.where(df["failed"], np.nan, ok.astype(float))
    inputs = pd.DataFrame([{"name": u.name, "kind": "uncertainty", "lo": u.lo, "hi": u.hi, "source": u.source}
                           for u in uncertainties] +
                          [{"name": lv.key, "kind": "lever", "lo": lv.lo, "hi": lv.hi,
                            "source": "new entry from " + str(lv.new_entry["from"]) if lv.new_entry else "scenario key"}
                           for lv in levers])
    out = Exploration(df, inputs, labels, criterion)
    analyse(out, names, sample_seed, min_density)
    return out


def analyse(ex: Exploration, names: Sequence[str], sample_seed: int = 0, min_density: float = 0.8) -> None:
    """Feature scores (extra trees) and the PRIM box, on the experiments that did not fail."""
    from ema_workbench.analysis import feature_scoring, prim
    from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

    ok = ex.experiments[~ex.experiments["failed"]].reset_index(drop=True)
    x = ok[list(names)]
    if len(ok) < 4 or not names:
        return
    with _quiet_ema():
        ys = {lab: ok[lab].to_numpy() for lab in ex.outcome_labels if np.ptp(ok[lab].to_numpy()) > 0}
        cols = {}
        if ys:
            sc = feature_scoring.get_feature_scores_all(x, ys, random_state=sample_seed)
            cols.update({c: sc[c] for c in sc.columns})
        if ex.criterion is not None:
            yc = ok["criterion"].to_numpy().astype(int)
            if 0 < yc.sum() < len(yc):
                fs, _ = feature_scoring.get_ex_feature_scores(x, yc, mode=RuleInductionType.CLASSIFICATION,
                                                              random_state=sample_seed)
                cols["criterion"] = fs[1]
        if cols:
            scores = pd.DataFrame(cols).reindex(list(names))
            scores.index.name = "input"
            ex.scores = scores
        if ex.criterion is None:
            return
        y = ok["criterion"].to_numpy().astype(bool)
        ex.box_stats = {"cases_of_interest": int(y.sum()), "experiments": int(len(y))}
        if y.all() or not y.any():
            ex.box_stats["note"] = (f"the criterion holds in {int(y.sum())} of {len(y)} experiments; PRIM needs "
                                    "both outcomes")
            return
        p = prim.Prim(x, y, mass_min=0.05)
        box = p.find_box()
        traj = box.peeling_trajectory.copy()
        good = traj[traj["density"] >= min_density]
        pick = int(good["coverage"].idxmax()) if len(good) else int(traj["density"].idxmax())
        box.select(pick)
        lims = box.box_lims[pick]
        qp = box.p_values[pick] if pick < len(box.p_values) else {}
    rows = []
    for c in names:
        lo0, hi0 = float(p.box_init.loc[0, c]), float(p.box_init.loc[1, c])
        lo, hi = float(lims.loc[0, c]), float(lims.loc[1, c])
        if np.isclose(lo, lo0) and np.isclose(hi, hi0):
            continue
        q = [np.nan if v is None or v < 0 else float(v) for v in qp.get(c, [np.nan, np.nan])]
        rows.append({"dimension": c, "box_min": lo, "box_max": hi, "sampled_min": lo0, "sampled_max": hi0,
                     "qp_lower": q[0], "qp_upper": q[1],
                     "significant": bool(np.nanmin([*q, np.inf]) < 0.05)})  # Bryant & Lempert quasi-p < 0.05
    traj = traj.rename(columns={"id": "step"})
    traj["chosen"] = traj["step"] == pick
    ex.trajectory = traj[["step", "coverage", "density", "mass", "mean", "res_dim", "chosen"]]
    ex.box = pd.DataFrame(rows, columns=["dimension", "box_min", "box_max", "sampled_min", "sampled_max",
                                         "qp_lower", "qp_upper", "significant"])
    row = traj.loc[traj["step"] == pick].iloc[0]
    ex.box_stats.update({"step": pick, "coverage": float(row["coverage"]), "density": float(row["density"]),
                         "mass": float(row["mass"]), "restricted_dimensions": int(row["res_dim"]),
                         "rule": f"the step of largest coverage with density >= {min_density:g} "
                                 "(else the densest step)"})


# --- one checked plan (the CLI and the Python API) -----------------------------------------------

@dataclass
class Plan:
    """Everything `geese explore` needs, checked before any compute (bad input: InputError, exit 2)."""

    file: str
    scenario: Scenario                  # years cut at the last year an outcome asks about
    doc: dict                           # the raw scenario with its bases merged in (levers are set here)
    levers: list[Lever]
    uncertainties: list[Uncertainty]
    outcomes: list[Outcome]
    criterion: Criterion | None
    n_scenarios: int
    n_policies: int
    seeds: int
    scale: str
    min_density: float

    @property
    def runs(self) -> int:
        return self.n_scenarios * self.n_policies * self.seeds

    def execute(self, pool, root: int | None = None, progress=None) -> Exploration:
        return explore(self.scenario, self.doc, self.levers, self.uncertainties, self.outcomes, self.criterion, pool,
                       self.n_scenarios, self.n_policies, seeds=self.seeds, scale=self.scale, root=root,
                       progress=progress, file=self.file, min_density=self.min_density)


def _first_duplicate(names: Sequence[str]) -> str | None:
    return next((n for n in names if list(names).count(n) > 1), None)


def prepare(scenario: str = "baseline", levers: Sequence[str] | None = None,
            uncertainties: Sequence[str] | None = None, outcomes: Sequence[str] = DEFAULT_OUTCOMES,
            criterion: str | None = DEFAULT_CRITERION, scenarios: int | None = None, policies: int | None = None,
            seeds: int = 1, scale: str = "tiny", lever_start: int = DEFAULT_LEVER_START,
            min_density: float = 0.8) -> Plan:
    """Check every input of an exploration; ``None`` levers/uncertainties mean the defaults, ``[]`` none."""
    from pathlib import Path

    from .parameters import PARAMS_FILE, calibrated_overrides
    from .resources import find_scenario
    from .scenario import SCALES, load_scenario, raw_with_bases

    ema()  # installed?
    f = find_scenario(scenario, "SCENARIO")
    sc = load_scenario(f)
    doc = raw_with_bases(Path(f))
    lvs = [parse_lever(t, doc, lever_start) for t in (DEFAULT_LEVERS if levers is None else levers)]
    dup = _first_duplicate([lv.key for lv in lvs])
    if dup:
        raise InputError("--levers", None, dup, "each lever once")
    check_lever_bounds(doc, lvs, str(f))
    names = (sorted(calibrated_overrides()) if PARAMS_FILE.is_file() else []) if uncertainties is None else uncertainties
    uncs = [parse_uncertainty(t) for t in names]
    dup = _first_duplicate([u.name for u in uncs])
    if dup:
        raise InputError("--uncertainties", None, dup, "each parameter once")
    if not lvs and not uncs:
        raise InputError("--levers", None, "<none>", "at least one lever or uncertainty to sample")
    if not lvs and policies is not None:
        raise InputError("--policies", None, policies, "lever samples need --levers")
    if not uncs and scenarios is not None:
        raise InputError("--scenarios", None, scenarios, "uncertainty samples need --uncertainties")
    for key, n in (("--scenarios", scenarios), ("--policies", policies)):
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 2):
            raise InputError(key, None, n, "a whole number from 2")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InputError("--seeds", None, seeds, "a positive whole number")
    if scale not in SCALES:
        raise InputError("--scale", None, scale, f"one of {', '.join(SCALES)}")
    n_s = (scenarios or 16) if uncs else 1
    n_p = (policies or 8) if lvs else 1
    outs = [parse_outcome(o) for o in outcomes]
    crit = None if criterion is None or str(criterion).strip().lower() == "none" else parse_criterion(criterion)
    for o in outs + (crit.outcomes() if crit else []):
        if o.year is not None and not sc.first_year < o.year <= sc.last_year:
            raise InputError("--criterion" if o not in outs else "--outcomes", None, o.label(sc.last_year),
                             f"a year the scenario simulates, {sc.first_year + 1} to {sc.last_year}")
    if not 0.0 < min_density <= 1.0:
        raise InputError("--min-density", None, min_density, "a share in (0, 1]")
    if n_s * n_p * seeds > MAX_EXPERIMENTS:
        raise InputError("--scenarios", None, f"{n_s} x {n_p} x {seeds} seeds",
                         f"at most {MAX_EXPERIMENTS:,} runs (scenarios x policies x seeds)")
    everything = outs + (crit.outcomes() if crit else [])
    if all(o.year is not None for o in everything):  # the model is causal: stop at the last year asked about
        sc = sc.model_copy(update={"years": (sc.first_year, max(o.year for o in everything))})
    year = lambda o: Outcome(o.metric, o.region, o.year or sc.last_year)  # noqa: E731  (one label per outcome)
    outs = list(dict.fromkeys(year(o) for o in outs))
    if crit is not None:
        crit = Criterion(year(crit.left), crit.op, year(crit.right) if isinstance(crit.right, Outcome) else crit.right,
                         crit.text)
    return Plan(str(f), sc, doc, lvs, uncs, outs, crit, n_s, n_p, seeds, scale, min_density)


def run(scenario: str = "baseline", *, levers: Sequence[str] | None = None,
        uncertainties: Sequence[str] | None = None, outcomes: Sequence[str] = DEFAULT_OUTCOMES,
        criterion: str | None = DEFAULT_CRITERION, scenarios: int | None = None, policies: int | None = None,
        seeds: int = 1, scale: str = "tiny", workers: int = 1, root_seed: int | None = None,
        lever_start: int = DEFAULT_LEVER_START, min_density: float = 0.8) -> Exploration:
    """The Python face of `geese explore` (same inputs as the command line, same one path)::

        from model import explore
        ex = explore.run("baseline", levers=["talent_incentive.northeast.wage_topup=0:0.3"],
                         uncertainties=["talent.moving_cost"], scenarios=8, policies=4)
        ex.experiments, ex.scores, ex.box, ex.box_stats
    """
    from .api import main_module_hidden
    from .runner import ReplicatePool, cap_workers

    plan = prepare(scenario, levers, uncertainties, outcomes, criterion, scenarios, policies, seeds, scale,
                   lever_start, min_density)
    with main_module_hidden(), ReplicatePool(cap_workers(workers, "workers")) as pool:
        return plan.execute(pool, root_seed)
