"""Investment and finance: firms invest out of retained earnings plus external finance.

The national pool of investable funds caps what industry can raise:

    F_t     = (capital.savings_rate + capital.foreign_share) x GDP_t-1           the national pool
    I_t     = F_t min(omega (R_t-1 / R_2012)^psi, capital.industry_draw_cap)   the most industry can draw
    R       = (profit + user cost x K) / K, the gross return on industrial capital
    omega   set in 2012 so that I = (depreciation + expected demand growth) x K

psi = capital.industry_return_elasticity. Entrants are financed first (entry_exit.py), at most
capital.entrant_pool_share of I_t. Each incumbent i (region r, sector s) then chooses its investment
rate with convex adjustment costs (Hayashi 1982; Cooper and Haltiwanger 2006): replacement, the
expected growth of its sector's demand (accelerator), and its expected return in excess of the user
cost of capital (Jorgenson 1963), priced with the carbon-risk premium (seed 000: financiers shun
high-carbon assets):

    rho_i   = mrk_i - premium_rs                                             expected excess return
    mrk_i   = m_s (pi_i / K_i + F_r u_r) - F_r u_r,  m_s = alpha_s rho_s / (1 - beta_s)   marginal net return
    premium_rs = capital.carbon_risk_premium x (intensity_rs / intensity_nat) x P_t / 100
    i*_i    = clip(delta + e_s g_t + rho_i / capital.adjustment_cost, 0, capital.max_investment_rate)

pi_i is last year's operating profit, which is already net of the user cost (interest + depreciation)
of its capital and of carbon and digital running costs; e_s g_t the sector's expected demand growth.
mrk_i is the MARGINAL net return: the surplus (1 - beta) N grows like K^m_s with labour re-optimised, so
alpha rho N / K = m_s (pi/K + F u) (Hayashi 1982: marginal q = m x average q under decreasing returns; Abel
and Eberly 1994). In the 2012 spatial equilibrium mrk_i = rho0 for every firm, while the average return
pi/K = (1/m - 1) F u + rho0/m is higher where capital costs more (the east): a rule on pi/K would tilt new
capacity towards the costly coast. Entrants use the same marginal return for their plant (below). Investment is financed from internal funds first
(retained net profit, i.e. after R&D and digital adoption spending, plus the depreciation allowance),
then by external finance up to capital.external_finance x K_i a year (collateral constraint; Fazzari,
Hubbard and Petersen 1988; Kiyotaki and Moore 1997):

    internal_i = max(pi_i - intangible_i + delta K_i, 0)
    I_i        = min(i*_i K_i, internal_i + capital.external_finance K_i)

If the firms' combined demand exceeds what industry can draw, external finance is rationed first (pro
rata), then internal funds; funds industry does not want stay in the rest of the economy. Capital
follows K_i <- K_i (1 - delta) + I_i. There is no proportional allocation by K exp(profit gap): a
firm's capital grows at a bounded rate set by its own return, so capital does not snowball.
Entrants compare regions by a new plant's expected marginal net return, the mean mrk of the cell's incumbents
(an entrant copies one of them; entrant_expected_return), net of the cell's carbon-risk premium. Until
session 4 entrants used a representative plant (wedge 0, the cell's mean log TFP and log capital): in 2012 it put central's labour-intensive, equipment and high-tech plants 1-2 points below
the east's although every incumbent's marginal return is rho0 (mean wedges and Jensen terms differ by cell).
"""

from __future__ import annotations

import numpy as np

from .. import SECTORS, YI
from .. import streams
from ..scenario import FIRST_YEAR
from ..world import Sim
from . import carbon, demand, entry_exit, location

PARAMETERS = ("capital.savings_rate", "capital.foreign_share", "capital.depreciation", "capital.carbon_risk_premium",
              "capital.industry_return_elasticity", "capital.adjustment_cost", "capital.max_investment_rate",
              "capital.external_finance", "capital.entrant_pool_share",
              "demand.income_elasticity", "demand.sector_share_2012", "demand.gdp_growth_2035",
              "entry_exit.entry_rate", "entry_exit.profit_sensitivity", "entry_exit.entrant_size",
              "entry_exit.sector_return_sensitivity", "capital.industry_draw_cap")


