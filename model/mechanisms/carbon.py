"""Carbon: emissions, the grid's decarbonisation, carbon cost and stranded assets.

    e_i     = S_i (d_i + p_i g_r,t)                  kt CO2; S_i value added (million yuan)
    g_r,t   = g_r,2012 (1 - nf_t) / (1 - nf_2012)    regional grid intensity falls as non-fossil rises
    nf_t    = linear through carbon.nonfossil_share_2012 (2012) and carbon.nonfossil_share_2031 (2031),
              same slope after 2031, capped at carbon.nonfossil_share_cap (0.95)
    d_i,t   = d_i,t-1 (1 - carbon.efficiency_gain)   own fuel and process intensity
    cost_i  = P_t (1 - free) [s covered] e_i         carbon price lever; indirect emissions are
                                                     charged too (power-sector costs pass through)

In 2012 the industrial share carbon.industrial_share_of_co2 of each region's CO2 (data file) is
spread over its firms by carbon.relative_intensity and split into direct and electricity parts by
carbon.electricity_share; the rest is non-industrial: proportional to non-industrial output, scaled by
(g_t / g_2012)^carbon.nonindustrial_grid_elasticity (0.5: half of it is electricity) and by
(1 - efficiency_gain)^(t - 2012).
Capital of firms that exit is recorded as stranded (capital ledger: K = K_-1 (1 - delta) + I - stranded).
"""

from __future__ import annotations

import numpy as np

from .. import CARBON_COST_UNIT, KT_PER_MT, SECTORS
from ..agents import Firms
from ..parameters import ParamSet
from ..scenario import FIRST_YEAR
from ..world import Sim, World

PARAMETERS = ("carbon.relative_intensity", "carbon.electricity_share", "carbon.industrial_share_of_co2",
              "carbon.nonfossil_share_2012", "carbon.nonfossil_share_2031", "carbon.efficiency_gain",
              "carbon.nonfossil_share_cap", "carbon.nonindustrial_grid_elasticity")


def init(model: Sim) -> None:
    """2012: the industrial share of each region's CO2 spread over its firms by relative sector intensity
    (direct and electricity parts), the grid intensity that implies, and the non-industrial intensity."""
    P, d, w, f = model.params, model.data, model.world, model.firms
    R = d.n
    rel = P.by("carbon.relative_intensity", SECTORS)[f.sector]
    elec = P.by("carbon.electricity_share", SECTORS)[f.sector]
    base = np.bincount(f.region, weights=w.firm_weight * f.value_added * rel, minlength=R)
    w.grid_2012 = P["carbon.industrial_share_of_co2"] * d.co2_2012 * KT_PER_MT / base  # kt per million yuan
    f.data["direct_intensity"] = w.grid_2012[f.region] * rel * (1 - elec)
    f.data["power_use"] = rel * elec
    w.grid = w.grid_2012.copy()
    w.emissions_firm = f.value_added * intensity(f.direct_intensity, f.power_use, w.grid, f.region)
    w.nonind_co2_intensity = (1 - P["carbon.industrial_share_of_co2"]) * d.co2_2012 / w.services
    w.carbon_cost = np.zeros(R)


def step(model: Sim) -> None:
    """The grid decarbonises; firms' own fuel and process intensity falls."""
    P, w, f = model.params, model.world, model.firms
    w.grid = w.grid_2012 * grid_factor(model.year, P["carbon.nonfossil_share_2012"], P["carbon.nonfossil_share_2031"],
                                       P["carbon.nonfossil_share_cap"])
    f.data["direct_intensity"] = f.direct_intensity * (1.0 - P["carbon.efficiency_gain"])


def nonindustrial_co2(w: World, P: ParamSet, year: int) -> np.ndarray:
    """[region] non-industrial CO2 (Mt): 2012 intensity x non-industrial output, following the grid as
    (g_t / g_2012)^carbon.nonindustrial_grid_elasticity (0.5: half is electricity), less efficiency gains."""
    return w.nonind_co2_intensity * w.services * (w.grid / w.grid_2012) ** P["carbon.nonindustrial_grid_elasticity"] * (
        1 - P["carbon.efficiency_gain"]) ** (year - FIRST_YEAR)


def emissions(firms: Firms, w: World, P: ParamSet, year: int) -> np.ndarray:
    """[region] CO2 emissions (Mt): industrial (firms' value added x intensity) plus non-industrial."""
    f = firms
    industrial = np.bincount(f.region, weights=f.weight * w.emissions_firm, minlength=len(w.grid)) / KT_PER_MT
    return industrial + nonindustrial_co2(w, P, year)


def nonfossil_share(year: int, share_2012: float, share_2031: float, cap: float) -> float:
    slope = (share_2031 - share_2012) / (2031 - 2012)
    return float(min(cap, share_2012 + slope * (year - 2012)))


def grid_factor(year: int, share_2012: float, share_2031: float, cap: float) -> float:
    """Grid intensity relative to 2012."""
    return (1.0 - nonfossil_share(year, share_2012, share_2031, cap)) / (1.0 - share_2012)


def intensity(direct: np.ndarray, power_use: np.ndarray, grid: np.ndarray, region: np.ndarray) -> np.ndarray:
    """kt CO2 per million yuan of value added."""
    return direct + power_use * grid[region]


def cost_per_yuan(price_by_sector: np.ndarray, sector: np.ndarray, intens: np.ndarray) -> np.ndarray:
    """Carbon cost per yuan of sales: yuan/t x kt per million yuan = 1e-3 x price x intensity."""
    return CARBON_COST_UNIT * price_by_sector[sector] * intens
