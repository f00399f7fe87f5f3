"""R&D, innovation, imitation and idiosyncratic productivity: how a firm's own TFP A_i evolves.

R&D is a costly investment chosen by a rule anchored on sector-typical intensities (Cohen and Klepper
1996: among performers R&D is roughly proportional to sales, while the probability of performing rises
with size, less than proportionally). Firm i (region r, sector s), re-decided each year:

    P(active) = logistic(b0 + trend (t - 2012) + tau ln(h_r / h_nat) + nu ln(S_i / median S) + s_e sub_r)
    R_i = active * min(rho_s M_t kappa S_i, F_i / (1 - sub_r)) * (1 + sub_r)
                                                         gross R&D; the firm pays (1 - sub_r) R_i
    F_i = max(pi_i, m X_i,t-1 [L_i = 0], 0)              internal funds (``funds``); L_i the loss streak
    K^R_i = (1 - delta_R) K^R_i + R_i

Performers deepen their R&D over time (the intensive margin; most of China's rise in business R&D intensity
came from firms already performing: R&D per unit of revenue of above-size industrial enterprises rose from
0.77% in 2012 to about 1.4% in 2022 while the large firms holding most revenue already performed), towards
a ceiling and with diminishing increments:

    M_t = 1 + (M_inf - 1)(1 - exp(-k (t - 2012)))

M_inf = innovation.rd_intensity_ceiling (performers' intensity relative to 2012 once converged; the OECD
frontier economies' manufacturing business R&D per value added is about 2-3 times China's 2012 level), k =
innovation.rd_intensity_convergence. The extensive margin is the performer logit's trend.

All money here is at current prices (services the numeraire, as profit pi_i is): S_i = P_s VA_i is the firm's
sales (value added) at its sector's current price P_s, not its real value added. R&D budgets are set as
shares of current sales (Cohen and Klepper 1996; the NBS and OECD intensities are current-price ratios), so
a sector whose price falls with its productivity (high tech) does not spend a rising share of its revenue
on R&D, and national R&D intensity is current-price R&D over current-price GDP (metrics.py), as in the data.

b0 is solved at start so that innovation.performer_share_2012 of firms perform; nu =
innovation.performer_size_effect, s_e = innovation.performer_subsidy_effect; kappa scales enterprise R&D to the 2012 figure in the data file.
R&D is financed from cash flow (Himmelberg and Petersen 1994; Hall 2002): a performer spends its
sector-typical intensity but no more than last year's operating profit pi_i covers, except that it keeps
funding a share m = innovation.rd_smoothing of last year's own spending X_i,t-1 (R&D is smoothed:
knowledge workers are costly to hire and fire; Brown, Fazzari and Petersen 2009) -- out of reserves, so only
if it made a net profit last year: a firm in a loss streak funds R&D out of operating profit alone, and
discretionary R&D cannot by itself keep a firm with positive operating profit losing until it exits
(exit compares the continuation value with zero: Hopenhayn 1992). The 2012 performers follow the same
rule, R_i,2012 = min(rho_s kappa_s S_i, max(pi_i, 0)), with kappa_s solved so that the capped total is the
data's 2012 enterprise R&D and each sector keeps the share of it that its sourced intensity rho_s implies
(``scale_2012``; kappa_s = kappa_0 where the cap does not bind). With the provincial table of the data file
(NBS/MOST/MOF 2012 S&T expenditure communique, summed by region) the scale is per region and sector,
kappa_rs = a_r b_s (``scale_2012_cells``: iterative proportional fitting, Deming and Stephan 1940, on the capped
budgets), so that also each region's 2012 R&D (its firms' plus its public R&D) is its share of the data
(``region_goal_2012``: enterprise R&D E_r = sh_r (E + PR) - PR_r, the communique giving provinces, not
performers); kappa_rs stays the firms' scale in later years (the east's firms spend about 1.6 times the NE's
per yuan of sales at the same sector intensity). Without it the largest low-margin high-tech performers started in
net loss and exited in 2014-2016, and the high-tech share of industrial VA dipped over 2012-2017.
The firm's share of R&D is booked as an intangible expense (``Firms.intangible``): it lowers the year's
net profit, the firm's retained earnings (capital.py) and counts in the loss streak behind exit
(entry_exit.py).

Innovation (Nelson and Winter 1982; Dosi et al. 2010): success is a stochastic draw rising with the
firm's R&D intensity, local talent and the public research its region turns into firm use:

    p_i = 1 - exp(-phi (K^R_i / S_i + tt_r PR_r / IVA_r) (h_r / h_nat)^innovation.success_talent_elasticity)
    on success: ln A_i += g x lognormal(-sig^2/2, sig),  sig = innovation.success_gain_sigma

phi = innovation.success_rate, g = innovation.success_tfp_gain, tt_r the tech-transfer rate
(innovation.tech_transfer_rate plus the rd_support lever; Liaoning's patent conversion ~10%, seed 001),
PR_r public R&D. Because p depends on R&D *intensity*, a large firm gains no more per success than a
small one of the same intensity.

Imitation and diffusion (Nelson and Winter 1982; Dosi et al. 2010): a laggard copies part of the gap to
its sector's national frontier F_s (the innovation.frontier_quantile of own log TFP) with probability

    q_i = 1 - exp(-mu c_r^xi_I (1 + d_I digital_i))
    c_r = (h_r / h_nat) / (h_r,2012 / h_nat,2012)     absorptive capacity relative to 2012 (labour_market.absorptive_capacity)
    on success: ln A_i += c (ln F_s - ln A_i)^+

mu = innovation.imitation_rate, xi_I = innovation.imitation_talent_elasticity,
d_I = innovation.imitation_digital_boost, c = innovation.imitation_catch_up. A leader's own know-how
leaks out and becomes obsolete (Pakes and Schankerman 1984: private returns to R&D decay ~25% a year;
Caballero and Jaffe 1993), so its lead over the frontier erodes:

    ln A_i -= omega (ln A_i - ln F_s)^+          omega = innovation.lead_erosion

Leaders therefore stay ahead only by innovating again, and there is no runaway of the best firms.

Idiosyncratic productivity (Hopenhayn 1992; Foster, Haltiwanger and Syverson 2008): a transitory AR(1)
component u_i of log TFP whose innovations shrink with size, as large firms are portfolios of many
activities (Stanley et al. 1996: growth SD ~ size^-0.15 to -0.2):

    u_i' = rho_u u_i + sigma_u min(max(S_i / median S, 0.01), 100)^(-beta) eps_i,   ln A_i += u_i' - u_i
    eps_i ~ Laplace(0, 1/sqrt(2))   (unit variance)

The shocks are Laplace, not normal: a firm's yearly change is the sum of a random number of
independent opportunities, which gives the tent-shaped growth-rate distribution found in firm data
(Stanley et al. 1996; Bottazzi and Secchi 2006).

rho_u = innovation.shock_persistence, sigma_u = innovation.shock_sd, beta = innovation.shock_size_elasticity.
Finally every firm gains the common drift production.tfp_drift.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from .. import HIGH, SECTORS, YI
from .. import streams
from ..numeric import gather, is_one, lookup, median  # np.median, bit for bit, faster; gathers of small tables
from ..scenario import FIRST_YEAR
from ..world import Sim
from . import labour_market

PARAMETERS = ("innovation.performer_talent_effect", "innovation.performer_size_effect",
              "innovation.performer_share_2012", "innovation.performer_trend", "innovation.rd_share_of_value_added",
              "innovation.rd_depreciation", "innovation.public_rd_2012", "innovation.tech_transfer_rate",
              "innovation.public_research_weight", "innovation.success_rate", "innovation.success_tfp_gain",
              "innovation.rd_smoothing", "innovation.frontier_quantile", "innovation.imitation_rate", "innovation.imitation_catch_up",
              "innovation.imitation_talent_elasticity", "innovation.imitation_digital_boost", "innovation.lead_erosion",
              "innovation.shock_sd", "innovation.shock_persistence", "innovation.shock_size_elasticity",
              "production.tfp_drift", "innovation.rd_stock_growth_2012", "innovation.performer_subsidy_effect",
              "innovation.success_gain_sigma", "innovation.success_talent_elasticity",
              "innovation.entrant_relative_size", "innovation.rd_intensity_ceiling",
              "innovation.rd_intensity_convergence")


def init(model: Sim) -> None:
    """2012: who performs R&D (intercept solved for the 2012 share), the spending scale, the stocks,
    the firms' own R&D spending (their intangible expense), and public R&D shared by high-skill talent."""
    P, d, rng, w, f = model.params, model.data, model.rng, model.world, model.firms
    nf = len(f)
    va = f.value_added
    rel_size = va / median(va)

    # the 2012 share of R&D performers pins the intercept b0: performer_logit in 2012 (no trend, no subsidy)
    rel_talent, no_subsidy = w.h_share / w.h_nat, np.zeros(d.n)

    def p_perform(b0: float) -> np.ndarray:
        return performer_probability(performer_logit(
            b0, 0.0, 0, P["innovation.performer_talent_effect"], rel_talent, rel_size, no_subsidy,
            P["innovation.performer_size_effect"], P["innovation.performer_subsidy_effect"], region=f.region,
            sign_free=True))

    w.rd_b0 = brentq(lambda b: p_perform(b).mean() - P["innovation.performer_share_2012"], -40, 40)
    active = rng.random(nf) < p_perform(w.rd_b0)
    rho = P.by("innovation.rd_share_of_value_added", SECTORS)[f.sector]
    raw = active * rho * va
    supply = w.labour_supply
    w.public_rd = P["innovation.public_rd_2012"] * supply[:, HIGH] / supply[:, HIGH].sum()
    # the 2012 spending follows the same financing rule as every later year (``affordable``: no more than
    # operating profit covers), so no 2012 performer starts in a net loss made by R&D alone. kappa_rs is solved so
    # that the capped total matches the data's enterprise R&D, each sector keeps the share its sourced intensity
    # implies and each region the enterprise R&D that, with its public R&D, makes its share of all 2012 R&D the
    # provincial communique's (``region_goal_2012``, ``scale_2012_cells``)
    total = d.rd_enterprises_2012 * YI
    if d.rd_2012_by_region is None:  # no provincial table: the sector split only
        w.rd_scale = np.broadcast_to(scale_2012(raw, f.profit, w.firm_weight, total, f.sector, len(SECTORS)),
                                     (d.n, len(SECTORS))).copy()
    else:
        goal = region_goal_2012(d.rd_2012_by_region, w.public_rd * YI, total)
        w.rd_scale = scale_2012_cells(raw, f.profit, w.firm_weight, total, f.sector, len(SECTORS), f.region, goal)
    w.rd_spend = np.minimum(raw * w.rd_scale[f.region, f.sector], np.maximum(f.profit, 0.0))
    f.data["rd_active"] = active
    f.data["rd_stock"] = w.rd_spend / (P["innovation.rd_depreciation"] + P["innovation.rd_stock_growth_2012"])
    f.data["intangible"] = w.rd_spend.copy()
    f.data["tfp_shock"] = np.zeros(nf)
    w.innovations = np.zeros(d.n)


