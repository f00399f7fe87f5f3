"""Fast forms of the people mechanisms give the same bits as the plain forms they replace: the migration review,
the wage bill, labour-force sums by bin, demography's schedules and the facts' panel rows.

The golden master (tests/test_golden_master.py) covers whole runs; these pin the building blocks one by one,
including inputs the shipped scenarios never reach (signed zeros, NaN, infinities, levers on, odd tables)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from conftest import same_bits, sorted_talent, talent_rows
from model.mechanisms.demography import labour_force_by_age, sum_by_bin


def test_review_rates_group_table_gives_the_per_person_groups():
    from model.mechanisms.migration import review_rates

    rng = np.random.default_rng(7)
    class People(SimpleNamespace):
        def __len__(self):
            return len(self.age)

    t = People(age=rng.integers(20, 65, 2000), skill=rng.integers(0, 2, 2000))
    age = t.age
    P = {"talent.mobility_high": 1.3, "talent.mobility_general": 0.8, "talent.mobility_young": 1.5,
         "talent.mobility_old": 0.4, "talent.middle_age_from": 35, "talent.old_age_from": 50,
         "talent.review_rate": 0.1}
    p, grp = review_rates(P, t)
    p2, table = review_rates(P, t, group_table=True)
    assert same_bits(p, p2) and same_bits(table[age], grp)


def test_review_by_thresholds_of_cell_blocks_is_the_uniform_below_the_review_rate():
    from model import streams
    from model.mechanisms.migration import review_rates, review_table
    from model.parameters import resolve_parameters

    P = resolve_parameters({}, None, True)
    t = sorted_talent(3000, np.full(3000, 1.0), seed=11)
    t.append(**talent_rows(25, 1.0, 50_000))
    t.move(np.arange(3, 900, 11), region=np.int8(1))
    p, _ = review_rates(P, t)
    p_tab, _ = review_table(P)
    thr = t.gather_cell_by(np.tile(streams.thresholds(p_tab), (3, 1)), "age")
    assert np.array_equal(streams.below(9, 2030, "migration.review", t.uid, thr),
                          streams.uniform(9, 2030, "migration.review", t.uid) < p)


def test_wage_bill_from_the_employed_products_is_weight_times_wage():
    # labour_market pays 0.0 to everyone without a job: (w x employed) x wage is w x wage, bit for bit
    rng = np.random.default_rng(8)
    weight = np.full(5000, 807.41052632)
    weight[::7] = rng.random(715) * 1e3
    employed = rng.random(5000) < 0.9
    wage = np.where(employed, rng.lognormal(10, 1, 5000), 0.0)
    assert same_bits((weight * employed) * wage, weight * wage)


@pytest.mark.parametrize("w", [807.4105263157894, 1.0, 0.1, -2.7, 1e300])
def test_sum_by_bin_of_one_weight_is_the_weighted_bincount(w):
    rng = np.random.default_rng(5)
    for n, bins in ((0, 4), (1, 1), (1000, 7), (200_000, 31 * 101)):
        idx = rng.integers(0, bins, n)
        weights = np.full(n, w)
        assert np.bincount(idx, weights=weights, minlength=bins).tobytes() == sum_by_bin(idx, weights, bins, w).tobytes()
    idx = np.zeros(50_000, np.int64)  # one long bin: the running sum rounds many times
    assert np.bincount(idx, weights=np.full(50_000, w)).tobytes() == sum_by_bin(idx, np.full(50_000, w), 1, w).tobytes()
    region, age = rng.integers(0, 4, 5000), rng.integers(20, 60, 5000)
    assert (labour_force_by_age(region, age, np.full(5000, w), 4).tobytes()
            == labour_force_by_age(region, age, np.full(5000, w), 4, w).tobytes())


def test_sum_by_bin_falls_back_for_weights_it_cannot_tabulate():
    idx = np.array([0, 1, 1, 2])
    for w in (0.0, -0.0, np.nan, np.inf):
        weights = np.full(4, w)
        assert np.bincount(idx, weights=weights).tobytes() == sum_by_bin(idx, weights, 3, w).tobytes()


def test_schedules_solved_on_demand_are_those_solved_up_front():
    from model.mechanisms.demography import Schedules

    lazy = Schedules.build(2010, 2050)
    asked = [2036, 2011, 2060, 2000, 2050, 2012, 2024]
    got = {y: lazy.q(y).copy() for y in asked}
    full = Schedules.build(2010, 2050)
    for y in range(2010, 2051):
        full.q(y)
    for y in asked:
        assert got[y].tobytes() == full.q(y).tobytes() == full._solve(min(max(y, 2010), 2050)).tobytes()
    assert lazy.q(2060) is lazy.q(2050)


def test_panel_rows_is_uid_mod_stride():
    """facts.panel_rows: the rows with uid % stride == 0, for odd strides (modular inverse), even ones, 1, ids up
    to 2^62, slot ids, zero and negative ids (the plain form)."""
    from model.facts import panel_rows

    rng = np.random.default_rng(2)
    ids = [rng.integers(0, 2**62, 20_000), np.arange(100_000), (np.int64(25) << 40) | rng.integers(0, 2**30, 5000),
           np.array([0, 13, 26, 2**63 - 1 - (2**63 - 1) % 13, 2**63 - 1]), rng.integers(-500, 500, 3000),
           np.zeros(0, np.int64)]
    for uid in ids:
        uid = np.asarray(uid, np.int64)
        for s in (1, 2, 3, 7, 13, 16, 25, 99, 1001):
            assert np.array_equal(panel_rows(uid, s), np.flatnonzero(uid % s == 0)), (s, uid[:3])
