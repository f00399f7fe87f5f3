"""The targets file (``calibration/targets.yaml``): moments, their tolerances and weights, and the
free parameters with their bounds. Every problem names the entry it is in."""

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
Year = Annotated[int, Field(strict=True, ge=FIRST_YEAR, le=2035)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quantity(_Strict):
    """A number computed from model output for one region."""

    metric: str
    region: str = Field(description="a region of the data file, or national")
    statistic: Literal["value", "mean", "cagr"] = "value"
    year: Year | None = None
    span: tuple[Year, Year] | None = None
    plus: list[str] = Field(
        default_factory=list, description="regions added to `region` (e.g. central plus west)")
    per: str | None = Field(None, description="divide by this metric (same region and year) first")
    versus_national: Literal["ratio", "difference"] | None = None

    @model_validator(mode="after")
    def _check(self):
        for m in (self.metric, self.per):
            if m is not None and m not in METRICS:
                raise ValueError(f"unknown metric {m!r}{did_you_mean(m, METRICS)}")
        for r, allowed in [(self.region, (*REGIONS, "national")), *((p, REGIONS) for p in self.plus)]:
            if r not in allowed:
                raise ValueError(f"unknown region {r!r}; one of {list(allowed)}{did_you_mean(r, allowed)}")
        if self.statistic == "value" and self.year is None:
            raise ValueError("statistic 'value' needs a year")
        if self.statistic in ("mean", "cagr") and self.span is None:
            raise ValueError(f"statistic {self.statistic!r} needs a span [start, end]")
        if self.span is not None and self.span[0] >= self.span[1]:
            raise ValueError(f"span is reversed or empty: {list(self.span)}")
        return self

    def last_year(self) -> int:
        return self.year if self.year is not None else self.span[1]  # type: ignore[index]


class Moment(Quantity):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    figure: str = Field(description="id in seeds/figures.yaml")
    source: str | None = Field(None, description="only when the figure is not in seeds/figures.yaml")
    kind: Literal["value", "bound", "ordinal"] = "value"
    target: float | None = None
    tolerance: Annotated[float, Field(gt=0)] | None = None
    upper: float | None = None
    lower: float | None = None
    rank: Literal["lowest", "highest"] | None = None
    below: Quantity | None = None
    scale: Annotated[float, Field(gt=0)] = 1.0
    weight: Annotated[float, Field(ge=0)] = 1.0
    note: str = ""

    @model_validator(mode="after")
    def _kind_fields(self):
        if self.kind == "value" and (self.target is None or self.tolerance is None):
            raise ValueError("a value moment needs target and tolerance")
        if self.kind == "bound" and (self.upper is None) == (self.lower is None):
            raise ValueError("a bound moment needs exactly one of upper or lower")
        if self.kind == "ordinal" and (self.rank is None) == (self.below is None):
            raise ValueError("an ordinal moment needs exactly one of rank or below")
        return self


class FreeParameter(_Strict):
    name: str
    bounds: tuple[float, float] | None = None


class Targets(_Strict):
    scenario: str = "baseline"
    years: tuple[Year, Year] = (FIRST_YEAR, 2024)
    free_parameters: list[FreeParameter]
    moments: list[Moment]


def load_targets(path: Path) -> Targets:
    """Read and check a targets file; every problem names the entry it is in."""
    doc = load_yaml_file(path)
    try:
        t = Targets.model_validate(doc)
    except ValidationError as exc:
        raise validation_to_input_error(exc, str(path), doc) from None
    figures = {f["id"]: f for f in load_yaml_file(FIGURES_FILE)["figures"]} if FIGURES_FILE.is_file() else {}
    ids = set()
    for i, m in enumerate(t.moments):
        key = f"moments[{i}]"
        if m.id in ids:
            raise InputError(str(path), f"{key}.id", m.id, "moment ids must be unique")
        ids.add(m.id)
        if m.figure not in figures and m.source is None:
            raise InputError(str(path), f"{key}.figure", m.figure,
                             "an id from seeds/figures.yaml" + did_you_mean(m.figure, figures) + ", or give a source")
        if m.last_year() > t.years[1]:
            raise InputError(str(path), f"{key}", m.last_year(), f"moments must lie within years {list(t.years)}")
    for i, fp in enumerate(t.free_parameters):
        spec = spec_for(fp.name)
        if spec is None:
            raise InputError(str(path), f"free_parameters[{i}].name", fp.name,
                             "a parameter from model/data/parameters.yaml" + did_you_mean(fp.name, ParamSet.defaults()))
        lo, hi = fp.bounds or spec.range
        if not (spec.range[0] <= lo < hi <= spec.range[1]):
            raise InputError(str(path), f"free_parameters[{i}].bounds", [lo, hi],
                             f"low < high inside the documented range {list(spec.range)}")
    return t


def bounds_of(t: Targets) -> list[tuple[float, float]]:
    return [tuple(fp.bounds or spec_for(fp.name).range) for fp in t.free_parameters]  # type: ignore[union-attr, misc]


def baseline_of(t: Targets) -> Scenario:
    """The scenario the moments are computed on, over the targets' years."""
    return load_scenario(SCENARIO_DIR / f"{t.scenario}.yaml").model_copy(update={"years": t.years})
