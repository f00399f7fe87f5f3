"""Labour markets by region and skill: demand, supply, rationing, wages, who is employed.

For region r and skill k (high, general), with people in persons and wages in yuan per year:

    D_rk = sum_i W_i L*_ik + O_rk                     industry's first-order demand + other sectors
    O_rH = s_N,r nu_r (N_r / C_r) / wH_r,  O_rG = (1 - s_N,r) nu_r (N_r / C_r) / wG_r
    S_rk = sum_j W_j [talent j in r with skill k]     the local pool (working age)
    E_rk = min(D_rk, (1 - u*) S_rk)                   employment; u* = labour.natural_unemployment
    phi_rk = E_rk / D_rk                              every employer is rationed by the same factor

Farm-labour reserve (Lewis 1954; Harris & Todaro 1970; Brandt, Hsieh & Zhu 2008; Cai 2010). The other
sectors' 2012 general workers include the region's farm workers F_r,2012 = a_r E_r,2012 (a_r =
labour.farm_share_2012, the primary sector's share of employment). Farm employment falls along the national
path F_t = F_2012 exp(-D_t), D_t = d1 min(t - 2012, 8) + d2 max(t - 2020, 0) (labour.farm_decline_2012_2020,
labour.farm_decline_after_2020), faster where the reserve is larger:

    F_r,t = F_r,2012 exp(-theta_r x_t),   theta_r = (a_r / a_nat)^kappa,   sum_r F_r,t = F_t (x_t by Newton)
    R_r,t = F_r,2012 - F_r,t                                              released farm workers
    O_rG += mu (pi_r sum_j R_j,t - R_r,t),   pi_r = max(O_rG - F_r,t, 0) / sum_j max(O_jG - F_j,t, 0)

(kappa = labour.farm_release_tilt, mu = labour.farm_release_pull): the released workers leave the local
demand for labour, and the non-farm sectors hire the national release where their jobs are (pi_r, the
modern sector's pull); a share 1 - mu is re-hired locally. National labour demand is unchanged; regions
with a large reserve (central, west) get a labour surplus: lower wages and employment rates, cheaper labour
for industry moving inland and, through the expected wage of the migration choice, movers to the coast.

Industry's demand comes from the marginal-product conditions of its CES labour composite
(production.py). Other sectors spend the share nu_r of their output N_r on the same kind of CES
composite (weights omega_N,r from the 2012 split, shifted by the same skill bias), s_N,r its
high-skill cost share (Katz & Murphy 1992); C_r is the convergence of non-industrial output per
worker (demand.py), which raises output, not the work it needs. nu_r is set so that 2012 employment is (1 - u*) S
where industry leaves room (other sectors employ at least labour.other_sectors_min_share of the pool).

Wages for next year (annual contracts) follow a regional wage curve with a lagged wage
(Blanchflower & Oswald 1994, 2005; Blanchard & Katz 1999):

    ln w_rk,t+1 = (1 - lam) ln w_rk,t + lam ln w^c_rk,t - b ln(u_rk,t / u*)
    w^c_rk,t = w_rk,t (D_rk / ((1 - u*) S_rk))^(1/eps_D)      the marginal-product wage at natural employment

u_rk = 1 - E_rk / S_rk (>= u*), b = labour.wage_curve (~0.1), lam = labour.wage_adjustment,
eps_D = labour.demand_elasticity (the model's own-wage labour demand elasticity, which makes w^c the
wage at which demand meets (1 - u*) S to first order). No clip: wages move smoothly with marginal
products, relative supplies and local slack. Each talent agent is employed with probability
e_rk = E_rk / S_rk (one uniform draw per agent) and then earns w_rk x ability x (1 + wage top-up).
"""

from __future__ import annotations

import numpy as np

from .. import GENERAL, HIGH, MILLION, SKILLS, YI
from .. import streams
from ..numeric import lookup  # small-table gathers by read-only index columns
from ..scenario import FIRST_YEAR
from ..world import Sim

PARAMETERS = ("labour.high_skill_premium_2012", "labour.natural_unemployment", "labour.wage_adjustment",
              "labour.wage_curve", "labour.demand_elasticity", "labour.skill_bias_growth",
              "labour.other_sectors_min_share", "labour.farm_share_2012", "labour.farm_decline_2012_2020",
              "labour.farm_decline_after_2020", "labour.farm_release_tilt", "labour.farm_release_pull")

FARM_BREAK_YEAR = 2020  # the end of the sourced farm-employment path (NBS 2012-2020); labour.farm_decline_after_2020 after


