"""Keyed per-agent random streams (model/streams.py): common random numbers across scenarios."""

import numpy as np
import pytest
from scipy import stats

from model import streams
from model.model import FlyingGeeseModel

ROOT = streams.root_key(7)
N = 100_000


def test_same_key_same_draw_and_open_interval():
    uid = np.arange(N, dtype=np.int64)
    a = streams.uniform(ROOT, 2020, "s", uid)
    b = streams.uniform(ROOT, 2020, "s", uid.copy())
    assert a.tobytes() == b.tobytes()
    assert a.min() > 0.0 and a.max() < 1.0
    assert streams.uniform(ROOT, 2020, "s", uid[:0]).shape == (0,)


def test_uniform_ks_and_independence_across_uid_stream_year_seed():
    uid = np.arange(N, dtype=np.int64)
    base = streams.uniform(ROOT, 2020, "s", uid)
    assert stats.kstest(base, "uniform").pvalue > 1e-3
    others = [streams.uniform(ROOT, 2021, "s", uid), streams.uniform(ROOT, 2020, "t", uid),
              streams.uniform(streams.root_key(8), 2020, "s", uid), streams.uniform(ROOT, 2020, "s", uid + 1)]
    for o in others:
        assert stats.kstest(o, "uniform").pvalue > 1e-3
        assert abs(np.corrcoef(base, o)[0, 1]) < 0.015  # ~4.7 SD of a zero correlation at 1e5
        assert np.mean(base == o) < 1e-4
    # neighbouring uids are not correlated (lag-1) and bits are balanced
    assert abs(np.corrcoef(base[:-1], base[1:])[0, 1]) < 0.015
    # slot ids (large, structured uids) too
    slots = streams.slot_ids(2030, np.repeat(np.arange(4), N // 4))
    assert stats.kstest(streams.uniform(ROOT, 2030, "s", slots), "uniform").pvalue > 1e-3


def test_draw_of_an_agent_does_not_depend_on_the_others():
    rng = np.random.default_rng(0)
    uid = np.sort(rng.choice(10**9, 5000, replace=False)).astype(np.int64)
    full = streams.normal(ROOT, 2025, "x", uid)
    keep = rng.random(len(uid)) < 0.6
    sub = streams.normal(ROOT, 2025, "x", uid[keep])
    assert np.array_equal(sub, full[keep])
    more = np.concatenate([uid, np.arange(10**9, 10**9 + 777)])
    assert np.array_equal(streams.normal(ROOT, 2025, "x", more)[: len(uid)], full)
    # shuffled order: the same draw follows the agent
    perm = rng.permutation(len(uid))
    assert np.array_equal(streams.laplace(ROOT, 2025, "x", uid[perm]), streams.laplace(ROOT, 2025, "x", uid)[perm])
    # columns: one draw per (agent, column), also independent of the others
    m = streams.uniform(ROOT, 2025, "m", uid, columns=3)
    assert m.shape == (len(uid), 3) and np.array_equal(streams.uniform(ROOT, 2025, "m", uid[keep], columns=3), m[keep])


def test_distribution_moments():
    uid = np.arange(N, dtype=np.int64)
    z = streams.normal(ROOT, 2020, "n", uid, 1.0, 2.0)
    assert abs(z.mean() - 1.0) < 0.03 and abs(z.std() - 2.0) < 0.03
    assert stats.kstest((z - 1.0) / 2.0, "norm").pvalue > 1e-3
    b = np.sqrt(0.5)
    lap = streams.laplace(ROOT, 2020, "l", uid, 0.0, b)
    assert abs(lap.mean()) < 0.01 and abs(lap.var() - 2 * b * b) < 0.03  # Laplace variance 2 b^2 (= 1 here)
    assert stats.kstest(lap, "laplace", args=(0.0, b)).pvalue > 1e-3
    sig = 0.5
    ln = streams.lognormal(ROOT, 2020, "g", uid, -0.5 * sig**2, sig)
    assert abs(ln.mean() - 1.0) < 0.01 and abs(np.log(ln).std() - sig) < 0.01
    k = streams.Keyed(ROOT, 2020, "k", uid)
    assert abs(k.normal(0.0, 1.0, N).std() - 1.0) < 0.02
    assert not np.array_equal(k.random(N), k.random(N))  # each call on a Keyed is its own stream


def test_aggregate_draws_are_monotone_in_the_expected_count():
    lam = np.array([10.0, 200.0, 3000.0, 0.0])
    c = streams.poisson(ROOT, 2020, "p", lam)
    assert c[-1] == 0 and np.all(streams.poisson(ROOT, 2020, "p", lam * 1.1) >= c)
    draws = np.array([streams.poisson(streams.root_key(s), 2020, "p", lam) for s in range(400)])
    assert np.allclose(draws.mean(axis=0)[:3], lam[:3], rtol=0.05)
    x = np.array([3.2, 7.7, 0.5])
    r = streams.stochastic_round(ROOT, 2020, "r", x)
    assert np.all((r == np.floor(x)) | (r == np.floor(x) + 1))
    assert np.all(streams.stochastic_round(ROOT, 2020, "r", x + 0.3) >= r)
    p = np.array([0.2, 0.5, 0.3])
    ch = streams.choice(ROOT, 2020, "c", np.arange(N), p)
    assert np.allclose(np.bincount(ch, minlength=3) / N, p, atol=0.01)


def test_slot_ids_unique_increasing_and_stable():
    g = np.repeat(np.arange(4), [5, 0, 3, 2])
    a = streams.slot_ids(2027, g)
    assert np.all(np.diff(a) > 0) and a.min() > 10**7
    # one more entrant in group 0 leaves the ids of everyone else unchanged
    b = streams.slot_ids(2027, np.repeat(np.arange(4), [6, 0, 3, 2]))
    assert set(a) <= set(b) and len(set(b) - set(a)) == 1
    assert streams.slot_ids(2028, g).min() > a.max()
    with pytest.raises(ValueError):
        streams.slot_ids(2027, np.array([-1]))


def test_keyed_size_must_match_the_agents():
    k = streams.Keyed(ROOT, 2020, "k", np.arange(10))
    with pytest.raises(ValueError):
        k.random(9)
    assert k.random((10, 4)).shape == (10, 4)


def test_model_determinism_and_uids_unique():
    a = FlyingGeeseModel(seed=11, scale="tiny", calibrated=False)
    b = FlyingGeeseModel(seed=11, scale="tiny", calibrated=False)
    a.run_for(4)
    b.run_for(4)
    for col in ("uid", "tfp", "region", "quality"):
        assert getattr(a.firms, col).tobytes() == getattr(b.firms, col).tobytes()
    assert a.talent.uid.tobytes() == b.talent.uid.tobytes()
    for agents in (a.firms, a.talent):
        assert len(np.unique(agents.uid)) == len(agents.uid) and np.all(np.diff(agents.uid) > 0)


def test_common_random_numbers_hold_an_unaffected_firms_luck():
    """A firm's keyed luck does not depend on which other firms exist: drop a tenth of the firms before a
    year and the survivors draw the same innovation shock as in the run with everyone."""
    m = FlyingGeeseModel(seed=5, scale="tiny", calibrated=False)
    m.run_for(1)
    uid = m.firms.uid.copy()
    full = streams.laplace(m.stream_key, m.year + 1, "innovation.shock", uid, 0.0, np.sqrt(0.5))
    keep = np.arange(len(uid)) % 10 != 3
    part = streams.laplace(m.stream_key, m.year + 1, "innovation.shock", uid[keep], 0.0, np.sqrt(0.5))
    assert np.array_equal(part, full[keep])