def init(model: Sim) -> None:
    """2012: the gross return on industrial capital and industry's draw omega on the national pool, set so
    that 2012 investment covers depreciation and expected demand growth."""
    P, d, w, f = model.params, model.data, model.world, model.firms
    fr0 = 1.0 + w.friction[f.region]
    k_total = np.sum(w.firm_weight * f.capital)
    w.gross_return_2012 = np.sum(w.firm_weight * (f.profit + fr0 * w.user_cost[f.region] * f.capital)) / k_total
    eps_d = P.by("demand.income_elasticity", SECTORS) @ P.by("demand.sector_share_2012", SECTORS)
    g1 = demand.growth_path(d.gdp_growth, P["demand.gdp_growth_2035"], FIRST_YEAR + 1)
    pool0 = (P["capital.savings_rate"] + P["capital.foreign_share"]) * d.gdp_2012.sum() * YI
    w.industry_omega = (P["capital.depreciation"] + eps_d * g1) * k_total / pool0


def step(model: Sim) -> None:
    """Entry and investment: entrants are financed first, then incumbents invest by expected return."""
    P, f, pol, w = model.params, model.firms, model.policy, model.world
    R, S = model.data.n, len(SECTORS)
    delta = P["capital.depreciation"]
    cell = f.cell  # flat (region, sector) index for per-cell tables (cached while region and sector stay)
    # products and logs used twice are formed once; regional and sector factors are combined per region or
    # sector and gathered (the same operations in the same order: bit-identical)
    # weight x column by ``f.weighted`` (agents.py: the same bits; the column itself when every weight is 1.0, the
    # firms at full scale): read only here, never written (the capital column is written in place below, after
    # wk's last use)
    wva = f.weighted(f.value_added)
    wk = f.weighted(f.capital)
    log_cap = np.log(f.capital)
    # the grid gathered by the sorted blocks (agents.Firms.gather_region)
    intens = carbon.intensity(carbon.direct_effective(f), f.power_use, f.gather_region(w.grid))
    intens *= wva
    emis_rs = f.sum_by_cell(intens)
    va_cell = f.sum_by_cell(wva)  # slice sums: the firms are kept in cell order (agents.py)
    int_nat = emis_rs.sum() / max(va_cell.sum(), 1e-9)
    int_rs = np.where(va_cell > 0, emis_rs / np.maximum(va_cell, 1e-9), int_nat)
    fr_all = 1.0 + w.friction * (1.0 - pol.friction_cut)
    premium = carbon_premium(P["capital.carbon_risk_premium"], int_rs, int_nat, pol.risk_carbon_price())
    pool = (P["capital.savings_rate"] + P["capital.foreign_share"]) * w.gdp.sum() * YI  # million yuan
    fu = f.gather_region(fr_all * w.user_cost)  # F_r u_r per firm: the gross return here, mrk below
    gross = fu * f.capital  # weight x (profit + fu K), in place on one fresh array (sums and products commute)
    gross += f.profit
    gross = f.weighted(gross, fresh=True)
    gross = np.sum(gross) / max(np.sum(wk), 1e-9)
    pool = industry_draw(pool, w.industry_omega, gross, w.gross_return_2012, P["capital.industry_return_elasticity"],
                         P["capital.industry_draw_cap"])

    # Entrants: Poisson per sector (tilted to sector returns); each picks its region by expected profit and
    # its own match (location.py); financed first.
    n_cell = f.sum_by_cell()  # agent counts per cell (exact integers; slice lengths)
    n_s = n_cell.reshape(R, S).sum(axis=0)
    k_s = f.sum_by_sector(wk)
    ret_s = f.sum_by_sector(f.weighted(f.profit)) / np.maximum(k_s, 1e-9)
    # keyed draws (streams.py): counts by the Poisson quantile of a keyed uniform per sector, each entrant's
    # match keyed on its slot id (year, sector, rank), as entry_exit.entrant_columns assigns it
    counts = streams.poisson(model.stream_key, model.year, "entry.count", P["entry_exit.entry_rate"]
                             * entry_exit.sector_entry_weights(n_s, ret_s, P["entry_exit.sector_return_sensitivity"]))
    e_uid = streams.slot_ids(model.year, np.repeat(np.arange(S), counts))
    n_rs = f.weight_by_cell(R).reshape(R, S)  # real firms per cell (cached: agents.py)
    # a subsidy on a share s of the entry cost saves s x the user cost of that capital every year
    subsidy_return = pol.relocation_subsidy * w.user_cost[:, None]
    # the marginal net return of every incumbent (Hayashi 1982), equal everywhere in the 2012 spatial equilibrium,
    # not the average return pi/K, which is higher where capital costs more: it drives expansion (below) and,
    # as the mean over the cell's incumbents that an entrant copies, the entrant's expected return
    # np.maximum(K, 1e-9) is K itself when every K exceeds the floor (always: a read-only min instead of a copy;
    # a NaN makes the min NaN and takes the np.maximum path)
    k_floor = f.capital if f.capital.min(initial=np.inf) > 1e-9 else np.maximum(f.capital, 1e-9)
    mrk = marginal_net_return(f.profit / k_floor, fu, w.alpha, w.rho, w.beta, sector=f.sector,
                              gather_sector=f.gather_sector, overwrite=True, combine_sector=f.combine_sector)
    expected = entrant_expected_return(mrk, cell, f.sector, R, S, n_cell=n_cell) - premium.reshape(R, S)
    e_region, e_sector, e_match = location.entry_choice(streams.keyed(model, "entry.match", e_uid), counts, n_rs,
                                                        expected, subsidy_return, P["entry_exit.profit_sensitivity"])
    e_cell = e_region.astype(np.int64) * S + e_sector
    log_k = f.sum_by_cell(log_cap) / np.maximum(n_cell, 1)
    fallback = np.exp(log_cap.mean()) if len(f) else 1.0
    med_k = np.where(n_cell > 0, np.exp(log_k), fallback)  # geometric mean: the median of a lognormal
    need = P["entry_exit.entrant_size"] * med_k[e_cell]
    budget = P["capital.entrant_pool_share"] * pool
    e_k = need * min(1.0, budget / max(float(np.sum(need)) * w.firm_weight, 1e-9))

    # Incumbents: desired investment from the expected excess return, financed internally, then externally.
    # per-firm values of [sector] and [cell] tables by agents.Firms.gather_*: take's values, about half the time
    g_s = P.by("demand.income_elasticity", SECTORS) * demand.growth_path(
        model.data.gdp_growth, P["demand.gdp_growth_2035"], model.year)  # [sector]: gathered in desired_rate
    # mrk - (+0.0) is mrk: no gather and no pass when every premium is +0.0 (no carbon-risk price)
    if premium.view(np.uint64).any():
        excess = f.gather_cell(premium)
        np.subtract(mrk, excess, out=excess)
    else:
        excess = mrk
    rate = desired_rate(excess, delta, g_s, P["capital.adjustment_cost"], P["capital.max_investment_rate"],
                        f.gather_sector, f.combine_sector)  # (positional: tests wrap desired_rate as f(excess, *args))
    internal = internal_funds(f.profit, f.intangible, f.capital, delta)
    rate *= f.capital  # rate x K (desired_rate's fresh array)
    inv = finance(rate, internal, P["capital.external_finance"] * f.capital, f.weight,
                  pool - float(np.sum(e_k)) * w.firm_weight, overwrite=True, weighted=f.weighted)
    # K (1 - delta) + I written in place through ``data`` (as agents.py asks: it drops what was cached from the
    # column). The column is the firms' own array (entry_exit's keep formed it this year; nothing else holds it), so
    # the same values as a new array, and the year's ``append`` then extends it in its buffer instead of
    # concatenating a new column
    k_new = f.data["capital"]
    k_new *= 1 - delta
    k_new += inv
    f.data["age"] += 1
    # weight x I: inv is finance's own array here (in place), not used after
    inv_r = f.sum_by_region(f.weighted(inv, fresh=inv.base is None))

    f.append(**entry_exit.entrant_columns(model, cell, n_cell, e_cell, e_k, uid=e_uid), location_match=e_match)
    model.year_stats["entries"] = np.bincount(e_region, minlength=R) * w.firm_weight
    model.year_stats["investment"] = (inv_r + np.bincount(e_region, weights=e_k * w.firm_weight,
                                                          minlength=R)) / YI


