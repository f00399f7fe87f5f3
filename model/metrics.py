"""The model's metrics, each declared once: name, unit, meaning, and the function that computes it.

A metric's ``compute`` takes a ``YearView`` (one year's state, with the intermediates several metrics
share computed once) and returns one value per region plus the nation (the last entry), like a Mesa
``DataCollector`` reporter or an EMA Workbench ``Outcome``. The recorder only calls them. Physics
(emissions, the manufacturing split) lives in the mechanisms; a metric only aggregates.

To add a metric: append a ``Metric`` to ``METRICS`` (the order is the column order of every results
file; the first block is the engine issue's contract, ``core=True``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import HIGH, MILLION, SECTORS, SKILLS, YI
from .facts import FACT_METRICS, FactsState, firm_facts
from .mechanisms import carbon, production
from .scenario import FIRST_YEAR
from .world import Sim


def value_added_by_region(f) -> np.ndarray:
    """[region] weight x value added summed over the firms (the recorder's industrial VA before / YI), cached on the
    firms while their rows, region, weight and value_added stay unchanged (agents.py ``derived``): the yearly ledger
    check forms it first, and a finite sum proves every value added finite (model._check_ledgers)."""
    return f.derived("value_added_by_region", ("region", "weight", "value_added"),
                     lambda f: f.sum_by_region(f.weighted(f.value_added)))


def employed_wage(t) -> np.ndarray:
    """[person] weight x employed x wage (read-only, cached on the talent while its columns stay unchanged), shared
    by the wage bill and the bills by skill. It is weight x wage, bit for bit: labour_market sets wage = 0.0 for
    everyone without a job (newcomers enter with 0.0), so (w x 0) x 0.0 = w x 0.0 = 0.0 and (w x 1) x wage =
    w x wage; with one weight for every person (agents.py ``weighted``) that value times the wage."""
    def compute(t):
        if t.constant("weight") is not None:
            x = t.weighted(t.wage)
            return x.view() if x is t.wage else x  # (a weight of 1.0: the column itself; the cache freezes a view)
        return (t.weight * t.employed) * t.wage
    return t.derived("employed_wage", ("weight", "employed", "wage"), compute)


def wage_bill_by_region(t) -> np.ndarray:
    """[region] sum of ``employed_wage`` (cached like it): the recorder's wage bill; the yearly ledger check forms it
    first, and a finite sum proves every wage finite (a product with a NaN or an inf is NaN or inf)."""
    return t.derived("wage_bill_by_region", ("region", "skill", "weight", "employed", "wage"),
                     lambda t: t.sum_by_region(employed_wage(t)))


def both(x: np.ndarray) -> np.ndarray:
    """Regions plus the national total as the last entry."""
    return np.append(x, x.sum())


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Regional and national ratios of two regional totals."""
    num, den = both(num), both(den)
    return num / np.maximum(den, 1e-12)


class YearView:
    """One year's model state as the metrics read it (agents, world, the year's ledger)."""

    def __init__(self, m: Sim):
        self.m, self.f, self.t, self.w, self.ys = m, m.firms, m.talent, m.world, m.year_stats
        self.year, self.R = m.year, m.data.n

    def reg(self, weights: np.ndarray, by: np.ndarray | None = None) -> np.ndarray:
        """[region] sum of ``weights`` over agents (firms unless ``by`` names other regions)."""
        if by is None:
            return self.f.sum_by_region(weights)  # slice sums while the firms are sorted (agents.py)
        if by is self.t.region:
            return self.t.sum_by_region(weights)
        return np.bincount(by, weights=weights, minlength=self.R)

    @cached_property
    def workforce(self) -> np.ndarray:
        return self.w.labour_supply.sum(axis=1)

    @cached_property
    def high(self) -> np.ndarray:
        return self.w.labour_supply[:, HIGH]

    @cached_property
    def employed(self) -> np.ndarray:
        return self.t.sum_by_region(self._employed_w)  # reg(_, t.region) without forming the intp region

    @cached_property
    def wage_bill(self) -> np.ndarray:
        return wage_bill_by_region(self.t)  # the same slice sums as reg(_employed_wage, t.region), cached

    @cached_property
    def _employed_wage(self) -> np.ndarray:
        return employed_wage(self.t)

    @cached_property
    def wva(self) -> np.ndarray:
        """[firm] weight x value added (real), shared by the value-added metrics."""
        return self.f.weighted(self.f.value_added)

    @cached_property
    def _iva_sum(self) -> np.ndarray:
        return value_added_by_region(self.f)  # reg(wva), cached on the firms (the ledger check formed it)

    @cached_property
    def iva(self) -> np.ndarray:
        return self._iva_sum / YI

    @cached_property
    def mva(self) -> np.ndarray:
        # production.manufacturing_va from the sums the view already has (the same products and sums, bit for bit)
        return production.manufacturing_from(self.iva, self.sector_va("energy_intensive"), self.m.params)

    @cached_property
    def _price_f(self) -> np.ndarray:
        """[firm] its sector's current price (gathered once for the nominal sums)."""
        return self.f.gather_sector(self.w.price)  # take's values, by the firms' sorted cell blocks (agents.py)

    @cached_property
    def _va_price(self) -> np.ndarray:
        """[firm] value added x its sector's price (read only: shared by the nominal sums)."""
        return self.f.value_added * self._price_f

    @cached_property
    def iva_nominal(self) -> np.ndarray:
        if self.f.constant("weight") == 1.0:  # weight x VA is VA: (VA x 1.0) x price is VA x price, formed once
            return self.reg(self._va_price) / YI
        return self.reg(self.wva * self._price_f) / YI

    @cached_property
    def mva_nominal(self) -> np.ndarray:
        # production.manufacturing_va at current prices: weight x (VA x price) formed once for both sums
        wva_n = self.f.weighted(self._va_price)
        ei = self.by_cell(wva_n)[:, SECTORS.index("energy_intensive")]
        return production.manufacturing_from(self.reg(wva_n) / YI, ei / YI, self.m.params)

    def by_cell(self, weights: np.ndarray) -> np.ndarray:
        """[region, sector] sum of ``weights`` over firms. Column s is bit for bit the by-region sum of
        ``weights`` x (sector == s): each cell adds the same non-zero terms in the same (row) order, and the
        other sectors' terms were exact zeros. One pass for every sector instead of a mask and a pass each."""
        S = len(SECTORS)
        return self.f.sum_by_cell(weights).reshape(self.R, S)  # slice sums while sorted (agents.py)

    @cached_property
    def _cell_va(self) -> np.ndarray:
        return self.by_cell(self.wva)

    @cached_property
    def _cell_n(self) -> np.ndarray:
        return self.f.weight_by_cell(self.R).reshape(self.R, len(SECTORS))  # cached: digital forms the same sum

    def _sector_sum(self, name: str) -> np.ndarray:
        """[region] weight x VA of the sector's firms (the raw sum)."""
        return self._cell_va[:, SECTORS.index(name)]

    def sector_va(self, name: str) -> np.ndarray:
        return self._sector_sum(name) / YI

    def sector_n(self, name: str) -> np.ndarray:
        """[region] weighted firms of the sector."""
        return self._cell_n[:, SECTORS.index(name)]

    @cached_property
    def capital(self) -> np.ndarray:
        """[region] sum of weight x capital (million yuan)."""
        return self.f.capital_by_region(self.R)  # the same bincount, cached on the firms (agents.py)

    @cached_property
    def _employed_w(self) -> np.ndarray:
        """[person] weight x employed."""
        return self.t.weighted(self.t.employed)

    @cached_property
    def _by_skill(self) -> tuple[np.ndarray, np.ndarray]:
        """([region, skill] employed, [region, skill] their wage bill) in one pass over the talent. Each bin
        adds the same terms in the same order as a by-region sum of terms zeroed for the other skill."""
        t = self.t
        k = len(SKILLS)
        on = self._employed_w  # by (region, skill) cell: the key the talent is sorted by (agents.py)
        return t.sum_by_cell(on).reshape(self.R, k), t.sum_by_cell(self._employed_wage).reshape(self.R, k)

    def mean_wage(self, skill: int) -> np.ndarray:
        employed, bill = self._by_skill
        return ratio(bill[:, skill], employed[:, skill])

    @cached_property
    def rd(self) -> np.ndarray:
        return self.reg(self.f.weighted(self.w.rd_spend)) / YI + self.w.public_rd

    @cached_property
    def facts(self) -> dict[str, np.ndarray]:
        """Stylised facts of firm dynamics (facts.py): firm-panel summaries, computed once a year."""
        if self.w.facts_panel is None:
            self.w.facts_panel = FactsState()
        # the regional sums over every firm the view has already (the same bincounts)
        sums = dict(iva=self._iva_sum, ht_va=self._sector_sum("high_tech"), n=self.n_firms,
                    ht_n=self.sector_n("high_tech"), ei_va=self._sector_sum("energy_intensive"))
        return firm_facts(self.f, self.w, self.w.facts_panel, self.R, sums)

    @cached_property
    def n_firms(self) -> np.ndarray:
        return self.f.weight_by_region(self.R)  # the same bincount as the firm ledger's, cached (agents.py)

    @cached_property
    def digital_n(self) -> np.ndarray:
        return self.f.weight_by_region_where(self.f.digital)


@dataclass(frozen=True)
class Metric:
    """One recorded quantity: per region and national, every year."""

    name: str
    unit: str
    meaning: str
    compute: Callable[[YearView], np.ndarray]
    core: bool = False   # part of the engine's contract: always recorded, never NaN (growth from 2013)
    # a statistic that is undefined (NaN) where its sample is empty or too small, e.g. a firm-panel fact for
    # a region with too few firms alive in both years; the finiteness guard skips it and results drop those rows
    may_be_undefined: bool = False


def _growth(v: YearView) -> np.ndarray:
    if v.year == FIRST_YEAR:
        return np.full(v.R + 1, np.nan)
    return both(v.w.gdp) / both(v.w.gdp_prev) - 1.0


def _relocations(key: str) -> Callable[[YearView], np.ndarray]:
    def compute(v: YearView) -> np.ndarray:
        out = both(v.ys[key])
        out[-1] = v.ys["reloc_in"].sum()  # relocations net out nationally: the nation counts each move once
        return out
    return compute


def _net_general(v: YearView) -> np.ndarray:
    ys = v.ys
    return both((ys["talent_in"] - ys["talent_in_high"]) - (ys["talent_out"] - ys["talent_out_high"])) / 1e3


_EQUIPMENT = SECTORS.index("equipment")


def _local_procurement(sector: int | None) -> Callable[[YearView], np.ndarray]:
    """Share of intermediate inputs bought inside the region (chains.py), input-weighted over sectors, or one sector;
    national: the value-added-weighted mean of the regions."""
    def compute(v: YearView) -> np.ndarray:
        w = v.w
        if w.local_procurement.size == 0:
            return np.full(v.R + 1, np.nan)
        weight = w.va_rs_prev * w.io.sum(axis=0)[None, :]        # [r, s] inputs bought
        if sector is not None:
            share = w.local_procurement[:, sector]
            wr = weight[:, sector]
        else:
            share = (w.local_procurement * weight).sum(axis=1) / np.maximum(weight.sum(axis=1), 1e-12)
            wr = weight.sum(axis=1)
        return np.append(share, (share * wr).sum() / max(wr.sum(), 1e-12))
    return compute


def _relocation_rate(v: YearView) -> np.ndarray:
    """Firms relocating out of the region / its firms at the start of the year; national: all moves / all firms."""
    start = v.n_firms - v.ys["entries"] + v.ys["exits"] - v.ys["reloc_in"] + v.ys["reloc_out"]
    out = both(v.ys["reloc_out"]) / np.maximum(both(start), 1e-12)
    return out

METRICS: tuple[Metric, ...] = (
    Metric("population", "million people", "resident population", lambda v: both(v.w.population) / MILLION, True),
    Metric("talent_high", "million people", "high-skill (tertiary) workforce", lambda v: both(v.high) / MILLION, True),
    Metric("net_migration_high", "thousand people/yr", "net inflow of high-skill talent",
           lambda v: both(v.ys["talent_in_high"] - v.ys["talent_out_high"]) / 1e3, True),
    Metric("gdp", "yi yuan, 2012 prices", "real GDP (industry + rest of the economy)", lambda v: both(v.w.gdp), True),
    Metric("gdp_growth", "1/yr", "real GDP growth", _growth, True),
    Metric("industrial_va", "yi yuan, 2012 prices", "industrial value added", lambda v: both(v.iva), True),
    Metric("manufacturing_va", "yi yuan, 2012 prices", "manufacturing value added", lambda v: both(v.mva), True),
    Metric("rd_spend", "yi yuan, current prices", "R&D spending, enterprises + public (non-industrial output "
           "the numeraire)", lambda v: both(v.rd), True),
    Metric("rd_intensity", "share of GDP", "R&D spending / GDP, both at current prices (as NBS measures it)",
           lambda v: ratio(v.rd, v.iva_nominal + v.w.services), True),
    Metric("wage_mean", "yuan/yr, 2012 prices", "mean wage of the employed (all employers, not only non-private units)",
           lambda v: ratio(v.wage_bill, v.employed), True),
    Metric("firms", "firms", "above-size industrial firms", lambda v: both(v.n_firms), True),
    Metric("firms_high_tech", "firms", "high-tech firms",
           lambda v: both(v.sector_n("high_tech")), True),
    Metric("digital_adoption", "share of firms", "firms that have gone digital",
           lambda v: ratio(v.digital_n, v.n_firms), True),
    Metric("emissions", "Mt CO2", "CO2 emissions",
           lambda v: both(carbon.emissions(v.f, v.w, v.m.params, v.year)), True),
    Metric("capital_stock", "yi yuan, 2012 prices", "industrial capital stock",
           lambda v: both(v.capital / YI), True),
    Metric("investment", "yi yuan, 2012 prices", "industrial investment", lambda v: both(v.ys["investment"]), True),
    Metric("relocations_in", "firms/yr", "firms relocating into the region", _relocations("reloc_in"), True),
    Metric("relocations_out", "firms/yr", "firms relocating out of the region", _relocations("reloc_out"), True),
    # extras
    Metric("net_migration_general", "thousand people/yr", "net inflow of general workers", _net_general),
    Metric("talent_general", "million people", "general (non-tertiary) workforce",
           lambda v: both(v.workforce - v.high) / MILLION),
    Metric("unemployment_rate", "share of workforce", "unemployment rate",
           lambda v: 1.0 - ratio(v.employed, v.workforce)),
    Metric("manufacturing_share_gdp", "share of GDP", "manufacturing value added / GDP",
           lambda v: ratio(v.mva, v.w.gdp)),
    Metric("industrial_va_share", "share of national", "region's share of national industrial value added",
           lambda v: both(v.iva) / v.iva.sum()),
    Metric("high_skill_share", "share of workforce", "high-skill share of the workforce",
           lambda v: ratio(v.high, v.workforce)),
    Metric("digital_firms", "firms", "firms that have gone digital", lambda v: both(v.digital_n)),
    Metric("stranded_capital", "yi yuan, 2012 prices", "capital stranded by exits", lambda v: both(v.ys["stranded"])),
    Metric("carbon_cost", "yi yuan, 2012 prices", "carbon cost paid by firms", lambda v: both(v.w.carbon_cost)),
    Metric("policy_cost", "yi yuan, 2012 prices", "public spending on the levers", lambda v: both(v.ys["policy_cost"])),
    Metric("entries", "firms/yr", "new firms", lambda v: both(v.ys["entries"])),
    Metric("exits", "firms/yr", "firms exiting", lambda v: both(v.ys["exits"])),
    Metric("innovations", "firms/yr", "firms with a successful innovation", lambda v: both(v.w.innovations)),
    Metric("relocation_rate", "share of firms/yr", "firms relocating out of the region / its firms (national: all moves)",
           _relocation_rate),
    Metric("market_access", "index, east 2012 = 1", "market access from market potential (geography.py)",
           lambda v: np.append(v.w.access, np.average(v.w.access, weights=np.maximum(v.w.gdp, 1e-12)))),
    Metric("land_price", "index, 2012 = 1", "industrial land price (land.py); national: capital-weighted mean",
           lambda v: np.append(v.w.land_price, np.average(
               v.w.land_price, weights=np.maximum(v.capital, 1e-12)))),
    Metric("local_procurement_share", "share of inputs", "intermediate inputs bought inside the region (chains.py)",
           _local_procurement(None)),
    Metric("local_procurement_equipment", "share of inputs",
           "equipment (incl. autos) inputs bought inside the region (chains.py; seed 001: northeast ~0.4)",
           _local_procurement(_EQUIPMENT)),
    # carbon and energy (issue 10)
    Metric("emissions_industry", "Mt CO2", "industrial CO2, direct and from purchased electricity",
           lambda v: both(carbon.industrial_co2(v.f, v.w))),
    Metric("emissions_buildings", "Mt CO2", "buildings' CO2, direct and from electricity",
           lambda v: both(carbon.nonindustrial_co2(v.w, v.m.params, v.year)["buildings"])),
    Metric("emissions_transport", "Mt CO2", "transport CO2, direct and from electricity",
           lambda v: both(carbon.nonindustrial_co2(v.w, v.m.params, v.year)["transport"])),
    Metric("nonfossil_share", "share of generation", "non-fossil share of power generation (national: sourced series)",
           lambda v: np.append(v.w.energy.nonfossil[v.w.energy.at(v.year)],
                               v.w.energy.nonfossil_national[v.w.energy.at(v.year)])),
    Metric("grid_factor", "1 (2012 = 1)", "grid CO2 per kWh relative to 2012 (national: weighted by industrial CO2)",
           lambda v: np.append(v.w.grid_factor, np.average(v.w.grid_factor,
                                                           weights=np.maximum(carbon.industrial_co2(v.f, v.w), 1e-9)))),
    Metric("abatement_cost", "yi yuan, 2012 prices", "firms' abatement cost (user cost of abatement capital)",
           lambda v: both(v.w.abatement_cost)),
    Metric("abatement_capital", "yi yuan, 2012 prices", "abatement capital held by firms (in the capital ledger)",
           lambda v: both(v.reg(v.f.weighted(v.f.abatement_capital)) / YI)),
    Metric("stranded_carbon", "yi yuan, 2012 prices", "capital stranded by carbon-driven exits",
           lambda v: both(v.w.stranded_carbon)),
    # nominal beside real (issue 8 item 7): current sector prices, non-industrial output the numeraire
    Metric("industrial_va_nominal", "yi yuan, current prices", "industrial value added at current sector prices",
           lambda v: both(v.iva_nominal)),
    Metric("manufacturing_va_nominal", "yi yuan, current prices",
           "manufacturing value added at current sector prices", lambda v: both(v.mva_nominal)),
    Metric("gdp_nominal", "yi yuan, current prices", "GDP at current prices (non-industrial output is the numeraire)",
           lambda v: both(v.iva_nominal + v.w.services)),
    Metric("manufacturing_share_gdp_nominal", "share of GDP", "manufacturing value added / GDP, current prices",
           lambda v: ratio(v.mva_nominal, v.iva_nominal + v.w.services)),
    Metric("industrial_deflator", "2012 = 1", "implicit industrial value-added deflator (nominal / real)",
           lambda v: ratio(v.iva_nominal, v.iva)),
    Metric("energy_intensive_va", "yi yuan, 2012 prices", "energy-intensive industry real value added",
           lambda v: both(v.sector_va("energy_intensive"))),
    Metric("high_tech_va", "yi yuan, 2012 prices", "high-tech industry real value added",
           lambda v: both(v.sector_va("high_tech"))),
    Metric("college_wage_premium", "ratio", "mean wage of employed high-skill / general workers",
           lambda v: v.mean_wage(HIGH) / np.maximum(v.mean_wage(1 - HIGH), 1e-12)),
    # people (cohort-component demography, housing; issue 9 items 2, 6, 7)
    Metric("births", "thousand people/yr", "live births", lambda v: both(v.w.demog.births) / 1e3),
    Metric("deaths", "thousand people/yr", "deaths", lambda v: both(v.w.demog.deaths) / 1e3),
    Metric("children_share", "share of population", "residents aged 0-14",
           lambda v: ratio(v.w.demog.dep[:, :15].sum(axis=(1, 2)), v.w.population)),
    Metric("old_age_share", "share of population", "residents aged 65 and over",
           lambda v: ratio(v.w.demog.dep[:, 65:].sum(axis=(1, 2)), v.w.population)),
    Metric("net_migration_young", "thousand people/yr", "net inflow of young workers (20-34)",
           lambda v: both(v.ys["talent_in_young"] - v.ys["talent_out_young"]) / 1e3),
    Metric("housing_price", "index, 2012 = 1", "housing price index (population x income, Helpman 1998)",
           lambda v: np.append(v.w.housing_price, np.average(v.w.housing_price, weights=v.w.population))),
)
# stylised facts of firm dynamics (facts.py; printed by `geese facts`)
METRICS += tuple(Metric(name, unit, meaning, lambda v, name=name: v.facts[name], may_be_undefined=True)
                 for name, (unit, meaning) in FACT_METRICS.items())
BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
MAY_BE_UNDEFINED: frozenset[str] = frozenset(m.name for m in METRICS if m.may_be_undefined)
if len(BY_NAME) != len(METRICS):
    raise ValueError("metric names must be unique")
