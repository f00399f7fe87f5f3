"""Property test (Hypothesis): random valid scenarios at scale tiny keep every ledger and stay finite.

A scenario draws levers (regions, shares, windows inside its years), a carbon price path, demand
shocks, and overrides of documented parameters anywhere inside their documented ranges. The model
checks its talent, firm and capital ledgers every year (and the guards check finiteness and agent
growth); this test also checks every agent column and every recorded metric at the end. A parameter
combination that the model refuses is allowed only as a one-line ``InputError`` (for instance, the
agent-growth guard); anything else fails. Bounded for CI: short horizons, derandomized examples;
``GEESE_HYPOTHESIS_SCALE`` and ``GEESE_HYPOTHESIS_RANDOM=1`` explore further.
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from model import SECTORS
from model.errors import InputError
from model.guards import check_metrics_finite, quiet_numerics
from model.model import FlyingGeeseModel
from model.parameters import default_specs
from model.regions import load_region_data
from model.scenario import scenario_from_dict

SCALE = float(os.environ.get("GEESE_HYPOTHESIS_SCALE", "1"))
RANDOM = os.environ.get("GEESE_HYPOTHESIS_RANDOM") == "1"
REGIONS = load_region_data().names
# Parameters whose components must sum to one are left at their defaults (the schema checks the sum).
FIXED = ("demand.sector_share_2012", "demand.industrial_va_share_2012", "talent.graduate_share")


def _flat_ranges() -> dict[str, tuple[float, float]]:
    out = {}
    for name, spec in default_specs().items():
        if name.startswith(FIXED):
            continue
        keys = spec.value.keys() if isinstance(spec.value, dict) else [None]
        for k in keys:
            out[name if k is None else f"{name}.{k}"] = spec.range
    return out


RANGES = _flat_ranges()
share = st.floats(0.0, 1.0)


@st.composite
def scenarios(draw):
    last = draw(st.integers(2014, 2035))
    years = [2012, last]

    def window():
        a = draw(st.integers(2012, last))
        return {"from": a, **({"to": draw(st.integers(a, 2035))} if draw(st.booleans()) else {})}

    levers = {}
    if draw(st.booleans()):
        levers["talent_incentive"] = [{"region": draw(st.sampled_from(REGIONS)),
                                       "skill": draw(st.sampled_from(["high", "general", "all"])),
                                       "wage_topup": draw(share), "moving_cost_cut": draw(share), **window()}
                                      for _ in range(draw(st.integers(1, 2)))]
    if draw(st.booleans()):
        levers["digitalization"] = [{"region": draw(st.sampled_from(REGIONS)), "adoption_subsidy": draw(share),
                                     "infrastructure": draw(st.floats(0.0, 2.0)), **window()}]
    if draw(st.booleans()):
        levers["rd_support"] = [{"region": draw(st.sampled_from(REGIONS)), "subsidy": draw(share),
                                 "tech_transfer": draw(share), **window()}]
    if draw(st.booleans()):
        levers["relocation_subsidy"] = [{"region": draw(st.sampled_from(REGIONS)), "subsidy": draw(share),
                                         "sectors": draw(st.lists(st.sampled_from(SECTORS), min_size=1, max_size=4,
                                                                  unique=True)), **window()}]
    if draw(st.booleans()):
        levers["business_environment"] = [{"region": draw(st.sampled_from(REGIONS)), "friction_cut": draw(share),
                                           **window()}]
    if draw(st.booleans()):
        path = draw(st.dictionaries(st.integers(2012, 2035), st.floats(0.0, 5000.0), min_size=1, max_size=3))
        levers["carbon_price"] = {"path": path, "free_allocation": draw(share),
                                  "sectors": draw(st.lists(st.sampled_from(SECTORS), min_size=1, max_size=4,
                                                           unique=True))}
    shocks = [{"kind": "demand", "sector": draw(st.sampled_from(SECTORS)), "size": draw(st.floats(-0.9, 1.0)),
               "year": draw(st.integers(2013, last))} for _ in range(draw(st.integers(0, 2)))]
    names = draw(st.lists(st.sampled_from(sorted(RANGES)), max_size=4, unique=True))
    params = {}
    for n in names:
        lo, hi = RANGES[n]
        v = draw(st.one_of(st.just(lo), st.just(hi), st.floats(lo, hi)))
        params[n] = float(v)
    return {"name": "prop", "scale": "tiny", "years": years, "levers": levers, "shocks": shocks, "params": params}


@settings(max_examples=max(1, int(30 * SCALE)), deadline=None, derandomize=not RANDOM, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(doc=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_valid_scenarios_keep_ledgers_and_stay_finite(doc, seed):
    sc = scenario_from_dict(doc, "<hypothesis>")  # valid by construction: this must not raise
    try:
        with quiet_numerics():
            m = FlyingGeeseModel(sc, seed=seed)  # scale tiny
            rec = m.run()  # ledgers checked every year inside step()
    except InputError as exc:  # a combination the model refuses, in one line
        assert "\n" not in exc.one_line()
        event(f"refused: {exc.key}")
        return
    event("ran")
    assert rec.years == list(range(2012, doc["years"][1] + 1))
    check_metrics_finite(rec.values, rec.years, rec.metrics, rec.regions)
    for label, agents in (("firms", m.firms), ("talent", m.talent)):
        for col, v in agents.data.items():
            v = v[: len(agents)]
            if v.dtype.kind == "f":
                assert np.isfinite(v).all(), f"{label}.{col}"
    assert m.ledger["year"] == doc["years"][1]
    for name in ("talent", "firms", "capital"):
        np.testing.assert_allclose(m.ledger["after"][name], m.ledger["expected"][name], rtol=1e-9,
                                   atol=1e-6 * max(1.0, float(np.max(m.ledger["after"][name]))))
