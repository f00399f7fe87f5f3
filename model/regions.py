"""Regions and the sourced 2012 data they start from (``data/china_regions_2012.yaml``).

Regions are whatever the data file lists under ``regions:``: four NBS economic regions by default.
A 31-province set-up is a data swap (and region-keyed parameters to match), not a code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import InputError
from .yamlio import load_packaged_yaml, load_yaml_file

DATA_FILE = "model/data/china_regions_2012.yaml"


@dataclass(frozen=True)
class RegionData:
    """2012 initial conditions by region (arrays in ``names`` order) and national exogenous inputs."""

    names: tuple[str, ...]
    leading: str                    # the coastal region that draws migrants (``leading_region``)
    gdp_2012: np.ndarray            # yi yuan
    population_2012: np.ndarray     # million people
    wage_2012: np.ndarray           # yuan per year, non-private units
    wage_private_2012: np.ndarray   # yuan per year, private units
    co2_2012: np.ndarray            # Mt CO2
    rd_2012: float                  # yi yuan, national
    rd_enterprises_2012: float      # yi yuan, national
    firms_2012: int                 # above-size industrial enterprises
    graduates_2012: float           # million people
    gdp_growth: dict[int, float]    # national real growth by year
    carbon_price: dict[int, float]  # yuan per tonne, market closes
    source: str
    # [region] 2012 R&D of all performers, yi yuan: the provinces of ``rd_2012_by_province_yi_yuan`` summed by
    # ``regions`` (None if the file has no provincial table: innovation then anchors only the sector split)
    rd_2012_by_region: np.ndarray | None = None
    # {region: its provinces} as the file lists them, and {province: 2012 GDP, yi yuan} from
    # ``gdp_2012_by_province_yi_yuan`` (None without that table): the province geography (geography.py) uses them
    provinces: dict[str, tuple[str, ...]] | None = None
    gdp_2012_by_province: dict[str, float] | None = None

    @property
    def n(self) -> int:
        return len(self.names)

    def index(self, region: str) -> int:
        return self.names.index(region)


def _by_region(doc: dict, key: str, names: tuple[str, ...], file: str) -> np.ndarray:
    table = doc.get(key)
    if not isinstance(table, dict):
        raise InputError(file, key, table, "expected a mapping by region")
    missing = [r for r in names if r not in table]
    if missing:
        raise InputError(file, key, missing, f"every region needs a value: {list(names)}")
    values = np.array([table[r] for r in names], dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise InputError(file, key, values.tolist(), "positive numbers")
    return values


def _province_values(doc: dict, key: str, regions: dict, file: str) -> dict[str, float] | None:
    """{province: value} of the provincial table ``key`` for every province of ``regions`` (checked as in
    ``_sum_provinces``), or None if the file has no such table."""
    if _sum_provinces(doc, key, regions, file) is None:
        return None
    values = doc[key]["values"]
    return {p: float(values[p]) for provinces in regions.values() for p in provinces}


def _sum_provinces(doc: dict, key: str, regions: dict, file: str) -> np.ndarray | None:
    """[region] the provincial table ``key`` (``values:`` by province) summed over each region's provinces."""
    table = doc.get(key)
    if table is None:
        return None
    values = table.get("values") if isinstance(table, dict) else None
    if not isinstance(values, dict):
        raise InputError(file, key, table, "expected a mapping with 'values:' by province")
    out = []
    for name, provinces in regions.items():
        missing = [p for p in provinces if p not in values]
        if missing:
            raise InputError(file, f"{key}.values", missing, f"every province of region {name} needs a value")
        x = np.array([values[p] for p in provinces], dtype=np.float64)
        if not np.all(np.isfinite(x)) or np.any(x < 0):
            raise InputError(file, f"{key}.values", x.tolist(), "numbers >= 0")
        out.append(x.sum())
    out = np.array(out)
    if np.any(out <= 0):
        raise InputError(file, key, out.tolist(), "every region needs a positive sum")
    return out


def load_region_data(path: str | Path | None = None) -> RegionData:
    """Read the regional data file (the packaged copy by default)."""
    if path is None:
        text = resources.files("model").joinpath("data/china_regions_2012.yaml").read_text(encoding="utf-8")
        doc, file = load_packaged_yaml(text, DATA_FILE), DATA_FILE
    else:
        doc, file = load_yaml_file(path), str(path)
    regions = doc.get("regions")
    if not isinstance(regions, dict) or not regions:
        raise InputError(file, "regions", regions, "a mapping of region name to its provinces")
    names = tuple(regions)
    leading = doc.get("leading_region", names[0])
    if leading not in names:
        raise InputError(file, "leading_region", leading, f"one of the regions {list(names)}")
    nat = doc.get("national", {})
    try:
        grads = nat["graduates_2012"]
        return RegionData(
            names=names,
            leading=leading,
            gdp_2012=_by_region(doc, "gdp_2012_by_region_yi_yuan", names, file),
            population_2012=_by_region(doc, "population_2012_year_end_wan", names, file) / 100.0,
            wage_2012=_by_region(doc, "wage_2012_non_private_yuan", names, file),
            wage_private_2012=_by_region(doc, "wage_2012_private_yuan", names, file),
            co2_2012=_by_region(doc, "co2_2012_mt", names, file),
            rd_2012=float(nat["rd_2012_yi_yuan"]),
            rd_enterprises_2012=float(nat["rd_2012_by_performer_yi_yuan"]["enterprises"]),
            firms_2012=int(nat["above_size_industrial_enterprises"][2012]),
            graduates_2012=(grads["undergraduate_and_junior_college"] + grads["postgraduate"]) / 1e6,
            gdp_growth={int(y): float(g) for y, g in nat["real_gdp_growth"].items()},
            carbon_price={int(y): float(p) for y, p in doc["carbon_market_cny_per_tonne"].items()
                          if str(y).isdigit()},
            source=file,
            rd_2012_by_region=_sum_provinces(doc, "rd_2012_by_province_yi_yuan", regions, file),
            provinces={name: tuple(ps) for name, ps in regions.items()},
            gdp_2012_by_province=_province_values(doc, "gdp_2012_by_province_yi_yuan", regions, file),
        )
    except (KeyError, TypeError) as exc:
        raise InputError(file, f"national.{exc.args[0] if exc.args else '?'}", None,
                         "a required national input is missing") from None