def step(model: Sim) -> None:
    """R&D (an expense), innovation, imitation of the sector frontier, transitory productivity shocks."""
    P, f, pol, w = model.params, model.firms, model.policy, model.world
    R, S = model.data.n, len(SECTORS)
    n = len(f)
    # the talent terms are regional: computed per region and gathered (``region=``), the same bits
    rel_t = w.h_share / w.h_nat  # [region]
    capacity = labour_market.absorptive_capacity(w.h_share, w.h_nat, w.h_rel_2012)  # imitation: relative to 2012
    region = f.region
    va = f.value_added
    pos = va > 0
    k = int(np.count_nonzero(pos))
    # va[pos] (a copy, partitioned in place); when the positive values are the first k rows (the year's entrants,
    # appended last, have none yet) that is va[:k], copied without a selection pass
    med = median(va[:k].copy() if pos[:k].all() else va[pos], overwrite=True) if k else 1.0
    rel_size = va / med  # np.where(pos, va / med, entrant size) without the where pass (the same values)
    rel_size[~pos] = P["innovation.entrant_relative_size"]
    sub_r = pol.rd_subsidy  # [region]; subsidy terms are formed per region and gathered (the same bits)
    logit = performer_logit(w.rd_b0, P["innovation.performer_trend"], model.year - FIRST_YEAR,
                            P["innovation.performer_talent_effect"], rel_t, rel_size, sub_r,
                            P["innovation.performer_size_effect"], P["innovation.performer_subsidy_effect"],
                            region=region, sign_free=True, combine_region=f.combine_region)
    key = model.stream_key, model.year  # keyed per-firm draws (streams.py): the same luck in every scenario
    active = streams.uniform(*key, "innovation.performer", f.uid) < performer_probability(logit)
    sales = current_sales(w.price, f.sector, va, combine_sector=f.combine_sector)
    deepening = intensity_deepening(P["innovation.rd_intensity_ceiling"], P["innovation.rd_intensity_convergence"],
                                    model.year - FIRST_YEAR)
    # sales x the [region, sector] table's entry, by the cell blocks (agents.Firms.combine_cell: the same product per
    # firm without gathering the table; x y is y x, bit for bit) (the products below are formed in place on fresh
    # arrays of this step)
    target = f.combine_cell(np.multiply, sales,
                            (P.by("innovation.rd_share_of_value_added", SECTORS) * deepening * w.rd_scale).ravel())
    spend = affordable(target, funds(f.profit, f.intangible, f.loss_years, P["innovation.rd_smoothing"]),
                       sub_r, region=region)
    np.multiply(spend, active, out=spend)  # active x spend (a fresh array of affordable's)
    gross = gather(1.0 + sub_r, region)
    if not is_one(gross):  # x 1.0 is exact: without a subsidy anywhere spend is already gross
        spend *= gross
    f.data["rd_active"] = active
    stock = f.rd_stock * (1 - P["innovation.rd_depreciation"])
    stock += spend
    f.data["rd_stock"] = stock
    own = gather(1.0 - sub_r, region)
    # the firm's own share is an expense (digital.step adds to it, on a copy); 1.0 x spend is spend
    f.data["intangible"] = spend.copy() if is_one(own) else own * spend
    w.rd_spend = spend
    if np.any(sub_r != 0):
        model.year_stats["policy_cost"] += f.sum_by_region(f.weighted(spend) * sub_r[region]) / YI
    tt = np.minimum(P.by("innovation.tech_transfer_rate", model.regions) + pol.tech_transfer, 1.0)
    public = P["innovation.public_research_weight"] * tt * w.public_rd / np.maximum(w.iva_r, 1e-9)
    # p only for the firms with an R&D stock or performing this year: for the others the rate is
    # (+-0 / max(S, 1e-9) + public x 0) x ... = +-0 (or NaN), so p = 1 - exp(+-0) = 0 (or NaN) and they never draw
    c = np.flatnonzero((f.rd_stock != 0) | active)
    region_c = region.take(c)  # once for both terms
    p = success_probability(P["innovation.success_rate"], f.rd_stock.take(c), sales.take(c),
                            public.take(region_c) * active.take(c), rel_t,
                            P["innovation.success_talent_elasticity"], region=region_c)
    success = np.zeros(n, bool)  # drawn where p > 0 only (keyed: the same outcome as drawing for every firm)
    j = np.flatnonzero(p > 0)
    cj = c.take(j)
    success[cj] = streams.uniform(*key, "innovation.success", f.uid.take(cj)) < p[j]
    won = np.flatnonzero(success)
    sig = P["innovation.success_gain_sigma"]
    gain = P["innovation.success_tfp_gain"] * streams.lognormal(*key, "innovation.gain", f.uid.take(won),
                                                                -0.5 * sig**2, sig)
    w.innovations = f.weight_by_region_where(success)  # weight x success by region
    # the permanent part: innovation, then imitation of the sector frontier
    # (the 2012 tail premium is permanent: imitation, the frontier and lead erosion act on the rest)
    # ln A - shock - premium + gain, the gain (0.0 for all but the innovators) added to the innovators only: x + 0.0
    # is x except for x = -0.0; if some x is a zero, 0.0 is added to every row (x + g + 0.0 is x + g: g > 0)
    log_perm = np.log(f.tfp)
    log_perm -= f.tfp_shock
    log_perm -= f.tfp_premium
    log_perm[won] += gain
    has_zero = bool((log_perm == 0.0).any())
    if has_zero:
        log_perm += 0.0
    frontier = sector_frontier(log_perm, f.sector, S, P["innovation.frontier_quantile"],
                               by_sector=f.values_by_sector(log_perm))
    # q depends on (region, digital) only: ``uniform < q`` decided by streams.below against the table's thresholds,
    # gathered block by block inside the hash (the same decisions; no per-firm q or uniform array)
    q_table = imitation_table(P["innovation.imitation_rate"], capacity, P["innovation.imitation_talent_elasticity"],
                              P["innovation.imitation_digital_boost"])
    copied = streams.below(*key, "innovation.imitation", f.uid, streams.thresholds(q_table),
                           index=_region_digital_index(f, R))
    frontier_i = f.gather_sector(frontier)  # frontier[sector] by the cell blocks (a gather only copies)
    log_perm = imitate_erode(log_perm, frontier, frontier_i, copied, P["innovation.imitation_catch_up"],
                             P["innovation.lead_erosion"], nonzero=not has_zero)
    # the transitory part: AR(1) with Laplace innovations whose SD falls with size
    # shock_sd and ar1 in place (rel_size and eps are this step's temporaries, not needed after).
    # eps = streams.laplace(..., 0.0, sqrt(1/2)) is 0.0 + sqrt(1/2) x unit (streams.laplace_unit, in place on the
    # fresh uniforms): the unit is finite and never +-0 (keyed u are in (0, 1) and never 1/2), so 0.0 + x is x and
    # that pass is skipped
    sd = shock_sd(P["innovation.shock_sd"], rel_size, P["innovation.shock_size_elasticity"], overwrite=True)
    eps = streams.laplace_unit(streams.uniform(*key, "innovation.shock", f.uid), overwrite=True)
    eps *= np.sqrt(0.5)
    u = ar1(f.tfp_shock, P["innovation.shock_persistence"], sd, eps, overwrite=True)
    f.data["tfp_shock"] = u
    # exp(ln A + premium + u) (1 + drift), in place on log_perm (this step's array): the same operations in order
    log_perm += f.tfp_premium
    log_perm += u
    tfp = np.exp(log_perm, out=log_perm)
    tfp *= 1.0 + P["production.tfp_drift"]
    f.data["tfp"] = tfp


