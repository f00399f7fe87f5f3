"""Session 7 (s7-rest): each faster form gives the bits of its plain form, including inputs the runs never reach."""

from __future__ import annotations

import numpy as np
import pytest

from model.agents import Talent
from model.mechanisms.demography import labour_force_by_age, sum_by_bin


def _talent(n: int, weight: np.ndarray, seed: int = 0) -> Talent:
    rng = np.random.default_rng(seed)
    t = Talent(uid=np.arange(n), region=rng.integers(0, 3, n).astype(np.int8), home=np.zeros(n, np.int8),
               skill=rng.integers(0, 2, n).astype(np.int8), age=rng.integers(20, 60, n).astype(np.int16),
               employed=rng.random(n) < 0.9, wage=rng.random(n), ability=np.ones(n),
               newcomer=np.zeros(n, bool), weight=weight)
    t.set_cells(3, 2)
    t.sort()
    return t


def _new_rows(n: int, w: float, start: int) -> dict:
    return dict(uid=np.arange(start, start + n), region=np.zeros(n, np.int8), home=np.zeros(n, np.int8),
                skill=np.ones(n, np.int8), age=np.full(n, 20, np.int16), employed=np.zeros(n, bool),
                wage=np.zeros(n), ability=np.ones(n), newcomer=np.ones(n, bool), weight=np.full(n, w))


def test_constant_column_is_recorded_carried_and_dropped():
    t = _talent(500, np.full(500, 2.5))
    assert t.constant("weight") == 2.5 and t.constant("newcomer") is not None
    assert t.constant("wage") is None and t.constant("region") is None
    t.append(**_new_rows(7, 2.5, 1000))           # the same bits: still known
    assert t.constant("weight") == 2.5 and t.constant("newcomer") is None  # newcomers are True
    t.keep(np.arange(len(t)) % 3 > 0)
    assert t.constant("weight") == 2.5
    np.testing.assert_array_equal(t.weight, 2.5)
    t.append(**_new_rows(3, 2.5000000000000004, 2000))  # another value: no longer constant
    assert t.constant("weight") is None
    t.keep(np.ones(len(t), bool))
    assert t.constant("weight") is None
    t2 = _talent(50, np.full(50, 1.0))
    assert t2.constant("weight") == 1.0
    t2.data["weight"]  # reached through data (a write may follow): dropped
    assert t2.constant("weight") is None
    t3 = _talent(50, np.where(np.arange(50) == 17, -0.0, 0.0))  # -0.0 and 0.0 are not the same bits
    assert t3.constant("weight") is None


@pytest.mark.parametrize("w", [1.0, 807.41, 0.5, -3.0])
def test_weighted_is_weight_times_x_bit_for_bit(w):
    t = _talent(300, np.full(300, w), seed=3)
    assert t.constant("weight") == w
    x = np.random.default_rng(1).normal(size=300)
    x[:6] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e308]
    for v in (x, x > 0.3, t.employed):
        with np.errstate(over="ignore"):
            plain = t.weight * v
            assert plain.tobytes() == t.weighted(v).tobytes()
            assert plain.tobytes() == t.weighted(np.array(v, copy=True), fresh=True).tobytes()
    t.data["weight"]  # unknown again: the plain product
    assert (t.weight * x).tobytes() == t.weighted(x).tobytes()


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


def test_gather_cell_by_is_the_two_dimensional_gather_with_moves_and_appends():
    t = _talent(2000, np.full(2000, 3.0), seed=7)
    table = np.random.default_rng(2).random((6, 101))
    plain = lambda: table[t.region * 2 + t.skill, t.age]  # noqa: E731
    assert t.gather_cell_by(table, "age").tobytes() == plain().tobytes()
    t.append(**_new_rows(40, 3.0, 10_000))
    assert t.gather_cell_by(table, "age").tobytes() == plain().tobytes()
    rows = np.arange(0, len(t), 37)
    t.move(rows, region=((t.region[rows] + 1) % 3).astype(np.int8))
    assert t.gather_cell_by(table, "age").tobytes() == plain().tobytes()
    t.data["region"][:5] = 2  # the order is unknown now: the plain gather
    assert t.gather_cell_by(table, "age").tobytes() == plain().tobytes()


def test_review_by_thresholds_of_cell_blocks_is_the_uniform_below_the_review_rate():
    from model import streams
    from model.mechanisms.migration import review_rates, review_table
    from model.parameters import resolve_parameters

    P = resolve_parameters({}, None, True)
    t = _talent(3000, np.full(3000, 1.0), seed=11)
    t.append(**_new_rows(25, 1.0, 50_000))
    t.move(np.arange(3, 900, 11), region=np.int8(1))
    p, _ = review_rates(P, t)
    p_tab, _ = review_table(P)
    thr = t.gather_cell_by(np.tile(streams.thresholds(p_tab), (3, 1)), "age")
    assert np.array_equal(streams.below(9, 2030, "migration.review", t.uid, thr),
                          streams.uniform(9, 2030, "migration.review", t.uid) < p)


