"""The agent sets kept in cell order (agents.py): firms by (region, sector), talent by (region, skill).

``keep`` re-sorts (stable) in the copy it makes anyway; ``move`` and ``append`` leave the order known with
corrections; ``sum_by_cell`` / ``sum_by_region`` (slice sums) must equal the bincounts they replace.
"""

import pickle

import numpy as np
import pytest

import model.model as mm
from model.mechanisms import entry_exit
from model.scenario import load_scenario


def _check_sorted_and_sums(a, tag: str) -> None:
    st = a.__dict__["_order"]
    assert st["offsets"] is not None, f"{tag}: {type(a).__name__} order unknown (a key column written via data?)"
    R, k = a.__dict__["_cells"]
    key, n = a.cell_key(), st["n"]
    block = key[:n].copy()  # the cell of each sorted row's block: its own, or where it was before a move
    if st["moved"] is not None:
        block[st["moved"]] = st["moved_cell"]
    assert np.all(block[1:] >= block[:-1]), f"{tag}: {type(a).__name__} rows not in cell order"
    assert np.array_equal(np.diff(st["offsets"]), np.bincount(block, minlength=R * k)), tag
    x = np.random.default_rng(0).random(len(a)) * a.weight
    np.testing.assert_allclose(a.sum_by_cell(x), np.bincount(key, weights=x, minlength=R * k), rtol=1e-12)
    np.testing.assert_allclose(a.sum_by_region(x), np.bincount(a.region, weights=x, minlength=R), rtol=1e-12)
    assert np.array_equal(a.sum_by_cell(), np.bincount(key, minlength=R * k))
    assert np.array_equal(a.sum_by_region(), np.bincount(a.region, minlength=R))
    # gathers of per-cell / per-region tables by the blocks (np.repeat, moved and appended rows fixed): take's values
    t = np.random.default_rng(1).random(R * k)
    assert np.array_equal(a.gather_cell(t), t.take(key)), tag
    assert np.array_equal(a.gather_region(t[:R]), t[:R].take(a.region)), tag
    if hasattr(a, "gather_sector"):
        S = k
        assert np.array_equal(a.cell, a.region.astype(np.int64) * S + a.sector) and a.cell.dtype == np.int64, tag
        assert np.array_equal(a.gather_sector(t[:k]), t[:k].take(a.sector)), tag
        assert np.array_equal(a.gather_sector(t[:k].astype(np.int8)), t[:k].astype(np.int8).take(a.sector)), tag
    if hasattr(a, "values_by_sector"):  # each sector's values (any order): the same multiset as a selection
        for s, v in enumerate(a.values_by_sector(x)):
            np.testing.assert_array_equal(np.sort(v), np.sort(x[a.sector == s]), err_msg=tag)


def test_agent_sets_stay_sorted_and_slice_sums_equal_bincounts_after_every_mechanism(monkeypatch):
    m = mm.FlyingGeeseModel(load_scenario("scenarios/baseline.yaml"), seed=3, scale="tiny")
    for a in (m.firms, m.talent):
        _check_sorted_and_sums(a, "set-up")
        assert a.__dict__["_order"]["n"] == len(a)

    def checked(step):
        def run(model):
            step(model)
            for a in (model.firms, model.talent):
                _check_sorted_and_sums(a, f"{model.year} {step.__module__}")
        return run

    monkeypatch.setattr(mm, "YEAR", tuple(checked(s) for s in mm.YEAR))
    for _ in range(4):
        m.step()
    st = m.firms.__dict__["_order"]
    assert 0 < st["n"] < len(m.firms) and len(st["moved"]) > 0  # entrants and movers are corrections
    assert len(m.talent.__dict__["_order"]["moved"]) > 0
    # the state survives pickling (the results cache and the process pool copy models)
    f2 = pickle.loads(pickle.dumps(m.firms))
    _check_sorted_and_sums(f2, "pickled")
    np.testing.assert_array_equal(f2.sum_by_cell(m.firms.weight), m.firms.sum_by_cell(m.firms.weight))


