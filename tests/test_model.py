"""The engine: structure, initial state from data, ledgers, determinism and bad input."""

import mesa
import numpy as np
import pytest

from conftest import small_model
from model import SECTORS
from model.errors import InputError
from model.model import FlyingGeeseModel
from model.recorder import CORE_METRICS
from model.regions import load_region_data


def test_is_a_mesa_model_with_years_as_steps():
    m = small_model()
    assert isinstance(m, mesa.Model)
    assert m.year == 2012 and m.steps == 0
    m.run_for(3)
    assert m.year == 2015 and m.steps == 3


def test_initial_state_reproduces_2012_data():
    d = load_region_data()
    m = small_model(n_firms=2000, n_talent=5000)
    rec = m.recorder
    gdp = [rec.series("gdp", r)[0] for r in d.names]
    np.testing.assert_allclose(gdp, d.gdp_2012, rtol=1e-9)
    pop = [rec.series("population", r)[0] for r in d.names]
    np.testing.assert_allclose(pop, d.population_2012, rtol=1e-9)
    assert rec.series("firms")[0] == pytest.approx(d.firms_2012)
    np.testing.assert_allclose([rec.series("emissions", r)[0] for r in d.names], d.co2_2012, rtol=1e-9)
    # enterprise R&D is scaled to the 2012 figure; public R&D is added on top
    firm_rd = (m.firms.weight * m.world.rd_spend).sum() / 100
    assert firm_rd == pytest.approx(d.rd_enterprises_2012, rel=1e-9)
    assert rec.series("industrial_va_share", "west")[0] == pytest.approx(0.1784, abs=1e-9)


def test_agents_are_heterogeneous_columns():
    m = small_model()
    f, t = m.firms, m.talent
    assert f.tfp.std() > 0 and f.capital.std() > 0 and len(np.unique(f.sector)) == len(SECTORS)
    assert set(np.unique(t.skill)) == {0, 1} and t.age.min() >= 20 and t.age.max() < 60
    assert len(f) == 600 and len(t) == 1500
    assert np.allclose(f.weight, load_region_data().firms_2012 / 600)


def test_recorded_flows_match_what_the_agents_did_every_year():
    """Independent of the model's own ledger: compare recorded entries, exits, relocations and net
    migration with what happened to the agents (by uid) between two years; no NaN anywhere."""
    m = small_model(seed=3)
    rec, R = m.recorder, m.data.n
    col = {name: rec.metrics.index(name) for name in rec.metrics}
    for _ in range(2035 - 2012):
        f0, t0 = {k: v.copy() for k, v in m.firms.data.items()}, {k: v.copy() for k, v in m.talent.data.items()}
        m.step()
        f, t, yi = m.firms, m.talent, rec.years.index(m.year)
        got = lambda name: rec.values[yi, :R, col[name]]  # noqa: E731
        _, i0, i1 = np.intersect1d(f0["uid"], f.uid, assume_unique=True, return_indices=True)
        moved = f0["region"][i0] != f.region[i1]
        np.testing.assert_allclose(got("relocations_in"),
                                   np.bincount(f.region[i1][moved], weights=f.weight[i1][moved], minlength=R))
        np.testing.assert_allclose(got("relocations_out"),
                                   np.bincount(f0["region"][i0][moved], weights=f.weight[i1][moved], minlength=R))
        gone = ~np.isin(f0["uid"], f.uid)
        np.testing.assert_allclose(got("exits"), np.bincount(f0["region"][gone], weights=f0["weight"][gone], minlength=R))
        new = ~np.isin(f.uid, f0["uid"])
        np.testing.assert_allclose(got("entries"), np.bincount(f.region[new], weights=f.weight[new], minlength=R))
        # talent: survivors who changed region, and newcomers who left the region they started in
        # (general entrants: their home; graduates: their university region, demography.py)
        _, j0, j1 = np.intersect1d(t0["uid"], t.uid, assume_unique=True, return_indices=True)
        newcomer = ~np.isin(t.uid, t0["uid"])
        demog = m.world.demog
        start = dict(zip(demog.entrant_uid.tolist(), demog.entrant_region.tolist()))
        origin = np.concatenate([t0["region"][j0], np.array([start[u] for u in t.uid[newcomer]], dtype=np.int8)])
        dest = np.concatenate([t.region[j1], t.region[newcomer]])
        skill = np.concatenate([t.skill[j1], t.skill[newcomer]])
        weight = np.concatenate([t.weight[j1], t.weight[newcomer]])
        mv = (origin != dest) & (skill == 0)
        net = np.bincount(dest[mv], weights=weight[mv], minlength=R) - np.bincount(origin[mv], weights=weight[mv], minlength=R)
        np.testing.assert_allclose(got("net_migration_high"), net / 1e3, atol=1e-9)
        assert np.all(np.isfinite(rec.values[yi][:, [col[c] for c in CORE_METRICS]]))
        for arr in (f, t):
            for name, v in arr.data.items():
                assert np.all(np.isfinite(v)), name
    # national: K = K_-1 (1 - delta) + I - stranded, as the issue states it
    k, inv, strand = (rec.series(x) for x in ("capital_stock", "investment", "stranded_capital"))
    delta = m.params["capital.depreciation"]
    np.testing.assert_allclose(k[1:], k[:-1] * (1 - delta) + inv[1:] - strand[1:], rtol=1e-9)


