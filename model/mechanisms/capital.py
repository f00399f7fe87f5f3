"""Capital allocation: a national pool of investable funds flows to regions, sectors and firms.

    F_t     = (capital.savings_rate + capital.foreign_share) x GDP_t-1           the national pool
    I_t     = omega F_t (R_t-1 / R_2012)^psi                                     industry's draw on it
    R       = (profit + user cost x K) / K, the gross return on industrial capital
    omega   set in 2012 so that I = (depreciation + expected demand growth) x K
    rho_rs  = Pi_rs / K_rs - premium_rs                                        expected return
    premium_rs = capital.carbon_risk_premium x (intensity_rs / intensity_nat) x P_t / 100
    share_rs = K_rs exp(k rho_rs) / sum K exp(k rho)                           k = capital.return_sensitivity
    firm i in cell rs: share_i = K_i exp(clip(k_f (pi_i / K_i - R_rs), tilt_min, tilt_max)) / sum_cell(...)
                       tilt bounds capital.firm_tilt_min/max (-5, 2)
                       R_rs = Pi_rs / K_rs (before the premium), k_f = capital.firm_return_sensitivity

psi = capital.industry_return_elasticity: when returns fall, funds go elsewhere (services, housing,
abroad), which disciplines over-investment. Entrants are financed first out of their cell's allocation; incumbents share the rest. Capital then
follows K_i <- K_i (1 - capital.depreciation) + I_i. Financiers shun high-carbon assets (seed 000):
the premium rises with the headline carbon price and the cell's carbon intensity (financiers price the
risk that policy tightens, not today's free allocation). Industry never draws more than
capital.industry_draw_cap (90%) of the pool.
"""

from __future__ import annotations

import numpy as np

from .. import SECTORS, YI
from ..scenario import FIRST_YEAR
from ..world import Sim
from . import carbon, demand, entry_exit, location

PARAMETERS = ("capital.savings_rate", "capital.foreign_share", "capital.depreciation", "capital.carbon_risk_premium",
              "capital.return_sensitivity", "capital.firm_return_sensitivity", "capital.industry_return_elasticity",
              "demand.income_elasticity", "demand.sector_share_2012", "demand.gdp_growth_2035",
              "entry_exit.entry_rate", "entry_exit.profit_sensitivity", "entry_exit.entrant_size",
              "capital.industry_draw_cap", "capital.firm_tilt_min", "capital.firm_tilt_max",
              "entry_exit.empty_cell_funding_cap", "entry_exit.entrant_funding_share")


def init(model: Sim) -> None:
    """2012: the gross return on industrial capital and industry's draw omega on the national pool,
    set so that 2012 investment covers depreciation and expected demand growth."""
    P, d, w, f = model.params, model.data, model.world, model.firms
    fr0 = 1.0 + w.friction[f.region]
    k_total = np.sum(w.firm_weight * f.capital)
    w.gross_return_2012 = np.sum(w.firm_weight * (f.profit + fr0 * w.user_cost[f.region] * f.capital)) / k_total
    eps_d = P.by("demand.income_elasticity", SECTORS) @ P.by("demand.sector_share_2012", SECTORS)
    g1 = demand.growth_path(d.gdp_growth, P["demand.gdp_growth_2035"], FIRST_YEAR + 1)
    pool0 = (P["capital.savings_rate"] + P["capital.foreign_share"]) * d.gdp_2012.sum() * YI
    w.industry_omega = (P["capital.depreciation"] + eps_d * g1) * k_total / pool0