def industry_draw(pool: float, omega: float, gross_return: float, return_2012: float, psi: float,
                  cap: float) -> float:
    """Most industrial investment (same units as pool) given the gross return on capital; at most ``cap`` x pool."""
    rel = max(gross_return, 1e-6) / max(return_2012, 1e-6)
    return pool * min(omega * rel**psi, cap)


def marginal_net_return(profit_rate: np.ndarray, cost_k: np.ndarray, alpha: np.ndarray, rho: np.ndarray,
                        beta: np.ndarray, sector: np.ndarray | None = None, gather_sector=None,
                        overwrite: bool = False, combine_sector=None) -> np.ndarray:
    """Marginal net return on capital, alpha rho N / K - F u (1/yr), from the operating profit per unit of capital
    pi / K, pi = (1 - beta) N - F u K, and the user cost F u (1/yr):

        mrk_i = e_s (pi_i / K_i + F_r u_r) - F_r u_r,   e_s = alpha_s rho_s / (1 - beta_s)

    e_s is the elasticity of the operating surplus (1 - beta) N ~ K^e to capital with labour re-optimised
    (production.marginal_return_capital): under decreasing revenue returns marginal q is e times average q
    (Hayashi 1982; Abel and Eberly 1994). In 2012 it equals rho0 for every firm (production.init).
    With ``sector``, ``alpha``, ``rho`` and ``beta`` are per sector: e_s is formed once per sector and gathered
    (the same numbers as per firm, three fewer passes over the firms); ``gather_sector``, if given, gathers it
    (agents.Firms.gather_sector: take's values, faster). ``overwrite``: ``profit_rate`` is a temporary of the
    caller's, and the result is formed in it (the same operations: sums and products commute); ``combine_sector``
    (agents.Firms.combine_sector), if given with ``overwrite``, then multiplies by e_s by the cell blocks without
    gathering it (the same products)."""
    e = alpha * rho / (1.0 - beta)
    in_place = (overwrite and isinstance(profit_rate, np.ndarray) and profit_rate.dtype == np.float64
                and profit_rate.shape == np.broadcast_shapes(profit_rate.shape, np.shape(cost_k)))
    by_blocks = in_place and combine_sector is not None and sector is not None and np.ndim(e) == 1
    if sector is not None and not by_blocks:
        e = e.take(sector) if gather_sector is None else gather_sector(e)
    if not in_place or not (by_blocks or profit_rate.shape == np.broadcast_shapes(np.shape(e), profit_rate.shape)):
        return e * (profit_rate + cost_k) - cost_k
    out = np.add(profit_rate, cost_k, out=profit_rate)
    if by_blocks:
        combine_sector(np.multiply, out, e, out=out)  # out x e[sector] (e x out: a product commutes)
    else:
        out *= e
    out -= cost_k
    return out


