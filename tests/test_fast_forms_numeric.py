"""Fast forms of the numeric building blocks give the same bits as the plain forms they replace: lookups and
gathers from tables, medians and quantiles, sums of ones as counts, the finite check, and the packaged YAML read with
the C parser.

The golden master (tests/test_golden_master.py) covers whole runs; these pin the building blocks one by one,
including inputs the shipped scenarios never reach (signed zeros, NaN, infinities, levers on, odd tables)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from conftest import same_bits
from model.numeric import gather, is_one, lookup
from model.yamlio import load_packaged_yaml, load_yaml


@pytest.mark.parametrize("name", ["parameters.yaml", "china_regions_2012.yaml", "demography_china.yaml",
                                  "energy_2012_2035.yaml", "geography.yaml"])
def test_packaged_yaml_reads_the_same_with_the_c_parser(name):
    text = resources.files("model").joinpath(f"data/{name}").read_text(encoding="utf-8")
    fast, plain = load_packaged_yaml(text, name), load_yaml(text, name)
    assert fast == plain and repr(fast) == repr(plain)  # repr: the same types (1 vs 1.0), order and values


def test_packaged_yaml_errors_read_as_load_yaml():
    bad = "a: 1\na: 2\n"  # a repeated key: load_yaml's own message
    with pytest.raises(Exception) as fast:
        load_packaged_yaml(bad, "x.yaml")
    with pytest.raises(Exception) as plain:
        load_yaml(bad, "x.yaml")
    assert str(fast.value) == str(plain.value)


def test_gather_gives_a_scalar_only_for_a_table_of_one_value():
    idx = np.array([0, 2, 1, 1, 0])
    t = np.array([0.5, 0.25, 2.0])
    assert same_bits(gather(t, idx), t[idx])
    one = gather(np.ones(3), idx)
    assert np.ndim(one) == 0 and is_one(one)
    assert not is_one(gather(np.full(3, 2.0), idx))
    # +0.0 and -0.0 compare equal but are different bits: no scalar then
    z = gather(np.array([0.0, -0.0, 0.0]), idx)
    assert np.ndim(z) == 1 and same_bits(z, np.array([0.0, -0.0, 0.0])[idx])


@pytest.mark.parametrize("table", [np.linspace(-1.0, 2.0, 31), np.arange(31, dtype=np.int8), np.arange(31) % 3 == 0,
                                   np.linspace(0.0, 1.0, 62).reshape(31, 2)])
def test_lookup_is_take_for_read_only_and_writeable_indices(table):
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 31, 5000).astype(np.intp)
    ro = idx.copy()
    ro.flags.writeable = False
    want = table.take(idx)
    assert same_bits(lookup(table, idx), want)
    assert same_bits(lookup(table, ro), want)
    bad = np.array([0, table.size])
    bad.flags.writeable = False
    with pytest.raises(IndexError):
        lookup(table, bad)


def test_size_quintile_edges_are_numpys():
    from model.numeric import quantile

    rng = np.random.default_rng(9)
    for n in (50, 51, 997, 4000):
        x = rng.lognormal(0, 2, n)
        want = np.quantile(x, [0.2, 0.4, 0.6, 0.8])
        assert same_bits(np.array([quantile(x, q) for q in (0.2, 0.4, 0.6, 0.8)]), want)


def test_counts_of_ones_are_the_weight_sums():
    """At weight 1.0 a sum of 1.0s (and 0.0s) is the count: capital's entrant cell weights and innovation's
    innovations by region come from integer counts."""
    rng = np.random.default_rng(3)
    n, m = 200_000, 48
    key = rng.integers(0, m, n)
    success = rng.random(n) < 0.1
    want = np.bincount(key, weights=1.0 * success, minlength=m)
    assert same_bits(np.bincount(key[np.flatnonzero(success)], minlength=m).astype(np.float64), want)
    assert same_bits(np.bincount(key, minlength=m).astype(np.float64),
                     np.bincount(key, weights=np.ones(n), minlength=m))


def test_finite_check_is_exact():
    from model.model import _all_finite

    x = np.full(1001, 1e308)  # finite values whose sum overflows: still finite
    assert _all_finite(x)
    for bad in (np.nan, np.inf, -np.inf):
        y = x.copy()
        y[500] = bad
        assert not _all_finite(y)
    z = np.ones((10, 3))
    z[4, 2] = np.nan
    assert not _all_finite(z) and _all_finite(np.ones((10, 3)))
