"""Talent migration: each person reconsiders where to live with some chance, then picks by logit.

A person of skill k and age group a in region c, from home region o, reconsiders this year with

    p = talent.review_rate * m_k * m_a       (newcomers -- graduates and young entrants -- always do)
    m_k = talent.mobility_high | talent.mobility_general,  m_a = mobility_young (20-34), 1 (35-49),
    mobility_old (50+); the age boundaries are talent.middle_age_from and talent.old_age_from

and then chooses destination r with probability softmax_r(U_r):

    U_r = beta ln( w_rk (1 + topup_rk) e_rk ) + A0_rk + amenity_r + ln N_r + home_bias [r = o]
          - moving_cost (1 - cut_rk) [r != c]

w_rk is the regional wage, e_rk the employment chance, topup/cut the talent_incentive lever.
A0_rk = -beta (ln(w_rk e_rk) - mean_r ln(w_rk e_rk)) at 2012: amenities that make 2012 a spatial
equilibrium (Rosen-Roback); talent.amenity is the calibrated deviation (the Northeast's gap).
ln N_r (the region's workforce) counts its opportunities: a region made of many places draws movers in
proportion to its size (the aggregation of a place-level logit), so random moves do not by themselves
shift population between regions of different size.
Utilities depend on (c, o, k, a) only, so probabilities are computed per cell (R*R*2*3 cells) and
each agent makes its own draw: one uniform per agent, inverted on its cell's cumulative row.
"""

from __future__ import annotations

import numpy as np

from .. import HIGH, SKILLS
from ..world import Sim
from . import labour_market

PARAMETERS = ("talent.wage_weight", "talent.amenity", "talent.review_rate", "talent.mobility_high",
              "talent.mobility_general", "talent.mobility_young", "talent.mobility_old", "talent.home_bias",
              "talent.moving_cost", "talent.middle_age_from", "talent.old_age_from")

N_AGE_GROUPS = 3


def age_group(age: np.ndarray, middle_from: int, old_from: int) -> np.ndarray:
    """0 young, 1 middle (from ``middle_from``), 2 old (from ``old_from``)."""
    return np.where(age < middle_from, 0, np.where(age < old_from, 1, 2)).astype(np.int64)


def cell_index(region: np.ndarray, home: np.ndarray, skill: np.ndarray, agegrp: np.ndarray, n_regions: int) -> np.ndarray:
    return ((region.astype(np.int64) * n_regions + home) * len(SKILLS) + skill) * N_AGE_GROUPS + agegrp


def choice_probabilities(wage: np.ndarray, employment_rate: np.ndarray, topup: np.ndarray,
                         cut: np.ndarray, amenity: np.ndarray, size: np.ndarray, beta: float, home_bias: float,
                         moving_cost: float) -> np.ndarray:
    """[cell, destination] choice probabilities; cells ordered as in ``cell_index``.

    ``wage``, ``employment_rate``, ``topup``, ``cut`` and ``amenity`` are [region, skill]; ``size`` [region].
    """
    nr = len(size)
    value = (beta * np.log(np.maximum(wage * (1.0 + topup) * employment_rate, 1e-9)) + amenity
             + np.log(np.maximum(size, 1.0))[:, None])  # [r, k]
    cur = np.arange(nr)[:, None, None, None, None]
    home = np.arange(nr)[None, :, None, None, None]
    dest = np.arange(nr)[None, None, None, None, :]
    skill_v = value.T[None, None, :, None, :]            # [1,1,k,1,r]
    cut_v = cut.T[None, None, :, None, :]
    u = (skill_v + home_bias * (dest == home)
         - moving_cost * (1.0 - cut_v) * (dest != cur))   # [c, o, k, 1, r]
    u = np.broadcast_to(u, (nr, nr, len(SKILLS), N_AGE_GROUPS, nr)).reshape(-1, nr)
    u = u - u.max(axis=1, keepdims=True)
    p = np.exp(u)
    return p / p.sum(axis=1, keepdims=True)


def choose(rng: np.random.Generator, cells: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Each agent's own draw from its cell's probabilities."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(cells))
    return (u[:, None] > cum[cells]).sum(axis=1).astype(np.int8)


def init(model: Sim) -> None:
    """2012 is a spatial equilibrium: amenities (cost of living, climate, public services) offset the
    regional gaps in expected wages, so migration comes from home ties, shocks and talent.amenity."""
    w = model.world
    value = np.log(w.wage * w.employment_rate)
    w.amenity_2012 = -model.params["talent.wage_weight"] * (value - value.mean(axis=0, keepdims=True))


def step(model: Sim) -> None:
    """Reviewing people pick a region; then the year's talent pool, shares and population are fixed."""
    P, rng, t, pol, w = model.params, model.rng, model.talent, model.policy, model.world
    R = model.data.n
    mob_skill = np.array([P["talent.mobility_high"], P["talent.mobility_general"]])
    mob_age = np.array([P["talent.mobility_young"], 1.0, P["talent.mobility_old"]])
    grp = age_group(t.age, int(P["talent.middle_age_from"]), int(P["talent.old_age_from"]))
    p_review = np.minimum(P["talent.review_rate"] * mob_skill[t.skill] * mob_age[grp], 1.0)
    review = t.newcomer | (rng.random(len(t)) < p_review)
    idx = np.flatnonzero(review)
    amenity = w.amenity_2012 + P.by("talent.amenity", model.regions)[:, None]
    probs = choice_probabilities(w.wage, w.employment_rate, pol.wage_topup, pol.moving_cost_cut,
                                 amenity, labour_market.pool(t.region, t.skill, t.weight, R).sum(axis=1),
                                 P["talent.wage_weight"], P["talent.home_bias"], P["talent.moving_cost"])
    cells = cell_index(t.region[idx], t.home[idx], t.skill[idx], grp[idx], R)
    dest = choose(rng, cells, probs)
    origin = t.region[idx]
    moved = dest != origin
    wt = t.weight[idx][moved]
    o, dst, sk = origin[moved], dest[moved], t.skill[idx][moved]
    ys = model.year_stats
    np.add.at(model.flows["talent"], (sk, o, dst), wt)
    ys["talent_out"] = np.bincount(o, weights=wt, minlength=R)
    ys["talent_in"] = np.bincount(dst, weights=wt, minlength=R)
    hi = sk == HIGH
    ys["talent_out_high"] = np.bincount(o[hi], weights=wt[hi], minlength=R)
    ys["talent_in_high"] = np.bincount(dst[hi], weights=wt[hi], minlength=R)
    t.data["region"][idx] = dest
    # The year's talent pool is now fixed: shares used by relocation, R&D, digital and production.
    w.labour_supply = labour_market.pool(t.region, t.skill, t.weight, R)
    w.h_share = w.labour_supply[:, HIGH] / np.maximum(w.labour_supply.sum(axis=1), 1e-9)
    w.h_nat = w.labour_supply[:, HIGH].sum() / w.labour_supply.sum()
    w.population = w.labour_supply.sum(axis=1) / w.pop_ratio
