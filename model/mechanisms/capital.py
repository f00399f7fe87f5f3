"""Capital allocation: a national pool of investable funds flows to regions, sectors and firms.

    F_t     = (capital.savings_rate + capital.foreign_share) x GDP_t-1           the national pool
    I_t     = omega F_t (R_t-1 / R_2012)^psi                                     industry's draw on it
    R       = (profit + user cost x K) / K, the gross return on industrial capital
    omega   set in 2012 so that I = (depreciation + expected demand growth) x K
    rho_rs  = Pi_rs / K_rs - premium_rs                                        expected return
    premium_rs = capital.carbon_risk_premium x (intensity_rs / intensity_nat) x P_t / 100
    share_rs = K_rs exp(k rho_rs) / sum K exp(k rho)                           k = capital.return_sensitivity
    firm i in cell rs: share_i = K_i exp(k_f clip(pi_i / K_i - R_rs, -5, 2)) / sum_cell(...)
                       R_rs = Pi_rs / K_rs (before the premium), k_f = capital.firm_return_sensitivity

psi = capital.industry_return_elasticity: when returns fall, funds go elsewhere (services, housing,
abroad), which disciplines over-investment. Entrants are financed first out of their cell's allocation; incumbents share the rest. Capital then
follows K_i <- K_i (1 - capital.depreciation) + I_i. Financiers shun high-carbon assets (seed 000):
the premium rises with the headline carbon price and the cell's carbon intensity (financiers price the
risk that policy tightens, not today's free allocation). Industry never draws more than 90% of the pool.
"""

from __future__ import annotations

import numpy as np


def cell_shares(capital_rs: np.ndarray, returns_rs: np.ndarray, sensitivity: float) -> np.ndarray:
    ok = capital_rs > 0
    x = np.where(ok, sensitivity * returns_rs, -np.inf)
    x = x - x[ok].max() if ok.any() else x
    w = np.where(ok, capital_rs * np.exp(x), 0.0)
    return w / w.sum() if w.sum() > 0 else np.full_like(capital_rs, 1.0 / capital_rs.size)


def firm_weights(capital: np.ndarray, profit: np.ndarray, cell_return: np.ndarray, sensitivity: float) -> np.ndarray:
    x = sensitivity * (profit / np.maximum(capital, 1e-9) - cell_return)
    return capital * np.exp(np.clip(x, -5.0, 2.0))


def industry_draw(pool: float, omega: float, gross_return: float, return_2012: float, psi: float) -> float:
    """Industrial investment (same units as pool) given the gross return on capital."""
    rel = max(gross_return, 1e-6) / max(return_2012, 1e-6)
    return pool * min(omega * rel**psi, 0.9)