def test_firm_ledger_national_entries_minus_exits_and_relocations_conserve():
    m = small_model(seed=4)
    rec = m.recorder
    m.run_for(10)
    firms, entries, exits = (rec.series(x)[:11] for x in ("firms", "entries", "exits"))
    np.testing.assert_allclose(firms[1:], firms[:-1] + entries[1:] - exits[1:], rtol=1e-12)
    ins = sum(rec.series("relocations_in", r)[:11] for r in m.regions)
    outs = sum(rec.series("relocations_out", r)[:11] for r in m.regions)
    np.testing.assert_allclose(ins, outs)
    assert outs.sum() > 0, "some firms relocate over ten years"


def test_talent_national_ledger_and_migration_nets_to_zero(tiny_run):
    rec = tiny_run.recorder
    net = sum(rec.series("net_migration_high", r) for r in tiny_run.regions)
    np.testing.assert_allclose(net, 0.0, atol=1e-6)
    assert np.abs(rec.series("net_migration_high", "northeast")[1:]).sum() > 0


def test_metrics_recorded_for_every_year_and_region(tiny_run):
    rec = tiny_run.recorder
    for metric in CORE_METRICS:
        j = rec.metrics.index(metric)
        block = rec.values[:, :, j]
        start = 1 if metric == "gdp_growth" else 0
        assert np.all(np.isfinite(block[start:])), metric


def test_same_seed_same_bytes_different_seed_differs():
    a = small_model(seed=11)
    a.run_for(6)
    b = small_model(seed=11)
    b.run_for(6)
    c = small_model(seed=12)
    c.run_for(6)
    assert a.recorder.values.tobytes() == b.recorder.values.tobytes()
    for col in a.firms.data:
        assert a.firms.data[col].tobytes() == b.firms.data[col].tobytes(), col
    assert a.recorder.values.tobytes() != c.recorder.values.tobytes()


def test_seed_sequence_is_accepted_and_deterministic():
    ss = np.random.SeedSequence(5).spawn(2)[1]
    a = small_model(seed=ss)
    b = small_model(seed=np.random.SeedSequence(5).spawn(2)[1])
    a.run_for(2)
    b.run_for(2)
    assert a.recorder.values.tobytes() == b.recorder.values.tobytes()


@pytest.mark.parametrize("params, fragment", [
    ({"production.capital_share.high_tech": -0.2}, "production.capital_share.high_tech"),
    ({"demand.income_elasticity.equipment": -1.0}, "elasticity"),
    ({"labour.natural_unemployment": 1.5}, "a share in [0.02, 0.2]"),
    ({"talent.graduate_share.east": 0.9}, "sum to 1"),
    ({"talent.no_such_thing": 1.0}, "unknown parameter"),
])
def test_bad_parameters_fail_at_construction(params, fragment):
    with pytest.raises(InputError) as err:
        FlyingGeeseModel({"name": "t"}, params=params, n_firms=100, n_talent=200)
    msg = str(err.value)
    assert fragment in msg
    assert "\n" not in msg


