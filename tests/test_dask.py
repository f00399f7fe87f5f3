"""Replicates sent to a Dask cluster equal the local ones, value for value."""

from __future__ import annotations

import numpy as np
import pytest

from model.runner import run_scenario
from model.scenario import load_scenario

SCENARIO = "name: dask-tiny\nbase: baseline\nscale: tiny\nseeds: 2\nyears: [2012, 2016]\n"


@pytest.fixture
def cluster():
    from distributed import LocalCluster

    c = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "dask-tiny.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return load_scenario(path)


def test_dask_equals_local(cluster, scenario):
    remote = run_scenario(scenario, seeds=2, scale="tiny", scheduler=cluster.scheduler_address)
    local = run_scenario(scenario, seeds=2, scale="tiny", workers=1)

    assert [r.index for r in remote.replicates] == [0, 1] == [r.index for r in local.replicates]
    assert remote.years == local.years == list(range(2012, 2017))
    assert remote.regions == local.regions and remote.metrics == local.metrics
    assert remote.params == local.params
    for r, lo in zip(remote.replicates, local.replicates, strict=True):
        assert r.values.shape == lo.values.shape == (5, len(local.regions) + 1, len(local.metrics))
        # gdp_growth has no value in the first year (NaN), so NaNs must sit in the same places
        np.testing.assert_array_equal(np.isnan(r.values), np.isnan(lo.values))
        assert np.array_equal(r.values, lo.values, equal_nan=True)
        assert np.isfinite(lo.values).sum() > 0.9 * lo.values.size
        assert set(r.flows) == set(lo.flows) == {"firms", "jobs", "talent"}
        for name in lo.flows:
            assert np.array_equal(r.flows[name], lo.flows[name], equal_nan=True), name


def test_dask_replicates_are_distinct(cluster, scenario):
    """Guard: the seeds really differ, so equality above is not trivial."""
    remote = run_scenario(scenario, seeds=2, scale="tiny", scheduler=cluster.scheduler_address)
    a, b = (r.values for r in remote.replicates)
    assert not np.array_equal(a, b, equal_nan=True)
