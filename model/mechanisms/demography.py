"""Demography: ageing, retirement and the entry of young workers and graduates.

Every year each person ages by one; people at demography.retirement_age leave the workforce.
Entrants (working-age cohort C_t, graduates U_t, both in million people):

    C_t = demography.cohort_2012 (1 + demography.cohort_growth)^(t - 2012)
    U_t = graduates_2012 (1 + talent.graduate_growth)^(t - 2012),  capped at 0.8 C_t
    general entrants (age 20) = C_t - U_t, born where today's workforce lives
    graduates (age 22, high-skill) by university region: talent.graduate_share

Graduates and young entrants then choose where to work (migration). Agent counts use unbiased
stochastic rounding: n = floor(x / weight + uniform).

The 2012 age structure of the workforce (ages 20-59) follows the 2010 census five-year groups.
"""

from __future__ import annotations

import numpy as np

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
             graduate_growth: float) -> tuple[float, float]:
    """(general entrants, graduates) in million people for ``year``."""
    t = year - 2012
    cohort = cohort_2012 * (1.0 + cohort_growth) ** t
    grads = min(graduates_2012 * (1.0 + graduate_growth) ** t, 0.8 * cohort)
    return cohort - grads, grads
