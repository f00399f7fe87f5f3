"""Firm location choice: the flying-geese mechanism.

Each year a firm reviews its location with probability location.review_rate (firms at least a year
old). A reviewing firm i evaluates every region r with its own capital, productivity and technology:

    pi_ir = alpha (p_s a_r - tau_ir) Y_ir - (1 + f_r) u_r K_i       profit it would make in r
            (Y_ir from production.py with r's wages, land, friction, market access, grid,
             agglomeration and talent spillover)
    V_ir  = lambda (clip(H (pi_ir - pi_i,cur) / VA_i, +/-c) - kappa (1 - sub_rs) [r != cur]) + Gumbel_ir
            (c = location.gain_clip; VA_i at least location.min_relative_scale x the mean firm's)
    H     = 1 / (capital.interest_rate + entry_exit.exit_hazard)     years over which a gain is reaped

(a one-off sunk cost is weighed against the present value of a lasting profit gain, discounted at
the interest rate and the hazard of exit) and moves to argmax_r V_ir, i.e. to r with logit probability softmax_r(V - Gumbel), drawn with one
uniform per firm on the cumulative probabilities. lambda = location.profit_sensitivity, kappa = location.relocation_cost
(sunk, a share of a year's value added; paid on moving, less the relocation_subsidy lever sub_rs).
Staying is the default (inertia): no review, or no region beats the current one by the sunk cost.
As east wages rise, labour-intensive firms (low alpha, low theta) gain most from moving inland.
Against herding (every firm of a sector seeing the same best region) the land part of the user cost
rises where industry concentrates: land_r,t = land_r,2012 (K share_r,t / K share_r,2012)^zeta, with
zeta = location.land_congestion (0, i.e. off, by default: the committed calibration was fitted without
it), updated before each year's location choice (``update_land_cost``).
Firms keep their capital, technology and staff counts when they move (relocations conserve firms).
"""

from __future__ import annotations

import numpy as np

from .. import CARBON_COST_UNIT, GENERAL, HIGH, YI
from ..scenario import FIRST_YEAR
from ..world import Sim
from . import demand, production

PARAMETERS = ("demand.market_access", "demand.access_convergence", "location.land_cost", "location.friction",
              "location.land_congestion", "location.review_rate", "location.profit_sensitivity",
              "location.relocation_cost", "capital.interest_rate", "capital.depreciation", "entry_exit.exit_hazard",
              "production.agglomeration_elasticity", "production.spillover_elasticity", "digital.annual_cost",
              "location.gain_clip", "location.min_relative_scale")


def init(model: Sim) -> None:
    """2012: market access, land, friction and the user cost of capital by region."""
    P, w = model.params, model.world
    w.access_2012 = P.by("demand.market_access", model.regions)
    w.access = w.access_2012.copy()
    w.land = P.by("location.land_cost", model.regions)
    w.friction = P.by("location.friction", model.regions)
    w.user_cost = (P["capital.interest_rate"] + P["capital.depreciation"]) * w.land
    w.capital_share_2012 = None  # set at the first land update, once firms exist


def step(model: Sim) -> None:
    """Market access converges; land prices follow industry; reviewing firms move (flows, ledger)."""
    P, w, f, pol, rng = model.params, model.world, model.firms, model.policy, model.rng
    R = model.data.n
    w.access = demand.market_access(w.access_2012, P["demand.access_convergence"], model.year - FIRST_YEAR)
    update_land_cost(model)
    refresh_location_factors(model)
    review = (rng.random(len(f)) < P["location.review_rate"]) & (f.age >= 1)
    idx = np.flatnonzero(review)
    if len(idx) == 0:
        return
    profit = profit_everywhere(model, idx)
    sub = pol.relocation_subsidy[:, f.sector[idx]].T
    horizon = 1.0 / (P["capital.interest_rate"] + P["entry_exit.exit_hazard"])
    dest = choose(rng, profit, f.region[idx], f.value_added[idx], P["location.profit_sensitivity"],
                  P["location.relocation_cost"], sub, horizon, gain_clip=P["location.gain_clip"],
                  min_scale=P["location.min_relative_scale"])
    moved = dest != f.region[idx]
    mi = idx[moved]
    o, dst, s = f.region[mi], dest[moved], f.sector[mi]
    wt = f.weight[mi]
    ys = model.year_stats
    np.add.at(model.flows["firms"], (s, o, dst), wt)
    np.add.at(model.flows["jobs"], (s, o, dst), wt * (f.labour_high[mi] + f.labour_general[mi]))
    ys["reloc_out"] = np.bincount(o, weights=wt, minlength=R)
    ys["reloc_in"] = np.bincount(dst, weights=wt, minlength=R)
    delta = P["capital.depreciation"]
    ys["capital_moved_out"] = np.bincount(o, weights=wt * f.capital[mi] * (1 - delta), minlength=R) / YI
    ys["capital_moved_in"] = np.bincount(dst, weights=wt * f.capital[mi] * (1 - delta), minlength=R) / YI
    # The destination's subsidy pays its share of the sunk cost of moving.
    paid_sub = sub[moved, dst] * P["location.relocation_cost"] * f.value_added[mi]
    ys["policy_cost"] += np.bincount(dst, weights=wt * paid_sub, minlength=R) / YI
    f.data["region"][mi] = dst


def refresh_location_factors(model: Sim) -> None:
    """This year's agglomeration (from last year's value added) and talent spillover factors."""
    P, w = model.params, model.world
    w.agg = production.agglomeration(w.va_rs_prev, P["production.agglomeration_elasticity"])
    w.spill = production.spillover(w.h_share, w.h_nat, P["production.spillover_elasticity"])