EDGES = [0.0, -0.0, -1.0, np.nan, np.inf, -np.inf, 5e-324, 2.0**-60, 2.0**-53, np.nextafter(2.0**-53, 1), 2.0**-52,
         3 * 2.0**-53, 0.5, np.nextafter(0.5, 0), np.nextafter(0.5, 1), 1 - 2.0**-53, 1 - 2.0**-52, 1.0, 1.5, 1e300]


def test_thresholds_decide_exactly_as_the_uniform_at_the_edges():
    from fractions import Fraction

    from model import streams

    rng = np.random.default_rng(3)
    m_all = rng.integers(0, 2**52, 2000).tolist()
    ps = EDGES + [(2 * m + 1) * 2.0**-53 for m in m_all[:200]] + rng.random(300).tolist()
    ps += [np.nextafter(v, 2) for v in ps[-300:]] + [np.nextafter(v, -1) for v in ps[-300:]]
    K = streams.thresholds(np.array(ps))
    for v, k in zip(ps, K.tolist()):
        for m in {0, max(k - 1, 0), min(k, 2**52 - 1), min(k + 1, 2**52 - 1), 2**52 - 1, *m_all[:20]}:
            u = (2 * m + 1) * 2.0**-53  # a keyed uniform (exact)
            assert Fraction(u) == Fraction(2 * m + 1, 2**53)
            assert (u < v) == (m < k), (v, m, k)


@pytest.mark.parametrize("seed", [0, 1])
def test_below_is_uniform_less_than_p(seed):
    from model import streams

    rng = np.random.default_rng(seed)
    uid = rng.integers(0, 2**40, 70_001)
    table = np.array(EDGES + rng.random(40).tolist() + [0.01, 0.9])
    cell = rng.integers(0, len(table), len(uid))
    u = streams.uniform(seed, 2027, "test.below", uid)
    got = streams.below(seed, 2027, "test.below", uid, streams.thresholds(table)[cell])
    assert np.array_equal(got, u < table[cell])
    for v in (0.3, 0.0, 1.0, np.nan):  # one threshold for every agent
        assert np.array_equal(streams.below(seed, 2027, "test.below", uid, streams.thresholds(v)), u < v)
    assert streams.below(seed, 2027, "test.below", uid[:0], streams.thresholds(0.5)).shape == (0,)
    k1, k2 = streams.Keyed(seed, 2027, "test.keyed", uid), streams.Keyed(seed, 2027, "test.keyed", uid)
    for _ in range(2):  # the k-th call uses the stream's k-th name either way
        p = table[cell]
        assert np.array_equal(k1.below(streams.thresholds(table)[cell]), k2.random(len(uid)) < p)
    with pytest.raises(ValueError):
        streams.below(seed, 2027, "test.below", uid, streams.thresholds(table)[cell][:-1])


@pytest.mark.parametrize("agents, col, value", [("firms", "value_added", np.nan), ("firms", "value_added", -np.inf),
                                                ("talent", "wage", np.nan), ("talent", "wage", np.inf),
                                                ("firms", "profit", np.nan)])
