"""Housing: the price of residential space rises with a region's population and income (Helpman 1998).

Residents spend a share s_h of income on housing (Cobb-Douglas; Helpman 1998, Roback 1982). The housing
stock answers the price with supply elasticity eps_s: H_r = H_r,2012 (p_r / p_r,2012)^eps_s. Housing
spending s_h Y_r must equal p_r H_r, where Y_r is regional income (population x income per head; the
model uses regional GDP), so

    p_r,t / p_r,2012 = (Y_r,t / Y_r,2012)^(1 / (1 + eps_s))                  housing price index

and the local cost of living (tradables are the numeraire) is P_r = (p_r / p_r,2012)^s_h. A worker's
real wage -- the wage net of housing cost in the Cobb-Douglas sense, i.e. the consumption it buys after
paying for housing at local prices -- is

    omega_rk = w_rk / P_r,   ln omega_rk = ln w_rk - s_h / (1 + eps_s) ln(Y_r,t / Y_r,2012).

Regional differences in 2012 housing costs are part of the 2012 amenity term (the spatial equilibrium
the migration choice starts from); only changes since 2012 move people. Housing is the congestion force
that offsets agglomeration: a region that grows in people or income gets dearer to live in.

The functions are pure functions of region state, so the wage setting can call ``real_wage`` too.
"""

from __future__ import annotations

import numpy as np

from ..world import Sim

PARAMETERS = ("housing.expenditure_share", "housing.supply_elasticity")


def init(model: Sim) -> None:
    """2012: price index 1 everywhere (2012 housing-cost gaps are in the 2012 amenities)."""
    w = model.world
    w.housing_price = np.ones(model.data.n)
    w.cost_of_living = np.ones(model.data.n)


def step(model: Sim) -> None:
    """End of the year: prices from this year's regional GDP (read by next year's migration and wages)."""
    P, w = model.params, model.world   # housing.expenditure_share = 0 switches the mechanism off
    w.housing_price = price_index(w.gdp, model.data.gdp_2012, P["housing.supply_elasticity"])
    w.cost_of_living = cost_of_living(w.housing_price, P["housing.expenditure_share"])


def price_index(income: np.ndarray, income_2012: np.ndarray, supply_elasticity: float) -> np.ndarray:
    """p_r,t / p_r,2012 = (Y_r,t / Y_r,2012)^(1 / (1 + eps_s))."""
    ratio = np.maximum(np.asarray(income, float), 1e-12) / np.maximum(np.asarray(income_2012, float), 1e-12)
    return ratio ** (1.0 / (1.0 + supply_elasticity))


def cost_of_living(price: np.ndarray, housing_share: float) -> np.ndarray:
    """P_r = (p_r / p_r,2012)^s_h: the local price index (tradables = 1)."""
    return np.asarray(price, float) ** housing_share


def real_wage(wage: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """omega_rk = w_rk / P_r for ``wage`` [region, skill] (or [region])."""
    wage = np.asarray(wage, float)
    cost = np.asarray(cost, float)
    return wage / (cost[:, None] if wage.ndim == 2 else cost)
