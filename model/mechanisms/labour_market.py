"""Labour markets by region and skill: demand, supply, rationing, wages, who is employed.

For region r and skill k (high, general), with people in persons and wages in yuan per year:

    D_rk = sum_i w_i L*_ik + nu_rk N_r / w_rk         industry's cost-minimising demand + other sectors
    S_rk = sum_j w_j [talent j in r with skill k]     the local pool (working age)
    E_rk = min(D_rk, (1 - u) S_rk)                    employment; u = labour.natural_unemployment
    phi_rk = E_rk / D_rk                              every employer is rationed by the same factor
    w_rk,t+1 = w_rk,t (D_rk / ((1 - u) S_rk))^eps     eps = labour.wage_adjustment

nu_rk (the labour share of non-industrial output) is set so 2012 employment is (1 - u) S. Firms hire
from the local pool: each talent agent is employed with probability e_rk = E_rk / S_rk (one uniform
draw per agent) and then earns w_rk x ability x (1 + wage top-up).
"""

from __future__ import annotations

import numpy as np


def pool(region: np.ndarray, skill: np.ndarray, weight: np.ndarray, n_regions: int) -> np.ndarray:
    """[region, skill] weighted headcount."""
    idx = region.astype(np.int64) * 2 + skill
    return np.bincount(idx, weights=weight, minlength=n_regions * 2).reshape(n_regions, 2)


def clear(demand: np.ndarray, supply: np.ndarray, unemployment: float) -> tuple[np.ndarray, np.ndarray]:
    """Employment [r, k] and the rationing factor applied to every employer."""
    available = (1.0 - unemployment) * supply
    employment = np.minimum(demand, available)
    ration = np.where(demand > 0, employment / np.maximum(demand, 1e-12), 1.0)
    return employment, ration


def update_wages(wage: np.ndarray, demand: np.ndarray, supply: np.ndarray, unemployment: float,
                 eps: float) -> np.ndarray:
    """Wages move with excess demand; capped at +/-30% a year to keep one bad year from exploding."""
    ratio = np.maximum(demand, 1e-12) / np.maximum((1.0 - unemployment) * supply, 1e-12)
    return wage * np.clip(ratio ** eps, 0.7, 1.3)


def assign_jobs(rng: np.random.Generator, cell: np.ndarray, employment_rate: np.ndarray) -> np.ndarray:
    """Who holds a job this year: one uniform draw per agent against its (region, skill) employment rate.

    ``cell`` is region * 2 + skill for every agent; ``employment_rate`` is [region, skill].
    """
    return rng.random(len(cell)) < employment_rate.ravel()[cell]


def clearing_wage(wage: np.ndarray, demand: np.ndarray, supply: np.ndarray, unemployment: float,
                  demand_elasticity: float) -> np.ndarray:
    """Wage at which labour demand (marginal revenue products) meets natural employment, to first order:
    w^c = w (D / ((1 - u*) S))^(1/eps_D), eps_D the (absolute) wage elasticity of labour demand."""
    ratio = np.maximum(demand, 1e-12) / np.maximum((1.0 - unemployment) * supply, 1e-12)
    return wage * ratio ** (1.0 / demand_elasticity)


def wage_curve(wage: np.ndarray, demand: np.ndarray, supply: np.ndarray, unemployment_rate: np.ndarray,
               natural: float, demand_elasticity: float, adjustment: float, curve: float) -> np.ndarray:
    """Next year's wages: partial adjustment towards the marginal-product wage plus a regional wage curve.

    ln w_t+1 = (1 - lam) ln w_t + lam ln w^c_t - beta ln(u_t / u*)
    (Blanchard & Katz 1999 form of the Blanchflower & Oswald 1994 wage curve; beta ~ 0.1), u_t the
    region-skill unemployment rate this year (>= u*). No clip: a demand gap moves the wage by
    lam/eps_D of its log.
    """
    wc = clearing_wage(wage, demand, supply, natural, demand_elasticity)
    slack = np.log(np.maximum(unemployment_rate, natural) / max(natural, 1e-9))
    return np.exp((1.0 - adjustment) * np.log(wage) + adjustment * np.log(wc) - curve * slack)
