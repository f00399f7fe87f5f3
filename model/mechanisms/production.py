"""Production: firms, technology and market structure (monopolistic competition).

Per real firm i in region r and sector s (money in million yuan, labour in persons):

    v_i     = a_r phi_i A_i^eff K_i^alpha_s L_i^(1-alpha_s)       quality-adjusted output delivered
    A_i^eff = A_i Z_rs agg_rs spill_r                            A_i own TFP (moves with the firm); Z_rs the place's
    agg_rs  = (VA_rs / mean_r' VA_r's)^gamma,   spill_r = (h_r / h_nat)^chi
    L_i     = [omega_H,t H^((s-1)/s) + (1 - omega_H,t) G^((s-1)/s)]^(s/(s-1))      s = labour.skill_substitution

Labour is a CES composite of high-skill and general workers (Katz & Murphy 1992; sigma_L in 1.4-2);
skill-biased technical change shifts its weight, ln(omega_H/omega_G)_t = ln(omega_H/omega_G)_2012 +
delta (t - 2012) (delta = labour.skill_bias_growth, KM's 0.033/yr). Its unit cost is
c_L = [omega_H^s wH^(1-s) + omega_G^s wG^(1-s)]^(1/(1-s)); the high-skill cost share
s_H = omega_H^s wH^(1-s) / c_L^(1-s). omega_H,2012 is set by the sector's 2012 high-skill cost share
theta_s (production.high_skill_labour_share) at the 2012 premium.

Market structure (Dixit & Stiglitz 1977; Melitz 2003): each firm sells a variety; within a sector the
varieties are CES substitutes with elasticity sigma_s (production.variety_elasticity), Benassy-normalised
so that entry alone does not lower the price index:

    Q_s = N_s^(1 - 1/rho) (sum_i W_i v_i^rho)^(1/rho),    rho = (sigma_s - 1)/sigma_s,  N_s = sum_i W_i
    R_i = X_s v_i^rho,   X_s = P_s (Q_s / N_s)^(1/sigma_s)       firm revenue = nominal value added
    Q_s = D_s P_s^(-eta)                                         sector demand (demand.py)

so every firm prices at the markup sigma/(sigma - 1) over its marginal cost, and the sector price index P_s
moves with costs and productivity. phi_i is the firm's demand shifter (demand.py). The firm keeps
lambda_i (1 - tau_i) of its revenue: lambda_i a persistent Hsieh & Klenow (2009) wedge (subsidies,
tax breaks, local protection; production.distortion_sigma), tau_i = c_i / P_s,t-1 the carbon and digital
running costs c_i per yuan of real value added as a share of revenue. With capital fixed within the
year (putty-clay) and F_r = 1 + f_r (1 - cut_r) the friction on factor costs, the labour first-order
condition F_r c_L L_i = beta_s lambda_i (1 - tau_i) R_i, beta_s = (1 - alpha_s) rho_s, gives closed forms:

    M_i = lambda_i (1 - tau_i) X_s (a_r phi_i A_i^eff K_i^alpha)^rho
    L_i = (beta M_i / (F_r c_L))^(1/(1-beta)),   N_i = M_i L_i^beta (net revenue),   R_i = N_i / (lambda_i (1 - tau_i))
    H_i = s_H c_L L_i / wH,   G_i = (1 - s_H) c_L L_i / wG
    pi_i = (1 - beta) N_i - F_r u_r K_i                          operating profit (before rationing)

R_i, N_i and L_i scale with X_s^(1/(1-beta)) and v_i with X_s^e, e = (1 - alpha)/(1 - beta), so each sector
clears in closed form: ln X_s (1 + e/eta - e/sigma) = (ln D_s - ln Q1_s)/eta + (ln Q1_s - ln N_s)/sigma
(Q1_s the aggregate at X = 1), then ln Q = ln Q1 + e ln X and P = (Q / D)^(-1/eta). The revenue function
is homogeneous of degree rho < 1 in (K, L): a firm has a finite optimal size, K* ~ (lambda (a phi A)^rho X)^(1/(1-rho)),
and the marginal net return on capital alpha rho N / K falls as it grows (``marginal_return_capital``).
After labour-market rationing (labour_market.py) the composite falls to phi_L L (one factor per
cell) and revenue to R phi_L^beta. Real value added is R_i / P_s (the sector deflator), nominal R_i.

2012 sizes: each cell's data value added is shared over its agents in proportion to z_i, a lognormal body
(production.firm_size_sigma) with a Pareto upper tail of index zeta = production.firm_size_tail_index above its
1 - p quantile (p = production.firm_size_tail_share; ``firm_sizes``), truncated at production.firm_size_tail_cap
times the join, at stratified quantiles u_i = (rank of a lognormal draw z_i^LN + 0.5) / n. The
TFP that the tail adds over the lognormal quantile of the same draw, theta_i = (1/rho - 1) ln(z_i / z_body,i),
is the firm's permanent premium (``Firms.tfp_premium``; ``tail_premium``; innovation.py leaves it alone).

2012: P_s = 1 and R_i the data value added. Each firm's marginal net return on capital equals rho0
everywhere (a spatial equilibrium): alpha rho lambda_i R_i / K_i = F_r u_r + rho0, so firm i's profit share is
lambda_i (1 - rho + alpha rho rho0 / (F_r u_r + rho0)); rho0 sets the value-added weighted mean to
production.profit_share_2012 (so sigma must exceed 1 / that share). Labour from the first-order
condition, X_s = (Q_s / N_s)^(1/sigma), v_i = (R_i / X_s)^(1/rho) and A_i^eff = v_i / (a_r K^alpha L^(1-alpha)).
The cell's geometric-mean TFP is Z_rs (stays with the place); the rest is the firm's own. Within-cell
revenue productivity (TFPR) differs through lambda_i, phi_i and capital that is fixed within the year.
Market access a_r: geography.py (market potential, set in location.step).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtri

from .. import GENERAL, HIGH, MILLION, SECTORS, YI
from .. import streams
from ..agents import Firms
from ..errors import InputError
from ..parameters import ParamSet
from ..scenario import FIRST_YEAR
from ..world import Sim
from . import carbon, labour_market

PARAMETERS = ("production.capital_share", "production.high_skill_labour_share", "production.profit_share_2012",
              "production.firm_size_sigma", "production.firm_size_tail_index", "production.firm_size_tail_share",
              "production.firm_size_tail_cap",
              "production.agglomeration_elasticity",
              "production.spillover_elasticity", "production.nonmanufacturing_share_energy",
              "production.variety_elasticity", "production.distortion_sigma",
              "demand.industrial_va_2012", "demand.industrial_va_share_2012", "demand.sector_share_2012",
              "demand.sector_tilt_energy_intensive", "demand.sector_tilt_labour_intensive",
              "demand.sector_tilt_equipment", "demand.sector_tilt_high_tech", "demand.price_elasticity",
              "labour.natural_unemployment", "labour.skill_substitution", "labour.skill_bias_growth",
              "labour.high_skill_premium_2012", "digital.annual_cost", "demand.ras_iterations")


def value_added_2012(P: ParamSet, regions: tuple[str, ...]) -> np.ndarray:
    """[region, sector] industrial value added in 2012 (yi yuan): the tilted sector mix fitted to both
    margins by iterative proportional fitting (RAS); regional totals are fitted last (the sourced margin)."""
    iva = P["demand.industrial_va_2012"] * P.by("demand.industrial_va_share_2012", regions)
    sector_share = P.by("demand.sector_share_2012", SECTORS)
    mix = np.column_stack([P.by(f"demand.sector_tilt_{s}", regions) for s in SECTORS])
    mix = mix * sector_share[None, :] + 1e-12
    for _ in range(int(P["demand.ras_iterations"])):
        mix *= (iva.sum() * sector_share / mix.sum(axis=0))[None, :]
        mix *= (iva / mix.sum(axis=1))[:, None]
    return mix


def init(model: Sim) -> None:
    """2012: technology, firm agents spread over cells by value added, TFP backed out from the data.

    Needs wages and talent shares (labour_market.init) and the place (location.init). Creates
    ``model.firms``; columns owned by other mechanisms (carbon, R&D, digital, age) start at zero and
    are filled by their ``init``.
    """
    P, d, rng, w = model.params, model.data, model.rng, model.world
    R, S = d.n, len(SECTORS)
    w.alpha = P.by("production.capital_share", SECTORS)
    w.theta = P.by("production.high_skill_labour_share", SECTORS)
    w.sigma_goods = P.by("production.variety_elasticity", SECTORS)
    w.rho = markup_rho(w.sigma_goods)
    w.beta = labour_exponent(w.alpha, w.rho)
    w.sigma_labour = P["labour.skill_substitution"]
    w.omega_high = labour_market.ces_weights(w.theta, P["labour.high_skill_premium_2012"], w.sigma_labour)
    w.omega_high_t = w.omega_high.copy()
    va_rs = value_added_2012(P, model.regions)  # yi yuan

    # Firms: agents spread over cells by value added; sizes inside a cell lognormal with a Pareto upper tail.
    nf = model.n_firms0
    w.firm_weight = d.firms_2012 / nf
    p_cell = (va_rs / va_rs.sum()).ravel()
    cell = rng.choice(R * S, size=nf, p=p_cell)
    f_region, f_sector = (cell // S).astype(np.int8), (cell % S).astype(np.int8)
    # stratified quantiles (rank midpoints) ordered by the lognormal draw of earlier versions: the agents sit at
    # the size quantiles' midpoints (no extreme-value noise) and the random-number stream is unchanged
    u_size = (np.argsort(np.argsort(rng.lognormal(0.0, P["production.firm_size_sigma"], nf))) + 0.5) / nf
    size = firm_sizes(u_size, P["production.firm_size_sigma"], P["production.firm_size_tail_share"],
                      P["production.firm_size_tail_index"], P["production.firm_size_tail_cap"])
    cell_size = np.bincount(cell, weights=size, minlength=R * S)
    va = va_rs.ravel()[cell] * YI * size / (cell_size[cell] * w.firm_weight)  # million yuan per firm
    m_target = P["production.profit_share_2012"]
    if np.any(1.0 - w.rho >= m_target):
        raise InputError("<parameters>", "production.variety_elasticity", w.sigma_goods.tolist(),
                         f"every elasticity must exceed 1 / production.profit_share_2012 = {1.0 / m_target:.4g}")
    a, rho, beta = w.alpha[f_sector], w.rho[f_sector], w.beta[f_sector]
    wedge = draw_wedge(rng, nf, P["production.distortion_sigma"])
    lam = np.exp(wedge)
    # 2012 spatial equilibrium at P = 1 (module docstring): rho0 from the mean profit share.
    fr0 = 1.0 + w.friction[f_region]
    cost_k = fr0 * w.user_cost[f_region]
    rho0 = brentq(lambda r: np.average(lam * (1.0 - rho + a * rho * r / (cost_k + r)), weights=va) - m_target,
                  1e-9, 10.0)
    k = a * rho * lam * va / (cost_k + rho0)
    c_l, s_h = labour_market.labour_unit_cost(w.wage[:, HIGH, None] / MILLION, w.wage[:, GENERAL, None] / MILLION,
                                w.omega_high[None, :], w.sigma_labour)
    cl_i, sh_i = c_l[f_region, f_sector], s_h[f_region, f_sector]
    lab = beta * lam * va / (fr0 * cl_i)  # composite labour
    lab_h = sh_i * cl_i * lab * MILLION / w.wage[f_region, HIGH]
    lab_g = (1.0 - sh_i) * cl_i * lab * MILLION / w.wage[f_region, GENERAL]
    va_s = np.bincount(f_sector, weights=w.firm_weight * va, minlength=S)
    n_s = np.bincount(f_sector, minlength=S) * w.firm_weight
    w.log_x = np.log(va_s / n_s) / w.sigma_goods  # X_s = P_s (Q_s / N_s)^(1/sigma) at P = 1
    v = np.exp((np.log(va) - w.log_x[f_sector]) / rho)
    tfp_eff = v / (w.access[f_region] * k**a * lab ** (1.0 - a))
    profit0 = (1.0 - beta) * lam * va - cost_k * k
    w.price = np.ones(S)
    w.va_rs_prev = va_rs.copy()
    agg = agglomeration(va_rs, P["production.agglomeration_elasticity"])
    spill = spillover(w.h_share, w.h_nat, P["production.spillover_elasticity"])
    tfp_own = tfp_eff / (agg[f_region, f_sector] * spill[f_region])
    # What stays with the place (infrastructure, institutions, supplier networks) is separated from
    # what moves with the firm: the cell's geometric-mean TFP is regional, the rest is the firm's own.
    log_z = np.bincount(cell, weights=np.log(tfp_own), minlength=R * S) / np.maximum(
        np.bincount(cell, minlength=R * S), 1)
    w.region_tfp = np.exp(log_z).reshape(R, S)
    tfp_own = tfp_own / w.region_tfp[f_region, f_sector]
    # the part of ln A that the Pareto tail adds over the lognormal body is permanent (innovation.py)
    premium = tail_premium(u_size, size, P["production.firm_size_sigma"], rho)
    zeros = np.zeros(nf)
    model.firms = Firms(uid=np.arange(nf), region=f_region, sector=f_sector, tfp=tfp_own, capital=k,
                        labour_high=lab_h, labour_general=lab_g, direct_intensity=zeros, power_use=zeros,
                        abatement=zeros, abatement_capital=zeros, carbon_charge=zeros,
                        digital=np.zeros(nf, bool), digital_affinity=zeros, rd_active=np.zeros(nf, bool),
                        rd_stock=zeros, age=np.zeros(nf, np.int16), value_added=va, profit=profit0,
                        tfp_shock=np.zeros(nf), tfp_premium=premium, intangible=np.zeros(nf),
                        loss_years=np.zeros(nf, np.int16), weight=np.full(nf, w.firm_weight),
                        wedge=wedge, quality=zeros.copy(),
                        location_match=np.zeros((nf, R)))  # drawn by location.init_match


def firm_sizes(u: np.ndarray, sigma: float, tail_share: float, tail_index: float, cap: float = np.inf) -> np.ndarray:
    """Relative 2012 firm sizes from uniform draws ``u``: lognormal(0, sigma) body with a Pareto upper tail.

    The quantile function is the lognormal one up to the 1 - p quantile (p = ``tail_share``) and a Pareto one
    with index zeta = ``tail_index`` above it, continuous at the join z*:

        z(u) = exp(sigma Phi^-1(u))                   u <= 1 - p
        z(u) = z* (p / (1 - u))^(1/zeta)              u >  1 - p,   z* = exp(sigma Phi^-1(1 - p))

    so P(z > x) = p (x / z*)^-zeta above z* (a lognormal-Pareto composite; Luttmer 2007, Gabaix 2009), truncated
    at ``cap`` z* (u is clipped at 1 - p cap^-zeta; a truncated Pareto, Aban, Meerschaert and Panorska 2006).
    """
    u = np.clip(u, 1e-12, 1.0 - 1e-12)
    if tail_share > 0 and np.isfinite(cap):
        u = np.minimum(u, 1.0 - tail_share * cap ** (-tail_index))
    cut = 1.0 - tail_share
    z_star = np.exp(sigma * ndtri(cut)) if tail_share > 0 else np.inf
    body = np.exp(sigma * ndtri(np.minimum(u, cut) if tail_share > 0 else u))
    tail = z_star * (tail_share / np.maximum(1.0 - u, 1e-300)) ** (1.0 / tail_index) if tail_share > 0 else body
    return np.where(u > cut, tail, body)


def tail_premium(u: np.ndarray, size: np.ndarray, sigma: float, rho: np.ndarray) -> np.ndarray:
    """Permanent log-TFP premium of the 2012 upper tail: (1/rho - 1) ln(z / z_body)^+, z_body = exp(sigma Phi^-1(u)).

    With capital and labour proportional to lambda VA in 2012, ln A = (1/rho - 1) ln VA - ln lambda + cell terms,
    so (1/rho - 1) times the Pareto excess of log size over the lognormal quantile of the same draw is the TFP
    that puts the firm in the tail; it is 0 in the body. The rest of a tail firm's TFP is where the lognormal
    body would have put it (above the sector frontier of innovation.py, so it erodes like any leader's lead).
    """
    u = np.clip(u, 1e-12, 1.0 - 1e-12)
    excess = np.log(size) - sigma * ndtri(u)
    return (1.0 / rho - 1.0) * np.where(excess > 1e-9, excess, 0.0)  # exactly 0 in the body (no rounding dust)


def entrant_columns(model: Sim, n: int, uid: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Technology columns of ``n`` entrants: a fresh revenue wedge; demand shifter at the cell's norm (0); no
    tail premium (entrants start small: Luttmer 2007). With ``uid`` the wedge is keyed on it (streams.py)."""
    rng = model.rng if uid is None else streams.keyed(model, "entry.wedge", uid)
    return dict(wedge=draw_wedge(rng, n, model.params["production.distortion_sigma"]), quality=np.zeros(n),
                tfp_premium=np.zeros(n))


def step(model: Sim) -> None:
    """Supply at the sector revenue shifters that clear each market, hiring (rationed by the labour
    market), the accounts.

    Needs this year's demand and services (demand.step) and grid (carbon.step); leaves labour demand and
    employment in the world for labour_market.step.
    """
    P, f, w, pol = model.params, model.firms, model.world, model.policy
    R, S = model.data.n, len(SECTORS)
    u = P["labour.natural_unemployment"]
    supply = w.labour_supply
    w.omega_high_t = labour_market.skill_weight(w.omega_high, P["labour.skill_bias_growth"] * (model.year - FIRST_YEAR))
    # [sector], [region] and [cell] tables are applied by the firms' sorted cell blocks: Firms.combine_sector /
    # combine_region / combine_cell(op, x, table) is op(x, table[key]) with each block's entry as a scalar (the same
    # operation on the same numbers per firm, ~0.35 ms at full scale against ~0.65 ms for a gather and the
    # operation); gather_* where a per-firm array is used several times. The order of every operation is the one of
    # the formulas in the comments (a sum or product with its operands swapped is the same IEEE number).
    add, sub, mul, div = np.add, np.subtract, np.multiply, np.divide
    by_cell, by_region, by_sector = f.combine_cell, f.combine_region, f.combine_sector
    rho = f.gather_sector(w.rho)
    # ln A_eff = ln A + ln(Z agg)_rs + ln spill_r: per-cell factors computed once per cell (the same bits)
    log_tfp_eff = np.log(f.tfp)
    by_cell(add, log_tfp_eff, np.log(w.region_tfp * w.agg).ravel(), out=log_tfp_eff)
    by_region(add, log_tfp_eff, np.log(w.spill), out=log_tfp_eff)
    fr_r = 1.0 + w.friction * (1.0 - pol.friction_cut)
    c_l, s_h = labour_cost(w)
    carbon_per_yuan, intens = carbon.firm_charges(model)  # net of free allocation; abatement lowers intens
    # c + digital x cost_r (added into the fresh digital term: an IEEE sum commutes)
    charges = by_region(mul, f.digital, P["digital.annual_cost"] * (1.0 - pol.digital_subsidy))
    charges += carbon_per_yuan
    # last year's price unless no firm could cover its costs; the per-firm gather is shared with reference_price
    p_firm = f.gather_sector(w.price)
    p_ref = reference_price(w.price, charges, f.sector, S, price_firm=p_firm)
    p_ref_firm = p_firm if p_ref is w.price else f.gather_sector(p_ref)
    # running costs as a share of revenue, max(1 - c / P, 0), formed in ``charges`` (not used after)
    keep = np.divide(charges, p_ref_firm, out=charges)
    np.subtract(1.0, keep, out=keep)
    np.maximum(keep, 0.0, out=keep)
    # every firm covers its running costs (nearly always): np.where(on, x, y) is x, so skip those passes
    # (min > 0 is all(keep > 0): a NaN makes both false)
    all_on = bool(keep.min() > 0) if len(keep) else True
    on = None if all_on else keep > 0
    with np.errstate(divide="ignore"):
        log_keep = np.log(keep)
    # ln M_i at X = 1: wedge + ln keep + rho (quality + ln a_r + ln A_eff + alpha ln K)
    inner = by_region(add, f.quality, np.log(w.access))
    inner += log_tfp_eff
    log_k = np.log(f.capital)
    inner += by_sector(mul, log_k, w.alpha, table_first=True, out=log_k)
    inner *= rho
    log_m1 = f.wedge + log_keep
    log_m1 += inner
    log_r1, log_l1 = short_run(log_m1, None, w.beta, log_beta=np.log(w.beta),  # ln N and ln L at X = 1
                               log_labour_cost=np.log(fr_r[:, None] * c_l).ravel(), one_minus_beta=1.0 - w.beta,
                               firms=f)
    log_r1 -= f.wedge
    log_r1 -= log_keep  # revenue at X = 1: ln N - wedge - ln keep
    if not all_on:
        log_r1 = np.where(on, log_r1, -np.inf)
    # the weights as their one common value when every firm has it (Firms.constant("weight"); 1.0 at full scale)
    cw = f.constant("weight")
    log_q1, log_n = ces_aggregate_log(log_r1 / rho, f.weight if cw is None else cw, f.sector, w.rho, S,
                                      by_sector=f.sum_by_sector,
                                      rho_firm=rho,  # N_s from the weight by cell digital.step already summed
                                      weight_by_sector=f.weight_by_cell(R).reshape(R, S).sum(axis=0))
    e = (1.0 - w.alpha) / (1.0 - w.beta)
    w.log_x, _, log_p = clear_sector(log_q1, log_n, np.log(w.sector_demand), e, w.sigma_goods,
                                     P.by("demand.price_elasticity", SECTORS))
    w.price_prev, w.price = w.price, np.exp(log_p)
    shift = w.log_x / (1.0 - w.beta)  # [sector]: N, R and L scale with X^(1/(1-beta))
    lab_plan = by_sector(add, log_l1, shift, out=log_l1)  # exp(ln L + shift)
    if all_on:
        np.exp(lab_plan, out=lab_plan)
    else:
        lab_plan = np.where(on, np.exp(lab_plan), 0.0)
    # need = (s_H c_L)_rs x L x MILLION / wage_r (and the general-skill part)
    need_h = by_cell(mul, lab_plan, (s_h * c_l).ravel(), table_first=True)
    need_h *= MILLION
    by_region(div, need_h, w.wage[:, HIGH], out=need_h)
    need_g = by_cell(mul, lab_plan, ((1.0 - s_h) * c_l).ravel(), table_first=True, out=lab_plan)
    need_g *= MILLION
    by_region(div, need_g, w.wage[:, GENERAL], out=need_g)

    # Labour demand: industry plus the rest of the economy, then clearing and rationing.
    ind = np.column_stack([f.sum_by_region(f.weighted(need_h)),  # weight x need (Firms.weighted)
                           f.sum_by_region(f.weighted(need_g))])
    total = ind + labour_market.other_demand(model)
    employment, ration = labour_market.clear(total, supply, u)
    w.labour_demand, w.employment = total, employment
    hire_h = by_region(mul, need_h, ration[:, HIGH], out=need_h)  # need x ration_r
    hire_g = by_region(mul, need_g, ration[:, GENERAL], out=need_g)
    # rationed composite labour: every firm of a cell uses the same mix, so one factor per cell
    per_h, per_g = s_h / w.wage[:, HIGH, None], (1.0 - s_h) / w.wage[:, GENERAL, None]
    cut = (labour_market.composite_labour(ration[:, HIGH, None] * per_h, ration[:, GENERAL, None] * per_g, w.omega_high_t[None, :],
                            w.sigma_labour)
           / labour_market.composite_labour(per_h, per_g, w.omega_high_t[None, :], w.sigma_labour))
    # nominal VA: exp(ln R1 + shift + (beta ln cut)_rs)
    revenue = by_sector(add, log_r1, shift, out=log_r1)  # (ln R1 is not used after)
    by_cell(add, revenue, (w.beta[None, :] * np.log(cut)).ravel(), out=revenue)
    np.exp(revenue, out=revenue)
    if not all_on:
        revenue = np.where(on, revenue, 0.0)
    va = by_sector(div, revenue, w.price)  # real value added (sector deflator)

    # Accounts.
    # labour bill (wage_H,r hire_H + wage_G,r hire_G) / MILLION; capital cost u_r K
    labour_bill = by_region(mul, hire_h, w.wage[:, HIGH], table_first=True)
    labour_bill += by_region(mul, hire_g, w.wage[:, GENERAL], table_first=True)
    labour_bill /= MILLION
    capital_cost = by_region(mul, f.capital, w.user_cost, table_first=True)
    # Operating profit (before R&D, digital adoption and the one-off cost of a move): what investors
    # look at; net profit (less Firms.intangible) is what the loss streak behind exit counts.
    abate = carbon.abatement_cost_firm(model)  # once for the profit and the carbon accounts
    # exp(wedge) keep R - F_r (labour bill + capital cost) - abatement cost
    fixed = labour_bill
    fixed += capital_cost
    by_region(mul, fixed, fr_r, table_first=True, out=fixed)
    profit = np.exp(f.wedge)
    profit *= keep
    profit *= revenue
    profit -= fixed
    profit -= abate
    if np.any(pol.digital_subsidy != 0):
        model.year_stats["policy_cost"] += np.bincount(
            f.region, weights=f.weight * f.digital * P["digital.annual_cost"] * pol.digital_subsidy.take(f.region) * va,
            minlength=R) / YI
    f.data["labour_high"], f.data["labour_general"] = hire_h, hire_g
    f.data["value_added"], f.data["profit"] = va, profit
    # the loss streak behind exit counts net losses: after carbon, R&D and digital adoption spending
    # profit < intangible is profit - intangible < 0 for every pair (IEEE: a - b is 0 only when a == b, and
    # inf - inf is NaN), without the difference over every firm
    # (streak + 1) x [loss] in int16: the same integers as np.where(loss, streak + 1, 0) (x 1 and x 0 are exact; an
    # int16 overflow of streak + 1 wraps alike), without the where pass
    streak = f.loss_years + 1
    streak *= profit < f.intangible
    f.data["loss_years"] = streak.astype(np.int16, copy=False)
    carbon.account(model, va, carbon_per_yuan, intens, abate)  # emissions, carbon charges, carbon and abatement bills

    # Regional aggregates.
    w.va_rs_prev = f.sum_by_cell(f.weighted(va)).reshape(R, S) / YI
    w.iva_r = w.va_rs_prev.sum(axis=1)
    w.gdp_prev = w.gdp
    w.gdp = w.iva_r + w.services


def labour_cost(w) -> tuple[np.ndarray, np.ndarray]:
    """[region, sector] unit cost of the labour composite (million yuan) and the high-skill cost share."""
    return labour_market.labour_unit_cost(w.wage[:, HIGH, None] / MILLION, w.wage[:, GENERAL, None] / MILLION,
                            w.omega_high_t[None, :], w.sigma_labour)


def profit_parts(model: Sim, idx: np.ndarray, charges: np.ndarray | None = None,
                 overwrite: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """[firm, region] (net revenue after labour (1 - beta) N_ir, capital cost F_r u_r K_i) that firm ``idx``
    would have producing in each region, at this year's wages, land and place and last year's shifters X_s;
    operating profit is their difference:

    ln N_ir = (ln M_ir + beta ln(beta / (F_r c_L,rs))) / (1 - beta),
    ln M_ir = ln lambda_i + ln(1 - tau_ir) + ln X_s + rho (ln phi_i + ln A_i + ln(a Z agg spill)_rs + alpha ln K_i).
    ``charges`` [firm, region]: running costs per yuan of real value added (None: none). N_ir moves with the
    labour cost as c_L^(-beta/(1-beta)) (``revenue_wage_elasticity``). ``overwrite``: ``charges`` is the caller's
    temporary (a float64 [firm, region] block), and the running-cost factor is formed in it.
    """
    f, pol, w = model.firms, model.policy, model.world
    s = f.sector[idx]
    beta = w.beta[s]
    fr_r = 1.0 + w.friction * (1.0 - pol.friction_cut)
    c_l, _ = labour_cost(w)
    place = np.log(w.access)[:, None] + np.log(w.region_tfp * w.agg) + np.log(w.spill)[:, None]  # [r, s]
    # N_ir = exp(firm part_i) x exp(cell part_rs): one table per cell, one exponential per firm
    cell = ((w.rho[None, :] * place + w.beta[None, :] * np.log(w.beta[None, :] / (fr_r[:, None] * c_l)))
            / (1.0 - w.beta[None, :])).T                                                    # [s, r]
    k = f.capital[idx]
    firm = (f.wedge[idx] + w.log_x[s] + w.rho[s] * (f.quality[idx] + np.log(f.tfp[idx]) + w.alpha[s] * np.log(k)))
    # the [firm, region] blocks are formed in place (~10 MB for location's reviewers: fresh temporaries of that
    # size are slow); a product with its operands swapped is the same IEEE number
    net = np.exp(cell).take(s, axis=0)  # take: rows of the [s, r] table, fast
    net *= np.exp(firm / (1.0 - beta))[:, None]
    if charges is not None:
        in_place = overwrite and charges.dtype == np.float64 and charges.shape == net.shape
        keep = np.divide(charges, w.price[s][:, None], out=charges if in_place else None)
        np.subtract(1.0, keep, out=keep)
        np.maximum(keep, 0.0, out=keep)
        np.power(keep, (1.0 / (1.0 - beta))[:, None], out=keep)
        net *= keep
    net *= (1.0 - beta)[:, None]
    return net, (fr_r * w.user_cost)[None, :] * k[:, None]


def profit_everywhere(model: Sim, idx: np.ndarray, charges: np.ndarray | None = None) -> np.ndarray:
    """[firm, region] operating profit (million yuan) firm ``idx`` would make producing in each region
    (``profit_parts``: net revenue less the capital cost)."""
    gross, cost = profit_parts(model, idx, charges)
    return gross - cost


def revenue_wage_elasticity(beta: np.ndarray) -> np.ndarray:
    """beta / (1 - beta): the elasticity of short-run net revenue to the unit labour cost (capital fixed)."""
    return beta / (1.0 - beta)


def manufacturing_va(firms: Firms, P: ParamSet, n_regions: int, price: np.ndarray | None = None) -> np.ndarray:
    """[region] manufacturing value added (yi yuan): industry less the mining and utilities part of
    the energy-intensive sector (production.nonmanufacturing_share_energy). Real (2012 prices) by
    default; at current prices when the sector ``price`` indices are given."""
    f = firms
    va = f.value_added if price is None else f.value_added * price[f.sector]
    iva = f.sum_by_region(f.weight * va) / YI
    energy = f.sector == SECTORS.index("energy_intensive")
    ei_va = f.sum_by_region(f.weight * va * energy) / YI
    return manufacturing_from(iva, ei_va, P)


def manufacturing_from(iva: np.ndarray, energy_intensive_va: np.ndarray, P: ParamSet) -> np.ndarray:
    """[region] manufacturing value added from industrial and energy-intensive value added (``manufacturing_va``;
    the metrics pass the sums they already have)."""
    return iva - P["production.nonmanufacturing_share_energy"] * energy_intensive_va


def agglomeration(va_rs: np.ndarray, gamma: float) -> np.ndarray:
    """[region, sector] agglomeration factor from last year's sector value added by region."""
    mean = np.maximum(va_rs.mean(axis=0, keepdims=True), 1e-12)
    return (np.maximum(va_rs, 1e-12) / mean) ** gamma


def spillover(high_share: np.ndarray, national_share: float, chi: float) -> np.ndarray:
    """[region] knowledge spillover factor from the local high-skill share."""
    return (np.maximum(high_share, 1e-9) / max(national_share, 1e-9)) ** chi


# ---------------------------------------------------------------- monopolistic competition
def markup_rho(sigma_goods: np.ndarray) -> np.ndarray:
    """rho = (sigma - 1)/sigma: revenue R = X v^rho; the price is sigma/(sigma - 1) x marginal cost."""
    return (np.asarray(sigma_goods, dtype=float) - 1.0) / np.asarray(sigma_goods, dtype=float)


def labour_exponent(alpha: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """beta = (1 - alpha) rho: the elasticity of revenue to labour; labour's share of net revenue."""
    return (1.0 - alpha) * rho


SHUTDOWN_MARGIN = 0.1  # share of revenue the lowest-cost firm keeps at the limit price (reference_price)


def reference_price(price: np.ndarray, charges: np.ndarray, sector: np.ndarray, n_sectors: int,
                    price_firm: np.ndarray | None = None) -> np.ndarray:
    """[sector] the price at which firms decide whether to produce: last year's clearing price P_s, unless at
    P_s not one firm of sector s covers its running costs c_i per unit (carbon charge net of free allocation,
    digital running cost). With no supply the market price is unbounded (every firm shut, the sector's price
    infinite, its nominal output undefined); a market does not vanish because last year's price is too low, it
    clears higher. The reference is then the limit price of the lowest-cost producer, the lowest step of the
    supply curve: min_i c_i / (1 - SHUTDOWN_MARGIN). It never binds while some firm of every sector covers its
    costs (every year of the shipped scenarios: a carbon price of ~2,500 yuan/t with no free allocation is
    needed to shut a whole sector). Returns ``price`` itself when it is the reference. ``price_firm``:
    ``price[sector]`` if the caller has it."""
    covered = charges < (price.take(sector) if price_firm is None else price_firm)
    if covered.all():
        return price
    present = np.bincount(sector, minlength=n_sectors) > 0
    dead = present & ~(np.bincount(sector[covered], minlength=n_sectors) > 0)
    if not dead.any():
        return price
    lowest = np.full(n_sectors, np.inf)
    np.minimum.at(lowest, sector, charges)
    out = price.copy()
    out[dead] = lowest[dead] / (1.0 - SHUTDOWN_MARGIN)
    return out


def short_run(log_m: np.ndarray, labour_cost: np.ndarray | None, beta: np.ndarray, *,
              log_beta: np.ndarray | None = None, log_labour_cost: np.ndarray | None = None,
              one_minus_beta: np.ndarray | None = None, firms=None) -> tuple[np.ndarray, np.ndarray]:
    """Firm's short-run optimum with capital fixed: ln(net revenue) and ln(composite labour).

    Net revenue N = M L^beta with M = lambda (1 - tau) X (a A K^alpha)^rho; the first-order condition
    F c_L L = beta N gives L = (beta M / (F c_L))^(1/(1 - beta)) and N = M^(1/(1-beta)) (beta/(F c_L))^(beta/(1-beta)).
    ``labour_cost`` is F c_L (million yuan per composite worker). ``log_beta`` and ``log_labour_cost``, when
    given, are ln beta and ln(F c_L) already taken (e.g. once per cell and gathered; the same numbers), and
    ``one_minus_beta`` is 1 - beta (e.g. per sector and gathered).

    ``firms`` (agents.Firms, the rows of ``log_m``): ``beta``, ``log_beta`` and ``one_minus_beta`` are [sector]
    tables and ``log_labour_cost`` a [cell] table, applied by the firms' sorted cell blocks (``combine_sector`` /
    ``combine_cell``: each block's entry as a scalar, the same operations on the same numbers per firm).
    """
    if firms is not None:
        log_l = firms.combine_sector(np.add, log_m, log_beta, table_first=True)  # ln beta + ln M
        firms.combine_cell(np.subtract, log_l, log_labour_cost, out=log_l)
        firms.combine_sector(np.divide, log_l, one_minus_beta, out=log_l)
        log_n = firms.combine_sector(np.multiply, log_l, beta, table_first=True)
        log_n += log_m  # ln M + beta ln L: a sum commutes
        return log_n, log_l
    lb = np.log(beta) if log_beta is None else log_beta
    llc = np.log(labour_cost) if log_labour_cost is None else log_labour_cost
    log_l = (lb + log_m - llc) / (1.0 - beta if one_minus_beta is None else one_minus_beta)
    return log_m + beta * log_l, log_l


def clear_sector(log_q1: np.ndarray, log_n: np.ndarray, log_d: np.ndarray, e: np.ndarray, sigma: np.ndarray,
                 eta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed-form sector equilibrium: (ln X, ln Q, ln P) per sector.

    Q_s = Q1_s X_s^e_s (supply of the CES aggregate, e = (1-alpha)/(1-beta)), X_s = P_s (Q_s/N_s)^(1/sigma_s)
    (the revenue shifter) and Q_s = D_s P_s^(-eta) (sector demand) give
    ln X (1 + e/eta - e/sigma) = (ln D - ln Q1)/eta + (ln Q1 - ln N)/sigma.
    """
    lx = ((log_d - log_q1) / eta + (log_q1 - log_n) / sigma) / (1.0 + e / eta - e / sigma)
    lq = log_q1 + e * lx
    lp = -(lq - log_d) / eta
    return lx, lq, lp


def ces_aggregate_log(log_v: np.ndarray, weight: np.ndarray, sector: np.ndarray, rho_s: np.ndarray,
                      n_sectors: int, by_sector=None, rho_firm: np.ndarray | None = None,
                      weight_by_sector: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ln Q_s, ln N_s): Q_s = N_s^(1 - 1/rho) (sum W_i v_i^rho)^(1/rho) (Benassy normalisation: N equal
    firms each making v give Q = N v, so entry alone does not lower the price). ``rho_firm``: ``rho_s[sector]``,
    ``weight_by_sector``: ``by_sector(weight)``, if the caller has them. ``weight`` may be one scalar, the weight
    every firm has (``Firms.constant("weight")``; then ``weight_by_sector`` is needed): the same products, and none
    at all for a weight of exactly 1.0 (1 x t is t, IEEE)."""
    rho = rho_s[sector] if rho_firm is None else rho_firm
    finite = np.isfinite(log_v)
    if finite.all():  # the usual case: the np.where passes below would change nothing
        terms = np.multiply(rho, log_v)
        np.exp(terms, out=terms)
        if not (np.ndim(weight) == 0 and weight == 1.0):
            terms = weight * terms
    else:
        terms = np.where(finite, weight * np.exp(rho * np.where(finite, log_v, 0.0)), 0.0)
    by_sector = by_sector or (lambda x: np.bincount(sector, weights=x, minlength=n_sectors))  # or slice sums
    sums = by_sector(terms)
    log_n = np.log(np.maximum(by_sector(weight) if weight_by_sector is None else weight_by_sector, 1e-300))
    log_q = (1.0 - 1.0 / rho_s) * log_n + np.log(np.maximum(sums, 1e-300)) / rho_s
    return log_q, log_n


def draw_wedge(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Persistent log revenue wedges ln lambda_i = sigma clip(z, -2, 2) - sigma^2 / 2, z ~ N(0, 1) (Hsieh & Klenow
    2009 output distortions: subsidies, tax breaks, local protection). Truncated at two SD so that no firm
    keeps more than exp(2 sigma) of its sales."""
    return sigma * np.clip(rng.normal(0.0, 1.0, n), -2.0, 2.0) - 0.5 * sigma**2


def marginal_return_capital(net_revenue: np.ndarray, capital: np.ndarray, alpha: np.ndarray,
                            rho: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Marginal net revenue product of capital with labour re-optimised: d[(1-beta) N]/dK = alpha rho N / K.

    Falls with K (N grows like K^(alpha rho / (1 - beta)), an exponent below 1): the finite optimal size.
    """
    return alpha * rho * net_revenue / np.maximum(capital, 1e-12)
