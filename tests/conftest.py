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
