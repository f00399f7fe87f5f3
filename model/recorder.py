"""The recorder: every year, every region (plus the nation), the model's metrics and flows.

Metrics are computed from agent columns and region state after each step; flows are the year's
origin -> destination matrices for firms and jobs (by sector) and talent (by skill).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import SECTORS, SKILLS
from .facts import FACT_METRICS, FactsState, firm_facts

if TYPE_CHECKING:
    from .model import FlyingGeeseModel

# metric -> (unit, description). The first block is the engine issue's contract.
METRICS: dict[str, tuple[str, str]] = {
    "population": ("million people", "resident population"),
    "talent_high": ("million people", "high-skill (tertiary) workforce"),
    "net_migration_high": ("thousand people/yr", "net inflow of high-skill talent"),
    "gdp": ("yi yuan, 2012 prices", "real GDP (industry + rest of the economy)"),
    "gdp_growth": ("1/yr", "real GDP growth"),
    "industrial_va": ("yi yuan, 2012 prices", "industrial value added"),
    "manufacturing_va": ("yi yuan, 2012 prices", "manufacturing value added"),
    "rd_spend": ("yi yuan, 2012 prices", "R&D spending, enterprises + public"),
    "rd_intensity": ("share of GDP", "R&D spending / GDP"),
    "wage_mean": ("yuan/yr, 2012 prices", "mean wage of the employed (all employers, not only non-private units)"),
    "firms": ("firms", "above-size industrial firms"),
    "firms_high_tech": ("firms", "high-tech firms"),
    "digital_adoption": ("share of firms", "firms that have gone digital"),
    "emissions": ("Mt CO2", "CO2 emissions"),
    "capital_stock": ("yi yuan, 2012 prices", "industrial capital stock"),
    "investment": ("yi yuan, 2012 prices", "industrial investment"),
    "relocations_in": ("firms/yr", "firms relocating into the region"),
    "relocations_out": ("firms/yr", "firms relocating out of the region"),
    # extras
    "net_migration_general": ("thousand people/yr", "net inflow of general workers"),
    "talent_general": ("million people", "general (non-tertiary) workforce"),
    "unemployment_rate": ("share of workforce", "unemployment rate"),
    "manufacturing_share_gdp": ("share of GDP", "manufacturing value added / GDP"),
    "industrial_va_share": ("share of national", "region's share of national industrial value added"),
    "high_skill_share": ("share of workforce", "high-skill share of the workforce"),
    "digital_firms": ("firms", "firms that have gone digital"),
    "stranded_capital": ("yi yuan, 2012 prices", "capital stranded by exits"),
    "carbon_cost": ("yi yuan, 2012 prices", "carbon cost paid by firms"),
    "policy_cost": ("yi yuan, 2012 prices", "public spending on the levers"),
    "entries": ("firms/yr", "new firms"),
    "exits": ("firms/yr", "firms exiting"),
    "innovations": ("firms/yr", "firms with a successful innovation"),
}
METRICS.update(FACT_METRICS)  # stylised facts of firm dynamics (model/facts.py)
CORE_METRICS = tuple(list(METRICS)[:18])


class Recorder:
    """Holds [year, region + national, metric] values and yearly flow matrices."""

    def __init__(self, regions: tuple[str, ...], first_year: int, last_year: int):
        self.regions = regions
        self.years = list(range(first_year, last_year + 1))
        self.metrics = list(METRICS)
        n_y, n_r = len(self.years), len(regions)
        self.values = np.full((n_y, n_r + 1, len(self.metrics)), np.nan)
        self.flows = {
            "firms": np.zeros((n_y, len(SECTORS), n_r, n_r)),
            "jobs": np.zeros((n_y, len(SECTORS), n_r, n_r)),
            "talent": np.zeros((n_y, len(SKILLS), n_r, n_r)),
        }
        self.facts_state = FactsState()

    def record(self, m: FlyingGeeseModel) -> None:
        yi = self.years.index(m.year)
        f, t, ys = m.firms, m.talent, m.year_stats
        R = len(self.regions)
        P = m.params

        def reg(weights: np.ndarray, by: np.ndarray) -> np.ndarray:
            return np.bincount(by, weights=weights, minlength=R)

        def both(x: np.ndarray) -> np.ndarray:
            return np.append(x, x.sum())

        def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
            num, den = both(num), both(den)
            return num / np.maximum(den, 1e-12)

        pool, employed, wage_bill = m.talent_totals()
        workforce, high = pool.sum(axis=1), pool[:, 0]
        iva = reg(f.weight * f.value_added, f.region) / 100.0
        ei_va = reg(f.weight * f.value_added * (f.sector == 0), f.region) / 100.0
        mva = iva - P["production.nonmanufacturing_share_energy"] * ei_va
        gdp = m.gdp
        rd = reg(f.weight * m.rd_spend, f.region) / 100.0 + m.public_rd
        nonind_co2 = m.nonind_co2_intensity * m.services * (m.grid / m.grid_2012) ** 0.5 * (
            1 - P["carbon.efficiency_gain"]) ** (m.year - 2012)
        emis = reg(f.weight * m.emissions_firm, f.region) / 1000.0 + nonind_co2
        n_firms = reg(f.weight, f.region)
        digital_n = reg(f.weight * f.digital, f.region)
        growth = np.full(R + 1, np.nan)
        if m.year > 2012:
            growth = both(gdp) / both(m.gdp_prev) - 1.0
        iva_share = both(iva) / iva.sum()
        vals = {
            "population": both(m.population) / 1e6,
            "talent_high": both(high) / 1e6,
            "net_migration_high": both(ys["talent_in_high"] - ys["talent_out_high"]) / 1e3,
            "gdp": both(gdp),
            "gdp_growth": growth,
            "industrial_va": both(iva),
            "manufacturing_va": both(mva),
            "rd_spend": both(rd),
            "rd_intensity": ratio(rd, gdp),
            "wage_mean": ratio(wage_bill, employed),
            "firms": both(n_firms),
            "firms_high_tech": both(reg(f.weight * (f.sector == 3), f.region)),
            "digital_adoption": ratio(digital_n, n_firms),
            "emissions": both(emis),
            "capital_stock": both(reg(f.weight * f.capital, f.region) / 100.0),
            "investment": both(ys["investment"]),
            "relocations_in": both(ys["reloc_in"]),
            "relocations_out": both(ys["reloc_out"]),
            "net_migration_general": both((ys["talent_in"] - ys["talent_in_high"])
                                          - (ys["talent_out"] - ys["talent_out_high"])) / 1e3,
            "talent_general": both(workforce - high) / 1e6,
            "unemployment_rate": 1.0 - ratio(employed, workforce),
            "manufacturing_share_gdp": ratio(mva, gdp),
            "industrial_va_share": iva_share,
            "high_skill_share": ratio(high, workforce),
            "digital_firms": both(digital_n),
            "stranded_capital": both(ys["stranded"]),
            "carbon_cost": both(m.carbon_cost),
            "policy_cost": both(ys["policy_cost"]),
            "entries": both(ys["entries"]),
            "exits": both(ys["exits"]),
            "innovations": both(getattr(m, "innovations", np.zeros(R))),
        }
        vals.update(firm_facts(m, self.facts_state, R))
        # Relocations net out nationally; the national row counts moves once.
        vals["relocations_in"][-1] = vals["relocations_out"][-1] = ys["reloc_in"].sum()
        for j, name in enumerate(self.metrics):
            self.values[yi, :, j] = vals[name]
        self.flows["firms"][yi] = m.flows_firms
        self.flows["jobs"][yi] = m.flows_jobs
        self.flows["talent"][yi] = m.flows_talent

    def series(self, metric: str, region: str = "national") -> np.ndarray:
        r = len(self.regions) if region == "national" else self.regions.index(region)
        return self.values[:, r, self.metrics.index(metric)]
