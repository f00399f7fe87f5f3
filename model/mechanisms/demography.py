"""Cohort-component demography: births, deaths, ageing, entry into and exit from the labour force.

Residents are split in two (issue 9, item 7):

* the **labour force** -- the talent agents (ages 20 to their exit age), who migrate, work and earn;
* everyone else -- children, students, the inactive of working age and retirees -- held as a vectorised
  array ``D[r, a, s]`` (region x single year of age 0..100+ x sex). They do not choose; a 4 x 101 x 2
  array costs nothing to step, and agents for 550 million dependants would cost memory and noise.

Population_r = sum_a,s D[r, a, s] + sum_{j in r} W_j. The 2012 regional totals are the sourced data
exactly: D_r,2012 = population_2012_r - labour force_r,2012, shaped by the 2010 census pyramid (rolled
forward to 2012) with regional child/elderly tilts: children 0-19 and the elderly 60+ are the census
shares of the region's whole population (tilt x national share), working-age dependants the rest; a region
whose rest would fall below the national proportion keeps the whole-pyramid scaling (``Population.tilted``).

Each year t, in this order (Preston, Heuveline & Guillot 2001, ch. 6):

1. Deaths. q_s(a, t) = 1 - exp(-mu_s(a, t)); mu_s(a, t) = m + B_s,t exp(g (a - 80)) (+ c at ages 1-4),
   q_s(0, t) = infant mortality IMR_t; B_s,t solved so life expectancy e0_s(t) matches the sourced path
   (Gompertz 1825 / Makeham 1860 law with a Lee-Carter-style level shift). D <- D (1 - q); each agent
   dies with q(a) = (1 - phi_a) q_M(a) + phi_a q_F(a), phi_a the female share at age a in 2012.
2. Ageing: D[a] <- D[a - 1], 100+ accumulates; agents' age + 1.
3. Births. B_r = TFR_t f_r sum_{a=15..49} g_t(a) F_r(a), F_r(a) = D[r, a, F] + phi_a LF_r(a), g_t a normal
   age schedule (mean m_t, sd 5.5) normalised to sum 1, f_r = demography.fertility_multiplier[r];
   split by the sex ratio at birth SRB_t: D[r, 0, M] = B_r SRB/(1 + SRB).
4. Retirement. The 2024 NPC decision raises statutory retirement ages from 2025 over 15 years, by birth
   cohort c: men 60 -> 63 (+1 month per 4 months of birth from 1965), women cadres 55 -> 58 (from 1970,
   same pace), women workers 50 -> 55 (+1 month per 2 months from 1975). The labour force exits at one
   effective age raised by the employment-weighted mean of those steps times the share covered:
       E(c) = R0 + kappa (pi_m dR_m(c) + pi_c dR_c(c) + pi_w dR_w(c))
   R0 = demography.retirement_age (60: the model's labour force is ages 20-59 in 2012, which reproduces
   the NBS employment count), kappa = demography.reform_coverage. Agent j leaves when age_j + u_j >= E(c_j)
   (u_j uniform: the fractional part of E spreads exits over two years) and joins D split by phi_a.
5. Entry (ages a0 = demography.entry_age_general = 20, a1 = demography.entry_age_graduate = 22). The cohort
   turning a0, X_r = D[r, a0, .]: a share s_t = min(U_{t+a1-a0} / X, demography.graduate_cap) enrols in
   tertiary education (students, held in their region of birth until a1), lambda (1 - s_t) X_r joins the
   labour force as general workers (lambda, the participation of non-students, is set so the 2012 labour
   force is the NBS figure), the rest stay inactive in D. Students turning a1 graduate: national graduates
   are placed by university region (talent.graduate_share), home = region of birth (family ties draw them
   back: the Northeast trains more graduates than it keeps, seed 000). U_t = graduates_2012 (1 +
   talent.graduate_growth)^(t - 2012). Graduates and young entrants then choose where to work
   (migration: newcomers review with probability 1). Agent counts use unbiased stochastic rounding; the rounding
   remainder goes back to D (working ages, proportionally) so population is conserved exactly.

No international migration (UN WPP 2024: China's net migration is ~ -0.2 per thousand a year).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
from scipy.optimize import brentq

from .. import GENERAL, HIGH, MILLION
from .. import streams
from ..agents import Talent
from ..errors import InputError
from ..world import Sim
from ..yamlio import load_packaged_yaml

PARAMETERS = ("labour.high_skill_share_2012", "labour.ability_sigma", "labour.workforce_2012",
              "labour.natural_unemployment", "demography.retirement_age", "demography.reform_coverage",
              "demography.reform_share_men", "demography.reform_share_women_cadre",
              "demography.fertility_multiplier", "talent.graduate_growth", "talent.graduate_share",
              "talent.migrant_share_leading", "demography.entry_age_general", "demography.entry_age_graduate",
              "demography.graduate_cap")

DATA_FILE = "model/data/demography_china.yaml"
MAX_AGE = 100          # the last age class is 100+
N_AGES = MAX_AGE + 1
MALE, FEMALE = 0, 1
FERTILE = (15, 49)     # childbearing ages of the fertility schedule (UN WPP convention)


def init(model: Sim) -> None:
    """2012: the labour force as talent agents (placed by population; ages from the 2012 pyramid; skills,
    ability, a home region for the leading region's migrants) and everyone else in the cohort array."""
    P, d, rng, w = model.params, model.data, model.rng, model.world
    R = d.n
    hs = P.by("labour.high_skill_share_2012", model.regions)
    nt = model.n_talent0
    # the data counts employed persons; the workforce also holds the frictionally unemployed
    workforce_2012 = P["labour.workforce_2012"] * MILLION / (1.0 - P["labour.natural_unemployment"])
    w.demog = Population(P, model.regions, model.year, getattr(model, "last_year", 2035), d.graduates_2012,
                         workforce_2012)
    t_region = choice(rng, R, nt, d.population_2012 / d.population_2012.sum()).astype(np.int8)
    t_skill = np.where(rng.random(nt) < hs[t_region], HIGH, GENERAL).astype(np.int8)
    t_age = w.demog.draw_ages(rng, nt)
    home = t_region.copy()
    leading = model.regions.index(d.leading)
    others = np.array([r for r in range(R) if r != leading])
    migrant = (t_region == leading) & (rng.random(nt) < P["talent.migrant_share_leading"])
    if len(others):
        p_o = d.population_2012[others] / d.population_2012[others].sum()
        home[migrant] = rng.choice(others, size=int(migrant.sum()), p=p_o)
    sig = P["labour.ability_sigma"]
    ability = rng.lognormal(-0.5 * sig**2, sig, nt) if sig > 0 else np.ones(nt)
    w.talent_weight = workforce_2012 / nt
    model.talent = Talent(uid=np.arange(nt), region=t_region, home=home, skill=t_skill, age=t_age,
                          employed=np.zeros(nt, bool), wage=np.zeros(nt), ability=ability,
                          newcomer=np.zeros(nt, bool), weight=np.full(nt, w.talent_weight))
    w.demog.init_dependants(d.population_2012 * MILLION,
                            labour_force_by_age(t_region, t_age, model.talent.weight, R))


def step(model: Sim) -> None:
    """One year: deaths, ageing, births, retirement, entry (newcomers then choose a region); module doc."""
    P, t, pop = model.params, model.talent, model.world.demog
    key = model.stream_key, model.year  # keyed draws (streams.py): the same luck in every scenario
    R, year, w = pop.R, model.year, model.world.talent_weight
    e0, g0 = pop.entry_age, pop.grad_age
    sched = pop.sched
    # 1. deaths
    q = sched.q(year)                                                     # [a, s]
    dead_dep = (pop.dep * q[None]).sum(axis=(1, 2)) + (pop.students * q[None, e0:g0]).sum(axis=(1, 2))
    pop.dep *= 1.0 - q[None]
    pop.students *= 1.0 - q[None, e0:g0]
    q_lf = (1.0 - pop.phi) * q[:, MALE] + pop.phi * q[:, FEMALE]
    # u < q(age), as integers (streams.below: the same decisions); labour-force ages stay below MAX_AGE
    die = streams.below(*key, "demography.death", t.uid, streams.thresholds(q_lf), t.age)  # by age, per block
    # 2. ageing
    pop.dep = age_shift(pop.dep)
    graduating = pop.students[:, -1, :].copy()                           # turning the graduate age now
    pop.students[:, 1:, :] = pop.students[:, :-1, :].copy()
    pop.students[:, 0, :] = 0.0
    t.data["newcomer"][:] = False
    # 4. retirement (decided here, applied with the deaths in one pass): the birth cohort's exit age
    e_by_age = exit_age(year - np.arange(N_AGES), P["demography.retirement_age"], P["demography.reform_coverage"],
                        P["demography.reform_share_men"], P["demography.reform_share_women_cadre"])
    # exit if age + U >= E(c), U in (0, 1): certain when E - age <= 0, impossible when E - age >= 1, so only the
    # people within a year of their exit age draw (keyed: the same outcome as drawing for everyone)
    # gap = E(c) - age per age (a table: the same subtraction as per person), then each person's case by a gather
    gap_of_age = e_by_age - np.arange(N_AGES)
    # each person's case by their age before this year's ageing (t.age, the cached copy the deaths used): the
    # table by age after ageing shifted by one, the same entries (and the column's intp copy is not formed again)
    case_by_age = np.where(gap_of_age <= 0.0, 1, np.where(gap_of_age < 1.0, 2, 0)).astype(np.int8)
    case = case_by_age[1:][t.age]  # t.age is read-only: indexed (numeric.lookup); an age of MAX_AGE would raise
    leave = die | (case == 1)                                            # 1: past the exit age
    near = np.flatnonzero(case == 2)                                     # 2: within a year of it
    leave[near] |= (streams.uniform(*key, "demography.retirement", t.uid[near])
                    >= gap_of_age.take(t.age.take(near) + 1))            # age after ageing
    t.data["age"] += 1  # 2. ageing of the labour force
    gone = np.flatnonzero(leave)
    # the dead and the retired by row, from the few who leave (the same indices as flatnonzero(die) and
    # flatnonzero(leave & ~die), without two more passes over every person)
    dead_of_gone = die.take(gone)
    dead = gone[dead_of_gone]  # one index for both columns (~1 % of the people)
    died = np.bincount(t.rows("region", dead), weights=t.weight.take(dead), minlength=R)  # stored int8 rows
    pop.deaths = dead_dep + died
    # 3. births (mothers counted after ageing, without this year's dead and retired)
    w_one = t.constant("weight")  # every person's weight, if they all have the same (agents.py)
    lf = (labour_force(t, R, w_one)
          - labour_force_by_age(t.rows("region", gone), t.rows("age", gone), t.weight[gone], R, w_one))
    women = pop.dep[:, :, FEMALE] + pop.phi[None, :] * lf
    women[:, e0:g0] += pop.students[:, :, FEMALE]
    b = births(sched.tfr(year), pop.fertility_multiplier, sched.shape(year), women)
    pop.births = b
    pop.dep[:, 0, :] = b[:, None] * sched.at_birth(year)[None, :]
    # retirees join the dependants, split by sex as their age group
    ret = gone[~dead_of_gone]  # one index for the three columns (a boolean mask would be read three times)
    a_ret, w_ret, r_ret = t.rows("age", ret), t.weight.take(ret), t.rows("region", ret).astype(np.int64)
    np.add.at(pop.dep, (r_ret, a_ret, MALE), w_ret * (1.0 - pop.phi[a_ret]))
    np.add.at(pop.dep, (r_ret, a_ret, FEMALE), w_ret * pop.phi[a_ret])
    model.year_stats["retirements"] = np.bincount(r_ret, weights=w_ret, minlength=R) + died  # all exits
    model.year_stats["talent_deaths"] = died
    t.keep(~leave)
    # 5. entry: the cohort at the entry age (students, general entrants, inactive), graduates at the graduate age
    cohort = pop.dep[:, e0, :].copy()                                     # [r, s]
    s_t = pop._student_share(year, cohort.sum())
    pop.student_share = s_t
    pop.students[:, 0, :] = s_t * cohort
    want = pop.participation * (1.0 - s_t) * cohort.sum(axis=1)
    n_gen = streams.stochastic_round(*key, "demography.entrants", want / w)
    sex_mix = cohort / np.maximum(cohort.sum(axis=1, keepdims=True), 1e-12)
    pop.dep[:, e0, :] = (1.0 - s_t) * cohort
    take = np.minimum(n_gen * w, pop.dep[:, e0, :].sum(axis=1))
    pop.dep[:, e0, :] -= take[:, None] * sex_mix
    pop.put_back(take - n_gen * w)                                        # rounding remainder (|.| < one agent)
    grads_r = graduating.sum(axis=1)                                      # by home (birth) region
    n_grad = streams.stochastic_round(*key, "demography.graduates",
                                      grads_r.sum() * P.by("talent.graduate_share", model.regions) / w)
    placed = n_grad.sum() * w
    pop.put_back(grads_r - placed * grads_r / max(grads_r.sum(), 1e-12))  # the unplaced remainder stays resident
    region = np.concatenate([np.repeat(np.arange(R), n_gen), np.repeat(np.arange(R), n_grad)]).astype(np.int8)
    home_p = grads_r / max(grads_r.sum(), 1e-12)                         # graduates' home: region of birth
    # slot ids (year, general|graduate x region, rank): a newcomer keeps its id and draws in every scenario
    uid = streams.slot_ids(year, np.concatenate([np.repeat(np.arange(R), n_gen),
                                                 R + np.repeat(np.arange(R), n_grad)]))
    g_home = (streams.choice(*key, "demography.home", uid[n_gen.sum():], home_p) if n_grad.sum() and home_p.sum() > 0
              else np.repeat(np.arange(R), n_grad)).astype(np.int8)
    home = np.concatenate([np.repeat(np.arange(R), n_gen), g_home]).astype(np.int8)
    skill = np.concatenate([np.full(n_gen.sum(), GENERAL), np.full(n_grad.sum(), HIGH)]).astype(np.int8)
    age = np.concatenate([np.full(n_gen.sum(), e0), np.full(n_grad.sum(), g0)]).astype(np.int16)
    n = len(region)
    sig = P["labour.ability_sigma"]
    pop.entrant_uid, pop.entrant_region = uid, region                     # where this year's newcomers start
    t.append(uid=uid, region=region, home=home, skill=skill, age=age,
             employed=np.zeros(n, bool), wage=np.zeros(n),
             ability=streams.lognormal(*key, "demography.ability", uid, -0.5 * sig**2, sig)
             if sig > 0 else np.ones(n), newcomer=np.ones(n, bool), weight=np.full(n, w))
    model.year_stats["talent_entries"] = np.bincount(region, minlength=R) * w

@cache
def inputs() -> dict:
    """The sourced demographic inputs (``model/data/demography_china.yaml``)."""
    text = resources.files("model").joinpath("data/demography_china.yaml").read_text(encoding="utf-8")
    return load_packaged_yaml(text, DATA_FILE)


def path_value(path: dict, year: float) -> float:
    """Linear interpolation in a {year: value} path, flat outside it."""
    ys = sorted(int(y) for y in path)
    return float(np.interp(year, ys, [float(path[y]) for y in ys]))


# ---------------------------------------------------------------------------------------------- pyramid
def census_pyramid() -> np.ndarray:
    """[age, sex] million people, 2010 census, five-year groups spread uniformly over single years."""
    c = inputs()["census_2010"]
    groups = np.asarray(c["age_groups_million"], float)
    sr = np.asarray(c["sex_ratio"], float)
    ages = np.arange(N_AGES)
    g = np.minimum(ages // 5, len(groups) - 1)
    total = np.where(ages < MAX_AGE, groups[g] / 5.0, groups[-1])
    male = sr[g] / (100.0 + sr[g])
    return np.column_stack([total * male, total * (1.0 - male)])


def age_shift(x: np.ndarray) -> np.ndarray:
    """Everyone one year older along axis -2 (age); the open class MAX_AGE accumulates; age 0 empty."""
    out = np.zeros_like(x)
    out[..., 1:, :] = x[..., :-1, :]
    out[..., -1, :] += x[..., -1, :]
    return out


def pyramid_2012(schedule: Schedules) -> np.ndarray:
    """[age, sex] national shape in 2012: the 2010 census rolled forward two years with the model's own rates."""
    p = census_pyramid()
    for year in (2011, 2012):
        p = age_shift(p * (1.0 - schedule.q(year)))
        p[0] = schedule.births(year, p[None])[0] * schedule.at_birth(year)
    return p


# ---------------------------------------------------------------------------------------------- mortality
def mortality_schedule(level: float, infant: float, slope: float, makeham: float, child: float) -> np.ndarray:
    """q(a), a = 0..100: Gompertz-Makeham hazard above 1, infant mortality at 0, q(100+) from its hazard."""
    ages = np.arange(N_AGES, dtype=float)
    mu = makeham + level * np.exp(slope * (ages - 80.0))
    mu[1:5] += child
    q = 1.0 - np.exp(-mu)
    q[0] = infant
    return np.minimum(q, 1.0)


def life_expectancy(q: np.ndarray) -> float:
    """e0 of a period life table with single-year q(a); deaths mid-year (0.1 at age 0); 100+ closed by 1/mu."""
    survive = np.concatenate([[1.0], np.cumprod(1.0 - q)[:-1]])
    deaths = survive * q
    person_years = survive - 0.5 * deaths
    person_years[0] = survive[0] - 0.9 * deaths[0]
    mu_last = -np.log(max(1.0 - q[-1], 1e-9))
    person_years[-1] = survive[-1] / max(mu_last, 1e-3)
    return float(person_years.sum())


def solve_level(e0: float, infant: float, slope: float, makeham: float, child: float) -> float:
    """Gompertz level B so that the schedule's life expectancy is ``e0``."""
    return brentq(lambda b: life_expectancy(mortality_schedule(b, infant, slope, makeham, child)) - e0,
                  1e-5, 2.0, xtol=1e-10)


# ---------------------------------------------------------------------------------------------- fertility
def fertility_shape(mean_age: float, sd: float) -> np.ndarray:
    """g(a): share of a woman's lifetime births at age a (normal schedule on 15-49, sums to 1)."""
    ages = np.arange(N_AGES, dtype=float)
    g = np.exp(-0.5 * ((ages - mean_age) / sd) ** 2) * ((ages >= FERTILE[0]) & (ages <= FERTILE[1]))
    return g / g.sum()


def births(tfr: float, multiplier: np.ndarray, shape: np.ndarray, women: np.ndarray) -> np.ndarray:
    """B_r = TFR f_r sum_a g(a) F_r(a); ``women`` is [region, age]."""
    return tfr * multiplier * (women @ shape)


# ---------------------------------------------------------------------------------------------- retirement
def reform_step(birth_year: np.ndarray, first_cohort: float, years_per_year: float, cap: float) -> np.ndarray:
    """Legislated rise (years) of a statutory retirement age for birth cohort ``birth_year``.

    The 2024 decision adds one month per k months of birth from January of ``first_cohort``:
    ``years_per_year`` = 12/k months a year of birth = 0.25 (k = 4) or 0.5 (k = 2); capped at ``cap``.
    Mid-year birth: the cohort of first_cohort gets half a year's worth.
    """
    return np.clip((np.asarray(birth_year, float) - first_cohort + 0.5) * years_per_year, 0.0, cap)


def exit_age(birth_year: np.ndarray, base: float, coverage: float, share_men: float,
             share_women_cadre: float) -> np.ndarray:
    """E(c) = R0 + kappa (pi_m dR_m(c) + pi_c dR_c(c) + pi_w dR_w(c)), pi_w = 1 - pi_m - pi_c."""
    share_women_worker = max(1.0 - share_men - share_women_cadre, 0.0)
    step = (share_men * reform_step(birth_year, 1965, 0.25, 3.0)
            + share_women_cadre * reform_step(birth_year, 1970, 0.25, 3.0)
            + share_women_worker * reform_step(birth_year, 1975, 0.5, 5.0))
    return base + coverage * step


# ---------------------------------------------------------------------------------------------- schedules
@dataclass
class Schedules:
    """Year-indexed national rates, computed once: q[year][age, sex], TFR, fertility shape, SRB."""

    fertility_sd: float
    _q: dict[int, np.ndarray] = field(default_factory=dict)
    first: int = 0   # the years built: q of a year outside [first, last] is that of the nearest one
    last: int = -1

    @classmethod
    def build(cls, first: int, last: int) -> Schedules:
        """The schedules of ``first`` .. ``last``. Each year's q is solved when first asked for (``q``), the same
        numbers as solving them all here: a run to 2035 solves 25 of the 41 years its population builds for."""
        d = inputs()
        if last < first:
            raise ValueError(f"no years to build schedules for: {first}..{last}")
        return cls(fertility_sd=float(d["tfr"]["sd_age_of_childbearing"]), first=int(first), last=int(last))

    def _solve(self, year: int) -> np.ndarray:
        m = inputs()["mortality"]
        e0 = path_value(m["e0"], year)
        imr = path_value(m["infant"], year)
        half = 0.5 * float(m["female_advantage"])
        cols = []
        for e, inf in ((e0 - half, imr * 1.1), (e0 + half, imr * 0.9)):  # boys' IMR ~ 1.1x (approx.)
            b = solve_level(e, inf, m["gompertz_slope"], m["makeham"], m["child_excess_1_4"])
            cols.append(mortality_schedule(b, inf, m["gompertz_slope"], m["makeham"], m["child_excess_1_4"]))
        return np.column_stack(cols)

    def q(self, year: int) -> np.ndarray:
        y = min(max(int(year), self.first), self.last)
        q = self._q.get(y)
        if q is None:
            q = self._q[y] = self._solve(y)
        return q

    @staticmethod
    def tfr(year: int) -> float:
        return path_value(inputs()["tfr"]["path"], year)

    def shape(self, year: int) -> np.ndarray:
        return fertility_shape(path_value(inputs()["tfr"]["mean_age_of_childbearing"], year), self.fertility_sd)

    @staticmethod
    def at_birth(year: int) -> np.ndarray:
        """[male, female] shares of births."""
        srb = path_value(inputs()["tfr"]["sex_ratio_at_birth"], year)
        return np.array([srb / (1.0 + srb), 1.0 / (1.0 + srb)])

    def births(self, year: int, pop: np.ndarray, multiplier: np.ndarray | None = None) -> np.ndarray:
        """Births [region] from ``pop`` [region, age, sex] (everyone, both parts)."""
        mult = np.ones(pop.shape[0]) if multiplier is None else multiplier
        return births(self.tfr(year), mult, self.shape(year), pop[:, :, FEMALE])


# ---------------------------------------------------------------------------------------------- helpers
def stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.floor(x + rng.random(x.shape)).astype(np.int64)


def choice(rng: np.random.Generator, n: int, size: int, p: np.ndarray) -> np.ndarray:
    """``rng.choice(n, size=size, p=p)``, the same draws and the same generator state after: numpy forms the
    cumulative cdf = cumsum(p) / its last value, draws ``rng.random(size)`` and returns ``cdf.searchsorted(u,
    side="right")``. A binary search per draw mispredicts ~7 branches (34 ms for 1 M draws in 101 ages), so the
    count of cdf values <= u is looked up by u's bucket of width 1/B instead: exact where no cdf value falls inside
    the bucket (counted at its two ends), searched for the few draws in the (at most len(p)) buckets that hold
    one. Anything numpy's checks might refuse (p not a finite, non-negative, length-n vector summing to 1) goes to
    ``rng.choice`` itself."""
    p = np.asarray(p, dtype=float)
    if (p.ndim != 1 or len(p) != n or not n or not np.all(np.isfinite(p)) or np.any(p < 0)
            or abs(p.sum() - 1.0) > np.sqrt(np.finfo(float).eps) / 2 or size < 4096):
        return rng.choice(n, size=size, p=p)
    cdf = p.cumsum()
    cdf /= cdf[-1]
    u = rng.random(size)
    B = 4096  # buckets [g/B, (g + 1)/B): g = floor(u B) exactly (a power of two)
    ends = np.arange(B + 1) / B
    lo = cdf.searchsorted(ends[:-1], side="right")   # cdf values <= the bucket's start
    hi = cdf.searchsorted(ends[1:], side="left")     # cdf values below its end: the count for u is in [lo, hi]
    g = (u * B).astype(np.intp)
    out = lo.take(g)
    amb = np.flatnonzero((lo != hi).take(g))
    if len(amb):
        out[amb] = cdf.searchsorted(u.take(amb), side="right")
    return out.astype(np.int64, copy=False)


def graduates(year: int, graduates_2012: float, graduate_growth: float) -> float:
    """U_t (million people): the sourced 2012 count grown at talent.graduate_growth."""
    return graduates_2012 * (1.0 + graduate_growth) ** (year - 2012)


def labour_force_by_age(region: np.ndarray, age: np.ndarray, weight: np.ndarray, n_regions: int,
                        weight_value: float | None = None) -> np.ndarray:
    """[region, age] people in the labour force (ages below MAX_AGE). ``weight_value``: every weight's value, if
    they are all the same (agents.py ``constant``)."""
    idx = region.astype(np.int64, copy=False) * N_AGES + age
    return sum_by_bin(idx, weight, n_regions * N_AGES, weight_value).reshape(n_regions, N_AGES)


def labour_force(t: Talent, n_regions: int, weight_value: float | None) -> np.ndarray:
    """``labour_force_by_age`` of every person. With one weight for all (``weight_value``, agents.py ``constant``)
    each [region, age] bin is the running sum of that weight over its count (``sum_by_bin``), and the counts are
    exact in any order: counted by the sorted people's region blocks (agents.py ``count_by_region_and``), without
    forming region x N_AGES + age for every person."""
    if weight_value is not None and np.isfinite(weight_value) and weight_value != 0 and len(t):
        counts = t.count_by_region_and("age", N_AGES)
        if counts is not None:
            return running_sums(counts, weight_value)
    return labour_force_by_age(t.region, t.age, t.weight, n_regions, weight_value)


def sum_by_bin(idx: np.ndarray, weight: np.ndarray, n_bins: int, weight_value: float | None = None) -> np.ndarray:
    """``np.bincount(idx, weights=weight, minlength=n_bins)``. bincount adds each bin's weights one by one in
    row order from 0.0, so when every weight is the same finite, non-zero value w a bin of k rows holds
    (..((0 + w) + w) ..) + w, k terms: the k-th running sum of w, which ``np.cumsum`` (a sequential sum) gives.
    The unweighted count then looks it up: the same bits, without reading the weights (+0.0 + w is w)."""
    if weight_value is None or not np.isfinite(weight_value) or weight_value == 0 or not len(idx):
        return np.bincount(idx, weights=weight, minlength=n_bins)
    return running_sums(np.bincount(idx, minlength=n_bins), weight_value)


def running_sums(counts: np.ndarray, weight_value: float) -> np.ndarray:
    """[bin] the sum of ``counts[bin]`` weights of one value, added one by one from 0.0 as bincount adds them: the
    k-th running sum of the value (``np.cumsum``, a sequential sum), looked up by each count."""
    running = np.zeros(int(counts.max()) + 1)
    np.cumsum(np.full(len(running) - 1, weight_value, dtype=np.float64), out=running[1:])
    return running.take(counts)


@cache
def schedules(first: int, last: int) -> Schedules:
    """National rate schedules, built once per process (they depend on the data file only)."""
    return Schedules.build(first, last)


class Population:
    """The cohort-component state of one replicate: residents outside the labour force and the rates.

    ``dep[r, a, s]`` people outside the labour force (not students); ``students[r, i, s]`` tertiary
    students aged 20 + i in their home region. The labour force is the talent agent set.
    """

    def __init__(self, params, regions: tuple[str, ...], first_year: int, last_year: int,
                 graduates_2012: float, workforce: float):
        self.regions = regions
        self.R = len(regions)
        self.entry_age = int(params["demography.entry_age_general"])
        self.grad_age = int(params["demography.entry_age_graduate"])
        self.grad_cap = params["demography.graduate_cap"]
        if self.grad_age <= self.entry_age:
            raise InputError("<parameters>", "demography.entry_age_graduate", self.grad_age,
                             f"graduates must enter after general workers (demography.entry_age_general = "
                             f"{self.entry_age})")
        self.sched = schedules(first_year - 2, max(last_year + 1, 2050))  # rates flat after the last year built
        self.graduates_2012 = graduates_2012
        self.params = params
        shape = pyramid_2012(self.sched)                          # [a, s] million, national
        self.phi = shape[:, FEMALE] / np.maximum(shape.sum(axis=1), 1e-12)  # female share by age
        self.shape_2012 = shape
        self.fertility_multiplier = params.by("demography.fertility_multiplier", regions)
        tilt = inputs()["regional_tilt"]
        # regions missing from the table (another region set-up) take the national shape
        self.tilt_children = np.array([float(tilt["children"].get(r, 1.0)) for r in regions])
        self.tilt_elderly = np.array([float(tilt["elderly"].get(r, 1.0)) for r in regions])
        self.student_share = self._student_share(first_year, shape.sum(axis=1)[self.entry_age] * 1e6)
        # Participation of non-students aged 20..R0-1 so the 2012 labour force is the NBS figure (derived).
        r0 = int(params["demography.retirement_age"])
        self.lf_shape = np.zeros(N_AGES)
        self.lf_shape[self.entry_age:r0] = shape.sum(axis=1)[self.entry_age:r0]
        self.lf_shape[self.entry_age:self.grad_age] *= 1.0 - self.student_share
        self.workforce = workforce
        self.participation = np.nan  # set by init_dependants (needs the national total)
        self.dep = np.zeros((self.R, N_AGES, 2))
        self.students = np.zeros((self.R, self.grad_age - self.entry_age, 2))
        self.entrant_uid = np.zeros(0, np.int64)       # this year's newcomers and the region they start in
        self.entrant_region = np.zeros(0, np.int8)
        self.births = np.zeros(self.R)
        self.deaths = np.zeros(self.R)

    def _student_share(self, year: int, cohort_20: float) -> float:
        """s_t = min(U_{t+d} / cohort at entry age, cap): the share of the entering cohort who will graduate
        d = entry_age_graduate - entry_age_general years later."""
        u = graduates(year + self.grad_age - self.entry_age, self.graduates_2012,
                      self.params["talent.graduate_growth"]) * 1e6
        return float(min(u / max(cohort_20, 1.0), self.grad_cap))

    # -------------------------------------------------------------------------------- set-up
    def draw_ages(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """2012 labour-force ages: the 2012 pyramid over 20..R0-1, less students at 20-21."""
        p = self.lf_shape / self.lf_shape.sum()
        return choice(rng, N_AGES, n, p).astype(np.int16)

    def init_dependants(self, population_2012: np.ndarray, lf: np.ndarray) -> None:
        """D_r,2012 = population_2012_r - labour force_r, by age and sex.

        National non-labour-force pyramid: the 2012 shape (scaled to the national total) less the labour
        force lambda (1 - s_a) P(a) at 20..R0-1; regional: tilted (children 0-19, elderly 60+) and scaled so
        each region's total is exact. ``lf`` is [region, age] labour force (agents)."""
        total = population_2012.sum()
        p = self.shape_2012 / self.shape_2012.sum() * total          # [a, s] people
        lf_nat = lf.sum(axis=0)
        self.participation = float(lf_nat.sum() / max(self.lf_shape.sum() / self.shape_2012.sum() * total, 1.0))
        if self.participation > 1.0:
            raise InputError("<parameters>", "labour.workforce_2012", float(round(lf_nat.sum() / 1e6, 1)),
                             "the 2012 labour force must fit in the population aged 20 to "
                             "demography.retirement_age - 1 (less students)")
        nonlf = p - (self.participation * self.lf_shape / self.shape_2012.sum() * total)[:, None] * np.column_stack(
            [1.0 - self.phi, self.phi])
        nonlf = np.maximum(nonlf, 0.0)
        ages = np.arange(N_AGES)
        target = population_2012 - lf.sum(axis=1)
        if np.any(target <= 0):
            raise InputError("<parameters>", "labour.workforce_2012", float(round(lf_nat.sum() / 1e6, 1)),
                             "the labour force must stay below every region's 2012 population")
        dep = self.tilted(nonlf, population_2012, target, ages)
        # Students (ages 20-21) are a share of the non-labour-force mass there.
        inactive = (1.0 - self.participation) * (1.0 - self.student_share)
        stu_frac = self.student_share / (self.student_share + inactive)
        self.students = dep[:, self.entry_age:self.grad_age, :] * stu_frac
        dep[:, self.entry_age:self.grad_age, :] -= self.students
        self.dep = dep

    def tilted(self, nonlf: np.ndarray, population: np.ndarray, target: np.ndarray, ages: np.ndarray) -> np.ndarray:
        """[region, age, sex] 2012 dependants: children (0-19) and the elderly (60+) as shares of the region's
        whole population, tilt x the national share (census ratios; tilts renormalised to a population-weighted
        mean of 1), working-age dependants the rest of the region's non-labour-force total. Where that rest
        is below the national share of working-age dependants (central and west, whose labour force is a large
        share of their people), the tilted pyramid is scaled to the region's total as a whole. Scaling the tilted pyramid as a whole instead inflated
        the elderly of a region with few children: the northeast's 65+ share was 1.22 x the nation's in 2012
        against the census ratio of 1.02 (65+) to 1.06 (60+)."""
        young, old = ages < self.entry_age, ages >= 60
        mid = ~(young | old)
        total = population.sum()
        groups = []
        for mask, tilt in ((young, self.tilt_children), (old, self.tilt_elderly)):  # two age groups
            t = tilt / (tilt @ population / total)
            groups.append((mask, nonlf[mask], t * population * nonlf[mask].sum() / total))
        both = groups[0][2] + groups[1][2]
        out = np.zeros((self.R,) + nonlf.shape)
        for mask, block, mass in groups:
            out[:, mask, :] = block[None] / max(block.sum(), 1e-12) * mass[:, None, None]
        rest = target - both
        block = nonlf[mid]
        out[:, mid, :] = block[None] / max(block.sum(), 1e-12) * np.maximum(rest, 0.0)[:, None, None]
        # Where children and the elderly leave less than the national share of working-age dependants, the
        # whole tilted pyramid is scaled to the region's total instead (it keeps some working-age dependants).
        tilt = np.ones((self.R, len(ages)))
        tilt[:, young] = self.tilt_children[:, None]
        tilt[:, old] = self.tilt_elderly[:, None]
        whole = nonlf[None, :, :] * tilt[:, :, None]
        whole *= (target / whole.sum(axis=(1, 2)))[:, None, None]
        scaled = rest < target * block.sum() / max(nonlf.sum(), 1e-12)
        out[scaled] = whole[scaled]
        return out

    # -------------------------------------------------------------------------------- accounts
    def residents(self, labour_force: np.ndarray) -> np.ndarray:
        """Population by region (people): dependants + students + the labour force [region]."""
        return self.dep.sum(axis=(1, 2)) + self.students.sum(axis=(1, 2)) + labour_force

    def put_back(self, region_amount: np.ndarray) -> None:
        """Return a (small, possibly negative) rounding remainder to each region's working-age dependants.

        In proportion to the working-age dependants (entry age to 59). They can run dry in a small region at
        coarse agent weights (one agent can be a quarter of a million people): a negative remainder never takes
        more than they hold -- the rest comes from the region's other dependants, in proportion -- and a positive
        one into an empty block is spread by the 2012 age-sex shape. No cell turns negative; population is
        conserved (a 2028 Northeast block of 0.06 M people scaled by 1e4 once gave -256 M dependants)."""
        e0 = self.entry_age
        amount = np.asarray(region_amount, dtype=float)
        block = self.dep[:, e0:60, :]
        tot = block.sum(axis=(1, 2))
        empty = tot < 1.0
        from_block = np.where(empty, np.maximum(amount, 0.0), np.maximum(amount, -tot))
        scale = np.where(empty, 1.0, 1.0 + from_block / np.maximum(tot, 1.0))
        self.dep[:, e0:60, :] = block * scale[:, None, None]
        if empty.any():
            shape = self.shape_2012[e0:60] / self.shape_2012[e0:60].sum()
            self.dep[:, e0:60, :] += np.where(empty, from_block, 0.0)[:, None, None] * shape[None]
        short = amount - from_block                    # <= 0: what the working-age dependants could not give
        if np.any(short < 0):
            rest = self.dep.sum(axis=(1, 2))
            self.dep *= (1.0 + np.maximum(short, -rest) / np.maximum(rest, 1.0))[:, None, None]
