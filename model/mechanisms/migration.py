"""Talent migration: each person reconsiders where to live with some chance, then picks by logit.

A person of skill k and age group a in region c, from home region o, reconsiders this year with

    p = talent.review_rate * m_k * m_a       (newcomers -- graduates and young entrants -- always do)
    m_k = talent.mobility_high | talent.mobility_general,  m_a = mobility_young (20-34), 1 (35-49),
    mobility_old (50+); the age boundaries are talent.middle_age_from and talent.old_age_from

(mobility falls with age and rises with skill: Rogers & Castro 1981; seed 000) and then chooses
destination r with probability softmax_r(U_r) (McFadden 1974; Tombe & Zhu 2019 for China):

    V_rk = beta ln( w_rk (1 + topup_rk) e_rk / P_r ) + A0_rk + amenity_r + ln N_r,2012 - phi (f_r - f_nat) [k = G]
    U_r  = V_rk + home_bias [r = o] - hukou_k [r != o] - moving_cost (1 - cut_rk) [r != c]

* w_rk / P_r is the real wage, the wage net of the local housing cost (P_r = housing cost-of-living
  index, housing.py; Helpman 1998), and e_rk the chance of employment: expected real income (Harris &
  Todaro 1970).
* A0_rk = -beta (ln(w_rk e_rk) - mean_r ln(w_rk e_rk)) at 2012: amenities that make 2012 a spatial
  equilibrium (Rosen 1979; Roback 1982); talent.amenity is the calibrated deviation (the Northeast's gap).
* phi (f_r - f_nat): the farm reserve's push on general workers (Lewis 1954; Harris & Todaro 1970), f_r =
  F_r,t-1 / S_rG the farm workers' share of the region's general workers (labour_market's farm path, last
  year's), f_nat the national share, phi = talent.farm_push: surplus farm labour pushes general workers out of
  the regions with the larger reserve; the high-skilled are not pushed; it fades as the reserves are released.
* hukou_k = talent.hukou_friction[k]: the settlement (hukou) friction of living outside one's home
  region -- weaker access to public services, schooling and housing -- smaller for the high-skilled,
  whom cities' points systems admit more easily (Tombe & Zhu 2019; Fan 2019). home_bias: attachment.
* moving_cost: the one-off utility cost of a move; the talent_incentive lever cuts it.
* ln N_r,2012 (the region's 2012 workforce) counts its opportunities: a region made of many places
  draws movers in proportion to its size (the aggregation of a place-level logit), so random moves do
  not by themselves shift population between regions of different size. The count is fixed at 2012:
  with the current workforce, a region that loses people would also lose attraction, a feedback that
  made single seeds tip.

Utilities depend on (c, o, k) only, so probabilities are computed per cell (R*R*2*3 cells) and each
agent makes its own draw: one uniform per agent, inverted on its cell's cumulative row.

Family migration: children 0-14 move with a share talent.accompanying_children of the movers aged 25-44,
K_od = share x P_od x children_o / (labour force 25-44)_o; the rest are left behind (2020 census:
71 million migrant children, 67 million left-behind children). Retirees do not migrate.
"""

from __future__ import annotations

import numpy as np

from .. import GENERAL, HIGH, SKILLS
from .. import streams
from ..numeric import lookup  # small-table gathers by read-only index columns
from .demography import N_AGES  # age classes 0..MAX_AGE (the last one open)
from ..world import Sim

PARAMETERS = ("talent.wage_weight", "talent.amenity", "talent.review_rate", "talent.mobility_high",
              "talent.mobility_general", "talent.mobility_young", "talent.mobility_old", "talent.home_bias",
              "talent.moving_cost", "talent.middle_age_from", "talent.old_age_from", "talent.hukou_friction_high",
              "talent.hukou_friction_general", "talent.accompanying_children", "talent.farm_push")

N_AGE_GROUPS = 3
CHILD_AGES = 15           # children 0-14 (the census definition of children) can move with a parent
PARENT_AGES = (25, 45)    # movers aged 25-44 are the parents of children 0-14 (mean age at birth ~28)


def age_group(age: np.ndarray, middle_from: int, old_from: int) -> np.ndarray:
    """0 young, 1 middle (from ``middle_from``), 2 old (from ``old_from``)."""
    return np.where(age < middle_from, 0, np.where(age < old_from, 1, 2)).astype(np.int64)


def cell_index(region: np.ndarray, home: np.ndarray, skill: np.ndarray, agegrp: np.ndarray, n_regions: int) -> np.ndarray:
    return ((region.astype(np.int64) * n_regions + home) * len(SKILLS) + skill) * N_AGE_GROUPS + agegrp


