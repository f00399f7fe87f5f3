"""The targets file (``calibration/targets.yaml``): moments, their tolerances and weights, the free and
fixed parameters, and the catalogued figures that are not moments (each with its reason). Every
problem names the entry it is in.

Three groups of moments (``group``):

* ``seed``         a figure of ``seeds/figures.yaml`` (``figure`` names it);
* ``plausibility`` an out-of-sample requirement from a public source (``source`` cites it);
* ``fact``         a stylised fact of firm dynamics (issue 8), with its bound and ``source``.

A moment names the metric it reads. A metric the model does not record (for example a nominal metric
before the model records it) is a one-line error naming the moment, never a silent skip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError, did_you_mean
from ..parameters import ParamSet, spec_for
from ..recorder import METRICS
from ..regions import load_region_data
from ..resources import shipped_dir
from ..scenario import FIRST_YEAR, SCENARIO_DIR, Scenario, load_scenario, validation_to_input_error
from ..yamlio import load_yaml_file

REPO = Path(__file__).resolve().parent.parent.parent
FIGURES_FILE = shipped_dir("seeds") / "figures.yaml"
REGIONS = load_region_data().names  # from the data file, in its order
LAST_YEAR = 2035
Year = Annotated[int, Field(strict=True, ge=FIRST_YEAR, le=LAST_YEAR)]
GROUPS = ("seed", "plausibility", "fact")

# statistic -> what it computes from one replicate's yearly series s (after `per`, `plus`, `versus_region`)
STATISTICS = {
    "value": "s[year]",
    "mean": "mean of s over span",
    "cagr": "(s[end] / s[start])^(1 / (end - start)) - 1",
    "change": "s[end] - s[start]",
    "max": "max of s over span",
    "min": "min of s over span",
    "peak_year": "the year s is largest within span",
    "min_step": "smallest s[b] - s[a] over consecutive years a < b of `at` (> 0: rises every period)",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quantity(_Strict):
    """A number computed from model output for one region."""

    metric: str
    region: str = Field(description="a region of the data file, or national")
    statistic: Literal["value", "mean", "cagr", "change", "max", "min", "peak_year", "min_step"] = "value"
    year: Year | None = None
    span: tuple[Year, Year] | None = None
    at: list[Year] | None = Field(None, description="years compared by statistic min_step")
    plus: list[str] = Field(
        default_factory=list, description="regions added to `region` (e.g. central plus west)")
    per: str | None = Field(None, description="divide by this metric (same region and year) first")
    versus_region: str | None = Field(None, description="divide, year by year, by this region's series")
    versus_national: Literal["ratio", "difference"] | None = None

    @model_validator(mode="after")
    def _check(self):
        for m in (self.metric, self.per):
            if m is not None and m not in METRICS:
                raise ValueError(f"unknown metric {m!r}: this model does not record it"
                                 f"{did_you_mean(m, METRICS)} (`geese list` shows the metrics)")
        allowed_all = (*REGIONS, "national")
        pairs = [(self.region, allowed_all), *((p, REGIONS) for p in self.plus)]
        if self.versus_region is not None:
            pairs.append((self.versus_region, allowed_all))
        for r, allowed in pairs:
            if r not in allowed:
                raise ValueError(f"unknown region {r!r}; one of {list(allowed)}{did_you_mean(r, allowed)}")
        if self.statistic == "value" and self.year is None:
            raise ValueError("statistic 'value' needs a year")
        if self.statistic == "min_step":
            if not self.at or len(self.at) < 2 or sorted(set(self.at)) != list(self.at):
                raise ValueError("statistic 'min_step' needs `at`: two or more increasing years")
        elif self.statistic != "value" and self.span is None:
            raise ValueError(f"statistic {self.statistic!r} needs a span [start, end]")
        if self.span is not None and self.span[0] >= self.span[1]:
            raise ValueError(f"span is reversed or empty: {list(self.span)}")
        return self

    def last_year(self) -> int:
        if self.statistic == "min_step":
            return self.at[-1]  # type: ignore[index]
        return self.year if self.statistic == "value" else self.span[1]  # type: ignore[index, return-value]

    def metrics_used(self) -> set[str]:
        return {self.metric} | ({self.per} if self.per else set())


class Moment(Quantity):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    group: Literal["seed", "plausibility", "fact"] = "seed"
    figure: str | None = Field(None, description="id in seeds/figures.yaml (group seed)")
    source: str | None = Field(None, description="citation; required when the figure is not in seeds/figures.yaml")
    kind: Literal["value", "bound", "ordinal"] = "value"
    target: float | None = None
    tolerance: Annotated[float, Field(gt=0)] | None = None
    upper: float | None = None
    lower: float | None = None
    rank: Literal["lowest", "highest"] | None = None
    below: Quantity | None = None
    scale: Annotated[float, Field(gt=0)] = 1.0
    weight: Annotated[float, Field(ge=0)] = 1.0
    # model discrepancy (Vernon, Goldstein and Bower 2010): the SD, in the moment's units, of a known effect the model
    # leaves out (say which, with its source, in `note`). It widens the history matching's variance for the moment, so
    # the parameters do not bend to absorb it; pass or miss is still judged against the tolerance.
    discrepancy: Annotated[float, Field(ge=0)] = 0.0
    note: str = ""

    @model_validator(mode="after")
    def _kind_fields(self):
        if self.kind == "value" and (self.target is None or self.tolerance is None):
            raise ValueError("a value moment needs target and tolerance")
        if self.kind == "bound" and self.upper is None and self.lower is None:
            raise ValueError("a bound moment needs upper, lower or both")
        if self.kind == "bound" and self.upper is not None and self.lower is not None and self.lower >= self.upper:
            raise ValueError(f"lower {self.lower} must be below upper {self.upper}")
        if self.kind == "ordinal" and (self.rank is None) == (self.below is None):
            raise ValueError("an ordinal moment needs exactly one of rank or below")
        if self.figure is None and not self.source:
            raise ValueError("a moment needs a figure (seeds/figures.yaml) or a source")
        if self.group != "seed" and not self.source:
            raise ValueError(f"a {self.group} moment needs a source (a public citation)")
        return self

    def metrics_used(self) -> set[str]:
        return super().metrics_used() | (self.below.metrics_used() if self.below else set())

    def want(self) -> str:
        """The requirement, as printed in tables."""
        if self.kind == "value":
            return f"{self.target:.4g} ± {self.tolerance:.2g}"
        if self.kind == "bound":
            if self.upper is not None and self.lower is not None:
                return f"{self.lower:.4g} to {self.upper:.4g}"
            return f"<= {self.upper:.4g}" if self.upper is not None else f">= {self.lower:.4g}"
        return "margin > 0"


class FreeParameter(_Strict):
    name: str
    bounds: tuple[float, float] | None = None


class FixedParameter(_Strict):
    """A parameter flagged for calibration that the moments do not identify: kept at its sourced value."""

    name: str
    reason: str


class NotMoment(_Strict):
    """A catalogued figure that is not a moment, and why."""

    figure: str
    reason: str


class Targets(_Strict):
    scenario: str = "baseline"
    years: tuple[Year, Year] = (FIRST_YEAR, LAST_YEAR)
    free_parameters: list[FreeParameter]
    fixed_parameters: list[FixedParameter] = Field(default_factory=list)
    moments: list[Moment]
    not_moments: list[NotMoment] = Field(default_factory=list)

    def group(self, name: str) -> list[int]:
        return [j for j, m in enumerate(self.moments) if m.group == name]


def _figures() -> dict[str, dict]:
    return {f["id"]: f for f in load_yaml_file(FIGURES_FILE)["figures"]} if FIGURES_FILE.is_file() else {}


def _check_metrics(doc: object, file: str) -> None:
    """Each moment's metrics must be recorded by this model: a one-line error names the first that is not."""
    moments = doc.get("moments") if isinstance(doc, dict) else None
    for i, m in enumerate(moments if isinstance(moments, list) else []):
        if not isinstance(m, dict):
            continue
        parts = [("", m)] + ([("below.", m["below"])] if isinstance(m.get("below"), dict) else [])
        for prefix, q in parts:
            for key in ("metric", "per"):
                name = q.get(key)
                if isinstance(name, str) and name not in METRICS:
                    ident = m.get("id", "?")
                    raise InputError(file, f"moments[{i}].{prefix}{key}", name,
                                     f"a metric this model records{did_you_mean(name, METRICS)} (moment {ident!r} "
                                     "needs it; `geese list` shows the metrics)")