def scale_2012(raw: np.ndarray, profit: np.ndarray, weight: np.ndarray | float, total: float,
               sector: np.ndarray, n_sectors: int) -> np.ndarray:
    """[sector] kappa_s with sum_(i in s) W_i min(kappa_s raw_i, max(pi_i, 0)) = kappa_0 sum_(i in s) W_i raw_i,
    kappa_0 = total / sum_i W_i raw_i: the 2012 enterprise R&D of the data, shared over sectors as the sourced
    intensities rho_s imply, each performer spending its sector-typical intensity but no more than its
    operating profit covers (the rule of ``affordable``). Where a sector's performers cannot fund its share at
    any kappa, kappa_s = kappa_0 (the cap then binds on all of them)."""
    weight = np.broadcast_to(np.asarray(weight, dtype=float), raw.shape)
    cap = np.maximum(profit, 0.0)
    k0 = total / max(float((raw * weight).sum()), 1e-9)
    out = np.full(n_sectors, k0)
    for s in range(n_sectors):  # four sectors, not agents
        m = (sector == s) & (raw > 0)
        r, c, wt = raw[m], cap[m], weight[m]
        goal = k0 * float((wt * r).sum())
        gap = lambda k: float((wt * np.minimum(k * r, c)).sum()) - goal  # noqa: E731
        if goal <= 0 or float((wt * c).sum()) <= goal or gap(k0) >= -1e-9 * goal:
            continue  # nothing to fund, profits cannot fund it, or no cap binds at kappa_0
        out[s] = brentq(gap, k0, 1e6 * k0)
    return out