def test_writing_a_key_column_through_data_falls_back_to_bincount_and_sort_restores():
    m = mm.FlyingGeeseModel(load_scenario("scenarios/baseline.yaml"), seed=1, scale="tiny")
    f = m.firms
    R = m.data.n
    f.data["region"][:10] = (f.region[:10] + 1) % R  # unknown rows changed: the order is unknown
    assert f.offsets is None
    np.testing.assert_array_equal(f.sum_by_region(f.weight), np.bincount(f.region, weights=f.weight, minlength=R))
    t = np.arange(R, dtype=float)
    np.testing.assert_array_equal(f.gather_region(t), t.take(f.region))  # falls back to take
    f.sort()
    _check_sorted_and_sums(f, "sorted again")
    f.keep(np.random.default_rng(1).random(len(f)) < 0.7)
    _check_sorted_and_sums(f, "after keep")


def test_slice_sums_of_infinite_values_match_bincount_after_moves():
    """A moved row's value is taken out of its old block's sum: ln 0 = -inf must not turn into NaN."""
    m = mm.FlyingGeeseModel(load_scenario("scenarios/baseline.yaml"), seed=1, scale="tiny")
    f = m.firms
    R, S = f.__dict__["_cells"]
    rows = np.array([0, 5, len(f) - 1])
    f.move(rows, region=(f.region[rows] + 1) % R)
    with np.errstate(divide="ignore"):
        x = np.log(np.where(np.arange(len(f)) == 5, 0.0, f.capital))  # -inf in a moved row, on purpose
    with np.errstate(invalid="raise"):
        got = f.sum_by_cell(x)
    want = np.bincount(f.cell, weights=x, minlength=R * S)
    assert np.array_equal(np.isneginf(got), np.isneginf(want)) and not np.isnan(got).any()
    np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-12)


def test_entrant_parents_do_not_depend_on_row_order():
    rng = np.random.default_rng(5)
    n = 500
    cell = rng.integers(0, 6, n)
    ids = rng.permutation(10 * n)[:n].astype(np.int64)
    e_cell = np.array([0, 1, 2, 3, 4, 5, 2, 2])
    sector, e_sector = cell % 3, e_cell % 3

    def parents(perm):
        got = entry_exit.anchor_incumbents(np.random.default_rng(9), cell[perm], e_cell, sector[perm], e_sector,
                                           ids=ids[perm])
        return ids[perm][got]

    a = parents(np.arange(n))
    for seed in range(3):
        np.testing.assert_array_equal(parents(np.random.default_rng(seed).permutation(n)), a)
    by_id = dict(zip(ids.tolist(), cell.tolist()))
    assert [by_id[i] for i in a.tolist()] == e_cell.tolist()


@pytest.mark.parametrize("with_ids", [False, True])
def test_anchor_incumbents_picks_within_the_cell(with_ids):
    rng = np.random.default_rng(2)
    cell = rng.integers(0, 4, 300)
    e_cell = rng.integers(0, 4, 50)
    got = entry_exit.anchor_incumbents(rng, cell, e_cell, cell % 2, e_cell % 2,
                                       ids=np.arange(300, dtype=np.int64)[::-1].copy() if with_ids else None)
    assert np.array_equal(cell[got], e_cell)


def test_append_extends_cached_index_copies_in_place_and_held_arrays_keep_their_values():
    from model.agents import Talent

    t = Talent(uid=np.arange(5), region=np.array([0, 1, 1, 2, 0]), home=np.zeros(5), skill=np.array([0, 1, 0, 1, 1]),
               age=np.full(5, 30), employed=np.ones(5, bool), wage=np.ones(5), ability=np.ones(5),
               newcomer=np.zeros(5, bool), weight=np.ones(5))
    held = t.skill
    assert held.dtype == np.intp and not held.flags.writeable
    t.append(uid=np.array([5, 6]), region=np.array([2, 2]), home=np.zeros(2), skill=np.array([1, 0]),
             age=np.array([20, 21]), employed=np.ones(2, bool), wage=np.ones(2), ability=np.ones(2),
             newcomer=np.ones(2, bool), weight=np.ones(2))
    np.testing.assert_array_equal(held, [0, 1, 0, 1, 1])  # the array a caller holds is unchanged
    assert t.skill.base is held.base  # extended in place (skill was cached before the append)
    for name in ("skill", "region", "age"):  # (reaching a column through data drops its cached copy)
        got = getattr(t, name)
        assert got.dtype == np.intp and not got.flags.writeable
        np.testing.assert_array_equal(got, t.data[name].astype(np.intp))
    t.keep(np.array([True, False, True, True, True, True, False]))
    np.testing.assert_array_equal(t.skill, t.data["skill"].astype(np.intp))