def load_targets(path: Path) -> Targets:
    """Read and check a targets file; every problem names the entry it is in."""
    doc = load_yaml_file(path)
    _check_metrics(doc, str(path))
    try:
        t = Targets.model_validate(doc)
    except ValidationError as exc:
        raise validation_to_input_error(exc, str(path), doc) from None
    figures = _figures()
    ids = set()
    for i, m in enumerate(t.moments):
        key = f"moments[{i}]"
        if m.id in ids:
            raise InputError(str(path), f"{key}.id", m.id, "moment ids must be unique")
        ids.add(m.id)
        if m.figure is not None and m.figure not in figures and m.source is None:
            raise InputError(str(path), f"{key}.figure", m.figure,
                             "an id from seeds/figures.yaml" + did_you_mean(m.figure, figures) + ", or give a source")
        if m.last_year() > t.years[1]:
            raise InputError(str(path), f"{key}", m.last_year(), f"moments must lie within years {list(t.years)}")
    used = {m.figure for m in t.moments}
    for i, nm in enumerate(t.not_moments):
        if figures and nm.figure not in figures:
            raise InputError(str(path), f"not_moments[{i}].figure", nm.figure,
                             "an id from seeds/figures.yaml" + did_you_mean(nm.figure, figures))
        if nm.figure in used:
            raise InputError(str(path), f"not_moments[{i}].figure", nm.figure, "this figure is already a moment")
    free = set()
    for i, fp in enumerate(t.free_parameters):
        spec = spec_for(fp.name)
        if spec is None:
            raise InputError(str(path), f"free_parameters[{i}].name", fp.name,
                             "a parameter from model/data/parameters.yaml" + did_you_mean(fp.name, ParamSet.defaults()))
        lo, hi = fp.bounds or spec.range
        if not (spec.range[0] <= lo < hi <= spec.range[1]):
            raise InputError(str(path), f"free_parameters[{i}].bounds", [lo, hi],
                             f"low < high inside the documented range {list(spec.range)}")
        free.add(fp.name)
    for i, fx in enumerate(t.fixed_parameters):
        if spec_for(fx.name) is None:
            raise InputError(str(path), f"fixed_parameters[{i}].name", fx.name,
                             "a parameter from model/data/parameters.yaml" + did_you_mean(fx.name, ParamSet.defaults()))
        if fx.name in free:
            raise InputError(str(path), f"fixed_parameters[{i}].name", fx.name, "also listed as free")
    return t


def uncovered_figures(t: Targets) -> list[str]:
    """Catalogued figures that are neither a moment nor listed with a reason in ``not_moments``."""
    covered = {m.figure for m in t.moments} | {nm.figure for nm in t.not_moments}
    return [f for f in _figures() if f not in covered]


def bounds_of(t: Targets) -> list[tuple[float, float]]:
    return [tuple(fp.bounds or spec_for(fp.name).range) for fp in t.free_parameters]  # type: ignore[union-attr, misc]


def baseline_of(t: Targets) -> Scenario:
    """The scenario the moments are computed on, over the targets' years."""
    return load_scenario(SCENARIO_DIR / f"{t.scenario}.yaml").model_copy(update={"years": t.years})