def update_land_cost(model: Sim) -> None:
    """Industrial land gets dearer where industry concentrates (a congestion force against herding):
    land_r,t = land_r,2012 (capital share_r,t / capital share_r,2012)^location.land_congestion."""
    P, w, f = model.params, model.world, model.firms
    k_r = np.bincount(f.region, weights=f.weight * f.capital, minlength=model.data.n)
    share = k_r / max(k_r.sum(), 1e-12)
    if w.capital_share_2012 is None:
        w.capital_share_2012 = share
    rel = np.maximum(share, 1e-6) / np.maximum(w.capital_share_2012, 1e-6)
    land = w.land * rel ** P["location.land_congestion"]
    w.user_cost = (P["capital.interest_rate"] + P["capital.depreciation"]) * land


def charges_everywhere(model: Sim, sector: np.ndarray, digital_on: np.ndarray, direct: np.ndarray,
                       power: np.ndarray) -> np.ndarray:
    """[firm, region] carbon and digital running costs per yuan of value added, as if produced in each region."""
    P, pol = model.params, model.policy
    out = digital_on[:, None] * (P["digital.annual_cost"] * (1.0 - pol.digital_subsidy))[None, :]
    if pol.carbon_price > 0:
        price = pol.effective_carbon_price()[sector]
        out = out + CARBON_COST_UNIT * price[:, None] * (direct[:, None] + power[:, None] * model.world.grid[None, :])
    return out


def profit_everywhere(model: Sim, idx: np.ndarray) -> np.ndarray:
    """[firm, region] profit (million yuan) firm ``idx`` would make producing in each region this year.

    Y/K = exp((ln A_i + ln Z agg spill + (1 - a) ln q_ir + wage term) / a). Without per-firm charges
    (no carbon price on the sector, not digital) q depends on (region, sector) only, so the region
    part is computed once per cell and only firm-specific charges take the slow path.
    """
    f, pol, w = model.firms, model.policy, model.world
    s = f.sector[idx]
    a_s = w.a_exp
    a = a_s[s][:, None]
    fr_r = 1.0 + w.friction * (1.0 - pol.friction_cut)
    place = (np.log(w.region_tfp * w.agg) + np.log(w.spill)[:, None]
             + production.log_wage_term(w.wage[:, HIGH], w.wage[:, GENERAL], w.bh_exp, w.bg_exp))
    gross_rs = w.access[:, None] * w.price[None, :]                           # [r, s]
    cell_opk = np.exp((place + (1.0 - a_s) * np.log(gross_rs / fr_r[:, None])) / a_s)
    k = f.capital[idx][:, None]
    # profit_ir = K_i (A_i^(1/a) x [a gross opk]_rs - (1 + f_r) u_r): one table per cell, two products per firm
    per_k = (a_s * gross_rs * cell_opk).T                                     # [s, r]
    own = np.exp(np.log(f.tfp[idx]) / a_s[s])[:, None]
    profit = k * (own * per_k[s] - (fr_r * w.user_cost)[None, :])
    charged = f.digital[idx] | (pol.effective_carbon_price()[s] > 0)
    if charged.any():
        c = np.flatnonzero(charged)
        sc, ac = s[c], a[c]
        t = charges_everywhere(model, sc, f.digital[idx][c], f.direct_intensity[idx][c], f.power_use[idx][c])
        gross = np.maximum(w.access[None, :] * (w.price[sc][:, None] - t), 0.0)
        with np.errstate(divide="ignore"):
            log_q = np.log(gross / fr_r[None, :])
        yc = k[c] * np.exp((np.log(f.tfp[idx][c])[:, None] + place[:, sc].T + (1.0 - ac) * log_q) / ac)
        profit[c] = ac * gross * yc - fr_r[None, :] * w.user_cost[None, :] * k[c]
    return profit


def choose(rng: np.random.Generator, profit: np.ndarray, current: np.ndarray, value_added: np.ndarray,
           sensitivity: float, relocation_cost: float, subsidy: np.ndarray, horizon: float, *, gain_clip: float,
           min_scale: float) -> np.ndarray:
    """Destination per reviewing firm. ``profit`` and ``subsidy`` are [firm, region]; ``horizon`` in years.

    Gains are clipped to +/- ``gain_clip`` (location.gain_clip) and measured against at least
    ``min_scale`` x the mean value added (location.min_relative_scale)."""
    n, nr = profit.shape
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    # entrants have no value added yet: measure their gains against a typical firm's
    scale = np.maximum(value_added, min_scale * max(float(value_added.mean()), 1e-9))
    profit_cols = np.ascontiguousarray(profit.T)
    here = np.take_along_axis(profit, current.astype(np.intp)[:, None], axis=1)[:, 0]
    # one column (region) at a time: R is small, firms are many, and row-wise reductions are slow
    weights = []
    for r in range(nr):
        gain = np.clip(horizon * (profit_cols[r] - here) / scale, -gain_clip, gain_clip)
        v = sensitivity * (gain - relocation_cost * (1.0 - subsidy[:, r]))
        weights.append(np.where(current == r, 0.0, v))
    top = weights[0]
    for w in weights[1:]:
        top = np.maximum(top, w)
    cum, acc = [], 0.0
    for w in weights:  # running sum of exp(v - max): the cumulative logit weights
        acc = acc + np.exp(w - top)
        cum.append(acc)
    u = rng.random(n) * cum[-1]
    dest = np.zeros(n, dtype=np.int8)
    for r in range(nr - 1):
        dest += u > cum[r]
    return dest