def entrant_expected_return(mrk: np.ndarray, cell: np.ndarray, sector: np.ndarray, n_regions: int,
                            n_sectors: int, n_cell: np.ndarray | None = None) -> np.ndarray:
    """[region, sector] a new plant's expected marginal net return: the mean of the cell's incumbents' (an entrant
    copies a uniformly drawn incumbent of its cell, entry_exit.anchor_incumbents), the sector's mean where the
    cell is empty. ``n_cell``: the incumbents per cell if already counted (integers: the same counts)."""
    if n_cell is None:
        n_cell = np.bincount(cell, minlength=n_regions * n_sectors)
    # the sums stay bincounts (sequential in row order); slice sums (pairwise) would round differently
    mean_cell = np.bincount(cell, weights=mrk, minlength=n_regions * n_sectors) / np.maximum(n_cell, 1)
    if np.all(n_cell > 0):  # no empty cell (the usual case): the sector means are not needed
        return mean_cell.reshape(n_regions, n_sectors)
    n_s = n_cell.reshape(n_regions, n_sectors).sum(axis=0)
    mean_s = np.bincount(sector, weights=mrk, minlength=n_sectors) / np.maximum(n_s, 1)
    return np.where(n_cell > 0, mean_cell, np.tile(mean_s, n_regions)).reshape(n_regions, n_sectors)