def init(model: Sim) -> None:
    """2012: the local pools and talent shares from the talent agents, and wages from the data file.

    General workers earn the private-unit average wage; the high-skilled earn the college premium on
    top, which puts them near the non-private (SOE and public) average.
    """
    P, d, w, t = model.params, model.data, model.world, model.talent
    supply = pool(t.region, t.skill, t.weight, d.n, cell=talent_cell(t))  # the cached cell index (computed once)
    w.labour_supply = supply
    w.h_share = supply[:, HIGH] / supply.sum(axis=1)
    w.h_nat = supply[:, HIGH].sum() / supply.sum()
    w.h_rel_2012 = w.h_share / w.h_nat  # reference of the absorptive-capacity index (``absorptive_capacity``)
    wage_general = d.wage_private_2012
    w.wage = np.column_stack([P["labour.high_skill_premium_2012"] * wage_general, wage_general])  # [region, skill]


def init_employment(model: Sim) -> None:
    """2012, once firms and services exist: the other sectors' labour share nu_rk (so that 2012
    employment is (1 - u) S where industry leaves room), employment rates, and who holds a job."""
    P, w, f, t, rng = model.params, model.world, model.firms, model.talent, model.rng
    R = model.data.n
    supply = w.labour_supply
    ind_h = f.sum_by_region(w.firm_weight * f.labour_high)
    ind_g = f.sum_by_region(w.firm_weight * f.labour_general)
    u = P["labour.natural_unemployment"]
    other = np.maximum((1 - u) * supply - np.column_stack([ind_h, ind_g]), P["labour.other_sectors_min_share"] * supply)
    bill = (other * w.wage).sum(axis=1)
    w.services_labour_share = bill / (w.services * YI * MILLION)
    w.omega_services = ces_weights(other[:, HIGH] * w.wage[:, HIGH] / bill,
                                              P["labour.high_skill_premium_2012"], w.sigma_labour)
    w.omega_services_t = w.omega_services.copy()
    employment = np.minimum(other + np.column_stack([ind_h, ind_g]), (1 - u) * supply)
    w.employment_rate = employment / supply
    # the farm reserve: the primary sector's share of each region's 2012 employment, held by the other sectors'
    # general workers (at most all of them)
    share = P.by("labour.farm_share_2012", model.regions)
    w.farm_2012 = np.minimum(share * employment.sum(axis=1), other[:, GENERAL])
    a = w.farm_2012 / employment.sum(axis=1)
    w.farm_tilt = (a / (w.farm_2012.sum() / employment.sum())) ** P["labour.farm_release_tilt"]
    w.farm_release = np.zeros(R)
    cell = talent_cell(t)  # skill_cell(region, skill), cached on the agents
    t.data["employed"] = assign_jobs(rng, cell, w.employment_rate)
    t.data["wage"] = np.where(t.employed, lookup(w.wage.ravel(), cell) * t.ability, 0.0)  # wage[region, skill]


def step(model: Sim) -> None:
    """After production: employment rates, who holds a job and what they earn, next year's wages."""
    P, w, t, pol = model.params, model.world, model.talent, model.policy
    R = model.data.n
    supply = w.labour_supply
    w.employment_rate = w.employment / np.maximum(supply, 1e-9)
    t_cell = talent_cell(t)
    # assign_jobs with the keyed stream (its first draw, "labour.job/0"): u < rate compared as integers, the rate's
    # thresholds gathered by cell inside the hash's blocks (streams.below: the same decisions)
    jobs = streams.keyed(model, "labour.job", t.uid)
    t.data["employed"] = jobs.below(streams.thresholds(w.employment_rate.ravel()), t_cell)
    paid = w.wage * (1.0 + pol.wage_topup)
    pay = t.gather_cell(paid.ravel())  # by the sorted cell blocks (agents.py gather_cell: take's values, faster)
    pay *= t.ability  # in place: the same product, one [person] temporary less
    t.data["wage"] = np.where(t.employed, pay, 0.0)
    if pol.wage_topup.any():
        topup_bill = (w.wage * pol.wage_topup).ravel()[t_cell] * t.ability * t.employed * t.weight
        model.year_stats["policy_cost"] += t.sum_by_region(topup_bill) / (YI * MILLION)
    w.wage = wage_curve(w.wage, w.labour_demand, supply, 1.0 - w.employment_rate, P["labour.natural_unemployment"],
                        P["labour.demand_elasticity"], P["labour.wage_adjustment"], P["labour.wage_curve"])


