"""Bit-identity of the s7-follow speed-ups (capital, innovation, digital, fiscal use ``ArrayAgentSet.weighted`` and
``streams.below``): each faster form against its plain form, written out here as it was before."""

from __future__ import annotations

import numpy as np
import pytest

from model import streams
from model.mechanisms import capital, innovation


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("w", [1.0, 2.5, 0.1, 807.4123])
def test_finance_totals_by_weighted_are_the_weight_products(w):
    """``finance(..., weighted=)`` with one weight for every firm (``weighted``: x itself at 1.0, else x w) gives the
    bits of the plain form with the weight column, at every availability level (all three branches)."""
    rng = np.random.default_rng(int(w * 10))
    n = 5000
    desired = np.abs(rng.normal(0.0, 1.0, n) * 10.0 ** rng.integers(-5, 5, n))
    desired[:3] = [0.0, 1e-300, 5e-324]
    internal, ext_cap = np.abs(rng.normal(0.0, 5.0, n)), rng.uniform(0.0, 3.0, n)
    weight = np.full(n, w)
    weighted = (lambda x: x) if w == 1.0 else (lambda x: np.multiply(x, w))
    for available in (1e12, 0.5 * float(np.sum(weight * internal)), 1e-3, -1.0):
        want = capital.finance(desired, internal, ext_cap, weight, available)
        got = capital.finance(desired.copy(), internal, ext_cap.copy(), weight, available, overwrite=True,
                              weighted=weighted)
        assert _same(got, want)
        assert _same(capital.finance(desired.copy(), internal, ext_cap.copy(), weight, available, overwrite=True),
                     want)


def test_counts_of_ones_are_the_weight_sums():
    """At weight 1.0 a sum of 1.0s (and 0.0s) is the count: capital's entrant cell weights and innovation's
    innovations by region come from integer counts."""
    rng = np.random.default_rng(3)
    n, m = 200_000, 48
    key = rng.integers(0, m, n)
    success = rng.random(n) < 0.1
    want = np.bincount(key, weights=1.0 * success, minlength=m)
    assert _same(np.bincount(key[np.flatnonzero(success)], minlength=m).astype(np.float64), want)
    assert _same(np.bincount(key, minlength=m).astype(np.float64), np.bincount(key, weights=np.ones(n), minlength=m))


@pytest.mark.parametrize("seed", [0, 1])
def test_imitation_by_table_thresholds_is_uniform_below_q(seed):
    rng = np.random.default_rng(seed)
    n, R = 50_000, 8
    rel_t, region, digital = rng.uniform(0.2, 3.0, R), rng.integers(0, R, n), rng.random(n) < 0.3
    rel_t[0] = 0.0  # the 1e-9 floor
    q = innovation.imitation_probability(0.25, rel_t, 0.8, digital, 0.5, region=region)
    talent = -0.25 * np.maximum(rel_t, 1e-9) ** 0.8
    assert _same(q, (1.0 - np.exp(talent[:, None] * (1.0 + 0.5 * np.array([False, True])))).ravel()[region * 2 + digital])
    assert _same(innovation.imitation_table(0.25, rel_t, 0.8, 0.5)[region * 2 + digital], q)
    uid = rng.integers(0, 1 << 40, n)
    u = streams.uniform(seed, 2030, "innovation.imitation", uid)
    got = streams.below(seed, 2030, "innovation.imitation", uid,
                        streams.thresholds(innovation.imitation_table(0.25, rel_t, 0.8, 0.5)), index=region * 2 + digital)
    assert np.array_equal(got, u < q)


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


def _combine(key):
    """A stand-in for agents' combine_cell / combine_region / combine_sector: op(x, table[key]) (their contract)."""
    return lambda op, x, table, out=None: op(x, np.asarray(table).take(key), out=out)


@pytest.mark.parametrize("seed", [0, 1])
def test_combine_forms_are_the_gathered_forms(seed):
    rng = np.random.default_rng(seed)
    n, S, R = 4000, 4, 8
    sector, region = rng.integers(0, S, n), rng.integers(0, R, n)
    x = rng.normal(0.0, 1.0, n) * 10.0 ** rng.integers(-5, 5, n)
    x[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324]
    alpha, rho, beta = rng.uniform(0.2, 0.6, S), rng.uniform(0.5, 0.9, S), rng.uniform(0.1, 0.5, S)
    fu = rng.uniform(0.05, 0.3, n)
    want = capital.marginal_net_return(x.copy(), fu, alpha, rho, beta, sector=sector, overwrite=True)
    got = capital.marginal_net_return(x.copy(), fu, alpha, rho, beta, sector=sector, overwrite=True,
                                      combine_sector=_combine(sector))
    assert _same(got, want)
    g = rng.normal(0.05, 0.02, S)
    keep = x.copy()
    want = capital.desired_rate(x, 0.08, g, 5.0, 0.4, lambda t: np.asarray(t).take(sector))
    assert _same(capital.desired_rate(x, 0.08, g, 5.0, 0.4, lambda t: np.asarray(t).take(sector), _combine(sector)),
                 want)
    assert _same(x, keep)  # the caller's excess is not written
    price, va = rng.uniform(0.5, 2.0, S), x
    assert _same(innovation.current_sales(price, sector, va, combine_sector=_combine(sector)),
                 innovation.current_sales(price, sector, va))
    rel_t, rel_size, sub = rng.uniform(0.2, 3.0, R), np.abs(x) + 1e-3, rng.uniform(0.0, 0.3, R)
    for s in (sub, np.zeros(R)):
        args = (-2.0, 0.05, 13, 0.4, rel_t, rel_size, s, 0.3, 1.2)
        assert _same(innovation.performer_logit(*args, region=region, sign_free=True,
                                                combine_region=_combine(region)),
                     innovation.performer_logit(*args, region=region, sign_free=True))
