"""Fast forms of the agent sets give the same bits as the plain forms they replace: keep by merging into the sorted
cell blocks, constant columns, weighted values, gathers, combines and counts by cell block, and the yearly ledger
check that reads only the rows it has not proven finite.

The golden master (tests/test_golden_master.py) covers whole runs; these pin the building blocks one by one,
including inputs the shipped scenarios never reach (signed zeros, NaN, infinities, levers on, odd tables)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from conftest import same_bits, sorted_talent, talent_rows
from model.agents import Firms, Talent, _plain
from model.mechanisms.demography import labour_force_by_age


def _random_talent(rng, n, R):
    """``n`` people spread at random over ``R`` regions (homes too), weight 1.0, not yet in cell order."""
    return Talent(uid=np.arange(n), region=rng.integers(0, R, n).astype(np.int8),
                  home=rng.integers(0, R, n).astype(np.int8), skill=rng.integers(0, 2, n).astype(np.int8),
                  age=rng.integers(20, 60, n).astype(np.int16), employed=rng.random(n) < 0.9,
                  wage=rng.random(n), ability=rng.random(n), newcomer=np.zeros(n, bool), weight=np.ones(n))


def _state(t):
    return ({k: np.asarray(_plain(v)).copy() for k, v in dict.items(t.data)},
            {k: (None if v is None else np.asarray(v).copy()) for k, v in t._order_state().items()})


def assert_same_agents(a, b):
    """Agent sets ``a`` and ``b`` hold the same columns (dtypes and values) and the same cell-order state."""
    (da, oa), (db, ob) = _state(a), _state(b)
    assert da.keys() == db.keys()
    for k in da:
        assert da[k].dtype == db[k].dtype and np.array_equal(da[k], db[k]), k
    for k in oa:
        assert (oa[k] is None) == (ob[k] is None), k
        if oa[k] is not None:
            assert np.array_equal(oa[k], ob[k]), k


@pytest.mark.parametrize("seed", range(6))
def test_keep_merged_is_the_stable_sort(seed):
    """keep by merging (moved and appended rows placed into the sorted blocks) gives the same rows, order and
    offsets as the stable sort of every kept row (``_keep_sorted``), over several years of moves, appends and
    keeps, including moves back to the own cell, empty cells and empty keeps of the tail."""
    rng = np.random.default_rng(seed)
    R = 5 if seed % 2 else 31
    a = _random_talent(rng, 3000, R)
    a.set_cells(R, 2)
    a.sort()
    b = copy.deepcopy(a)
    b.set_cells(R, 2)
    b.__dict__["_order"].update(a._order_state())
    b._keep_merged = lambda mask: None  # the plain form: sort every kept row
    for year in range(5):
        for t in (a, b):
            r2 = np.random.default_rng(seed * 100 + year)
            n = len(t)
            for _ in range(2):
                rows = r2.choice(n, size=r2.integers(0, n // 20 + 1), replace=False)
                t.move(rows, region=r2.integers(0, 3 if seed == 3 else R, len(rows)).astype(np.int8))
            m = int(r2.integers(0, 200))
            uid = t.new_ids(m)
            t.append(uid=uid, region=r2.integers(0, R, m).astype(np.int8), home=np.zeros(m, np.int8),
                     skill=r2.integers(0, 2, m).astype(np.int8), age=np.full(m, 20, np.int16),
                     employed=np.zeros(m, bool), wage=np.zeros(m), ability=r2.random(m),
                     newcomer=np.ones(m, bool), weight=np.ones(m))
            keep = r2.random(len(t)) < (0.9 if year != 2 else 1.0)
            if year == 3:
                keep[t._order_state()["n"]:] = False
            t.keep(keep)
        assert_same_agents(a, b)
        assert a.offsets is not None


def test_keep_merged_checks_cells_and_falls_back():
    rng = np.random.default_rng(1)
    t = _random_talent(rng, 200, 4)
    t.set_cells(4, 2)
    t.sort()
    assert t._keep_merged(np.ones(10, bool)) is None  # wrong length: the plain path decides
    m = 3
    t.append(uid=t.new_ids(m), region=np.array([0, 1, 9], np.int8), home=np.zeros(m, np.int8),
             skill=np.zeros(m, np.int8), age=np.full(m, 20, np.int16), employed=np.zeros(m, bool),
             wage=np.zeros(m), ability=np.ones(m), newcomer=np.ones(m, bool), weight=np.ones(m))
    with pytest.raises(ValueError, match="cell index"):
        t.keep(np.ones(len(t), bool))
    t = _random_talent(rng, 200, 4)
    t.set_cells(4, 2)
    t.sort()
    t.move(np.array([3]), region=np.array([0], np.int8), skill=np.array([5], np.int8))  # a part out of range whose flat key would be in range
    with pytest.raises(ValueError, match="cell index"):
        t.keep(np.ones(len(t), bool))


def test_firms_keep_merged_matches_sort():
    rng = np.random.default_rng(5)
    n, R, S = 2000, 31, 4
    cols = {k: np.zeros(n, dt) for k, dt in Firms.columns.items() if k != "location_match"}
    cols.update(uid=np.arange(n), region=rng.integers(0, R, n).astype(np.int8),
                sector=rng.integers(0, S, n).astype(np.int8), tfp=rng.random(n))
    a = Firms(**cols, location_match=rng.random((n, R)))
    a.set_cells(R, S)
    a.sort()
    b = copy.deepcopy(a)
    b.set_cells(R, S)
    b.__dict__["_order"].update(a._order_state())
    b._keep_merged = lambda mask: None
    for t in (a, b):
        r2 = np.random.default_rng(9)
        rows = r2.choice(n, 150, replace=False)
        t.move(rows, region=r2.integers(0, R, 150).astype(np.int8))
        t.keep(r2.random(n) < 0.95)
    assert_same_agents(a, b)


def test_keep_false_columns_and_key_index():
    """After keep: an all-False bool column stays all False (written without a take); the kept rows of every
    column are those of a plain take in the sorted order; the key columns' intp copies equal the columns and are
    extended by append."""
    rng = np.random.default_rng(3)
    R = 7
    t = _random_talent(rng, 5000, R)
    t.data["employed"][:] = False
    t.set_cells(R, 2)
    t.sort()
    ref = {k: np.asarray(v).copy() for k, v in dict.items(t.data)}
    mask = rng.random(len(t)) < 0.8
    t.keep(mask)
    order = np.argsort(t.cell_key().copy(), kind="stable")
    assert np.array_equal(order, np.arange(len(t)))  # in cell order
    idx = np.flatnonzero(mask)
    for k in ref:
        assert np.array_equal(dict.__getitem__(t.data, k), ref[k][idx]), k
    for name in ("region", "skill"):
        c = getattr(t, name)
        assert c.dtype == np.intp and not c.flags.writeable
        assert np.array_equal(c, dict.__getitem__(t.data, name))
    n0, m = len(t), 5
    t.append(uid=t.new_ids(m), region=np.full(m, 3, np.int8), home=np.zeros(m, np.int8), skill=np.ones(m, np.int8),
             age=np.full(m, 20, np.int16), employed=np.ones(m, bool), wage=np.zeros(m), ability=np.ones(m),
             newcomer=np.ones(m, bool), weight=np.ones(m))
    assert len(t.region) == n0 + m and np.array_equal(t.region, dict.__getitem__(t.data, "region"))
    assert np.array_equal(t.skill, dict.__getitem__(t.data, "skill"))
    assert not dict.__getitem__(t.data, "employed")[:n0].any() and dict.__getitem__(t.data, "employed")[n0:].all()


def test_constant_column_detection():
    """``numeric.uniform_value``: a column with the same bits in every row (then keep writes that value instead of a
    gather); -0.0 against 0.0, NaN payloads, a difference in an unsampled row, bools, narrow ints, 2-D."""
    from model.numeric import uniform_value

    x = np.full(100_000, 2.5)
    assert uniform_value(x) is not None and uniform_value(x) == 2.5
    y = x.copy()
    y[12345] = 2.5000000000000004  # not a sampled row
    assert uniform_value(y) is None
    z = np.zeros(1000)
    z[7] = -0.0
    assert uniform_value(z) is None and uniform_value(np.zeros(1000)) is not None
    assert uniform_value(np.zeros(50, bool)) is not None and uniform_value(np.r_[np.zeros(50, bool), True]) is None
    assert uniform_value(np.full(9, 3, np.int16)) is not None and uniform_value(np.arange(9, dtype=np.int8)) is None
    assert uniform_value(np.zeros((4, 2))) is None and uniform_value(np.zeros(0)) is None
    n = np.full(10, np.nan)
    assert uniform_value(n) is not None
    n.view(np.uint64)[3] ^= 1  # another NaN payload
    assert uniform_value(n) is None
    rng = np.random.default_rng(0)
    t = _random_talent(rng, 3000, 5)
    t.data["wage"][:] = -0.0
    t.data["weight"][:] = 123.0
    t.set_cells(5, 2)
    t.sort()
    mask = rng.random(len(t)) < 0.7
    ref = {k: dict.__getitem__(t.data, k).copy() for k in ("wage", "weight", "ability")}
    idx = np.flatnonzero(mask)
    t.keep(mask)
    for k, v in ref.items():
        got = dict.__getitem__(t.data, k)
        assert np.array_equal(got.view(np.uint64), v[idx].view(np.uint64)), k


def test_constant_column_is_recorded_carried_and_dropped():
    t = sorted_talent(500, np.full(500, 2.5))
    assert t.constant("weight") == 2.5 and t.constant("newcomer") is not None
    assert t.constant("wage") is None and t.constant("region") is None
    t.append(**talent_rows(7, 2.5, 1000))           # the same bits: still known
    assert t.constant("weight") == 2.5 and t.constant("newcomer") is None  # newcomers are True
    t.keep(np.arange(len(t)) % 3 > 0)
    assert t.constant("weight") == 2.5
    np.testing.assert_array_equal(t.weight, 2.5)
    t.append(**talent_rows(3, 2.5000000000000004, 2000))  # another value: no longer constant
    assert t.constant("weight") is None
    t.keep(np.ones(len(t), bool))
    assert t.constant("weight") is None
    t2 = sorted_talent(50, np.full(50, 1.0))
    assert t2.constant("weight") == 1.0
    t2.data["weight"]  # reached through data (a write may follow): dropped
    assert t2.constant("weight") is None
    t3 = sorted_talent(50, np.where(np.arange(50) == 17, -0.0, 0.0))  # -0.0 and 0.0 are not the same bits
    assert t3.constant("weight") is None


@pytest.mark.parametrize("w", [1.0, 807.41, 0.5, -3.0])
def test_weighted_is_weight_times_x_bit_for_bit(w):
    t = sorted_talent(300, np.full(300, w), seed=3)
    assert t.constant("weight") == w
    x = np.random.default_rng(1).normal(size=300)
    x[:6] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e308]
    for v in (x, x > 0.3, t.employed):
        with np.errstate(over="ignore"):
            plain = t.weight * v
            assert plain.tobytes() == t.weighted(v).tobytes()
            assert plain.tobytes() == t.weighted(np.array(v, copy=True), fresh=True).tobytes()
    t.data["weight"]  # unknown again: the plain product
    with np.errstate(over="ignore"):  # 1e308 x 807.41 overflows to inf in both forms
        assert (t.weight * x).tobytes() == t.weighted(x).tobytes()


def test_gather_cell_by_is_the_two_dimensional_gather_with_moves_and_appends():
    t = sorted_talent(2000, np.full(2000, 3.0), seed=7)
    table = np.random.default_rng(2).random((6, 101))
    plain = lambda: table[t.region * 2 + t.skill, t.age]  # noqa: E731
    assert t.gather_cell_by(table, "age").tobytes() == plain().tobytes()
    t.append(**talent_rows(40, 3.0, 10_000))
    assert t.gather_cell_by(table, "age").tobytes() == plain().tobytes()
    rows = np.arange(0, len(t), 37)
    t.move(rows, region=((t.region[rows] + 1) % 3).astype(np.int8))
    assert t.gather_cell_by(table, "age").tobytes() == plain().tobytes()
    t.data["region"][:5] = 2  # the order is unknown now: the plain gather
    assert t.gather_cell_by(table, "age").tobytes() == plain().tobytes()


def test_count_by_region_is_the_float_sum_of_ones_with_moves_and_appends():
    t = sorted_talent(5000, np.full(5000, 1.0), seed=13)
    mask = np.random.default_rng(1).random(len(t)) < 0.3
    plain = lambda m: t.sum_by_region(t.weighted(m))  # noqa: E731
    assert t.count_by_region(mask).astype(float).tobytes() == plain(mask).tobytes()
    t.append(**talent_rows(60, 1.0, 90_000))
    t.move(np.arange(5, 3000, 13), region=np.int8(2))
    mask = np.random.default_rng(2).random(len(t)) < 0.6
    assert t.count_by_region(mask).astype(float).tobytes() == plain(mask).tobytes()
    assert np.array_equal(t.count_by_region(mask), np.bincount(t.region[mask], minlength=3))
    t.data["region"]  # order unknown
    assert np.array_equal(t.count_by_region(mask), np.bincount(t.region[mask], minlength=3))


@pytest.mark.parametrize("w", [1.0, 807.41])
def test_weight_sums_and_weight_by_region_where_are_the_weighted_sums(w):
    # at a weight of exactly 1.0 both count (the firms at full scale); any other weight takes the weighted sums
    t = sorted_talent(5000, np.full(5000, w), seed=14)
    t.append(**talent_rows(60, w, 90_000))
    t.move(np.arange(5, 3000, 13), region=np.int8(2))
    mask = np.random.default_rng(3).random(len(t)) < 0.4
    assert t.weight_by_region_where(mask).tobytes() == t.sum_by_region(t.weight * mask).tobytes()
    assert t.weight_sums(t.sum_by_region).tobytes() == t.sum_by_region(t.weight).tobytes()
    assert t.weight_sums(t.sum_by_cell).tobytes() == t.sum_by_cell(t.weight).tobytes()


def test_counts_by_region_and_age_cell_key_and_labour_force_with_moves_and_appends():
    from model.mechanisms.demography import N_AGES, labour_force

    t = sorted_talent(4000, np.full(4000, 807.4105263157894), seed=17)
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
        t.append(**talent_rows(30 + step, 807.4105263157894, 100_000 * (step + 1)))
        t.move(np.arange(step, len(t) - 40, 29), region=np.int8(step % 3))
    assert checks == 3
    t.data["skill"]  # the order is unknown: plain forms
    assert t.count_by_region_and("age", N_AGES) is None
    assert np.array_equal(t.cell_key(), t.region * 2 + t.skill)


def _odd_values(rng, n):
    x = rng.normal(0.0, 3.0, n)
    for v in (np.nan, -0.0, 0.0, np.inf, -np.inf, 5e-324, 1e308):
        x[rng.integers(0, n, 5)] = v
    return x


@pytest.mark.parametrize("op", [np.add, np.subtract, np.multiply, np.divide])
@pytest.mark.parametrize("first", [False, True])
def test_combine_by_blocks_is_the_operation_with_the_gathered_table(high_carbon_model, op, first):
    f = high_carbon_model.firms
    R, S = f.__dict__["_cells"]
    rng = np.random.default_rng(2)
    x = _odd_values(rng, len(f))
    tables = {"cell": (f.combine_cell, rng.normal(0, 2, R * S), f.cell),
              "region": (f.combine_region, rng.normal(0, 2, R), f.region),
              "sector": (f.combine_sector, rng.normal(0, 2, S), f.sector)}
    with np.errstate(all="ignore"):
        for name, (combine, t, key) in tables.items():
            t[0], t[-1] = -0.0, np.nan
            g = t.take(key)
            want = op(g, x) if first else op(x, g)
            assert same_bits(combine(op, x, t, table_first=first), want), name
            y = x.copy()
            assert combine(op, y, t, table_first=first, out=y) is y and same_bits(y, want), name  # in place
            want_b = op(g, f.digital) if first else op(f.digital, g)  # a bool operand
            assert same_bits(combine(op, f.digital, t, table_first=first), want_b), name
        # a table that is not per sector (longer), and an operation outside the block-wise ones: as written
        t5 = rng.normal(0, 2, S + 1)
        assert same_bits(f.combine_sector(op, x, t5), op(x, t5.take(f.sector)))
        t = rng.normal(0, 2, S)
        assert same_bits(f.combine_sector(np.power, np.abs(x), t), np.power(np.abs(x), t.take(f.sector)))


def test_combine_and_gathers_fall_back_when_the_order_is_unknown():
    from model.model import FlyingGeeseModel
    from model.scenario import load_scenario

    m = FlyingGeeseModel(load_scenario("scenarios/baseline.yaml"), seed=1, scale="tiny")
    f = m.firms
    R = m.data.n
    f.data["region"][:10] = (f.region[:10] + 1) % R  # the order is unknown
    assert f.offsets is None
    t = np.arange(R, dtype=float) + 0.5
    x = np.linspace(-1.0, 1.0, len(f))
    assert same_bits(f.combine_region(np.multiply, x, t), x * t.take(f.region))
    t = np.arange(R * 4.0)
    assert same_bits(f.combine_cell(np.subtract, x, t, table_first=True), t.take(f.cell) - x)


def test_gather_sector_of_a_table_not_per_sector_is_take(high_carbon_model):
    f = high_carbon_model.firms
    t = np.array([0.25, 0.5, 0.75, 1.0, 2.0])  # one entry more than sectors: not tiled over the cells
    assert same_bits(f.gather_sector(t), t.take(f.sector))


def test_finite_check_skips_only_rows_known_finite():
    """The yearly finite check reads only the float rows it has not seen: a column reached through ``data``
    (every write) is read again in full, kept rows of a checked column stay known, appended rows are new; a NaN
    written through ``data`` after a check is still found."""
    import pickle

    from model.model import FlyingGeeseModel

    m = FlyingGeeseModel({"name": "x"}, seed=1, scale="tiny")
    m.step()
    m.step()
    f, t = m.firms, m.talent
    a = dict.__getitem__(t.data, "ability")
    assert t.verified("ability", a) == len(t) > 0  # checked this year (kept and appended rows included)
    m._check_ledgers(m.ledger["before"])  # the same year again: balances, nothing to read
    f.data["tfp_premium"][5] = np.nan  # a write through data drops the record: the whole column is read
    assert f.verified("tfp_premium", dict.__getitem__(f.data, "tfp_premium")) == 0
    with pytest.raises(RuntimeError, match="firms.tfp_premium"):
        m._check_ledgers(m.ledger["before"])
    back = pickle.loads(pickle.dumps(f))  # the records are not pickled (weak references)
    assert back.verified("weight", dict.__getitem__(back.data, "weight")) == 0
    w = dict.__getitem__(f.data, "weight")
    assert f.verified("weight", w) == len(w)
    f.keep(np.arange(len(f)) % 3 != 0)
    w2 = dict.__getitem__(f.data, "weight")
    assert w2 is not w and f.verified("weight", w2) == len(w2)  # kept rows of a checked column
    n = len(t)
    t.append(**{k: dict.__getitem__(t.data, k)[:3].copy() for k in t.columns})
    a = dict.__getitem__(t.data, "ability")
    assert t.verified("ability", a) == n == len(t) - 3  # the appended rows are not known
    t.data["ability"]
    assert t.verified("ability", dict.__getitem__(t.data, "ability")) == 0


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