def test_ledger_check_still_finds_a_non_finite_value_in_a_column_proven_by_sums(agents, col, value):
    from model.model import FlyingGeeseModel

    m = FlyingGeeseModel({"name": "t"}, seed=3, scale="tiny")
    m.step()
    before = m.ledger["before"]
    m._check_ledgers(before)  # clean
    a = getattr(m, agents)
    rows = np.flatnonzero(a.employed)[:1] if col == "wage" else [len(a) // 2]
    a.data[col][rows] = value
    with pytest.raises(RuntimeError, match=f"{agents}.{col} has NaN or inf"):
        m._check_ledgers(before)


def test_count_by_region_is_the_float_sum_of_ones_with_moves_and_appends():
    t = _talent(5000, np.full(5000, 1.0), seed=13)
    mask = np.random.default_rng(1).random(len(t)) < 0.3
    plain = lambda m: t.sum_by_region(t.weighted(m))  # noqa: E731
    assert t.count_by_region(mask).astype(float).tobytes() == plain(mask).tobytes()
    t.append(**_new_rows(60, 1.0, 90_000))
    t.move(np.arange(5, 3000, 13), region=np.int8(2))
    mask = np.random.default_rng(2).random(len(t)) < 0.6
    assert t.count_by_region(mask).astype(float).tobytes() == plain(mask).tobytes()
    assert np.array_equal(t.count_by_region(mask), np.bincount(t.region[mask], minlength=3))
    t.data["region"]  # order unknown
    assert np.array_equal(t.count_by_region(mask), np.bincount(t.region[mask], minlength=3))


def test_counts_by_region_and_age_cell_key_and_labour_force_with_moves_and_appends():
    from model.mechanisms.demography import N_AGES, labour_force

    t = _talent(4000, np.full(4000, 807.4105263157894), seed=17)
    checks = 0
    for step in range(3):
        plain_counts = np.bincount(t.region * N_AGES + t.age, minlength=3 * N_AGES).reshape(3, N_AGES)
        assert np.array_equal(t.count_by_region_and("age", N_AGES), plain_counts)
        assert t.count_by_region_and("age", 30) is None  # ages beyond the width
        assert np.array_equal(t.cell_key(), t.region * 2 + t.skill)
        w = t.constant("weight")
        assert (labour_force(t, 3, w).tobytes()
                == labour_force_by_age(t.region, t.age, t.weight, 3).tobytes())
        checks += 1
        t.append(**_new_rows(30 + step, 807.4105263157894, 100_000 * (step + 1)))
        t.move(np.arange(step, len(t) - 40, 29), region=np.int8(step % 3))
    assert checks == 3
    t.data["skill"]  # the order is unknown: plain forms
    assert t.count_by_region_and("age", N_AGES) is None
    assert np.array_equal(t.cell_key(), t.region * 2 + t.skill)


def _thresholds_exact(p):
    out = []
    for v in np.asarray(p, float).ravel().tolist():
        if not v > 0.0:
            out.append(0)
        elif v >= 1.0:
            out.append(1 << 52)
        else:
            a, b = v.as_integer_ratio()
            num, den = a * (1 << 53) - b, 2 * b
            out.append(min(max(-(-num // den), 0), 1 << 52))
    return np.array(out, dtype=np.uint64).reshape(np.shape(p))


def test_thresholds_in_doubles_equal_exact_rational_thresholds():
    from model import streams

    rng = np.random.default_rng(8)
    u = rng.random(20000)
    p = np.concatenate([EDGES, u, u * 1e-10, u * 2.0**-50, np.exp(-rng.random(2000) * 700), 1 - u * 1e-12,
                        (2 * rng.integers(0, 2**52, 2000) + 1) * 2.0**-53, np.nextafter(u, 0), np.nextafter(u, 1),
                        [np.finfo(float).tiny, np.nextafter(1.0, 0), -5e-324, 1e-320]])
    assert np.array_equal(streams.thresholds(p), _thresholds_exact(p))
    assert streams.thresholds(0.3).shape == () and int(streams.thresholds(0.3)) == int(_thresholds_exact(0.3))
    assert streams.thresholds(np.full((2, 3), 0.25)).shape == (2, 3)


def test_ledger_check_of_a_stored_column_ignores_dropped_rows_and_finds_current_ones():
    from model.agents import _RowStore
    from model.model import FlyingGeeseModel

    m = FlyingGeeseModel({"name": "t"}, seed=4, scale="tiny")
    m.step()
    m.step()
    before = m.ledger["before"]
    v = dict.__getitem__(m.firms.data, "location_match")
    assert isinstance(v, _RowStore)
    stale = np.setdiff1d(np.arange(v.n), v.rows)  # rows of the store no firm holds any more
    assert len(stale)
    v.checked = 0
    v.store[stale[0]] = np.nan  # a dropped row: not a current value, not an error
    m._check_ledgers(before)
    assert v.checked == v.n
    v.checked = 0
    v.store[v.rows[len(v.rows) // 2], 0] = np.inf  # a current one
    with pytest.raises(RuntimeError, match="location_match has NaN or inf"):
        m._check_ledgers(before)


def test_choice_is_the_generators_choice_and_leaves_the_same_state():
    from model.mechanisms.demography import choice

    rng0 = np.random.default_rng(21)
    for trial in range(40):
        n = int(rng0.integers(1, 150))
        p = rng0.random(n) ** 3
        p[rng0.random(n) < 0.3] = 0.0
        if trial % 7 == 0:
            p[:] = 0.0
            p[-1] = 1.0
        if not p.sum():
            p[0] = 1.0
        p /= p.sum()
        size = int(rng0.integers(0, 200_000)) if trial % 5 else 5000
        a, b = np.random.default_rng(trial), np.random.default_rng(trial)
        got, want = choice(a, n, size, p), b.choice(n, size=size, p=p)
        assert got.dtype == want.dtype and np.array_equal(got, want)
        assert a.random() == b.random()  # the generator advanced the same
    with pytest.raises(ValueError):
        choice(np.random.default_rng(0), 3, 10_000, np.array([0.5, 0.6, -0.1]))


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


def test_below_with_a_table_and_an_index_is_below_with_gathered_thresholds():
    from model import streams

    rng = np.random.default_rng(31)
    uid = rng.integers(0, 2**40, 100_003)
    table = np.array(EDGES + rng.random(30).tolist())
    idx = rng.integers(0, len(table), len(uid))
    thr = streams.thresholds(table)
    want = streams.uniform(3, 2031, "test.idx", uid) < table[idx]
    assert np.array_equal(streams.below(3, 2031, "test.idx", uid, thr, idx), want)
    assert np.array_equal(streams.Keyed(3, 2031, "test.idx", uid).below(thr, idx),
                          streams.Keyed(3, 2031, "test.idx", uid).random(len(uid)) < table[idx])
    with pytest.raises(ValueError):
        streams.below(3, 2031, "test.idx", uid, thr, idx[:-1])
    with pytest.raises(IndexError):
        streams.below(3, 2031, "test.idx", uid, thr, idx + len(table))
