"""Demography: ageing, retirement and the entry of young workers and graduates.

Every year each person ages by one; people at demography.retirement_age leave the workforce.
Entrants (working-age cohort C_t, graduates U_t, both in million people):

    C_t = demography.cohort_2012 (1 + demography.cohort_growth)^(t - 2012)
    U_t = graduates_2012 (1 + talent.graduate_growth)^(t - 2012),  capped at demography.graduate_cap C_t
    general entrants (age demography.entry_age_general = 20) = C_t - U_t, born where today's workforce lives
    graduates (age demography.entry_age_graduate = 22, high-skill) by university region: talent.graduate_share

Graduates and young entrants then choose where to work (migration). Agent counts use unbiased
stochastic rounding: n = floor(x / weight + uniform).

The 2012 age structure of the workforce (ages 20-59) follows the 2010 census five-year groups. In 2012
talent.migrant_share_leading of the leading region's workforce (``leading_region`` in the data file)
has a home region elsewhere, drawn in proportion to population.
"""

from __future__ import annotations

import numpy as np

from .. import GENERAL, HIGH, MILLION
from ..agents import Talent
from ..scenario import FIRST_YEAR
from ..world import Sim
from . import labour_market

PARAMETERS = ("labour.high_skill_share_2012", "labour.ability_sigma", "labour.workforce_2012",
              "labour.natural_unemployment", "demography.retirement_age", "demography.cohort_2012",
              "demography.cohort_growth", "talent.graduate_growth", "talent.graduate_share",
              "talent.migrant_share_leading", "demography.entry_age_general", "demography.entry_age_graduate",
              "demography.graduate_cap")

# 2010 census, million people by age group 20-24 ... 55-59 (NBS Tabulation of the 2010 Population Census).
CENSUS_2010_AGE_GROUPS = np.array([127.4, 101.0, 97.1, 118.0, 125.0, 105.6, 78.8, 81.3])


def initial_ages(rng: np.random.Generator, n: int, retirement_age: int) -> np.ndarray:
    """Ages 20..retirement_age-1 drawn from the census shape (five-year groups, uniform inside)."""
    ages = np.arange(20, retirement_age)
    group = np.minimum((ages - 20) // 5, len(CENSUS_2010_AGE_GROUPS) - 1)
    p = CENSUS_2010_AGE_GROUPS[group] / 5.0
    return rng.choice(ages, size=n, p=p / p.sum()).astype(np.int16)


def stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.floor(x + rng.random(x.shape)).astype(np.int64)


def entrants(year: int, cohort_2012: float, cohort_growth: float, graduates_2012: float,
             graduate_growth: float, graduate_cap: float) -> tuple[float, float]:
    """(general entrants, graduates) in million people for ``year``."""
    t = year - FIRST_YEAR
    cohort = cohort_2012 * (1.0 + cohort_growth) ** t
    grads = min(graduates_2012 * (1.0 + graduate_growth) ** t, graduate_cap * cohort)
    return cohort - grads, grads


def init(model: Sim) -> None:
    """2012: the workforce as talent agents, placed by population, with census ages, skills, ability,
    and a home region for the migrants who work in the leading region."""
    P, d, rng, w = model.params, model.data, model.rng, model.world
    R = d.n
    hs = P.by("labour.high_skill_share_2012", model.regions)
    nt = model.n_talent0
    t_region = rng.choice(R, size=nt, p=d.population_2012 / d.population_2012.sum()).astype(np.int8)
    t_skill = np.where(rng.random(nt) < hs[t_region], HIGH, GENERAL).astype(np.int8)
    t_age = initial_ages(rng, nt, int(P["demography.retirement_age"]))
    home = t_region.copy()
    leading = model.regions.index(d.leading)
    others = np.array([r for r in range(R) if r != leading])
    migrant = (t_region == leading) & (rng.random(nt) < P["talent.migrant_share_leading"])
    if len(others):
        p_o = d.population_2012[others] / d.population_2012[others].sum()
        home[migrant] = rng.choice(others, size=int(migrant.sum()), p=p_o)
    sig = P["labour.ability_sigma"]
    ability = rng.lognormal(-0.5 * sig**2, sig, nt) if sig > 0 else np.ones(nt)
    # the data counts employed persons; the workforce also holds the frictionally unemployed
    workforce_2012 = P["labour.workforce_2012"] * MILLION / (1.0 - P["labour.natural_unemployment"])
    w.talent_weight = workforce_2012 / nt
    model.talent = Talent(uid=np.arange(nt), region=t_region, home=home, skill=t_skill, age=t_age,
                          employed=np.zeros(nt, bool), wage=np.zeros(nt), ability=ability,
                          newcomer=np.zeros(nt, bool), weight=np.full(nt, w.talent_weight))


def step(model: Sim) -> None:
    """Ageing, retirement, and this year's young entrants and graduates (newcomers, who then choose a region)."""
    P, rng, t, w = model.params, model.rng, model.talent, model.world
    R = model.data.n
    t.data["age"] += 1
    t.data["newcomer"][:] = False
    retire = t.age >= int(P["demography.retirement_age"])
    model.year_stats["retirements"] = np.bincount(t.region[retire], weights=t.weight[retire], minlength=R)
    t.keep(~retire)
    general, grads = entrants(model.year, P["demography.cohort_2012"], P["demography.cohort_growth"],
                              model.data.graduates_2012, P["talent.graduate_growth"], P["demography.graduate_cap"])
    where = labour_market.pool(t.region, t.skill, t.weight, R).sum(axis=1)
    n_gen = stochastic_round(rng, general * MILLION * where / where.sum() / w.talent_weight)
    n_grad = stochastic_round(rng, grads * MILLION * P.by("talent.graduate_share", model.regions)
                              / w.talent_weight)
    region = np.concatenate([np.repeat(np.arange(R), n_gen), np.repeat(np.arange(R), n_grad)]).astype(np.int8)
    skill = np.concatenate([np.full(n_gen.sum(), GENERAL), np.full(n_grad.sum(), HIGH)]).astype(np.int8)
    age = np.concatenate([np.full(n_gen.sum(), int(P["demography.entry_age_general"])),
                          np.full(n_grad.sum(), int(P["demography.entry_age_graduate"]))]).astype(np.int16)
    n = len(region)
    sig = P["labour.ability_sigma"]
    t.append(uid=t.new_ids(n), region=region, home=region.copy(), skill=skill, age=age,
             employed=np.zeros(n, bool), wage=np.zeros(n), ability=rng.lognormal(-0.5 * sig**2, sig, n)
             if sig > 0 else np.ones(n), newcomer=np.ones(n, bool), weight=np.full(n, w.talent_weight))
    model.year_stats["talent_entries"] = np.bincount(region, minlength=R) * w.talent_weight