@pytest.mark.parametrize("scenario, fragment", [
    ({"name": "t", "years": [2030, 2020]}, "years"),
    ({"name": "t", "levers": {"talent_incentive": [{"region": "tibet", "wage_topup": 0.1}]}}, "unknown region 'tibet'"),
    ({"name": "t", "levers": {"relocation_subsidy": [{"region": "west", "sectors": ["mining"]}]}}, "mining"),
    ({"name": "t", "levers": {"digitalization": [{"region": "west", "adoption_subsidy": 1.2}]}}, "adoption_subsidy"),
    ({"name": "t", "scale": "huge"}, "scale"),
])
def test_bad_scenarios_fail_at_construction(scenario, fragment):
    with pytest.raises(InputError) as err:
        FlyingGeeseModel(scenario, n_firms=100, n_talent=200)
    assert fragment in str(err.value)


def test_too_few_agents_is_an_input_error():
    with pytest.raises(InputError, match="at least 40 firm agents"):
        FlyingGeeseModel({"name": "t"}, n_firms=10, n_talent=200)


def test_scale_preset_sets_agent_counts():
    m = FlyingGeeseModel({"name": "t", "scale": "tiny"}, seed=0)
    assert (len(m.firms), len(m.talent)) == (2000, 5000)


# --- structure: one home per mechanism ------------------------------------------------------
def _mechanism_modules():
    import importlib
    import pkgutil

    import model.mechanisms as pkg
    return [importlib.import_module(f"model.mechanisms.{mod.name}") for mod in pkgutil.iter_modules(pkg.__path__)]


def test_each_mechanism_declares_exactly_the_parameters_it_reads():
    import inspect
    import re

    from model.parameters import default_specs
    specs = default_specs()
    declared_anywhere = set()
    for mod in _mechanism_modules():
        src = inspect.getsource(mod)
        reads = set(re.findall(r'(?:\bP|params)(?:\.by\(|\[)"([a-z_0-9.]+)"', src))
        reads |= {f"demand.sector_tilt_{s}" for s in SECTORS} if "sector_tilt_{s}" in src else set()
        declared = set(mod.PARAMETERS)
        assert reads == declared, (mod.__name__, sorted(reads - declared), sorted(declared - reads))
        assert declared <= set(specs), (mod.__name__, sorted(declared - set(specs)))
        declared_anywhere |= declared
    assert set(specs) == declared_anywhere, f"parameters no mechanism reads: {sorted(set(specs) - declared_anywhere)}"


def test_every_mechanism_has_equations_init_and_step_and_every_world_field_a_unit():
    import dataclasses
    import inspect

    from model import world
    for mod in _mechanism_modules():
        assert mod.__doc__ and len(mod.__doc__) > 200, mod.__name__
        assert callable(getattr(mod, "init", None)) and callable(getattr(mod, "step", None)), mod.__name__
    src = inspect.getsource(world.World)
    for fld in dataclasses.fields(world.World):
        line = next(ln for ln in src.splitlines() if ln.strip().startswith(f"{fld.name}:"))
        assert "#" in line and "," in line.split("#", 1)[1], f"World.{fld.name} needs '# meaning, unit'"


def test_derived_agent_values_are_recomputed_after_their_columns_change():
    """ArrayAgentSet.derived (perf): a cached per-agent value is dropped when one of its columns is reached
    through ``data`` (a write, in place or not) or the rows change, and is read-only."""
    from model.agents import Firms

    n = 6
    cols = {k: np.zeros((n, 3)) if k == "location_match" else np.zeros(n, dt) for k, dt in Firms.columns.items()}
    cols["uid"] = np.arange(n)
    cols["region"] = np.array([0, 1, 2, 0, 1, 2])
    cols["sector"] = np.array([0, 1, 2, 3, 0, 1])
    f = Firms(**cols)
    S = len(SECTORS)
    assert np.array_equal(f.cell, cols["region"] * S + cols["sector"])
    assert f.cell is f.cell  # cached
    with pytest.raises(ValueError):
        f.cell[0] = 5  # read-only
    f.data["region"][0] = 2  # in place, through data
    assert f.cell[0] == 2 * S
    f.keep(np.array([False, True, True, True, True, True]))
    assert np.array_equal(f.cell, f.region * S + f.sector)
    calls = []
    got = f.derived("x2", ("capital",), lambda a: calls.append(1) or a.capital * 2)
    assert f.derived("x2", ("capital",), lambda a: calls.append(1) or a.capital * 2) is got and len(calls) == 1
    f.data["tfp"] = np.ones(len(f))  # another column: the value stays
    assert f.derived("x2", ("capital",), lambda a: calls.append(1) or a.capital * 2) is got
    f.data["capital"] = np.ones(len(f))
    assert np.array_equal(f.derived("x2", ("capital",), lambda a: a.capital * 2), np.full(len(f), 2.0))