def choice_probabilities(wage: np.ndarray, employment_rate: np.ndarray, topup: np.ndarray,
                         cut: np.ndarray, amenity: np.ndarray, size: np.ndarray, beta: float, home_bias: float,
                         moving_cost: float, cost_of_living: np.ndarray | None = None,
                         hukou: np.ndarray | None = None) -> np.ndarray:
    """[cell, destination] choice probabilities; cells ordered as in ``cell_index``.

    ``wage``, ``employment_rate``, ``topup``, ``cut`` and ``amenity`` are [region, skill]; ``size`` and
    ``cost_of_living`` [region] (default 1); ``hukou`` [skill] (default 0).
    """
    nr = len(size)
    col = np.ones(nr) if cost_of_living is None else np.asarray(cost_of_living, float)
    huk = np.zeros(len(SKILLS)) if hukou is None else np.asarray(hukou, float)
    real = wage * (1.0 + topup) * employment_rate / col[:, None]          # expected real wage
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
    u = np.broadcast_to(u, (nr, nr, len(SKILLS), N_AGE_GROUPS, nr)).reshape(-1, nr)
    u = u - u.max(axis=1, keepdims=True)
    p = np.exp(u)
    return p / p.sum(axis=1, keepdims=True)


def move_children(dep: np.ndarray, parents: np.ndarray, parents_at_origin: np.ndarray, share: float) -> None:
    """Children 0-14 who accompany moving parents, moved in place in ``dep`` [region, age, sex].

    K_od = share x P_od x c_o,  c_o = children_o / parents_o (children per person aged 25-44 in o), taken from
    the origin's child age-sex mix; at most half of a region's children leave in one year.
    ``parents`` [o, d] are movers aged 25-44; ``parents_at_origin`` [o] the labour force aged 25-44."""
    block = dep[:, :CHILD_AGES, :]
    kids_o = block.sum(axis=(1, 2))
    per_parent = kids_o / np.maximum(parents_at_origin, 1e-9)
    k = share * parents * per_parent[:, None]
    np.fill_diagonal(k, 0.0)
    out = k.sum(axis=1)
    k *= np.minimum(1.0, 0.5 * kids_o / np.maximum(out, 1e-12))[:, None]
    mix = block / np.maximum(kids_o, 1e-12)[:, None, None]            # [o, a, s]
    moved = k[:, :, None, None] * mix[:, None]                        # [o, d, a, s]
    dep[:, :CHILD_AGES, :] += moved.sum(axis=0) - moved.sum(axis=1)


