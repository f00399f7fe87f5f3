"""Fast forms of the keyed random streams give the same draws as the plain forms they replace: the Laplace unit,
thresholds and ``below`` against a uniform compared with a probability, and demography's choice against the
generator's.

The golden master (tests/test_golden_master.py) covers whole runs; these pin the building blocks one by one,
including inputs the shipped scenarios never reach (signed zeros, NaN, infinities, levers on, odd tables)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import same_bits
from model import streams


def test_laplace_unit_is_the_two_branch_inverse_cdf():
    u = streams.uniform(12345, 2020, "test.laplace", np.arange(200_000))
    u = np.concatenate([u, [2.0**-53, 1 - 2.0**-53, 0.5 - 2.0**-53, 0.5 + 2.0**-53, 0.25, 0.75, 1e-300]])
    plain = 0.0 + np.sqrt(0.5) * np.where(u < 0.5, np.log(2.0 * u), -np.log(2.0 * (1.0 - u)))
    assert same_bits(0.0 + np.sqrt(0.5) * streams.laplace_unit(u), plain)


def test_laplace_unit_in_place_is_streams_laplace():
    uid = np.arange(50_000)
    u = streams.uniform(9, 2021, "innovation.shock", uid)
    want = streams.laplace(9, 2021, "innovation.shock", uid, 0.0, np.sqrt(0.5))
    got = streams.laplace_unit(u.copy(), overwrite=True)
    got *= np.sqrt(0.5)
    assert same_bits(got, want)  # 0.0 + x is x: no keyed unit is a zero
    assert same_bits(streams.laplace_unit(u.copy(), overwrite=True), streams.laplace_unit(u))


EDGES = [0.0, -0.0, -1.0, np.nan, np.inf, -np.inf, 5e-324, 2.0**-60, 2.0**-53, np.nextafter(2.0**-53, 1), 2.0**-52,
         3 * 2.0**-53, 0.5, np.nextafter(0.5, 0), np.nextafter(0.5, 1), 1 - 2.0**-53, 1 - 2.0**-52, 1.0, 1.5, 1e300]


def test_thresholds_decide_exactly_as_the_uniform_at_the_edges():
    from fractions import Fraction

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
    rng = np.random.default_rng(8)
    u = rng.random(20000)
    p = np.concatenate([EDGES, u, u * 1e-10, u * 2.0**-50, np.exp(-rng.random(2000) * 700), 1 - u * 1e-12,
                        (2 * rng.integers(0, 2**52, 2000) + 1) * 2.0**-53, np.nextafter(u, 0), np.nextafter(u, 1),
                        [np.finfo(float).tiny, np.nextafter(1.0, 0), -5e-324, 1e-320]])
    assert np.array_equal(streams.thresholds(p), _thresholds_exact(p))
    assert streams.thresholds(0.3).shape == () and int(streams.thresholds(0.3)) == int(_thresholds_exact(0.3))
    assert streams.thresholds(np.full((2, 3), 0.25)).shape == (2, 3)


@pytest.mark.parametrize("seed", [0, 1])
def test_below_is_uniform_less_than_p(seed):
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


def test_below_with_a_table_and_an_index_is_below_with_gathered_thresholds():
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


def test_digital_draws_by_thresholds_are_uniform_below_p():
    rng = np.random.default_rng(5)
    n, R = 40_000, 8
    uid = rng.integers(0, 1 << 40, n)
    region = rng.integers(0, R, n)
    p_r = 1.0 - np.exp(-0.7 * rng.uniform(0.0, 2.0, R))
    p_r[:2] = [0.0, 1.0]
    u = streams.uniform(9, 2031, "digital.works", uid)
    assert np.array_equal(streams.below(9, 2031, "digital.works", uid, streams.thresholds(p_r), index=region),
                          u < p_r[region])
    for rate in (0.0, 0.1, 0.25, 1.0):
        assert np.array_equal(streams.below(9, 2031, "digital.review", uid, streams.thresholds(rate)),
                              streams.uniform(9, 2031, "digital.review", uid) < rate)


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
