import numpy as np
import pytest

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
