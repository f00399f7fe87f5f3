"""Bit-identity of the s5-perfd speed-ups: each faster form against its plain form (engine performance)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from model.numeric import lookup


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("table", [np.linspace(-1.0, 2.0, 31), np.arange(31, dtype=np.int8), np.arange(31) % 3 == 0,
                                   np.linspace(0.0, 1.0, 62).reshape(31, 2)])
def test_lookup_is_take_for_read_only_and_writeable_indices(table):
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 31, 5000).astype(np.intp)
    ro = idx.copy()
    ro.flags.writeable = False
    want = table.take(idx)
    assert _same(lookup(table, idx), want)
    assert _same(lookup(table, ro), want)
    bad = np.array([0, table.size])
    bad.flags.writeable = False
    with pytest.raises(IndexError):
        lookup(table, bad)


def test_demand_shock_sector_medians_from_any_order_are_the_selections():
    from model.mechanisms.demand import firm_demand_shock

    rng = np.random.default_rng(5)
    n = 4000
    sector = rng.integers(0, 4, n)
    revenue = rng.lognormal(0.0, 1.5, n)
    revenue[rng.random(n) < 0.1] = 0.0
    revenue[rng.random(n) < 0.02] = -1.0
    quality = rng.normal(0, 0.2, n)
    by_sector = [rng.permutation(revenue[sector == s]) for s in range(4)]
    args = (quality, sector, revenue, 0.2, 0.9, 0.15)
    want = firm_demand_shock(np.random.default_rng(9), *args)
    got = firm_demand_shock(np.random.default_rng(9), *args, revenue_by_sector=by_sector)
    assert _same(got, want)


def test_sector_frontier_from_any_order_is_the_selection():
    from model.mechanisms.innovation import sector_frontier

    rng = np.random.default_rng(6)
    sector = rng.integers(0, 3, 3001)  # sector 3 has no firms
    log_a = rng.normal(0, 0.5, 3001)
    by_sector = [rng.permutation(log_a[sector == s]) for s in range(4)]
    want = sector_frontier(log_a, sector, 4, 0.9)
    assert _same(sector_frontier(log_a, sector, 4, 0.9, by_sector=by_sector), want)


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
    assert _same(p, p2) and _same(table[age], grp)


def test_wage_bill_from_the_employed_products_is_weight_times_wage():
    # labour_market pays 0.0 to everyone without a job: (w x employed) x wage is w x wage, bit for bit
    rng = np.random.default_rng(8)
    weight = np.full(5000, 807.41052632)
    weight[::7] = rng.random(715) * 1e3
    employed = rng.random(5000) < 0.9
    wage = np.where(employed, rng.lognormal(10, 1, 5000), 0.0)
    assert _same((weight * employed) * wage, weight * wage)


def test_a_model_year_is_unchanged_by_the_sector_slices(tmp_path):
    # values_by_sector gives the sector medians and the frontier the same bits as the selections: one tiny
    # run with the plain forms forced (no cell order) against the model's
    from model.mechanisms import demand, innovation
    from model.model import FlyingGeeseModel

    a = FlyingGeeseModel(None, seed=3, scale="tiny")
    a.run_for(2)
    orig_d, orig_f = demand.firm_demand_shock, innovation.sector_frontier
    try:
        demand.firm_demand_shock = lambda *x, revenue_by_sector=None, **k: orig_d(*x, **k)
        innovation.sector_frontier = lambda *x, by_sector=None, **k: orig_f(*x, **k)
        b = FlyingGeeseModel(None, seed=3, scale="tiny")
        b.run_for(2)
    finally:
        demand.firm_demand_shock, innovation.sector_frontier = orig_d, orig_f
    assert _same(a.recorder.values, b.recorder.values)
    for c in sorted(a.firms.data):
        assert _same(a.firms.data[c][:len(a.firms)], b.firms.data[c][:len(b.firms)])
