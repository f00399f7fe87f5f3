"""Session-6 speed-ups (s6-perfb): each faster form against its plain form, bit for bit."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from model.agents import Firms, Talent, _plain


def _talent(rng, n, R):
    return Talent(uid=np.arange(n), region=rng.integers(0, R, n).astype(np.int8),
                  home=rng.integers(0, R, n).astype(np.int8), skill=rng.integers(0, 2, n).astype(np.int8),
                  age=rng.integers(20, 60, n).astype(np.int16), employed=rng.random(n) < 0.9,
                  wage=rng.random(n), ability=rng.random(n), newcomer=np.zeros(n, bool), weight=np.ones(n))


def _state(t):
    return ({k: np.asarray(_plain(v)).copy() for k, v in dict.items(t.data)},
            {k: (None if v is None else np.asarray(v).copy()) for k, v in t._order_state().items()})


def _same(a, b):
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
    a = _talent(rng, 3000, R)
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
        _same(a, b)
        assert a.offsets is not None


def test_keep_merged_checks_cells_and_falls_back():
    rng = np.random.default_rng(1)
    t = _talent(rng, 200, 4)
    t.set_cells(4, 2)
    t.sort()
    assert t._keep_merged(np.ones(10, bool)) is None  # wrong length: the plain path decides
    m = 3
    t.append(uid=t.new_ids(m), region=np.array([0, 1, 9], np.int8), home=np.zeros(m, np.int8),
             skill=np.zeros(m, np.int8), age=np.full(m, 20, np.int16), employed=np.zeros(m, bool),
             wage=np.zeros(m), ability=np.ones(m), newcomer=np.ones(m, bool), weight=np.ones(m))
    with pytest.raises(ValueError, match="cell index"):
        t.keep(np.ones(len(t), bool))
    t = _talent(rng, 200, 4)
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
    _same(a, b)


def test_keep_false_columns_and_key_index():
    """After keep: an all-False bool column stays all False (written without a take); the kept rows of every
    column are those of a plain take in the sorted order; the key columns' intp copies equal the columns and are
    extended by append."""
    rng = np.random.default_rng(3)
    R = 7
    t = _talent(rng, 5000, R)
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


def test_constant_column_detection():
    """``_constant``: a column with the same bits in every row (then keep writes that value instead of a
    gather); -0.0 against 0.0, NaN payloads, a difference in an unsampled row, bools, narrow ints, 2-D."""
    from model.agents import _constant

    x = np.full(100_000, 2.5)
    assert _constant(x) is not None and _constant(x)[0] == 2.5
    y = x.copy()
    y[12345] = 2.5000000000000004  # not a sampled row
    assert _constant(y) is None
    z = np.zeros(1000)
    z[7] = -0.0
    assert _constant(z) is None and _constant(np.zeros(1000)) is not None
    assert _constant(np.zeros(50, bool)) is not None and _constant(np.r_[np.zeros(50, bool), True]) is None
    assert _constant(np.full(9, 3, np.int16)) is not None and _constant(np.arange(9, dtype=np.int8)) is None
    assert _constant(np.zeros((4, 2))) is None and _constant(np.zeros(0)) is None
    n = np.full(10, np.nan)
    assert _constant(n) is not None
    n.view(np.uint64)[3] ^= 1  # another NaN payload
    assert _constant(n) is None
    rng = np.random.default_rng(0)
    t = _talent(rng, 3000, 5)
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
