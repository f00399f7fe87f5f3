"""Production: output from capital, two kinds of labour and TFP.

Per real firm i in region r and sector s (money in million 2012 yuan, labour in persons):

    Y_i      = A_i^eff K_i^alpha_s H_i^bH_s G_i^bG_s         real output; value added is a_r Y_i
    A_i^eff  = A_i Z_rs agg_rs spill_r                       A_i own TFP (moves with the firm, incl. digital
                                                             and innovation gains); Z_rs the place's TFP
    agg_rs   = (VA_rs / mean_r' VA_r's)^gamma                sector-region agglomeration
    spill_r  = (h_r / h_nat)^chi                             knowledge spillover from local talent
    bH_s     = theta_s (1 - alpha_s),  bG_s = (1 - theta_s)(1 - alpha_s)     constant returns

Capital is fixed within the year (putty-clay); firms are price takers and hire labour until its
marginal revenue equals its cost. With the net price a firm gets per unit of output

    q_i = (p_s a_r - tau_i) / (1 + f_r (1 - cut_r))

(p_s the sector price, a_r market access, tau_i carbon and digital running costs per unit,
f_r the business-environment friction on factor costs), the first-order conditions give

    Y_i / K_i = [A_i^eff q_i^(1-alpha) (bH / wH_r)^bH (bG / wG_r)^bG]^(1/alpha)
    H_i = bH q_i Y_i / wH_r,   G_i = bG q_i Y_i / wG_r
    profit_i = alpha (p_s a_r - tau_i) Y_i - (1 + f_r (1 - cut_r)) u_r K_i      operating profit

with u_r = (interest + depreciation) x land_r the user cost of capital (land_r rises with the region's
share of industrial capital, location.py). The model books profit from
the hires actually made (after rationing); operating profit is before R&D and the one-off cost of a
move, and it is what loss streaks, exit and investors look at. In 2012 TFP is backed out
from each firm's data: a spatial equilibrium at p = 1 where capital earns the same net return rho0 in
every cell, so a cell's profit share is m_rs = alpha_s rho0 / ((1 + f_r) u_r + rho0), with rho0 set
so the mean share is production.profit_share_2012. The cell's geometric-mean TFP is Z_rs (stays with
the place); the rest is the firm's own. Supply rises with the price
with elasticity (1 - alpha)/alpha; a firm whose net price is not positive produces nothing.

Parameters: production.capital_share (alpha), production.high_skill_labour_share (theta),
production.agglomeration_elasticity (gamma), production.spillover_elasticity (chi),
production.tfp_drift, geography.market_access_2012 (a), location.land_cost, location.friction,
capital.interest_rate, capital.depreciation.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from .. import GENERAL, HIGH, MILLION, SECTORS, YI
from ..agents import Firms
from ..errors import InputError
from ..parameters import ParamSet
from ..world import Sim
from . import carbon, demand, labour_market

PARAMETERS = ("production.capital_share", "production.high_skill_labour_share", "production.profit_share_2012",
              "production.firm_size_sigma", "production.tfp_sigma", "production.agglomeration_elasticity",
              "production.spillover_elasticity", "production.nonmanufacturing_share_energy",
              "demand.industrial_va_2012", "demand.industrial_va_share_2012", "demand.sector_share_2012",
              "demand.sector_tilt_energy_intensive", "demand.sector_tilt_labour_intensive",
              "demand.sector_tilt_equipment", "demand.sector_tilt_high_tech", "demand.price_elasticity",
              "labour.natural_unemployment", "digital.annual_cost", "demand.ras_iterations")


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
    w.a_exp, w.bh_exp, w.bg_exp = exponents(w.alpha, w.theta)
    va_rs = value_added_2012(P, model.regions)  # yi yuan

    # Firms: agents spread over cells by value added; sizes lognormal inside a cell.
    nf = model.n_firms0
    w.firm_weight = d.firms_2012 / nf
    p_cell = (va_rs / va_rs.sum()).ravel()
    cell = rng.choice(R * S, size=nf, p=p_cell)
    f_region, f_sector = (cell // S).astype(np.int8), (cell % S).astype(np.int8)
    size = rng.lognormal(0.0, P["production.firm_size_sigma"], nf)
    cell_size = np.bincount(cell, weights=size, minlength=R * S)
    va = va_rs.ravel()[cell] * YI * size / (cell_size[cell] * w.firm_weight)  # million yuan per firm
    m_target = P["production.profit_share_2012"]
    a, bh, bg = w.a_exp[f_sector], w.bh_exp[f_sector], w.bg_exp[f_sector]
    if np.any(w.alpha <= m_target):
        raise InputError("<parameters>", "production.capital_share", w.alpha.tolist(),
                         f"every capital share must exceed production.profit_share_2012 = {m_target}")
    # 2012 is a spatial equilibrium at price 1: capital earns the same net return rho0 in every
    # region and sector (so neither investors nor movers gain by reallocating), which gives each
    # cell its profit share m = alpha rho0 / ((1 + f) u + rho0); rho0 is set so the value-added
    # weighted mean of m is production.profit_share_2012. TFP is backed out from a representative
    # firm's inputs, then spread lognormally across firms.
    fr0 = 1.0 + w.friction[f_region]
    cost_k = fr0 * w.user_cost[f_region]
    rho0 = brentq(lambda r: np.average(a * r / (cost_k + r), weights=va) - m_target, 1e-6, 10.0)
    m = a * rho0 / (cost_k + rho0)
    wh, wg = w.wage[f_region, HIGH], w.wage[f_region, GENERAL]
    q0 = w.access[f_region] / fr0
    y = va / w.access[f_region]
    h_rep, g_rep = labour_demand(y, q0, wh, wg, bh, bg)
    k_rep = (a - m) * va / cost_k
    tfp_eff = y / output(1.0, k_rep, h_rep, g_rep, a, bh, bg)
    sig_a = P["production.tfp_sigma"]
    tfp_eff = tfp_eff * np.exp(sig_a * rng.normal(0.0, 1.0, nf) - 0.5 * sig_a**2)
    k = y / output_per_capital(tfp_eff, q0, wh, wg, a, bh, bg)
    # TFP noise must not change a cell's capital (and so its return): rescale to the representative total
    k_cell = np.bincount(cell, weights=k, minlength=R * S)
    k_rep_cell = np.bincount(cell, weights=k_rep, minlength=R * S)
    k_fix = np.where(k_cell > 0, k_rep_cell / np.maximum(k_cell, 1e-300), 1.0)[cell]
    k = k * k_fix
    tfp_eff = tfp_eff * k_fix ** (-a)  # keeps each firm's output at its data value
    lab_h, lab_g = labour_demand(y, q0, wh, wg, bh, bg)
    profit0 = a * va - fr0 * w.user_cost[f_region] * k
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
    zeros = np.zeros(nf)
    model.firms = Firms(uid=np.arange(nf), region=f_region, sector=f_sector, tfp=tfp_own, capital=k,
                        labour_high=lab_h, labour_general=lab_g, direct_intensity=zeros, power_use=zeros,
                        abatement=zeros, abatement_capital=zeros, carbon_charge=zeros,
                        digital=np.zeros(nf, bool), digital_affinity=zeros, rd_active=np.zeros(nf, bool),
                        rd_stock=zeros, age=np.zeros(nf, np.int16), value_added=va, profit=profit0,
                        loss_years=np.zeros(nf, np.int16), weight=np.full(nf, w.firm_weight),
                        location_match=np.zeros((nf, R)))  # drawn by location.init_match


def step(model: Sim) -> None:
    """Supply at the market-clearing sector prices, hiring (rationed by the labour market), the accounts.

    Needs this year's demand and services (demand.step) and grid (carbon.step); leaves labour demand and
    employment in the world for labour_market.step.
    """
    P, f, w, pol = model.params, model.firms, model.world, model.policy
    R, S = model.data.n, len(SECTORS)
    u = P["labour.natural_unemployment"]
    supply = w.labour_supply
    a, bh, bg = w.a_exp[f.sector], w.bh_exp[f.sector], w.bg_exp[f.sector]
    cell = f.region.astype(np.intp) * S + f.sector  # flat (region, sector) index for per-cell tables
    log_tfp_eff = np.log(f.tfp) + np.log(w.region_tfp * w.agg).ravel()[cell] + np.log(w.spill)[f.region]
    access = w.access[f.region]
    fr = (1.0 + w.friction * (1.0 - pol.friction_cut))[f.region]
    wh, wg = w.wage[f.region, HIGH], w.wage[f.region, GENERAL]
    wage_term = log_wage_term(w.wage[:, HIGH], w.wage[:, GENERAL], w.bh_exp, w.bg_exp)
    carbon_per_yuan, intens = carbon.firm_charges(model)  # net of free allocation; abatement lowers intens
    charges = carbon_per_yuan + f.digital * (P["digital.annual_cost"] * (1.0 - pol.digital_subsidy))[f.region]
    expo = (1.0 - a) / a
    # a_i Y_i(p) = scale_i (a_i (p - t_i))^expo_i
    log_opk1 = log_output_per_capital(log_tfp_eff, 0.0, wage_term.ravel()[cell], a)
    scale = f.weight * access * f.capital * np.exp(log_opk1 - expo * np.log(fr))
    eta = P["demand.price_elasticity"]
    w.price = demand.clear_prices(f.sector.astype(np.int64), scale, access, access * charges, expo,
                                  w.sector_demand, eta, w.price)
    p = w.price[f.sector]
    q = np.maximum(access * (p - charges) / fr, 0.0)
    with np.errstate(divide="ignore"):
        y_plan = f.capital * np.exp(log_opk1 + expo * np.log(q))  # q = 0 -> no output
    need_h, need_g = labour_demand(y_plan, q, wh, wg, bh, bg)

    # Labour demand: industry plus the rest of the economy, then clearing and rationing.
    ind = np.column_stack([np.bincount(f.region, weights=f.weight * need_h, minlength=R),
                           np.bincount(f.region, weights=f.weight * need_g, minlength=R)])
    other = w.services_labour_share * w.services[:, None] * YI * MILLION / w.wage
    total = ind + other
    employment, ration = labour_market.clear(total, supply, u)
    w.labour_demand, w.employment = total, employment
    r_h, r_g = ration[f.region, HIGH], ration[f.region, GENERAL]
    hire_h, hire_g = need_h * r_h, need_g * r_g
    # with labour rationed by r, Cobb-Douglas output scales by r_H^bH r_G^bG (one factor per cell)
    cut = ration[:, HIGH, None] ** w.bh_exp[None, :] * ration[:, GENERAL, None] ** w.bg_exp[None, :]
    y = y_plan * cut.ravel()[cell]
    va = access * y

    # Accounts.
    labour_cost = (wh * hire_h + wg * hire_g) / MILLION
    capital_cost = w.user_cost[f.region] * f.capital
    # Operating profit (before R&D and the one-off cost of a move): what loss streaks, exit and
    # investors look at; R&D and relocation are investments the firm chose, not signs of failure.
    profit = p * va - fr * (labour_cost + capital_cost) - charges * va - carbon.abatement_cost_firm(model)
    model.year_stats["policy_cost"] += np.bincount(
        f.region, weights=f.weight * f.digital * P["digital.annual_cost"] * pol.digital_subsidy[f.region] * va,
        minlength=R) / YI
    f.data["labour_high"], f.data["labour_general"] = hire_h, hire_g
    f.data["value_added"], f.data["profit"] = va, profit
    f.data["loss_years"] = np.where(profit < 0, f.loss_years + 1, 0).astype(np.int16)
    carbon.account(model, va, carbon_per_yuan, intens)  # emissions, carbon charges, carbon and abatement bills

    # Regional aggregates.
    w.va_rs_prev = np.bincount(cell, weights=f.weight * va, minlength=R * S).reshape(R, S) / YI
    w.iva_r = w.va_rs_prev.sum(axis=1)
    w.gdp_prev = w.gdp
    w.gdp = w.iva_r + w.services


def manufacturing_va(firms: Firms, P: ParamSet, n_regions: int) -> np.ndarray:
    """[region] manufacturing value added (yi yuan): industry less the mining and utilities part of
    the energy-intensive sector (production.nonmanufacturing_share_energy)."""
    f = firms
    share_nonmanufacturing_energy = P["production.nonmanufacturing_share_energy"]
    iva = np.bincount(f.region, weights=f.weight * f.value_added, minlength=n_regions) / YI
    energy = f.sector == SECTORS.index("energy_intensive")
    ei_va = np.bincount(f.region, weights=f.weight * f.value_added * energy, minlength=n_regions) / YI
    return iva - share_nonmanufacturing_energy * ei_va


def exponents(alpha: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sector exponents (alpha, bH, bG) with constant returns."""
    return alpha, theta * (1.0 - alpha), (1.0 - theta) * (1.0 - alpha)