def carbon_premium(premium: float, intensity_rs: np.ndarray, intensity_nat: float, carbon_price: float) -> np.ndarray:
    """[cell] carbon-risk premium on the required return (1/yr)."""
    return premium * intensity_rs / max(intensity_nat, 1e-12) * carbon_price / 100.0


def desired_rate(excess_return: np.ndarray, depreciation: float, demand_growth: np.ndarray,
                 adjustment_cost: float, max_rate: float, gather=None, combine=None) -> np.ndarray:
    """Investment rate I/K with quadratic adjustment costs: replacement + accelerator + excess return.
    ``gather``: ``demand_growth`` is per sector and ``gather`` (agents.Firms.gather_sector) takes its per-firm
    values; depreciation + growth is then formed per sector and gathered (the same numbers, one pass fewer).
    ``combine`` (agents.Firms.combine_sector), with ``gather``: that per-sector sum is added by the cell blocks
    without gathering it (the same sums)."""
    out = np.divide(excess_return, adjustment_cost)  # a new array: the caller's excess is not written
    if gather is not None and combine is not None and out.dtype == np.float64 and out.ndim == 1:
        # excess / adjustment cost + (depreciation + growth)[sector]: a sum commutes
        combine(np.add, out, depreciation + np.asarray(demand_growth), out=out)
        return np.clip(out, 0.0, max_rate, out=out)
    base = depreciation + demand_growth if gather is None else gather(depreciation + np.asarray(demand_growth))
    if out.shape != np.shape(base) or out.dtype != np.float64:
        return np.clip(base + out, 0.0, max_rate)
    out += base  # base + excess / adjustment cost: a sum commutes
    return np.clip(out, 0.0, max_rate, out=out)


def internal_funds(profit: np.ndarray, intangible: np.ndarray, capital: np.ndarray, depreciation: float) -> np.ndarray:
    """Retained net profit plus the depreciation allowance (never negative)."""
    out = np.subtract(profit, intangible)
    if out.shape != np.shape(capital) or out.dtype != np.float64:
        return np.maximum(out + depreciation * capital, 0.0)
    out += depreciation * capital  # in place on the fresh difference: the same sum
    return np.maximum(out, 0.0, out=out)


def finance(desired: np.ndarray, internal: np.ndarray, external_cap: np.ndarray, weight: np.ndarray,
            available: float, overwrite: bool = False, weighted=None) -> np.ndarray:
    """Investment per firm: desired spending within internal funds plus capped external finance, with
    external finance rationed first, then internal funds, so that sum(weight x I) <= available.
    ``overwrite``: ``desired`` and ``external_cap`` are temporaries of the caller's; the arrays are then formed in
    them and in one scratch array (the same operations: sums and products commute). ``weighted``: the agents'
    ``weighted`` (``weight`` x values, the same bits; the values themselves when every weight is 1.0), used for the
    two totals with ``overwrite``."""
    arrays = (desired, internal, external_cap, weight)
    if not (overwrite and all(isinstance(a, np.ndarray) and a.dtype == np.float64 and a.shape == desired.shape
                              for a in arrays)):
        inv = np.minimum(desired, internal + external_cap)
        own = np.minimum(inv, internal)
        ext = inv - own
        tot_own, tot_ext = float(np.sum(weight * own)), float(np.sum(weight * ext))
    else:
        inv = np.minimum(desired, np.add(external_cap, internal, out=external_cap), out=desired)
        own = np.minimum(inv, internal)
        ext = np.subtract(inv, own, out=external_cap)
        if weighted is not None:  # read only: own and ext are not written through its result
            tot_own, tot_ext = float(np.sum(weighted(own))), float(np.sum(weighted(ext)))
        else:
            scratch = np.multiply(weight, own)
            tot_own = float(np.sum(scratch))
            tot_ext = float(np.sum(np.multiply(weight, ext, out=scratch)))
    available = max(available, 0.0)
    if tot_own + tot_ext <= available:
        return inv
    if tot_own <= available:
        return own + ext * ((available - tot_own) / max(tot_ext, 1e-300))
    return own * (available / max(tot_own, 1e-300))