def other_demand(model: Sim) -> np.ndarray:
    """[region, skill] other sectors' labour demand (persons) at this year's wages and output: a share nu_r
    of non-industrial output buys the CES labour composite, split by its skill cost shares."""
    P, w = model.params, model.world
    w.omega_services_t = skill_weight(w.omega_services,
                                                 P["labour.skill_bias_growth"] * (model.year - FIRST_YEAR))
    _, s_n = labour_unit_cost(w.wage[:, HIGH], w.wage[:, GENERAL], w.omega_services_t, w.sigma_labour)
    # convergence raises non-industrial output per worker, not the work it needs (demand.py)
    bill = w.services_labour_share * (w.services / w.services_productivity) * YI * MILLION  # yuan
    out = np.column_stack([s_n, 1.0 - s_n]) * bill[:, None] / w.wage
    if len(w.farm_2012):
        # the farm reserve released since 2012 and its re-hiring where the non-farm jobs are (module docstring)
        years = model.year - FIRST_YEAR
        log_decline = farm_log_decline(years, P["labour.farm_decline_2012_2020"], P["labour.farm_decline_after_2020"],
                                       FARM_BREAK_YEAR - FIRST_YEAR)
        farm = farm_employment(w.farm_2012, w.farm_tilt, log_decline)
        w.farm_release = w.farm_2012 - farm
        out[:, GENERAL] = np.maximum(out[:, GENERAL] + farm_reallocation(out[:, GENERAL], farm, w.farm_release,
                                                                         P["labour.farm_release_pull"]), 0.0)
    return out


def farm_log_decline(years: int, early: float, late: float, break_years: int) -> float:
    """National log decline of farm employment since 2012, D_t = d1 min(t, T) + d2 max(t - T, 0) (t years since
    2012, T = ``break_years``: the end of the sourced path; d1 = ``early``, d2 = ``late`` per year)."""
    return early * min(years, break_years) + late * max(years - break_years, 0)


def farm_employment(farm_2012: np.ndarray, tilt: np.ndarray, log_decline: float, iterations: int = 50) -> np.ndarray:
    """[region] farm employment F_r,t = F_r,2012 exp(-theta_r x), with x such that sum_r F_r,t = F_2012 exp(-D):
    the national path, shared so that regions with a larger reserve (theta_r > 1) release faster. x by Newton
    from x = D (exact when every theta_r is one); the sum is convex and falling in x, so it converges."""
    f0 = np.asarray(farm_2012, dtype=float)
    theta = np.asarray(tilt, dtype=float)
    target = f0.sum() * np.exp(-log_decline)
    x = float(log_decline)
    for _ in range(iterations):  # Newton on one number (not a loop over agents)
        f = f0 * np.exp(-theta * x)
        gap = f.sum() - target
        if abs(gap) <= 1e-12 * max(target, 1.0):
            break
        x += gap / max((theta * f).sum(), 1e-300)
    return f0 * np.exp(-theta * x)


def farm_reallocation(other_general: np.ndarray, farm: np.ndarray, release: np.ndarray, pull: float) -> np.ndarray:
    """[region] change of the other sectors' general labour demand from the farm release:
    mu (pi_r sum_j R_j - R_r), pi_r = max(O_rG - F_r, 0) / sum_j max(O_jG - F_j, 0) (the non-farm jobs' shares).
    Sums to zero over regions: the nation's non-farm sectors hire every released worker."""
    non_farm = np.maximum(np.asarray(other_general, dtype=float) - farm, 0.0)
    pi = non_farm / max(non_farm.sum(), 1e-12)
    return pull * (pi * release.sum() - release)


def pool(region: np.ndarray, skill: np.ndarray, weight: np.ndarray, n_regions: int,
         cell: np.ndarray | None = None) -> np.ndarray:
    """[region, skill] weighted headcount (``cell``: their ``skill_cell`` if already at hand)."""
    n_k = len(SKILLS)
    cell = skill_cell(region, skill) if cell is None else cell
    return np.bincount(cell, weights=weight, minlength=n_regions * n_k).reshape(n_regions, n_k)


def talent_cell(t) -> np.ndarray:
    """``skill_cell`` of every talent agent, computed once while region and skill stay unchanged (migration's
    pool, the job draw and the recorder's wages by skill all use it; read-only)."""
    return t.cell_key()  # the same index, cached on the agents (agents.py), the key they are sorted by