def region_goal_2012(rd_by_region: np.ndarray, public: np.ndarray, enterprise_total: float,
                     floor: float = 0.05) -> np.ndarray:
    """[region] 2012 enterprise R&D E_r = sh_r (E + PR) - PR_r, with sh_r = D_r / sum D the region's share of all
    R&D in the provincial data (NBS/MOST/MOF 2012 communique) and PR_r the model's public R&D: the enterprise R&D
    that makes each region's share of the model's 2012 R&D (firms + public) the data's. The communique gives
    provincial totals, not performers, so enterprise R&D is the residual after the public split (by high-skill
    labour, the rule of every later year). Where a region's public R&D alone exceeds its data share (only with
    innovation.public_rd_2012 far above the data's 2,329.5 yi), its firms keep ``floor`` of their proportional
    share sh_r E instead (the margins then no longer sum to E and are rescaled by ``scale_2012_cells``). Same units
    as ``public`` and ``enterprise_total``."""
    share = np.asarray(rd_by_region, dtype=float) / float(np.sum(rd_by_region))
    goal = share * (enterprise_total + float(np.sum(public))) - public
    return np.maximum(goal, floor * share * enterprise_total)


def scale_2012_cells(raw: np.ndarray, profit: np.ndarray, weight: np.ndarray | float, total: float,
                     sector: np.ndarray, n_sectors: int, region: np.ndarray, region_goal: np.ndarray,
                     tol: float = 1e-11, max_iter: int = 1000) -> np.ndarray:
    """[region, sector] kappa_rs = a_r b_s: the 2012 enterprise R&D of the data with both margins anchored.

    Every performer spends its sector-typical intensity scaled by kappa_rs, but no more than its operating profit
    covers (the rule of ``affordable``): E_rs(k) = sum_(i in r, s) W_i min(k raw_i, max(pi_i, 0)). The factors
    solve, by iterative proportional fitting on these capped budgets (Deming and Stephan 1940; each step a
    one-dimensional root of a monotone function, Brent),

        sum_s E_rs(a_r b_s) = G_r     the region margins ``region_goal``, rescaled to ``total``
        sum_r E_rs(a_r b_s) = T_s     the sector margins kappa_0 sum_(i in s) W_i raw_i, kappa_0 = total / sum W raw

    (T_s: the split the sourced intensities rho_s imply, as in ``scale_2012``). A margin its performers cannot
    fund at any scale is left at their profits (the margins then miss by that shortfall). Loops run over regions
    and sectors, not agents: E_rs is evaluated from the performers' sorted cap thresholds pi_i / raw_i."""
    weight = np.broadcast_to(np.asarray(weight, dtype=float), raw.shape)
    n_regions = len(region_goal)
    cap = np.maximum(profit, 0.0)
    cells = []  # per cell: sorted thresholds, suffix sums of W raw, prefix sums of W cap
    for r in range(n_regions):
        for s in range(n_sectors):
            m = (region == r) & (sector == s) & (raw > 0)
            thr = cap[m] / raw[m]
            o = np.argsort(thr, kind="stable")
            wr, wc = (weight[m] * raw[m])[o], (weight[m] * cap[m])[o]
            cells.append((thr[o], np.concatenate([np.cumsum(wr[::-1])[::-1], [0.0]]),
                          np.concatenate([[0.0], np.cumsum(wc)])))

    def spend(r: int, s: int, k: float) -> float:
        thr, raw_above, cap_below = cells[r * n_sectors + s]
        j = int(np.searchsorted(thr, k, side="right"))  # performers whose cap binds at scale k
        return k * raw_above[j] + cap_below[j]

    budget = np.array([[c[1][0] for c in cells[r * n_sectors:(r + 1) * n_sectors]] for r in range(n_regions)])
    k0 = total / max(float(budget.sum()), 1e-9)
    col = k0 * budget.sum(axis=0)
    row = np.asarray(region_goal, dtype=float) * total / float(np.sum(region_goal))
    a, b = np.ones(n_regions), np.full(n_sectors, k0)

    def margin(pairs: list[tuple[int, float]], x: float) -> float:  # (cell, coefficient): sum E_c(coef x)
        return sum(spend(c // n_sectors, c % n_sectors, coef * x) for c, coef in pairs)

    def solve(pairs: list[tuple[int, float]], goal: float, start: float) -> float:
        """The scale x with margin(x) = goal; where the performers cannot fund it, the smallest x capping all."""
        pairs = [(c, coef) for c, coef in pairs if len(cells[c][0]) and coef > 0]
        if goal <= 0 or not pairs:
            return start
        if sum(cells[c][2][-1] for c, _ in pairs) <= goal:
            return max(cells[c][0][-1] / coef for c, coef in pairs)
        hi = max(start, 1e-12)
        while margin(pairs, hi) < goal:
            hi *= 2.0
        return brentq(lambda x: margin(pairs, x) - goal, 0.0, hi, xtol=1e-15, rtol=1e-15)

    for _ in range(max_iter):
        for r in range(n_regions):
            a[r] = solve([(r * n_sectors + s, b[s]) for s in range(n_sectors)], row[r], a[r])
        for s in range(n_sectors):
            b[s] = solve([(r * n_sectors + s, a[r]) for r in range(n_regions)], col[s], b[s])
        got = np.array([margin([(r * n_sectors + s, a[r] * b[s]) for s in range(n_sectors)], 1.0)
                        for r in range(n_regions)])
        if np.all(np.abs(got - row) <= tol * total):
            break
    return np.outer(a, b)


def intensity_deepening(ceiling: float, convergence: float, years: int) -> float:
    """M_t = 1 + (M_inf - 1)(1 - exp(-k (t - 2012))): performers' R&D intensity relative to 2012, rising towards
    a ceiling with diminishing increments (the intensive margin of R&D deepening)."""
    return 1.0 + (ceiling - 1.0) * (1.0 - np.exp(-convergence * years))


def current_sales(price: np.ndarray, sector: np.ndarray, real_va: np.ndarray, combine_sector=None) -> np.ndarray:
    """S_i = P_s VA_i: value added at its sector's current price (R&D budgets and intensities are current-price).
    ``combine_sector``: the firms' ``combine_sector`` (VA x price[sector] by the cell blocks without gathering the
    prices: the same products, a product commutes)."""
    if combine_sector is not None:
        return combine_sector(np.multiply, real_va, price)
    out = lookup(price, sector)  # price[sector] (a new array)
    out *= real_va  # price x VA: a product commutes
    return out


def performer_logit(b0: float, trend: float, years: int, talent_effect: float, rel_talent: np.ndarray,
                    rel_size: np.ndarray, subsidy: np.ndarray, size_effect: float, subsidy_effect: float,
                    region: np.ndarray | None = None, sign_free: bool = False, combine_region=None) -> np.ndarray:
    """``region`` given: ``rel_talent`` and ``subsidy`` are per region and their terms are computed per region,
    then gathered (the base term added by ``combine_region``, the firms' ``combine_region``, if given: the same sums
    without gathering it).

    Passes that change no value are skipped: the floor at 1e-9 when every relative size is above it (a
    read-only min), and adding a subsidy term that is one zero: x + -0.0 is x, and x + 0.0 is x except that it
    turns -0.0 into +0.0, which ``sign_free`` says the caller does not see (``performer_probability``: expit of
    either zero is 0.5)."""
    base = b0 + trend * years + talent_effect * np.log(np.maximum(rel_talent, 1e-9))
    sub_term = subsidy_effect * subsidy
    if region is not None:  # without a subsidy, sub_term is one value for all (a scalar: no gather)
        if combine_region is None:
            base = lookup(base, region)
        sub_term = gather(sub_term, region)
    floored = rel_size if rel_size.min(initial=np.inf) >= 1e-9 else np.maximum(rel_size, 1e-9)  # NaN: min is NaN
    out = np.log(floored)
    out *= size_effect  # size_effect x ln(...): a product commutes
    if region is not None and combine_region is not None:
        combine_region(np.add, out, base, out=out)  # out + base[region], in place (a sum commutes)
    else:
        out += base  # base + out: a sum commutes
    if np.ndim(sub_term) == 0 and sub_term == 0.0 and (sign_free or np.signbit(sub_term)):
        return out
    return out + sub_term


def performer_probability(logit: np.ndarray) -> np.ndarray:
    return expit(logit)


def funds(profit: np.ndarray, last_spending: np.ndarray, loss_years: np.ndarray, smoothing: float) -> np.ndarray:
    """Internal funds a performer can put into R&D this year (before the subsidy): last year's operating profit, or,
    if it made a net profit last year (no loss streak), at least a share m = ``smoothing`` of last year's own R&D
    and digital spending (smoothing out of cash reserves; Brown, Fazzari and Petersen 2009). A firm that made a
    net loss has no reserves to smooth with: it funds R&D out of operating profit only (Himmelberg and Petersen
    1994), so discretionary R&D alone cannot keep a firm with positive operating profit in a loss streak."""
    reserve = smoothing * last_spending  # np.where(loss_years > 0, 0.0, m X): the same values, one pass fewer
    reserve[np.flatnonzero(loss_years > 0)] = 0.0  # by index: ~2x faster than a scattered boolean mask
    return np.maximum(profit, reserve, out=reserve)


def affordable(target: np.ndarray, profit: np.ndarray, subsidy: np.ndarray,
               region: np.ndarray | None = None) -> np.ndarray:
    """Gross R&D before the subsidy a firm can fund: its target, at most what last year's operating profit
    covers of the firm's own share (1 - subsidy). ``region`` given: ``subsidy`` is per region."""
    own = np.maximum(1.0 - subsidy, 1e-9)
    if region is not None:
        own = gather(own, region)
    cap = np.maximum(profit, 0.0)
    if not is_one(own):  # no subsidy anywhere: x / 1.0 is x
        cap /= own
    return np.minimum(target, cap, out=cap)


def success_probability(phi: float, rd_stock: np.ndarray, sales: np.ndarray, public_term: np.ndarray,
                        rel_talent: np.ndarray, talent_elasticity: float, region: np.ndarray | None = None) -> np.ndarray:
    """``region`` given: ``rel_talent`` is per region and its power is taken per region, then gathered."""
    x = rd_stock / np.maximum(sales, 1e-9) + public_term
    talent = np.maximum(rel_talent, 1e-9) ** talent_elasticity
    if region is not None:
        talent = lookup(talent, region)
    return 1.0 - np.exp(-phi * x * talent)


def sector_frontier(log_a: np.ndarray, sector: np.ndarray, n_sectors: int, quantile: float,
                    by_sector: list[np.ndarray] | None = None) -> np.ndarray:
    """[sector] the ``quantile`` of own log TFP among the sector's firms (0 for a sector with no firms).

    ``by_sector``: optional [sector] ``log_a`` of each sector's firms in any order, fresh copies
    (``Firms.values_by_sector``: slices of the sorted rows instead of a selection over every firm). An order
    statistic does not depend on the order, so the same value; each copy is partitioned in place."""
    out = np.zeros(n_sectors)
    for s in range(n_sectors):  # four sectors, not agents
        x = log_a[sector == s] if by_sector is None else by_sector[s]
        if len(x):
            k = min(int(round(quantile * (len(x) - 1))), len(x) - 1)  # nearest-rank quantile
            x.partition(k)  # x is a copy (a selection or values_by_sector's), as np.partition's
            out[s] = x[k]
    return out


def imitation_probability(rate: float, rel_talent: np.ndarray, talent_elasticity: float, digital: np.ndarray,
                          digital_boost: float, region: np.ndarray | None = None) -> np.ndarray:
    """Yearly probability that a firm's imitation effort succeeds (``region`` given: ``rel_talent`` is per region
    and its term is computed per region, then gathered)."""
    if region is not None:  # q depends on (region, digital) only: formed on that table and gathered, the same numbers
        return lookup(imitation_table(rate, rel_talent, talent_elasticity, digital_boost), region * 2 + digital)
    talent = -rate * np.maximum(rel_talent, 1e-9) ** talent_elasticity
    return 1.0 - np.exp(talent * (1.0 + digital_boost * digital))


def _region_digital_index(f, n_regions: int) -> np.ndarray:
    """``region x 2 + digital`` per firm (intp): the region part filled by the cell blocks (``gather_region``, the
    same values as region x 2), the digital flag added in place."""
    index = f.gather_region(np.arange(0, 2 * n_regions, 2))
    return np.add(index, f.digital, out=index)


def imitation_table(rate: float, rel_talent: np.ndarray, talent_elasticity: float, digital_boost: float) -> np.ndarray:
    """[region x 2 + digital] (flat) ``imitation_probability`` of a firm by its region (``rel_talent`` per region)
    and whether it is digital."""
    talent = -rate * np.maximum(rel_talent, 1e-9) ** talent_elasticity
    return (1.0 - np.exp(talent[:, None] * (1.0 + digital_boost * np.array([False, True])))).ravel()  # [region, digital]


def imitate(log_a: np.ndarray, log_frontier: np.ndarray, success: np.ndarray, catch_up: float) -> np.ndarray:
    """Log TFP after imitation: successful laggards close ``catch_up`` of the log gap to their frontier."""
    return log_a + success * catch_up * np.maximum(log_frontier - log_a, 0.0)


def imitate_erode(log_a: np.ndarray, frontier: np.ndarray, log_frontier: np.ndarray, success: np.ndarray,
                  catch_up: float, erosion: float, nonzero: bool = False) -> np.ndarray:
    """``erode_lead(imitate(log_a, log_frontier, success, catch_up), log_frontier, erosion)``, bit for bit, formed
    in ``log_a`` (a fresh array of the caller's) on the rows that change only: the imitators (``success``) and then
    the leaders above their frontier. ``frontier``: the [sector] table ``log_frontier`` gathers.

    Every other row is x + (0.0 c) m, then x - e max(x - f, 0.0) with m = max(f - x, 0.0): both are x itself when x
    is not zero, x, f and c m are finite and 0 <= c, e <= 1 (the parameters' ranges); anything else (a zero, a NaN,
    an infinity, a value near the overflow) takes the two plain passes. ``nonzero``: the caller knows that no x is
    a zero (it has just checked)."""
    frontier = np.asarray(frontier, dtype=np.float64)
    fast = (len(log_a) > 0 and 0.0 <= catch_up <= 1.0 and 0.0 <= erosion <= 1.0
            and bool(np.all(np.abs(frontier) < 1e300)))
    if fast:
        lo, hi = log_a.min(), log_a.max()  # NaN propagates: then not finite
        fast = bool(-1e300 < lo and hi < 1e300) and (nonzero or not bool((log_a == 0.0).any()))
    if not fast:
        return erode_lead(imitate(log_a, log_frontier, success, catch_up), log_frontier, erosion)
    out = log_a
    j = np.flatnonzero(success)
    if len(j):
        x = out.take(j)
        m = log_frontier.take(j) - x
        np.maximum(m, 0.0, out=m)
        m *= catch_up  # (True x c) m: 1.0 c is c
        x += m
        out[j] = x
    k = np.flatnonzero(out > log_frontier)
    if len(k):
        x = out.take(k)
        m = x - log_frontier.take(k)
        np.maximum(m, 0.0, out=m)
        m *= erosion
        x -= m
        out[k] = x
    return out


def erode_lead(log_a: np.ndarray, log_frontier: np.ndarray, erosion: float) -> np.ndarray:
    """Log TFP after a share ``erosion`` of a leader's lead over its sector frontier leaks away."""
    return log_a - erosion * np.maximum(log_a - log_frontier, 0.0)


def shock_sd(sigma: float, rel_size: np.ndarray, size_elasticity: float, overwrite: bool = False) -> np.ndarray:
    """SD of the yearly productivity innovation, falling with size relative to the median:
    sigma x clip(rel_size, 0.01, 100)^(-size_elasticity). ``overwrite``: ``rel_size`` is the caller's temporary,
    and the SD is formed in it (the same operations; ``**=`` takes the scalar-power path of ``**``)."""
    sd = np.clip(rel_size, 0.01, 100.0, out=rel_size if overwrite else None)
    sd **= -size_elasticity
    sd *= sigma  # sigma x (...): a product commutes
    return sd


def ar1(u: np.ndarray, persistence: float, sd: np.ndarray, eps: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """Next value of the transitory log-productivity component, persistence x u + sd x eps. ``overwrite``: ``eps``
    is the caller's temporary, and sd x eps is formed in it (the same operations)."""
    shock = np.multiply(eps, sd, out=eps if overwrite else None)  # sd x eps: a product commutes
    out = u * persistence
    out += shock
    return out