def agglomeration(va_rs: np.ndarray, gamma: float) -> np.ndarray:
    """[region, sector] agglomeration factor from last year's sector value added by region."""
    mean = np.maximum(va_rs.mean(axis=0, keepdims=True), 1e-12)
    return (np.maximum(va_rs, 1e-12) / mean) ** gamma


def spillover(high_share: np.ndarray, national_share: float, chi: float) -> np.ndarray:
    """[region] knowledge spillover factor from the local high-skill share."""
    return (np.maximum(high_share, 1e-9) / max(national_share, 1e-9)) ** chi


def output_per_capital(tfp_eff: np.ndarray, net_price: np.ndarray, wage_high: np.ndarray,
                       wage_general: np.ndarray, a: np.ndarray, bh: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Profit-maximising Y/K given the net price and wages (yuan per year per person)."""
    q = np.maximum(net_price, 0.0)
    wh, wg = wage_high / MILLION, wage_general / MILLION
    return (tfp_eff * q ** (1.0 - a) * (bh / wh) ** bh * (bg / wg) ** bg) ** (1.0 / a)


def log_wage_term(wage_high: np.ndarray, wage_general: np.ndarray, bh: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """[region, sector] bH ln(bH/wH) + bG ln(bG/wG): the wage part of ln(Y/K), computed once per cell."""
    wh, wg = wage_high[:, None] / MILLION, wage_general[:, None] / MILLION
    return bh * np.log(bh / wh) + bg * np.log(bg / wg)


def log_output_per_capital(log_tfp_eff: np.ndarray, log_net_price: np.ndarray, wage_term: np.ndarray,
                           a: np.ndarray) -> np.ndarray:
    """ln(Y/K) from the first-order conditions, the fast form of ``output_per_capital`` for many firms."""
    return (log_tfp_eff + (1.0 - a) * log_net_price + wage_term) / a


def labour_demand(output: np.ndarray, net_price: np.ndarray, wage_high: np.ndarray, wage_general: np.ndarray,
                  bh: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """High-skill and general labour (persons) from the first-order conditions."""
    q = np.maximum(net_price, 0.0)
    return bh * q * output * MILLION / wage_high, bg * q * output * MILLION / wage_general


def output(tfp_eff: np.ndarray, capital: np.ndarray, high: np.ndarray, general: np.ndarray,
           a: np.ndarray, bh: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Output with the inputs actually hired (after rationing)."""
    return tfp_eff * np.maximum(capital, 0.0) ** a * np.maximum(high, 0.0) ** bh * np.maximum(general, 0.0) ** bg
