"""Labour markets by region and skill: demand, supply, rationing, wages, who is employed.

For region r and skill k (high, general), with people in persons and wages in yuan per year:

    D_rk = sum_i w_i L*_ik + nu_rk N_r / w_rk         industry's cost-minimising demand + other sectors
    S_rk = sum_j w_j [talent j in r with skill k]     the local pool (working age)
    E_rk = min(D_rk, (1 - u) S_rk)                    employment; u = labour.natural_unemployment
    phi_rk = E_rk / D_rk                              every employer is rationed by the same factor
    w_rk,t+1 = w_rk,t clip((D_rk / ((1 - u) S_rk))^eps, 1 - c, 1 + c)
                                                      eps = labour.wage_adjustment, c = labour.wage_change_cap

nu_rk (the labour share of non-industrial output) is set so 2012 employment is (1 - u) S, with
other sectors employing at least labour.other_sectors_min_share of the pool. Firms hire
from the local pool: each talent agent is employed with probability e_rk = E_rk / S_rk (one uniform
draw per agent) and then earns w_rk x ability x (1 + wage top-up).
"""

from __future__ import annotations

import numpy as np

from .. import HIGH, MILLION, SKILLS, YI
from ..world import Sim

PARAMETERS = ("labour.high_skill_premium_2012", "labour.natural_unemployment", "labour.wage_adjustment",
              "labour.wage_change_cap", "labour.other_sectors_min_share")


def init(model: Sim) -> None:
    """2012: the local pools and talent shares from the talent agents, and wages from the data file.

    General workers earn the private-unit average wage; the high-skilled earn the college premium on
    top, which puts them near the non-private (SOE and public) average.
    """
    P, d, w, t = model.params, model.data, model.world, model.talent
    supply = pool(t.region, t.skill, t.weight, d.n)
    w.labour_supply = supply
    w.pop_ratio = supply.sum(axis=1) / (d.population_2012 * MILLION)  # workforce per resident
    w.h_share = supply[:, HIGH] / supply.sum(axis=1)
    w.h_nat = supply[:, HIGH].sum() / supply.sum()
    wage_general = d.wage_private_2012
    w.wage = np.column_stack([P["labour.high_skill_premium_2012"] * wage_general, wage_general])  # [region, skill]


def init_employment(model: Sim) -> None:
    """2012, once firms and services exist: the other sectors' labour share nu_rk (so that 2012
    employment is (1 - u) S where industry leaves room), employment rates, and who holds a job."""
    P, w, f, t, rng = model.params, model.world, model.firms, model.talent, model.rng
    R = model.data.n
    supply = w.labour_supply
    ind_h = np.bincount(f.region, weights=w.firm_weight * f.labour_high, minlength=R)
    ind_g = np.bincount(f.region, weights=w.firm_weight * f.labour_general, minlength=R)
    u = P["labour.natural_unemployment"]
    other = np.maximum((1 - u) * supply - np.column_stack([ind_h, ind_g]), P["labour.other_sectors_min_share"] * supply)
    w.services_labour_share = other * w.wage / (w.services[:, None] * YI * MILLION)
    employment = np.minimum(other + np.column_stack([ind_h, ind_g]), (1 - u) * supply)
    w.employment_rate = employment / supply
    t.data["employed"] = assign_jobs(rng, skill_cell(t.region, t.skill), w.employment_rate)
    t.data["wage"] = np.where(t.employed, w.wage[t.region, t.skill] * t.ability, 0.0)


def step(model: Sim) -> None:
    """After production: employment rates, who holds a job and what they earn, next year's wages."""
    P, w, t, pol, rng = model.params, model.world, model.talent, model.policy, model.rng
    R = model.data.n
    supply = w.labour_supply
    w.employment_rate = w.employment / np.maximum(supply, 1e-9)
    t_cell = skill_cell(t.region, t.skill)
    t.data["employed"] = assign_jobs(rng, t_cell, w.employment_rate)
    paid = w.wage * (1.0 + pol.wage_topup)
    t.data["wage"] = np.where(t.employed, paid.ravel()[t_cell] * t.ability, 0.0)
    if pol.wage_topup.any():
        topup_bill = (w.wage * pol.wage_topup).ravel()[t_cell] * t.ability * t.employed * t.weight
        model.year_stats["policy_cost"] += np.bincount(t.region, weights=topup_bill, minlength=R) / (YI * MILLION)
    w.wage = update_wages(w.wage, w.labour_demand, supply, P["labour.natural_unemployment"],
                          P["labour.wage_adjustment"], P["labour.wage_change_cap"])


def pool(region: np.ndarray, skill: np.ndarray, weight: np.ndarray, n_regions: int) -> np.ndarray:
    """[region, skill] weighted headcount."""
    n_k = len(SKILLS)
    return np.bincount(skill_cell(region, skill), weights=weight, minlength=n_regions * n_k).reshape(n_regions, n_k)


def skill_cell(region: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """Flat [region, skill] index of each person: region * len(SKILLS) + skill."""
    return region.astype(np.int64) * len(SKILLS) + skill


def clear(demand: np.ndarray, supply: np.ndarray, unemployment: float) -> tuple[np.ndarray, np.ndarray]:
    """Employment [r, k] and the rationing factor applied to every employer."""
    available = (1.0 - unemployment) * supply
    employment = np.minimum(demand, available)
    ration = np.where(demand > 0, employment / np.maximum(demand, 1e-12), 1.0)
    return employment, ration


def update_wages(wage: np.ndarray, demand: np.ndarray, supply: np.ndarray, unemployment: float,
                 eps: float, cap: float) -> np.ndarray:
    """Wages move with excess demand; at most by +/- ``cap`` (labour.wage_change_cap) a year."""
    ratio = np.maximum(demand, 1e-12) / np.maximum((1.0 - unemployment) * supply, 1e-12)
    return wage * np.clip(ratio ** eps, 1.0 - cap, 1.0 + cap)


def assign_jobs(rng: np.random.Generator, cell: np.ndarray, employment_rate: np.ndarray) -> np.ndarray:
    """Who holds a job this year: one uniform draw per agent against its (region, skill) employment rate.

    ``cell`` is ``skill_cell(region, skill)`` for every agent; ``employment_rate`` is [region, skill].
    """
    return rng.random(len(cell)) < employment_rate.ravel()[cell]
