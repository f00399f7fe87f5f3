"""Demand: national sector demand, firm market shares, and the non-industrial economy.

National real demand for sector s follows the national growth path g_t (data file to 2023, then
linear to demand.gdp_growth_2035), scaled by the sector's income elasticity e_s, with one-year shocks:

    D_s,t = Dtrend_s,t (1 + shock_s,t),    Dtrend_s,t = Dtrend_s,t-1 (1 + e_s g_t)

Firms win shares by competitiveness: the sector price p_s clears the market each year,

    sum_i w_i a_r Y_i(p_s) = Dtrend_s,t (1 + shock_s,t) p_s^(-eta)

with Y_i(p) each firm's profit-maximising supply (production.py) and eta = demand.price_elasticity.
Cheaper, more productive firms supply more at any price; the price falls when capacity outgrows
demand and rises when it lags. Real value added is a_r Y_i at base prices (p = 1 in 2012). Market
access a_r follows each region's market potential (geography.py, set in location.step).

The non-industrial part of GDP (services, agriculture, construction) is aggregate. Nationally it
grows so that GDP follows g_t: N_t = N_t-1 (1 + e_N g_t), e_N = (1 - i e_ind)/(1 - i) with i the
industrial share of GDP and e_ind its demand-weighted elasticity. Regionally it is shared by

    Omega_r = base_r * Pop_r * (IVA_r / Pop_r)^eta_inc * h_r^eta_h,    N_r = N_t Omega_r / sum Omega

with base_r set so the 2012 split matches the data (eta_inc = demand.services_income_elasticity,
eta_h = demand.services_talent_elasticity): a local multiplier from industry and talent.
"""

from __future__ import annotations

import numpy as np

from .. import HIGH, MILLION, SECTORS, YI
from ..errors import InputError
from ..world import Sim

PARAMETERS = ("demand.gdp_growth_2035", "demand.income_elasticity", "demand.services_income_elasticity",
              "demand.services_talent_elasticity", "innovation.public_rd_growth_elasticity")


def init(model: Sim) -> None:
    """2012: sector demand, industrial value added, the non-industrial economy (GDP less industry) and
    the base of its regional pull."""
    P, d, w, f = model.params, model.data, model.world, model.firms
    R, S = d.n, len(SECTORS)
    w.sector_demand_trend = np.bincount(f.sector, weights=w.firm_weight * f.value_added, minlength=S)
    w.iva_r = np.bincount(f.region, weights=w.firm_weight * f.value_added, minlength=R) / YI
    w.services = d.gdp_2012 - w.iva_r
    if np.any(w.services <= 0):
        raise InputError("<parameters>", "demand.industrial_va_share_2012", w.iva_r.round(1).tolist(),
                         "industrial value added must stay below each region's GDP")
    w.gdp = d.gdp_2012.copy()
    w.gdp_prev = w.gdp.copy()
    w.population = d.population_2012 * MILLION
    attraction = services_attraction(w.population, w.iva_r, w.h_share, P["demand.services_income_elasticity"],
                                     P["demand.services_talent_elasticity"])
    w.services_base = (w.services / w.services.sum()) / (attraction / attraction.sum())


def step(model: Sim) -> None:
    """This year's growth, sector demand (with shocks), non-industrial output by region, public R&D."""
    P, w = model.params, model.world
    g = growth_path(model.data.gdp_growth, P["demand.gdp_growth_2035"], model.year)
    w.growth = g
    eps = P.by("demand.income_elasticity", SECTORS)
    w.sector_demand_trend = w.sector_demand_trend * (1.0 + eps * g)
    w.sector_demand = w.sector_demand_trend * (1.0 + model.policy.demand_shock)
    w.services = services(model, g)
    # public research (institutes, universities) grows with GDP and is shared by high-skill talent
    supply = w.labour_supply
    growth_pub = 1.0 + P["innovation.public_rd_growth_elasticity"] * g
    w.public_rd = w.public_rd.sum() * growth_pub * supply[:, HIGH] / supply[:, HIGH].sum()


def services(model: Sim, g: float) -> np.ndarray:
    """[region] non-industrial output this year (yi yuan), from last year's industry and services."""
    P, w = model.params, model.world
    eps = P.by("demand.income_elasticity", SECTORS)
    iva_s = w.va_rs_prev.sum(axis=0)
    ind_share = w.iva_r.sum() / (w.iva_r.sum() + w.services.sum())
    e_ind = (iva_s * eps).sum() / max(iva_s.sum(), 1e-9)
    e_n = services_elasticity(ind_share, e_ind)
    national = w.services.sum() * (1.0 + e_n * g)
    pull = w.services_base * services_attraction(
        w.population, w.iva_r, w.h_share, P["demand.services_income_elasticity"],
        P["demand.services_talent_elasticity"])
    return national * pull / pull.sum()