def test_stored_location_match_rows_survive_keep_append_writes_and_pickle():
    """Firms.location_match is a row store (agents._RowStore, perf): keep and append give the same rows as plain
    arrays would, a write through ``data`` sticks, ``rows`` reads a subset, pickling keeps the values, and the
    yearly finite check still sees a non-finite value in an appended row."""
    import pickle

    from model.agents import Firms, _RowStore

    n, R = 8, 3
    rng = np.random.default_rng(0)

    def cols(m, start):
        c = {k: np.zeros(m, dt) for k, dt in Firms.columns.items()}
        c["uid"] = np.arange(start, start + m)
        c["location_match"] = rng.normal(size=(m, R))
        return c

    c0 = cols(n, 0)
    f = Firms(**c0)
    ref = c0["location_match"].copy()
    for year in range(4):
        mask = rng.random(len(f)) > 0.3
        f.keep(mask)
        ref = ref[mask]
        assert isinstance(dict.__getitem__(f.data, "location_match"), _RowStore)
        add = cols(5, 100 * (year + 1))
        f.append(**add)
        ref = np.concatenate([ref, add["location_match"]])
        assert np.array_equal(f.location_match, ref)
        idx = np.flatnonzero(rng.random(len(f)) > 0.5)
        assert np.array_equal(f.rows("location_match", idx), ref[idx])
    for start in (900, 950):  # appends without a keep in between (the row index grows in its spare room)
        add = cols(3, start)
        f.append(**add)
        ref = np.concatenate([ref, add["location_match"]])
    assert np.array_equal(f.location_match, ref)
    with pytest.raises(ValueError):
        f.location_match[0, 0] = 1.0  # the attribute is a read-only copy
    f.data["location_match"][0, 0] = 7.0  # a write through data sticks, and survives the next keep
    ref[0, 0] = 7.0
    f.keep(np.ones(len(f), bool))
    assert np.array_equal(f.data["location_match"], ref)
    back = pickle.loads(pickle.dumps(f))
    assert np.array_equal(back.location_match, ref) and back.rows("uid", np.array([1]))[0] == f.uid[1]

    m = FlyingGeeseModel({"name": "x"}, seed=1, scale="tiny")
    m.step()
    v = dict.__getitem__(m.firms.data, "location_match")
    assert isinstance(v, _RowStore)
    v.store[v.rows[-1], 0] = np.nan  # as if an appended row were bad
    v.checked = min(v.checked, int(v.rows[-1]))
    with pytest.raises(RuntimeError, match="location_match"):
        m._check_ledgers(m.ledger["before"])  # the same year again: balances, then the finite check


def test_numeric_median_is_numpys_median_bit_for_bit():
    """model.numeric.median (perf) returns np.median's value and type, for even and odd lengths, ties, huge
    values (the mean of the middle two overflows the same way) and NaN."""
    from model.numeric import median

    rng = np.random.default_rng(3)
    for i in range(3000):
        n = int(rng.integers(1, 200))
        with np.errstate(over="ignore"):  # the huge-value case overflows on purpose, in both medians alike
            x = [rng.normal(size=n), rng.integers(0, 4, n).astype(float), rng.normal(size=n) * 1e308][i % 3]
            a, b = np.median(x), median(x)
        assert (a == b or (np.isnan(a) and np.isnan(b))) and type(a) is type(b)
    x = rng.normal(size=101)
    x[7] = np.nan
    assert np.isnan(median(x))


def test_numeric_quantile_is_numpys_linear_quantile_bit_for_bit():
    """model.numeric.quantile (perf) returns np.quantile's value and type at one q, both interpolation
    branches (t < 0.5 and t >= 0.5), ties and the edges numpy handles itself (q = 0, n = 1)."""
    from model.numeric import quantile

    rng = np.random.default_rng(4)
    for i in range(3000):
        n = int(rng.integers(1, 300))
        q = [rng.random(), 0.9, 0.5, 0.0, 0.95][i % 5]
        x = [rng.normal(size=n), rng.integers(0, 4, n).astype(float), np.exp(20 * rng.normal(size=n))][i % 3]
        a, b = np.quantile(x, q), quantile(x, q)
        assert a == b and type(a) is type(b)
