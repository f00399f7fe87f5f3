"""Faster forms of model computations give the same bits as the plain forms they replace (session-5 engine speed).

The golden master and the small/medium hashes cover whole runs; these pin the building blocks, including inputs
the shipped scenarios do not reach (levers on, sectors without abatement, non-uniform tables)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from model import energy, streams
from model.numeric import gather, is_one
from model.yamlio import load_packaged_yaml, load_yaml


def _same(a, b) -> bool:
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


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
    assert _same(gather(t, idx), t[idx])
    one = gather(np.ones(3), idx)
    assert np.ndim(one) == 0 and is_one(one)
    assert not is_one(gather(np.full(3, 2.0), idx))
    # +0.0 and -0.0 compare equal but are different bits: no scalar then
    z = gather(np.array([0.0, -0.0, 0.0]), idx)
    assert np.ndim(z) == 1 and _same(z, np.array([0.0, -0.0, 0.0])[idx])


def test_laplace_unit_is_the_two_branch_inverse_cdf():
    u = streams.uniform(12345, 2020, "test.laplace", np.arange(200_000))
    u = np.concatenate([u, [2.0**-53, 1 - 2.0**-53, 0.5 - 2.0**-53, 0.5 + 2.0**-53, 0.25, 0.75, 1e-300]])
    plain = 0.0 + np.sqrt(0.5) * np.where(u < 0.5, np.log(2.0 * u), -np.log(2.0 * (1.0 - u)))
    assert _same(0.0 + np.sqrt(0.5) * streams.laplace_unit(u), plain)


def test_carbon_tables_gathered_inside_give_the_per_firm_numbers():
    rng = np.random.default_rng(3)
    n, sector, region = 5000, rng.integers(0, 4, 5000), rng.integers(0, 4, 5000)
    direct, power, a = rng.random(n) * 3, rng.random(n), rng.random(n) * 0.5
    eff, eff_p, elec, grid = rng.random(4) * 0.05, rng.random(4) * 0.03, rng.random(4) * 0.02, rng.random(4) + 0.1
    for e in (elec, np.full(4, 0.01)):  # a table with one value: gathered as a scalar
        got = energy.intensity_update(direct, power, eff, eff_p, e, 0.6, grid, sector=sector, region=region)
        want = energy.intensity_update(direct, power, eff[sector], eff_p[sector], e[sector], 0.6, grid[region])
        assert all(_same(g, w) for g, w in zip(got, want))
    for amax in (np.array([0.3, 0.2, 0.0, 0.4]), np.array([0.3, 0.2, 0.1, 0.4]), np.full(4, 0.3)):
        half = np.array([100.0, 200.0, 150.0, 80.0])
        got = energy.abatement_cost(a, amax, half, sector=sector)
        want = energy.abatement_cost(a, amax[sector], half[sector])
        assert _same(got, want)


def test_innovation_rules_match_their_plain_forms_with_and_without_a_subsidy():
    from model.mechanisms import innovation as inn

    rng = np.random.default_rng(5)
    n, region = 4000, rng.integers(0, 4, 4000)
    profit, last, target = rng.normal(1, 2, n), rng.random(n) * 3, rng.random(n) * 2
    loss = rng.integers(0, 3, n).astype(np.int16)
    f = inn.funds(profit, last, loss, 0.8)
    assert _same(f, np.maximum(profit, np.where(loss > 0, 0.0, 0.8 * last)))
    for sub in (np.zeros(4), np.array([0.0, 0.2, 0.0, 0.5]), np.full(4, 0.3)):
        own = np.maximum(1.0 - sub, 1e-9)
        assert _same(inn.affordable(target, f, sub, region=region),
                     np.minimum(target, np.maximum(f, 0.0) / own[region]))
        rel_t, rel_s = rng.random(4) + 0.5, rng.random(n) * 4
        got = inn.performer_logit(-2.0, 0.1, 5, 0.7, rel_t, rel_s, sub, 0.4, 1.5, region=region)
        base = -2.0 + 0.1 * 5 + 0.7 * np.log(np.maximum(rel_t, 1e-9))
        want = base[region] + 0.4 * np.log(np.maximum(rel_s, 1e-9)) + (1.5 * sub)[region]
        assert _same(got, want)


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


def test_imitation_table_median_overwrite_and_parent_ages_match_the_plain_forms():
    from model.mechanisms import innovation as inn
    from model.numeric import median

    rng = np.random.default_rng(8)
    region, digital, rel_t = rng.integers(0, 4, 3000), rng.random(3000) < 0.4, rng.random(4) + 0.3
    got = inn.imitation_probability(0.25, rel_t, 0.8, digital, 0.5, region=region)
    want = 1.0 - np.exp((-0.25 * np.maximum(rel_t, 1e-9) ** 0.8)[region] * (1.0 + 0.5 * digital))
    assert _same(got, want)
    for n in (1, 2, 7, 1000, 1001):
        x = rng.lognormal(0, 2, n)
        assert _same(median(x.copy(), overwrite=True), np.median(x))
    age = rng.integers(0, 101, 5000)
    table = np.arange(46) >= 25
    table[-1] = False
    assert np.array_equal(table.take(age, mode="clip"), (age >= 25) & (age < 45))


def test_size_quintile_edges_are_numpys():
    from model.numeric import quantile

    rng = np.random.default_rng(9)
    for n in (50, 51, 997, 4000):
        x = rng.lognormal(0, 2, n)
        want = np.quantile(x, [0.2, 0.4, 0.6, 0.8])
        assert _same(np.array([quantile(x, q) for q in (0.2, 0.4, 0.6, 0.8)]), want)