def growth_path(data_growth: dict[int, float], growth_2035: float, year: int) -> float:
    """National real GDP growth in ``year``: data where known, then linear to the 2035 value, flat after."""
    if year in data_growth:
        return data_growth[year]
    last = max(data_growth)
    if year < min(data_growth):
        return data_growth[min(data_growth)]
    g0 = data_growth[last]
    if year >= 2035:
        return growth_2035
    return g0 + (growth_2035 - g0) * (year - last) / (2035 - last)


def sector_supply(prices: np.ndarray, sector: np.ndarray, scale: np.ndarray, access: np.ndarray,
                  charges: np.ndarray, expo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[sector] real value added supplied at ``prices`` and its derivative w.r.t. log price.

    Each firm supplies a_i Y_i = scale_i (p_s a_i - tau_i)^expo_i, expo = (1 - alpha_s)/alpha_s, with
    scale_i gathering weight, access, capital, TFP, wages and friction. Firms with a non-positive
    net price supply nothing.
    """
    n_s = len(prices)
    p = prices[sector]
    gross = p * access - charges
    g = np.maximum(gross, 1e-300)
    level = np.where(gross > 0, scale * np.exp(expo * np.log(g)), 0.0)
    slope = level * expo * p * access / g
    return (np.bincount(sector, weights=level, minlength=n_s), np.bincount(sector, weights=slope, minlength=n_s))


def clear_prices(sector: np.ndarray, scale: np.ndarray, access: np.ndarray, charges: np.ndarray,
                 expo: np.ndarray, demand_level: np.ndarray, eta: float, guess: np.ndarray) -> np.ndarray:
    """[sector] prices p with supply_s(p_s) = D_s p_s^-eta.

    Newton on log p for all sectors at once, with a bisection bracket per sector as a safeguard;
    excess supply rises monotonically in log p. Firms without per-unit charges supply
    scale_i a_i^expo p^expo, so their part is a closed form per sector; only charged firms (carbon,
    digital running costs) are evaluated at every iteration.
    """
    n_s = len(demand_level)
    sector_expo = np.zeros(n_s)
    sector_expo[sector] = expo  # one exponent per sector
    free = charges <= 0
    base = np.bincount(sector[free], weights=scale[free] * access[free] ** expo[free], minlength=n_s)
    c = ~free
    c_sector, c_scale, c_access, c_charges, c_expo = sector[c], scale[c], access[c], charges[c], expo[c]
    lp = np.log(guess).astype(np.float64)
    lo, hi = np.full(n_s, -12.0), np.full(n_s, 12.0)
    active = (demand_level > 0) & (np.bincount(sector, weights=scale, minlength=n_s) > 0)
    for _ in range(60):
        p = np.exp(lp)
        level_free = base * p**sector_expo
        s_c, ds_c = sector_supply(p, c_sector, c_scale, c_access, c_charges, c_expo)
        s = level_free + s_c
        ds = level_free * sector_expo + ds_c
        f = np.log(np.maximum(s, 1e-300)) - np.log(np.maximum(demand_level, 1e-300)) + eta * lp
        f = np.where(active, f, 0.0)
        hi = np.where(f > 0, np.minimum(hi, lp), hi)
        lo = np.where(f <= 0, np.maximum(lo, lp), lo)
        if np.all(np.abs(f) < 1e-9):
            break
        fprime = np.where(s > 0, ds / np.maximum(s, 1e-300), 0.0) + eta
        step = np.where(fprime > 0, lp - f / np.where(fprime > 0, fprime, 1.0), 0.5 * (lo + hi))
        inside = (lo < step) & (step < hi)
        lp = np.where(np.abs(f) < 1e-9, lp, np.where(inside, step, 0.5 * (lo + hi)))
    return np.exp(lp)


def services_elasticity(industrial_share: float, industry_elasticity: float) -> float:
    """Growth elasticity of non-industrial output that keeps GDP on the national path."""
    return (1.0 - industrial_share * industry_elasticity) / (1.0 - industrial_share)


def services_attraction(population: np.ndarray, industrial_va: np.ndarray, high_share: np.ndarray,
                        eta_income: float, eta_talent: float) -> np.ndarray:
    """Unnormalised regional pull of non-industrial activity (multiply by the calibrated base)."""
    per_head = np.maximum(industrial_va, 1e-9) / np.maximum(population, 1e-9)
    return population * per_head ** eta_income * np.maximum(high_share, 1e-9) ** eta_talent
