"""Talent migration: each person reconsiders where to live with some chance, then picks by logit.

A person of skill k and age group a in region c, from home region o, reconsiders this year with

    p = talent.review_rate * m_k * m_a       (newcomers -- graduates and young entrants -- always do)
    m_k = talent.mobility_high | talent.mobility_general,  m_a = mobility_young (20-34), 1 (35-49),
    mobility_old (50+)

(mobility falls with age and rises with skill: Rogers & Castro 1981; seed 000) and then chooses
destination r with probability softmax_r(U_r) (McFadden 1974; Tombe & Zhu 2019 for China):

    V_rk = beta ln( w_rk (1 + topup_rk) e_rk / P_r ) + A0_rk + amenity_r + ln N_r
    U_r  = V_rk + home_bias [r = o] - hukou_k [r != o] - moving_cost (1 - cut_rk) [r != c]

* w_rk / P_r is the real wage, the wage net of the local housing cost (P_r = housing cost-of-living
  index, housing.py; Helpman 1998), and e_rk the chance of employment: expected real income (Harris &
  Todaro 1970).
* A0_rk = -beta (ln(w_rk e_rk) - mean_r ln(w_rk e_rk)) at 2012: amenities that make 2012 a spatial
  equilibrium (Rosen 1979; Roback 1982); talent.amenity is the calibrated deviation (the Northeast's gap).
* hukou_k = talent.hukou_friction[k]: the settlement (hukou) friction of living outside one's home
  region -- weaker access to public services, schooling and housing -- smaller for the high-skilled,
  whom cities' points systems admit more easily (Tombe & Zhu 2019; Fan 2019). home_bias: attachment.
* moving_cost: the one-off utility cost of a move; the talent_incentive lever cuts it.
* ln N_r (the region's workforce) counts its opportunities: a region made of many places draws movers in
  proportion to its size (the aggregation of a place-level logit), so random moves do not by themselves
  shift population between regions of different size.

Utilities depend on (c, o, k) only, so probabilities are computed per cell (R*R*2*3 cells) and each
agent makes its own draw: one uniform per agent, inverted on its cell's cumulative row. Children and
retirees (the demography array) do not migrate in this model.
"""

from __future__ import annotations

import numpy as np

from . import labour_market

N_AGE_GROUPS = 3
HIGH, GENERAL = 0, 1


def age_group(age: np.ndarray) -> np.ndarray:
    return np.where(age < 35, 0, np.where(age < 50, 1, 2)).astype(np.int64)


def cell_index(region: np.ndarray, home: np.ndarray, skill: np.ndarray, agegrp: np.ndarray, n_regions: int) -> np.ndarray:
    return ((region.astype(np.int64) * n_regions + home) * 2 + skill) * N_AGE_GROUPS + agegrp


def choice_probabilities(wage: np.ndarray, employment_rate: np.ndarray, topup: np.ndarray,
                         cut: np.ndarray, amenity: np.ndarray, size: np.ndarray, beta: float, home_bias: float,
                         moving_cost: float, cost_of_living: np.ndarray | None = None,
                         hukou: np.ndarray | None = None) -> np.ndarray:
    """[cell, destination] choice probabilities; cells ordered as in ``cell_index``.

    ``wage``, ``employment_rate``, ``topup``, ``cut`` and ``amenity`` are [region, skill]; ``size`` and
    ``cost_of_living`` [region]; ``hukou`` [skill].
    """
    nr = len(size)
    col = np.ones(nr) if cost_of_living is None else np.asarray(cost_of_living, float)
    huk = np.zeros(2) if hukou is None else np.asarray(hukou, float)
    real = wage * (1.0 + topup) * employment_rate / col[:, None]
    value = (beta * np.log(np.maximum(real, 1e-9)) + amenity
             + np.log(np.maximum(size, 1.0))[:, None])  # [r, k]
    cur = np.arange(nr)[:, None, None, None, None]
    home = np.arange(nr)[None, :, None, None, None]
    dest = np.arange(nr)[None, None, None, None, :]
    skill_v = value.T[None, None, :, None, :]            # [1,1,k,1,r]
    cut_v = cut.T[None, None, :, None, :]
    huk_v = huk[None, None, :, None, None]
    u = (skill_v + home_bias * (dest == home) - huk_v * (dest != home)
         - moving_cost * (1.0 - cut_v) * (dest != cur))   # [c, o, k, 1, r]
    u = np.broadcast_to(u, (nr, nr, 2, N_AGE_GROUPS, nr)).reshape(-1, nr)
    u = u - u.max(axis=1, keepdims=True)
    p = np.exp(u)
    return p / p.sum(axis=1, keepdims=True)


def choose(rng: np.random.Generator, cells: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Each agent's own draw from its cell's probabilities."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(cells))
    return (u[:, None] > cum[cells]).sum(axis=1).astype(np.int8)


def step(m) -> None:
    """Who reviews, where they go; flows by skill and by age (young = 20-34) into ``m.year_stats``."""
    P, rng, t, pol = m.params, m.rng, m.talent, m.policy
    R = m.data.n
    mob_skill = np.array([P["talent.mobility_high"], P["talent.mobility_general"]])
    mob_age = np.array([P["talent.mobility_young"], 1.0, P["talent.mobility_old"]])
    grp = age_group(t.age)
    p_review = np.minimum(P["talent.review_rate"] * mob_skill[t.skill] * mob_age[grp], 1.0)
    review = t.newcomer | (rng.random(len(t)) < p_review)
    idx = np.flatnonzero(review)
    amenity = m.amenity_2012 + P.by("talent.amenity", m.regions)[:, None]
    hukou = np.array([P["talent.hukou_friction_high"], P["talent.hukou_friction_general"]])
    probs = choice_probabilities(m.wage, m.employment_rate, pol.wage_topup, pol.moving_cost_cut,
                                 amenity, m.places,
                                 P["talent.wage_weight"], P["talent.home_bias"], P["talent.moving_cost"],
                                 m.cost_of_living, hukou)
    cells = cell_index(t.region[idx], t.home[idx], t.skill[idx], grp[idx], R)
    dest = choose(rng, cells, probs)
    origin = t.region[idx]
    moved = dest != origin
    w = t.weight[idx][moved]
    o, dst, sk = origin[moved], dest[moved], t.skill[idx][moved]
    young = grp[idx][moved] == 0
    np.add.at(m.flows_talent, (sk, o, dst), w)
    ys = m.year_stats
    ys["talent_out"] = np.bincount(o, weights=w, minlength=R)
    ys["talent_in"] = np.bincount(dst, weights=w, minlength=R)
    hi = sk == HIGH
    ys["talent_out_high"] = np.bincount(o[hi], weights=w[hi], minlength=R)
    ys["talent_in_high"] = np.bincount(dst[hi], weights=w[hi], minlength=R)
    ys["talent_out_young"] = np.bincount(o[young], weights=w[young], minlength=R)
    ys["talent_in_young"] = np.bincount(dst[young], weights=w[young], minlength=R)
    t.data["region"][idx] = dest
    # The year's talent pool is now fixed: shares used by relocation, R&D, digital and production.
    m.labour_supply = labour_market.pool(t.region, t.skill, t.weight, R)
    m.h_share = m.labour_supply[:, HIGH] / np.maximum(m.labour_supply.sum(axis=1), 1e-9)
    m.h_nat = m.labour_supply[:, HIGH].sum() / m.labour_supply.sum()
