"""Scenario files: one typed schema (pydantic), inheritance by ``base:``, one-line errors.

A scenario is a small set of overrides on the defaults: which policy levers act, when, and where;
demand shocks; and parameter overrides by dotted name. Files are read with ``yaml.safe_load`` only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from . import SECTORS
from .errors import InputError, did_you_mean
from .parameters import ParamSet
from .regions import load_region_data
from .resources import shipped_dir
from .yamlio import load_yaml_file

Sector = Literal["energy_intensive", "labour_intensive", "equipment", "high_tech"]
Scale = Literal["tiny", "small", "medium", "full"]
# strict: a YAML `yes` or "0.2" is not a number, and 2.0 is not a count
Share = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
HORIZON = 2035  # the last year the data and exogenous paths support (GDP growth path, grid, cohorts)
Year = Annotated[int, Field(strict=True, ge=2012, le=HORIZON)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
FIRST_YEAR = 2012  # the data year every run starts from
SCENARIO_DIR = shipped_dir("scenarios")  # the repository's scenarios/, or the installed package's copy

SCALES: dict[str, tuple[int, int]] = {  # firm agents, talent agents
    "tiny": (2_000, 5_000),
    "small": (20_000, 50_000),
    "medium": (50_000, 125_000),
    "full": (343_769, 1_000_000),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _region_names() -> tuple[str, ...]:
    return load_region_data().names


class _Windowed(_Strict):
    """A lever that acts from one year to another, both inclusive; open-ended when ``to`` is absent."""

    start: Year = Field(FIRST_YEAR, alias="from", description="first year the lever acts")
    end: Year | None = Field(None, alias="to", description="last year the lever acts (inclusive)")

    @model_validator(mode="after")
    def _window_order(self):
        if self.end is not None and self.end < self.start:
            raise ValueError(f"lever window is reversed: from {self.start} to {self.end}; 'to' must be >= 'from'")
        return self

    def active(self, year: int) -> bool:
        return self.start <= year and (self.end is None or year <= self.end)


class _Regional(_Windowed):
    region: str = Field(description="region name")

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str) -> str:
        names = _region_names()
        if v not in names:
            raise ValueError(f"unknown region {v!r}; one of {list(names)}{did_you_mean(v, names)}")
        return v


class TalentIncentive(_Regional):
    """Wage top-up for talent living in the region, and a cut in the cost of moving there."""

    skill: Literal["high", "general", "all"] = Field("high", description="who receives it: high | general | all")
    wage_topup: Share = Field(0.0, description="share of the wage added by the region (1)")
    moving_cost_cut: Share = Field(0.0, description="share of the moving cost removed (1)")


class Digitalization(_Regional):
    """Subsidy on the cost of going digital, and public digital infrastructure."""

    adoption_subsidy: Share = Field(0.0, description="share of the adoption cost paid by government (1)")
    infrastructure: Annotated[float, Field(strict=True, ge=0.0, le=2.0)] = Field(
        0.0, description="added to the region's digital readiness index (1, east 2012 = 1)")


class RdSupport(_Regional):
    """R&D subsidy and tech-transfer support."""

    subsidy: Share = Field(0.0, description="share of firm R&D cost reimbursed (1)")
    tech_transfer: Share = Field(0.0, description="added to the region's tech-transfer rate (1)")


class RelocationSubsidy(_Regional):
    """Subsidy for firms relocating to or starting in the region."""

    sectors: list[Sector] = Field(default_factory=lambda: list(SECTORS), description="sectors eligible (default all)")
    subsidy: Share = Field(0.0, description="share of the relocation or entry cost paid (1)")


class ChainSourcing(_Regional):
    """Local sourcing support for chain leaders (supplier parks, local-content programmes; chains.py)."""

    support: Annotated[float, Field(strict=True, ge=0.0, le=5.0)] = Field(
        0.0, description="added to the local-sourcing home bias of the region's buyers (1)")


class BusinessEnvironment(_Regional):
    """Administrative and institutional friction removed."""

    friction_cut: Share = Field(0.0, description="share of the region's friction cost removed (1)")


CoveredSector = Literal["power", "energy_intensive", "labour_intensive", "equipment", "high_tech"]
NonNegativePrice = Annotated[float, Field(strict=True, ge=0.0, le=5000.0, allow_inf_nan=False)]
_SHARE_BY_YEAR = TypeAdapter(dict[Year, Share])


class CarbonCoverage(_Strict):
    """When a sector enters the carbon market, and how much of its direct emissions is covered."""

    start: Year = Field(alias="from", description="first year the sector is covered (inside the run)")
    share: Share = Field(1.0, description="share of the sector's direct CO2 covered (1)")


class CarbonPrice(_Strict):
    """The national carbon market (issue 10): price path, coverage by sector and year, free allocation.

    The price is linear between the path's points, flat after the last, zero before the first.
    ``coverage`` names ``power`` and/or model sectors with the year each enters; the older ``sectors``
    list (covered from the path's first year, share 1) is accepted instead. Allocation is intensity
    based: a covered firm receives ``free_allocation`` x its sector's mean intensity per unit of output
    free, so it pays P (own intensity - benchmark) and abates against the full price P.
    In a child scenario the path merges year by year (and coverage sector by sector) with the base's
    unless the child says ``replace: true``. ``free_allocation`` is one share for every year, or a mapping
    {year: share} (the share of the latest listed year applies; before the first, the first), which merges
    by year too, so a child can change allocation from its own years without rewriting its base's.
    """

    path: dict[Year, NonNegativePrice] = Field(description="yuan per tonne CO2 by year")
    replace: Annotated[bool, Field(strict=True)] = Field(
        False, description="in a child scenario: drop the base's path and coverage instead of merging by year")
    coverage: dict[CoveredSector, CarbonCoverage] | None = Field(
        None, description="sector -> {from: year, share: covered share}; power and model sectors")
    sectors: list[Sector] | None = Field(None, description="older form: sectors covered from the path's first year")
    free_allocation: Share | dict[Year, Share] = Field(
        0.0, description="benchmark as a share of the sector's mean intensity (1); or {year: share} from that year")

    @field_validator("free_allocation", mode="before")
    @classmethod
    def _share_or_years(cls, v: object) -> object:
        if not isinstance(v, dict):
            return v
        try:
            return _SHARE_BY_YEAR.validate_python({int(k) if isinstance(k, str) and k.isdigit() else k: x
                                                   for k, x in v.items()})
        except ValidationError as exc:
            err = exc.errors()[0]
            year = next((p for p in err["loc"] if isinstance(p, int)), None)
            raise ValueError(f"{year if year is not None else err['input']!r}: {err['msg'][0].lower()}{err['msg'][1:]}"
                             f"; free_allocation is a share or maps years to shares, e.g. {{2025: 0.5}}") from None

    def free_share(self, year: int) -> float:
        """This year's free allocation (benchmark share)."""
        fa = self.free_allocation
        if not isinstance(fa, dict):
            return float(fa)
        listed = [y for y in sorted(fa) if y <= year]
        return float(fa[listed[-1]] if listed else fa[min(fa)])

    @field_validator("path", mode="before")
    @classmethod
    def _a_mapping_of_years(cls, v: object) -> object:
        hint = "the price path must map years to non-negative prices in yuan/t, e.g. {2021: 54.22, 2030: 200}"
        if not isinstance(v, dict):
            raise ValueError(hint)
        bad = [k for k in v if isinstance(k, bool) or not (isinstance(k, int) or (isinstance(k, str) and k.isdigit()))]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a year; {hint}")
        return {int(k): p for k, p in v.items()}  # JSON round trips (runner workers) give string keys

    @field_validator("path")
    @classmethod
    def _non_empty(cls, v: dict) -> dict:
        if not v:
            raise ValueError("the price path needs at least one year")
        return dict(sorted(v.items()))

    @model_validator(mode="after")
    def _one_coverage_form(self):
        if self.coverage is not None and self.sectors is not None:
            raise ValueError("give either 'coverage' or the older 'sectors' list, not both")
        return self

    def covered(self) -> dict[str, CarbonCoverage]:
        """Coverage by sector, with the older ``sectors`` form (default: energy-intensive) spelt out."""
        if self.coverage is not None:
            return dict(self.coverage)
        first = next(iter(self.path))
        return {s: CarbonCoverage(start=first) for s in (self.sectors or ["energy_intensive"])}

    def price(self, year: int) -> float:
        years = list(self.path)
        if year < years[0]:
            return 0.0
        if year >= years[-1]:
            return self.path[years[-1]]
        for a, b in zip(years, years[1:]):
            if a <= year <= b:
                return self.path[a] + (self.path[b] - self.path[a]) * (year - a) / (b - a)
        raise AssertionError("unreachable")

    @staticmethod
    def merge_raw(base: object, child: object) -> object:
        """A child's carbon_price on its base's: path by year and coverage by sector, unless replace: true."""
        if not isinstance(base, dict) or not isinstance(child, dict) or child.get("replace") is True:
            return child
        out = {**base, **child}
        for key in ("path", "coverage"):
            if isinstance(base.get(key), dict) and isinstance(child.get(key), dict):
                out[key] = {**base[key], **child[key]}
        fb, fc = base.get("free_allocation"), child.get("free_allocation")
        if isinstance(fc, dict) and fb is not None:  # by year on the base's (a base share holds from the start)
            out["free_allocation"] = {**(fb if isinstance(fb, dict) else {FIRST_YEAR: fb}), **fc}
        if "sectors" in child and "coverage" not in child:  # the older form replaces the base's coverage
            out.pop("coverage", None)
        if "coverage" in child and "sectors" not in child:
            out.pop("sectors", None)
        out.pop("replace", None)
        return out

    def check_run_years(self, first: int, last: int, file: str) -> None:
        """A coverage year must fall inside the run; the error names the file and key."""
        for sector, cov in (self.coverage or {}).items():
            if not first <= cov.start <= last:
                raise InputError(file, f"levers.carbon_price.coverage.{sector}.from", cov.start,
                                 f"a year inside the run [{first}, {last}]")


class Levers(_Strict):
    talent_incentive: list[TalentIncentive] = Field(default_factory=list)
    digitalization: list[Digitalization] = Field(default_factory=list)
    carbon_price: CarbonPrice | None = None
    rd_support: list[RdSupport] = Field(default_factory=list)
    relocation_subsidy: list[RelocationSubsidy] = Field(default_factory=list)
    business_environment: list[BusinessEnvironment] = Field(default_factory=list)
    chain_sourcing: list[ChainSourcing] = Field(default_factory=list)


class Shock(_Strict):
    """A one-year shift of national demand for a sector."""

    kind: Literal["demand"]
    sector: Sector
    size: Annotated[float, Field(strict=True, ge=-0.9, le=1.0)] = Field(description="relative change of demand (1)")
    year: Year


class Scenario(_Strict):
    name: str = Field(pattern=NAME_PATTERN, description="lower-case name, also the results folder")
    description: str = ""
    base: str | None = Field(None, pattern=NAME_PATTERN)
    years: tuple[Year, Year] = (FIRST_YEAR, HORIZON)
    seeds: Annotated[int, Field(strict=True, ge=1, le=10_000)] = 8
    scale: Scale = "small"
    levers: Levers = Field(default_factory=Levers)
    shocks: list[Shock] = Field(default_factory=list)
    params: dict[str, Number] = Field(default_factory=dict)

    @field_validator("years")
    @classmethod
    def _years_order(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] >= v[1]:
            raise ValueError("years are reversed or empty; need [start, end] with start < end")
        return v

    @property
    def first_year(self) -> int:
        return self.years[0]

    @property
    def last_year(self) -> int:
        return self.years[1]


# --- loading -----------------------------------------------------------------------------------

def _key_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _lookup(doc: object, loc: tuple) -> object:
    for part in loc:
        try:
            doc = doc[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return doc


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names (with aliases) allowed at the parent of ``loc``, for did-you-mean hints."""
    current: object = model
    for part in loc[:-1]:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        current = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def validation_to_input_error(exc: ValidationError, file: str, doc: dict) -> InputError:
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "constrained-"))))
    key = _key_path(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        hint = did_you_mean(str(name), _fields_at(Scenario, loc))
        allowed = _fields_at(Scenario, loc)
        return InputError(file, key, name, f"unknown key{hint}; allowed keys: {', '.join(allowed)}")
    value = err.get("input", _lookup(doc, loc))
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "missing":
        return InputError(file, key, None, "this key is required")
    if kind == "string_pattern_mismatch":
        msg = "a lower-case name of letters, digits, '-' or '_' (no '/', '.' or spaces), at most 64 characters"
    ctx = err.get("ctx") or {}
    if (kind == "less_than_equal" and ctx.get("le") == HORIZON) or (
            kind == "greater_than_equal" and ctx.get("ge") == FIRST_YEAR and isinstance(value, int)):
        msg += f"; years lie inside the run [{FIRST_YEAR}, {HORIZON}], the span the data support"
    return InputError(file, key, value, msg[0].lower() + msg[1:])


def _merge(base: dict, child: dict) -> dict:
    """A child scenario on its base (README, "Scenario files: merge rules").

    Top-level keys of the child replace the base's; ``levers`` and ``params`` merge one level deeper
    (a parameter or lever the child names replaces the base's); a lever given as a list of entries
    (talent_incentive, digitalization, ...) ADDS the child's entries after the base's.
    """
    out = dict(base)
    for key, value in child.items():
        if key in ("levers", "params") and isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = {**base[key], **value}
            if key == "levers":
                out[key].update(_added_lever_lists(base[key], value))  # issue 13: lever lists add
                if "carbon_price" in value and "carbon_price" in base[key]:  # issue 10 merge rule
                    out[key]["carbon_price"] = CarbonPrice.merge_raw(base[key]["carbon_price"], value["carbon_price"])
        else:
            out[key] = value
    out.pop("base", None)
    return out


def _added_lever_lists(base: dict, child: dict) -> dict:
    """Lever lists the base and the child both give: the base's entries, then the child's."""
    return {name: [*base[name], *entries] for name, entries in child.items()
            if isinstance(entries, list) and isinstance(base.get(name), list)}


def merge_docs(base: dict, child: dict) -> dict:
    """The raw scenario ``child`` on its (already resolved) raw ``base``: the rules of a file's ``base:``."""
    return _merge(base, child)


def raw_with_bases(path: Path) -> dict:
    """A scenario file as a raw mapping with its bases merged in (validated base by base)."""
    return _raw_with_bases(Path(path))


def _raw_with_bases(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    doc = load_yaml_file(path)
    base = doc.get("base")
    if base is None:
        return doc
    if not isinstance(base, str) or not re.match(NAME_PATTERN, base):
        raise InputError(str(path), "base", base, "the name of a scenario in the same folder or in scenarios/")
    candidates = [path.parent / f"{base}.yaml", SCENARIO_DIR / f"{base}.yaml"]
    base_path = next((c for c in candidates if c.is_file()), None)
    if base_path is None:
        known = sorted({p.stem for d in (path.parent, SCENARIO_DIR) if d.is_dir() for p in d.glob("*.yaml")})
        raise InputError(str(path), "base", base, f"unknown base scenario{did_you_mean(base, known)}; known: {', '.join(known)}")
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        raise InputError(str(path), "base", base, "scenarios cannot inherit from themselves (a cycle)")
    base_doc = _raw_with_bases(base_path, (*seen, path.resolve()))
    try:  # a broken base is reported against its own file, not the child's
        Scenario.model_validate(base_doc)
    except ValidationError as exc:
        raise validation_to_input_error(exc, str(base_path), base_doc) from None
    return _merge(base_doc, doc)


def timing_problems(scenario: Scenario) -> list[tuple[str, object, str, bool]]:
    """Levers, prices and shocks that would never act in the simulated years, as (key, value, why, fatal).

    The model simulates from 2013 (2012 is the data year) to the scenario's last year; a lever window
    that overlaps those years only in part acts where it overlaps. A shock outside them is an error
    (fatal); a lever that never acts is a warning, since a shorter run of a scenario that inherits its
    levers is legitimate.
    """
    first, last = FIRST_YEAR + 1, scenario.last_year
    out: list[tuple[str, object, str, bool]] = []
    for name in Levers.model_fields:
        entries = getattr(scenario.levers, name)
        for i, e in enumerate(entries if isinstance(entries, list) else []):
            if e.start > last:
                out.append((f"levers.{name}[{i}].from", e.start,
                            f"the lever never acts: it starts after the last simulated year {last}", False))
            elif e.end is not None and e.end < first:
                out.append((f"levers.{name}[{i}].to", e.end,
                            f"the lever never acts: it ends before {first}, the first simulated year", False))
    cp = scenario.levers.carbon_price
    if cp is not None and min(cp.path) > last:
        out.append(("levers.carbon_price.path", min(cp.path),
                    f"the price never acts: its first year is after the last simulated year {last}", False))
    for i, sh in enumerate(scenario.shocks):
        if not first <= sh.year <= last:
            out.append((f"shocks[{i}].year", sh.year, f"a simulated year, {first} to {last}", True))
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge with its bases, and validate a scenario file; parameter overrides are checked too."""
    scenario = scenario_from_dict(_raw_with_bases(Path(path)), str(path), check_years=False)
    _check_own_carbon_years(Path(path), scenario)
    return scenario


def _check_own_carbon_years(path: Path, scenario: Scenario) -> None:
    """Coverage years this file declares itself must lie inside its run (inherited ones were checked in the base)."""
    own = (load_yaml_file(path).get("levers") or {}).get("carbon_price")
    if isinstance(own, dict) and own.get("coverage") and scenario.levers.carbon_price is not None:
        declared = CarbonPrice.model_validate(
            {**own, "path": own.get("path") or scenario.levers.carbon_price.path})
        declared.check_run_years(*scenario.years, str(path))


def scenario_from_dict(doc: dict, file: str = "<dict>", *, check_years: bool = True) -> Scenario:
    """Validate a scenario given as a mapping; errors name ``file``."""
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        raise validation_to_input_error(exc, file, doc) from None
    fatal = [p[:3] for p in timing_problems(scenario) if p[3]]
    if fatal:
        raise InputError(file, *fatal[0])
    ParamSet.defaults().with_overrides(scenario.params, file)
    if check_years and scenario.levers.carbon_price is not None:
        scenario.levers.carbon_price.check_run_years(*scenario.years, file)
    return scenario


class _CallableModule(type(re)):
    """``model.scenario(base=..., levers=...)`` is the API's ``scenario()`` (model/api.py), although
    ``model.scenario`` is also this module: ``import model as geese; geese.scenario(...)`` works."""

    def __call__(self, *args, **kwargs):
        from .api import scenario

        return scenario(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