def choose(rng: np.random.Generator, cells: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Each agent's own draw from its cell's probabilities."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(cells))
    # the count of a cell's running sums below u, one destination column at a time (no [agent, region] gather)
    out = np.zeros(len(cells), dtype=np.int8)
    for r in range(cum.shape[1]):  # regions, not agents
        out += u > cum[:, r][cells]
    return out


def init(model: Sim) -> None:
    """2012 is a spatial equilibrium: amenities (cost of living, climate, public services) offset the
    regional gaps in expected wages, so migration comes from home ties, shocks and talent.amenity."""
    P, w, t = model.params, model.world, model.talent
    value = np.log(w.wage * w.employment_rate)
    a0 = -P["talent.wage_weight"] * (value - value.mean(axis=0, keepdims=True))
    w.places = w.labour_supply.sum(axis=1).copy()  # a region's opportunities: its 2012 workforce
    R = model.data.n
    hukou = np.array([P["talent.hukou_friction_high"], P["talent.hukou_friction_general"]])
    p_review, grp = review_rates(P, t)
    reviewers = np.bincount(cell_index(t.region, t.home, t.skill, grp, R), weights=p_review * t.weight,
                            minlength=R * R * len(SKILLS) * N_AGE_GROUPS)

    def probs(amenity: np.ndarray) -> np.ndarray:
        return choice_probabilities(w.wage, w.employment_rate, np.zeros_like(w.wage), np.zeros_like(w.wage), amenity,
                                    w.places, P["talent.wage_weight"], P["talent.home_bias"], P["talent.moving_cost"],
                                    None, hukou)  # housing costs are 1 in 2012
    w.amenity_2012 = stationary_amenities(a0, reviewers, probs, R)


def step(model: Sim) -> None:
    """Reviewing people pick a region; then the year's talent pool, shares and population are fixed.
    Flows by skill and for the young (below talent.middle_age_from) go to the year's ledger."""
    P, t, pol, w = model.params, model.talent, model.policy, model.world
    R = model.data.n
    # the age group only of the people who review (~a tenth), from its per-age table: not gathered for everyone
    p_tab, grp_of_age = review_table(P)
    # keyed per-person draws (streams.py): the same luck in every scenario. u < p(skill, age) as integers
    # (streams.below: the same decisions), the thresholds as a [region x skill, age] table gathered by each cell
    # block of the sorted people (agents.py gather_cell_by; review_rates' p, without an index per person)
    below = t.gather_cell_by(np.tile(streams.thresholds(p_tab), (R, 1)), "age")
    review = t.newcomer | streams.below(model.stream_key, model.year, "migration.review", t.uid, below)
    idx = np.flatnonzero(review)
    age_i = t.age.take(idx)
    grp_i = grp_of_age.take(age_i)
    origin, skill_i = t.rows("region", idx), t.rows("skill", idx)  # each reviewer's once (stored int8 values)
    amenity = w.amenity_2012 + P.by("talent.amenity", model.regions)[:, None]
    if len(w.farm_2012) and P["talent.farm_push"]:
        amenity = amenity + farm_push(w.farm_2012 - w.farm_release, w.labour_supply, P["talent.farm_push"])
    hukou = np.array([P["talent.hukou_friction_high"], P["talent.hukou_friction_general"]])
    probs = choice_probabilities(w.wage, w.employment_rate, pol.wage_topup, pol.moving_cost_cut, amenity, w.places,
                                 P["talent.wage_weight"], P["talent.home_bias"], P["talent.moving_cost"],
                                 w.cost_of_living, hukou)
    cells = cell_index(origin, t.home.take(idx), skill_i, grp_i, R)
    dest = choose(streams.keyed(model, "migration.destination", t.uid.take(idx)), cells, probs)
    moved = dest != origin
    wt = t.weight.take(idx)[moved]
    o, dst, sk = origin[moved], dest[moved], skill_i[moved]
    young = grp_i[moved] == 0
    ys = model.year_stats
    np.add.at(model.flows["talent"], (sk, o, dst), wt)
    ys["talent_out"] = np.bincount(o, weights=wt, minlength=R)
    ys["talent_in"] = np.bincount(dst, weights=wt, minlength=R)
    hi = sk == HIGH
    ys["talent_out_high"] = np.bincount(o[hi], weights=wt[hi], minlength=R)
    ys["talent_in_high"] = np.bincount(dst[hi], weights=wt[hi], minlength=R)
    ys["talent_out_young"] = np.bincount(o[young], weights=wt[young], minlength=R)
    ys["talent_in_young"] = np.bincount(dst[young], weights=wt[young], minlength=R)
    t.move(idx[moved], region=dst)  # as t.data["region"][idx] = dest, keeping the cell order known (agents.py)
    # Children move with some of the parents who move (the rest are left behind).
    parent = (age_i[moved] >= PARENT_AGES[0]) & (age_i[moved] < PARENT_AGES[1])
    parents = np.zeros((R, R))
    np.add.at(parents, (o[parent], dst[parent]), wt[parent])
    # (age >= 25) & (age < 45) from a per-age table over every age class (one gather instead of three passes;
    # indexed, not taken: t.age is read-only, see numeric.lookup)
    ages = np.arange(N_AGES)
    parent_age = (ages >= PARENT_AGES[0]) & (ages < PARENT_AGES[1])
    w_one = t.constant("weight")  # every person's weight, if they all have the same (agents.py)
    if w_one is None:
        lf_par = t.sum_by_region(t.weight * parent_age[t.age])
    else:  # weight x [parent age] per age, gathered: the same products (w x 1.0, w x 0.0) in one pass, not two
        lf_par = t.sum_by_region(lookup(parent_age * w_one, t.age))
    move_children(w.demog.dep, parents, lf_par, P["talent.accompanying_children"])
    # The year's talent pool is now fixed: shares used by relocation, R&D, digital and production.
    w.labour_supply = t.sum_by_cell(t.weight).reshape(R, len(SKILLS))  # labour_market.pool, as slice sums
    w.h_share = w.labour_supply[:, HIGH] / np.maximum(w.labour_supply.sum(axis=1), 1e-9)
    w.h_nat = w.labour_supply[:, HIGH].sum() / w.labour_supply.sum()
    w.population = w.demog.residents(w.labour_supply.sum(axis=1))  # labour force + dependants (demography)


def farm_push(farm: np.ndarray, supply: np.ndarray, push: float) -> np.ndarray:
    """[region, skill] push of the farm reserve on general workers (Lewis 1954; Harris & Todaro 1970):
    -phi (f_r - f_nat) for skill general, 0 for the high-skilled, f_r = F_r / S_rG the farm workers' share of the
    region's general workers (last year's farm employment and pool), f_nat the national share. Surplus farm labour
    at home pushes general workers out of the regions with the larger reserve; the push fades as the reserves
    are released and their shares converge."""
    out = np.zeros_like(supply, dtype=float)
    f = farm / np.maximum(supply[:, GENERAL], 1e-9)
    out[:, GENERAL] = -push * (f - farm.sum() / max(supply[:, GENERAL].sum(), 1e-9))
    return out


def review_table(P) -> tuple[np.ndarray, np.ndarray]:
    """([skill, age] chance of reviewing, [age] age group), over every age class: talent.review_rate x m_k x m_a,
    at most 1 (newcomers review for sure; the caller adds them)."""
    mob_skill = np.array([P["talent.mobility_high"], P["talent.mobility_general"]])
    mob_age = np.array([P["talent.mobility_young"], 1.0, P["talent.mobility_old"]])
    ages = np.arange(N_AGES)
    grp_of_age = age_group(ages, int(P["talent.middle_age_from"]), int(P["talent.old_age_from"]))
    return np.minimum(P["talent.review_rate"] * mob_skill[:, None] * mob_age[grp_of_age][None, :], 1.0), grp_of_age


def review_rates(P, t, group_table: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(chance that each person reviews this year, their age group), from ``review_table``. ``group_table``: the
    age group per age (index by age) instead of per person, for a caller that needs it for a few people only."""
    # per age and (skill, age) tables gathered per person: the same products of the same numbers, bit for bit
    # (over every age class: labour-force ages stay below MAX_AGE, and an age beyond the table raises)
    p_tab, grp_of_age = review_table(P)
    p = p_tab.ravel().take(t.skill * p_tab.shape[1] + t.age)
    return p, (grp_of_age if group_table else lookup(grp_of_age, t.age))


def expected_flows(reviewers: np.ndarray, probs: np.ndarray, n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """([region, skill] expected inflow, outflow) of the people reviewing: ``reviewers`` [cell] (weighted people,
    cells as in ``cell_index``) times their cell's destination probabilities ``probs`` [cell, region]; movers
    only (stayers are neither)."""
    nk = len(SKILLS)
    flows = (reviewers[:, None] * probs).reshape(n_regions, n_regions, nk, N_AGE_GROUPS, n_regions).sum(axis=(1, 3))
    flows = flows * (1.0 - np.eye(n_regions))[:, None, :]      # [origin, skill, destination], stayers out
    return flows.sum(axis=0).T, flows.sum(axis=2)   # [destination, skill], [origin, skill]


def stationary_amenities(a0: np.ndarray, reviewers: np.ndarray, probs, n_regions: int, iterations: int = 200,
                         tol: float = 1e-10) -> np.ndarray:
    """[region, skill] 2012 amenities A0_rk at which the expected net flow of every region and skill is zero.

    The Rosen-Roback amenity that only offsets expected-wage gaps leaves the frictions of the choice out of the
    2012 equilibrium: the home bias and the hukou friction draw the leading region's migrants home, and a small
    region (fewer places, ln N_r) loses more stayers than it gains movers. Both are flows without a cause in
    2012 (they were ~0.2 M a year out of the east and out of the northeast at zero talent.amenity, scale medium),
    which talent.amenity then had to offset. Solved by the fixed point A0_rk <- A0_rk + ln(out_rk / in_rk)
    (each region's utility for a skill scales its inflow and, less than one for one, its outflow), started from
    the wage-offsetting A0 and centred on zero over regions; ``probs(amenity)`` gives the [cell, region] choice
    probabilities. talent.amenity then measures the deviation that makes people move (Artuc, Chaudhuri and
    McLaren 2010; Tombe and Zhu 2019: amenities and frictions are what reconciles wages with observed flows)."""
    a = np.asarray(a0, dtype=float).copy()
    for _ in range(iterations):
        inflow, outflow = expected_flows(reviewers, probs(a), n_regions)
        step = np.log(np.maximum(outflow, 1e-300) / np.maximum(inflow, 1e-300))
        a = a + 0.5 * step
        a = a - a.mean(axis=0, keepdims=True)
        if np.max(np.abs(step)) < tol:
            break
    return a