def skill_cell(region: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """Flat [region, skill] index of each person: region * len(SKILLS) + skill."""
    return region.astype(np.int64, copy=False) * len(SKILLS) + skill


def clear(demand: np.ndarray, supply: np.ndarray, unemployment: float) -> tuple[np.ndarray, np.ndarray]:
    """Employment [r, k] and the rationing factor applied to every employer."""
    available = (1.0 - unemployment) * supply
    employment = np.minimum(demand, available)
    ration = np.where(demand > 0, employment / np.maximum(demand, 1e-12), 1.0)
    return employment, ration


def assign_jobs(rng: np.random.Generator, cell: np.ndarray, employment_rate: np.ndarray) -> np.ndarray:
    """Who holds a job this year: one uniform draw per agent against its (region, skill) employment rate.

    ``cell`` is ``skill_cell(region, skill)`` for every agent; ``employment_rate`` is [region, skill].
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


# ---------------------------------------------------------------- CES skill substitution (Katz & Murphy 1992)
def ces_weights(cost_share_high: np.ndarray, premium: float | np.ndarray, sigma: float) -> np.ndarray:
    """CES distribution weight omega_H (omega_G = 1 - omega_H) that gives the 2012 high-skill cost share
    ``cost_share_high`` at the 2012 wage premium wH/wG with B = 1:
    omega_H / omega_G = (s / (1 - s))^(1/sigma) premium^((sigma - 1)/sigma)."""
    s = np.asarray(cost_share_high, dtype=float)
    rel = (s / (1.0 - s)) ** (1.0 / sigma) * np.asarray(premium, dtype=float) ** ((sigma - 1.0) / sigma)
    return rel / (1.0 + rel)


def skill_weight(omega_2012: np.ndarray, shift: float) -> np.ndarray:
    """Skill-biased technical change as a shift of the CES weight (Katz & Murphy 1992; Acemoglu & Autor 2011):
    ln(omega_H / omega_G)_t = ln(omega_H / omega_G)_2012 + shift, shift = delta (t - 2012)."""
    rel = np.asarray(omega_2012, dtype=float) / (1.0 - np.asarray(omega_2012, dtype=float)) * np.exp(shift)
    return rel / (1.0 + rel)


def labour_unit_cost(wage_high: np.ndarray, wage_general: np.ndarray, omega_high: np.ndarray,
                     sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit cost of the CES labour composite and the high-skill cost share.

    c_L = [omega_H^sigma wH^(1 - sigma) + omega_G^sigma wG^(1 - sigma)]^(1/(1 - sigma)),
    s_H = omega_H^sigma wH^(1 - sigma) / c_L^(1 - sigma). Same units as the wages.
    """
    oh = np.asarray(omega_high, dtype=float)
    th = oh**sigma * np.asarray(wage_high, dtype=float) ** (1.0 - sigma)
    tg = (1.0 - oh) ** sigma * np.asarray(wage_general, dtype=float) ** (1.0 - sigma)
    c1 = th + tg
    return c1 ** (1.0 / (1.0 - sigma)), th / c1


def composite_labour(high: np.ndarray, general: np.ndarray, omega_high: np.ndarray, sigma: float) -> np.ndarray:
    """L = [omega_H H^((sigma-1)/sigma) + omega_G G^((sigma-1)/sigma)]^(sigma/(sigma-1))."""
    r = (sigma - 1.0) / sigma
    oh = np.asarray(omega_high, dtype=float)
    return (oh * np.maximum(high, 0.0) ** r + (1.0 - oh) * np.maximum(general, 0.0) ** r) ** (1.0 / r)


def absorptive_capacity(h_share: np.ndarray, h_nat: float, h_rel_2012: np.ndarray | None) -> np.ndarray:
    """[region] talent index of the imitation (diffusion) rate of innovation.py: (h_r / h_nat) relative to its 2012
    value, (h_r,t / h_nat,t) / (h_r,2012 / h_nat,2012).

    Nelson and Phelps (1966), Benhabib and Spiegel (1994): absorptive capacity sets the speed of catch-up, so a
    region with less talent settles at a larger distance from the frontier. The 2012 state already is that
    settlement: place TFP Z_rs absorbs each cell's 2012 level (production.py), and every region's own TFP starts
    at the same distance from the sector frontier. Using the talent level itself would make the low-talent
    regions drift to their larger gap after 2012 (central: own TFP 0.10-0.15 log points below the east's by
    2021 at scale small, a 0.5-0.7 log-point smaller firm once capital follows, with sigma = 6), a decline the
    data do not show (central and west industry grew faster than the east 2012-2021). Relative to 2012, the
    index is 1 in every region at the start, and only changes in a region's relative talent (graduates,
    migration) speed or slow its firms' catch-up. None as reference: the level (the former form). Innovation
    success keeps the talent level (R&D productivity with local researchers, the other face of R&D: Griffith,
    Redding and Van Reenen 2004); with the index there too, the northeast's digital-support effect on output turned
    negative in one seed of three (tests/test_firm_decisions.py), so that channel is left as it was."""
    rel = np.asarray(h_share, dtype=float) / max(float(h_nat), 1e-12)
    if h_rel_2012 is None or not np.size(h_rel_2012):
        return rel
    return rel / np.maximum(np.asarray(h_rel_2012, dtype=float), 1e-12)

