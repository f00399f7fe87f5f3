"""Land: a price that rises with local use along an upward-sloping supply curve (Helpman 1998).

Industrial land. Each region supplies industrial land along a constant-elasticity supply curve,
L_r = L_r,2012 (p_r / p_r,2012)^eps_L, so its price relative to 2012 is

    p_r,t / p_r,2012 = (L_r,t / L_r,2012)^(1 / eps_L)

Industrial land use is proportional to industrial capital, measured relative to the nation's
(L_r,t / L_r,2012 = (K_r,t / K_t) / (K_r,2012 / K_2012)): the national level of land prices is part
of the calibrated user cost; what a location choice sees is the relative price. Land is a share s_L of
the 2012 user cost of industrial capital, so

    u_r,t = (interest + depreciation) land_r,2012 (1 - s_L + s_L p_r,t / p_r,2012)

land_r,2012 = location.land_cost (the 2012 gradient), s_L = location.land_share, eps_L =
location.land_supply_elasticity. This is the congestion force of Helpman (1998): a fixed (or
inelastic) local factor whose price rises with concentration, against the pull of agglomeration.

``step`` runs after exits and before the location choice, so this year's choices, investment returns
and production all see this year's land price. The same two functions serve any local price with a supply elasticity (housing: price index of a
housing stock that rises with population and income); ``price_index`` is generic for that use.
"""

from __future__ import annotations

import numpy as np

from ..world import Sim

PARAMETERS = ("location.land_cost", "location.land_share", "location.land_supply_elasticity", "capital.interest_rate",
              "capital.depreciation")


def init(model: Sim) -> None:
    """2012: the land-cost gradient, land prices at 1 and the user cost of capital by region."""
    P, w = model.params, model.world
    w.land = P.by("location.land_cost", model.regions)
    w.land_price = np.ones(model.data.n)
    w.user_cost = user_cost(P["capital.interest_rate"], P["capital.depreciation"], w.land, P["location.land_share"],
                            w.land_price)
    w.capital_share_2012 = None  # set at the first update, once firms exist


def step(model: Sim) -> None:
    """Land prices from this year's industrial capital by region (after exits), and the user cost."""
    P, w, f = model.params, model.world, model.firms
    k_r = f.capital_by_region(model.data.n)  # bincount of weight x capital, cached for location (agents.py)
    share = relative_use(k_r)
    if w.capital_share_2012 is None:
        w.capital_share_2012 = share
    w.land_price = price_index(share, w.capital_share_2012, P["location.land_supply_elasticity"])
    w.user_cost = user_cost(P["capital.interest_rate"], P["capital.depreciation"], w.land, P["location.land_share"],
                            w.land_price)


def price_index(use: np.ndarray, use_2012: np.ndarray, supply_elasticity: float) -> np.ndarray:
    """p_t / p_2012 = (use_t / use_2012)^(1 / eps) along a constant-elasticity supply curve."""
    if supply_elasticity <= 0:
        raise ValueError("supply elasticity must be positive")
    ratio = np.maximum(use, 1e-12) / np.maximum(use_2012, 1e-12)
    return ratio ** (1.0 / supply_elasticity)


def relative_use(k_region: np.ndarray) -> np.ndarray:
    """A region's share of national industrial capital (the land-use measure)."""
    return k_region / max(float(k_region.sum()), 1e-12)


def user_cost(interest: float, depreciation: float, land_2012: np.ndarray, land_share: float,
              price: np.ndarray) -> np.ndarray:
    """u_r = (interest + depreciation) land_r,2012 (1 - s_L + s_L p_r / p_r,2012)."""
    return (interest + depreciation) * land_2012 * (1.0 - land_share + land_share * price)
