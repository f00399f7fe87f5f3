"""Investment and finance: firms invest out of retained earnings plus external finance.

The national pool of investable funds caps what industry can raise:

    F_t     = (capital.savings_rate + capital.foreign_share) x GDP_t-1           the national pool
    I_t     = F_t min(omega (R_t-1 / R_2012)^psi, 0.9)                         the most industry can draw
    R       = (profit + user cost x K) / K, the gross return on industrial capital
    omega   set in 2012 so that I = (depreciation + expected demand growth) x K

psi = capital.industry_return_elasticity. Entrants are financed first (entry_exit.py), at most
capital.entrant_pool_share of I_t. Each incumbent i (region r, sector s) then chooses its investment
rate with convex adjustment costs (Hayashi 1982; Cooper and Haltiwanger 2006): replacement, the
expected growth of its sector's demand (accelerator), and its expected excess return over the 2012
hurdle, priced with the carbon-risk premium (seed 000: financiers shun high-carbon assets):

    rho_i   = pi_i / K_i - premium_rs - hurdle                              expected excess return
    premium_rs = capital.carbon_risk_premium x (intensity_rs / intensity_nat) x P_t / 100
    i*_i    = clip(delta + e_s g_t + rho_i / capital.adjustment_cost, 0, capital.max_investment_rate)

hurdle = the 2012 operating return on capital (sum pi / sum K), at which firms just replace and keep
up with demand; pi_i is last year's operating profit (after user cost, carbon and digital running
costs); e_s g_t the sector's expected demand growth. Investment is financed from internal funds first
(retained net profit, i.e. after R&D and digital adoption spending, plus the depreciation allowance),
then by external finance up to capital.external_finance x K_i a year (collateral constraint; Fazzari,
Hubbard and Petersen 1988; Kiyotaki and Moore 1997):

    internal_i = max(pi_i - intangible_i + delta K_i, 0)
    I_i        = min(i*_i K_i, internal_i + capital.external_finance K_i)

If the firms' combined demand exceeds what industry can draw, external finance is rationed first (pro
rata), then internal funds; funds industry does not want stay in the rest of the economy. Capital
follows K_i <- K_i (1 - delta) + I_i. There is no proportional allocation by K exp(profit gap): a
firm's capital grows at a bounded rate set by its own return, so capital does not snowball.
The cell's expected return (rho_rs + hurdle, net of the premium) is what entrants compare across regions.
"""

from __future__ import annotations

import numpy as np


def industry_draw(pool: float, omega: float, gross_return: float, return_2012: float, psi: float) -> float:
    """Most industrial investment (same units as pool) given the gross return on capital."""
    rel = max(gross_return, 1e-6) / max(return_2012, 1e-6)
    return pool * min(omega * rel**psi, 0.9)


def carbon_premium(premium: float, intensity_rs: np.ndarray, intensity_nat: float, carbon_price: float) -> np.ndarray:
    """[cell] carbon-risk premium on the required return (1/yr)."""
    return premium * intensity_rs / max(intensity_nat, 1e-12) * carbon_price / 100.0


def desired_rate(excess_return: np.ndarray, depreciation: float, demand_growth: np.ndarray,
                 adjustment_cost: float, max_rate: float) -> np.ndarray:
    """Investment rate I/K with quadratic adjustment costs: replacement + accelerator + excess return."""
    return np.clip(depreciation + demand_growth + excess_return / adjustment_cost, 0.0, max_rate)


def internal_funds(profit: np.ndarray, intangible: np.ndarray, capital: np.ndarray, depreciation: float) -> np.ndarray:
    """Retained net profit plus the depreciation allowance (never negative)."""
    return np.maximum(profit - intangible + depreciation * capital, 0.0)


def finance(desired: np.ndarray, internal: np.ndarray, external_cap: np.ndarray, weight: np.ndarray,
            available: float) -> np.ndarray:
    """Investment per firm: desired spending within internal funds plus capped external finance, with
    external finance rationed first, then internal funds, so that sum(weight x I) <= available."""
    inv = np.minimum(desired, internal + external_cap)
    own = np.minimum(inv, internal)
    ext = inv - own
    tot_own, tot_ext = float(np.sum(weight * own)), float(np.sum(weight * ext))
    available = max(available, 0.0)
    if tot_own + tot_ext <= available:
        return inv
    if tot_own <= available:
        return own + ext * ((available - tot_own) / max(tot_ext, 1e-300))
    return own * (available / max(tot_own, 1e-300))