def step(model: Sim) -> None:
    """Entry and investment: the national pool finances entrants first, then incumbents by return."""
    P, f, rng, pol, w = model.params, model.firms, model.rng, model.policy, model.world
    R, S = model.data.n, len(SECTORS)
    delta = P["capital.depreciation"]
    cell = f.region.astype(np.int64) * S + f.sector
    k_rs = np.bincount(cell, weights=f.weight * f.capital, minlength=R * S)
    pi_rs = np.bincount(cell, weights=f.weight * f.profit, minlength=R * S)
    ret = pi_rs / np.maximum(k_rs, 1e-9)
    emis_rs = np.bincount(cell, weights=f.weight * f.value_added * carbon.intensity(
        carbon.direct_effective(f), f.power_use, w.grid, f.region), minlength=R * S)
    va_cell = np.bincount(cell, weights=f.weight * f.value_added, minlength=R * S)
    int_nat = emis_rs.sum() / max(va_cell.sum(), 1e-9)
    int_rs = np.where(va_cell > 0, emis_rs / np.maximum(va_cell, 1e-9), int_nat)
    fr_all = 1.0 + w.friction * (1.0 - pol.friction_cut)
    premium = P["capital.carbon_risk_premium"] * int_rs / max(int_nat, 1e-12) * pol.risk_carbon_price() / 100.0
    rho = ret - premium
    pool = (P["capital.savings_rate"] + P["capital.foreign_share"]) * w.gdp.sum() * YI  # million yuan
    gross = (np.sum(f.weight * (f.profit + fr_all[f.region] * w.user_cost[f.region] * f.capital))
             / max(np.sum(f.weight * f.capital), 1e-9))
    pool = industry_draw(pool, w.industry_omega, gross, w.gross_return_2012, P["capital.industry_return_elasticity"],
                         P["capital.industry_draw_cap"])
    alloc = cell_shares(k_rs, rho, P["capital.return_sensitivity"]) * pool
    empty = k_rs <= 0  # a cell with no capital yet: its entrants are funded before the split

    # Entrants: Poisson per sector, each picks its region by expected profit and its own match (location.py),
    # financed first from its cell's allocation.
    n_s = np.bincount(f.sector, minlength=S)
    counts = rng.poisson(P["entry_exit.entry_rate"] * n_s)
    n_rs = np.bincount(cell, weights=f.weight, minlength=R * S).reshape(R, S)
    # a subsidy on a share s of the entry cost saves s x the user cost of that capital every year
    subsidy_return = pol.relocation_subsidy * w.user_cost[:, None]
    expected = location.entry_returns(model, cell) - premium.reshape(R, S)
    e_region, e_sector, e_match = location.entry_choice(rng, counts, n_rs, expected, subsidy_return,
                                                        P["entry_exit.profit_sensitivity"])
    e_cell = e_region.astype(np.int64) * S + e_sector
    n_cell = np.bincount(cell, minlength=R * S)
    log_k = np.bincount(cell, weights=np.log(f.capital), minlength=R * S) / np.maximum(n_cell, 1)
    fallback = np.exp(np.log(f.capital).mean()) if len(f) else 1.0
    med_k = np.where(n_cell > 0, np.exp(log_k), fallback)  # geometric mean: the median of a lognormal
    need = P["entry_exit.entrant_size"] * med_k[e_cell] * w.firm_weight
    need_cell = np.bincount(e_cell, weights=need, minlength=R * S)
    if np.any(empty & (need_cell > 0)):
        fund = np.where(empty, np.minimum(need_cell, P["entry_exit.empty_cell_funding_cap"] * pool), 0.0)
        alloc = np.where(empty, fund, alloc * (pool - fund.sum()) / max(alloc.sum(), 1e-12))
    # entrants take at most a share (half) of their cell's allocation; incumbents keep the rest
    scale = np.where(need_cell > 0, np.minimum(1.0, np.where(empty, 1.0, P["entry_exit.entrant_funding_share"]) * alloc
                                               / np.maximum(need_cell, 1e-9)), 1.0)
    e_k = need * scale[e_cell] / w.firm_weight
    left = alloc - np.bincount(e_cell, weights=e_k * w.firm_weight, minlength=R * S)

    # Incumbents: within-cell shares by capital and own return.
    fw = firm_weights(f.capital, f.profit, ret[cell], P["capital.firm_return_sensitivity"],
                      P["capital.firm_tilt_min"], P["capital.firm_tilt_max"])
    tot = np.bincount(cell, weights=f.weight * fw, minlength=R * S)
    inv = np.where(tot[cell] > 0, left[cell] * fw / np.maximum(tot[cell], 1e-12), 0.0)
    # A cell with no incumbents keeps nothing: its share goes back to the others, so the pool is spent.
    unspent = left[tot <= 0].sum()
    if unspent > 0 and (f.weight * inv).sum() > 0:
        inv *= 1.0 + unspent / (f.weight * inv).sum()
    f.data["capital"] = f.capital * (1 - delta) + inv
    f.data["age"] += 1
    inv_r = np.bincount(f.region, weights=f.weight * inv, minlength=R)

    f.append(**entry_exit.entrant_columns(model, cell, n_cell, e_cell, e_k), location_match=e_match)
    model.year_stats["entries"] = np.bincount(e_region, minlength=R) * w.firm_weight
    model.year_stats["investment"] = (inv_r + np.bincount(e_region, weights=e_k * w.firm_weight,
                                                          minlength=R)) / YI


def cell_shares(capital_rs: np.ndarray, returns_rs: np.ndarray, sensitivity: float) -> np.ndarray:
    ok = capital_rs > 0
    x = np.where(ok, sensitivity * returns_rs, -np.inf)
    x = x - x[ok].max() if ok.any() else x
    w = np.where(ok, capital_rs * np.exp(x), 0.0)
    return w / w.sum() if w.sum() > 0 else np.full_like(capital_rs, 1.0 / capital_rs.size)


def firm_weights(capital: np.ndarray, profit: np.ndarray, cell_return: np.ndarray, sensitivity: float,
                 tilt_min: float, tilt_max: float) -> np.ndarray:
    x = sensitivity * (profit / np.maximum(capital, 1e-9) - cell_return)
    return capital * np.exp(np.clip(x, tilt_min, tilt_max))


def industry_draw(pool: float, omega: float, gross_return: float, return_2012: float, psi: float,
                  cap: float) -> float:
    """Industrial investment (same units as pool) given the gross return on capital; at most ``cap`` x pool."""
    rel = max(gross_return, 1e-6) / max(return_2012, 1e-6)
    return pool * min(omega * rel**psi, cap)
