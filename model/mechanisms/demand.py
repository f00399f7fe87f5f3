"""Demand: national sector demand, firm market shares, and the non-industrial economy.

National real demand for sector s follows the national growth path g_t (data file to 2023, then
linear to demand.gdp_growth_2035), scaled by the sector's income elasticity e_s, with one-year shocks:

    D_s,t = Dtrend_s,t (1 + shock_s,t),    Dtrend_s,t = Dtrend_s,t-1 (1 + e_s g_t)

Firms win shares by competitiveness: the sector price p_s clears the market each year,

    sum_i w_i a_r Y_i(p_s) = Dtrend_s,t (1 + shock_s,t) p_s^(-eta)

with Y_i(p) each firm's profit-maximising supply (production.py) and eta = demand.price_elasticity.
Cheaper, more productive firms supply more at any price; the price falls when capacity outgrows
demand and rises when it lags. Real value added is a_r Y_i at base prices (p = 1 in 2012). Market access a_r converges towards the
best-connected region as transport infrastructure spreads inland (high-speed rail, the Western
Land-Sea Corridor, China-Europe trains; seeds 002/004):

    a_r,t = a_max - (a_max - a_r,2012) (1 - demand.access_convergence)^(t - 2012)

The non-industrial part of GDP (services, agriculture, construction) is aggregate. Nationally it
grows so that GDP follows g_t: N_t = N_t-1 (1 + e_N g_t), e_N = (1 - i e_ind)/(1 - i) with i the
industrial share of GDP and e_ind its demand-weighted elasticity. Regionally it is shared by

    Omega_r = base_r * Pop_r * (IVA_r / Pop_r)^eta_inc * h_r^eta_h,    N_r = N_t Omega_r / sum Omega

with base_r set so the 2012 split matches the data (eta_inc = demand.services_income_elasticity,
eta_h = demand.services_talent_elasticity): a local multiplier from industry and talent.
"""

from __future__ import annotations

import numpy as np


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


def sector_supply(price: float, scale: np.ndarray, access: np.ndarray, charges: np.ndarray,
                  expo: np.ndarray) -> tuple[float, float]:
    """Weighted real value added supplied at ``price`` and its derivative w.r.t. log price.

    Each firm supplies a_i Y_i = scale_i (p a_i - tau_i)^expo_i with expo = (1 - alpha)/alpha and
    scale_i gathering weight, access, capital, TFP, wages and friction.
    """
    gross = price * access - charges
    pos = gross > 0
    g = np.where(pos, gross, 1.0)
    level = np.where(pos, scale * g ** expo, 0.0)
    slope = np.where(pos, level * expo * price * access / g, 0.0)
    return float(level.sum()), float(slope.sum())


def clear_price(scale: np.ndarray, access: np.ndarray, charges: np.ndarray, expo: np.ndarray,
                demand_level: float, eta: float, guess: float) -> float:
    """The price p with supply(p) = demand_level p^-eta: Newton on log p, bisection as a safeguard."""
    if demand_level <= 0 or scale.sum() <= 0:
        return guess
    lo, hi = -12.0, 12.0
    lp = float(np.log(guess))
    for _ in range(60):
        s, ds = sector_supply(np.exp(lp), scale, access, charges, expo)
        f = np.log(max(s, 1e-300)) - np.log(demand_level) + eta * lp
        if f > 0:
            hi = min(hi, lp)
        else:
            lo = max(lo, lp)
        if abs(f) < 1e-10:
            break
        fprime = (ds / s if s > 0 else 0.0) + eta
        step = lp - f / fprime if fprime > 0 else 0.5 * (lo + hi)
        lp = step if lo < step < hi else 0.5 * (lo + hi)
    return float(np.exp(lp))


def market_access(access_2012: np.ndarray, convergence: float, years: int) -> np.ndarray:
    """Market access with the gap to the best-connected region closing at ``convergence`` a year."""
    best = access_2012.max()
    return best - (best - access_2012) * (1.0 - convergence) ** years


def services_elasticity(industrial_share: float, industry_elasticity: float) -> float:
    """Growth elasticity of non-industrial output that keeps GDP on the national path."""
    return (1.0 - industrial_share * industry_elasticity) / (1.0 - industrial_share)


def services_attraction(population: np.ndarray, industrial_va: np.ndarray, high_share: np.ndarray,
                        eta_income: float, eta_talent: float) -> np.ndarray:
    """Unnormalised regional pull of non-industrial activity (multiply by the calibrated base)."""
    per_head = np.maximum(industrial_va, 1e-9) / np.maximum(population, 1e-9)
    return population * per_head ** eta_income * np.maximum(high_share, 1e-9) ** eta_talent
