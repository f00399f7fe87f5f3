import numpy as np
import pytest

from model.agents import Talent
from model.model import FlyingGeeseModel


@pytest.fixture(scope="session")
def tiny_run():
    """One tiny baseline-like run to 2035, shared by read-only tests."""
    scenario = {"name": "t", "scale": "tiny",
                "levers": {"carbon_price": {"path": {2021: 54.22, 2024: 97.49}, "free_allocation": 0.9}}}
    m = FlyingGeeseModel(scenario, seed=7)
    m.run()
    return m


def small_model(seed=1, **kw):
    kw.setdefault("n_firms", 600)
    kw.setdefault("n_talent", 1500)
    return FlyingGeeseModel(kw.pop("scenario", {"name": "t"}), seed=seed, **kw)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def migration_probabilities(**kw):
    """migration.choice_probabilities for four regions with equal wages, unless ``kw`` overrides a term."""
    from model.mechanisms import migration

    nr = 4
    base = dict(wage=np.full((nr, 2), 50000.0), employment_rate=np.full((nr, 2), 0.95),
                topup=np.zeros((nr, 2)), cut=np.zeros((nr, 2)), amenity=np.zeros((nr, 2)),
                size=np.array([400.0, 300.0, 300.0, 100.0]), beta=3.0, home_bias=1.0, moving_cost=2.0)
    base.update(kw)
    return migration.choice_probabilities(**base)


def assert_refused(capsys, argv, must, out_dir):
    """`geese ARGV` refuses bad input: exit 2, one stderr line holding every fragment of ``must``, and
    nothing written to ``out_dir``."""
    from model.cli import main

    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    for m in must:
        assert m in err, (m, err)
    assert not out_dir.exists()


def assert_committed_fit_kept(capsys, argv, root):
    """`geese ARGV` (default --out: the committed calibration) stops with exit 2 and asks for --force,
    leaving calibration/params.yaml byte for byte."""
    from model.cli import main

    committed = root / "calibration" / "params.yaml"
    before = committed.read_bytes()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "committed fit" in err
    assert committed.read_bytes() == before


# --- the fast-form tests (tests/test_fast_forms_*.py) --------------------------------------------------------------


def same_bits(a, b) -> bool:
    """``a`` and ``b`` are the same bits: the same shape, dtype and bytes (so -0.0 is not 0.0 and NaN is NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.fixture(scope="module")
def high_carbon_model():
    """A small high-carbon model stepped 10 years: into the carbon-price years, with the year's entrants and movers
    after the sorted rows of the firms. One per test module; the tests read it and put back what they change."""
    from model.scenario import load_scenario

    m = FlyingGeeseModel(load_scenario("scenarios/high-carbon.yaml"), seed=3, scale="small")
    for _ in range(10):
        m.step()
    st = m.firms.__dict__["_order"]
    assert st["offsets"] is not None and st["n"] < len(m.firms) and len(st["moved"])
    return m


def sorted_talent(n: int, weight: np.ndarray, seed: int = 0) -> Talent:
    """``n`` people in three regions, in cell order (region x skill), with the given weight column."""
    rng = np.random.default_rng(seed)
    t = Talent(uid=np.arange(n), region=rng.integers(0, 3, n).astype(np.int8), home=np.zeros(n, np.int8),
               skill=rng.integers(0, 2, n).astype(np.int8), age=rng.integers(20, 60, n).astype(np.int16),
               employed=rng.random(n) < 0.9, wage=rng.random(n), ability=np.ones(n),
               newcomer=np.zeros(n, bool), weight=weight)
    t.set_cells(3, 2)
    t.sort()
    return t


def talent_rows(n: int, w: float, start: int) -> dict:
    """The columns of ``n`` newcomers (region 0, skilled, aged 20, weight ``w``) with ids from ``start``: for append."""
    return dict(uid=np.arange(start, start + n), region=np.zeros(n, np.int8), home=np.zeros(n, np.int8),
                skill=np.ones(n, np.int8), age=np.full(n, 20, np.int16), employed=np.zeros(n, bool),
                wage=np.zeros(n), ability=np.ones(n), newcomer=np.ones(n, bool), weight=np.full(n, w))
