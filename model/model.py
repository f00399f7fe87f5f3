"""The flying-geese model: a ``mesa.Model`` that owns the clock (one step = one year), the seeded rng,
the ordered mechanisms and the year's ledgers. Everything else lives in one place each:

- state shared between mechanisms: ``world.World`` (``model.world``); agents: ``model.firms``, ``model.talent``;
- each mechanism's equations, parameters, 2012 set-up (``init``) and yearly ``step``: ``mechanisms/<name>.py``;
- what is recorded: ``metrics.py`` (declarations), called by ``recorder.py``.

Order within a year t (state at the end of t-1 is known): ``YEAR`` below. The 2012 set-up runs
``SETUP`` in order and draws from the model Generator, so its order is part of the results; the yearly steps
draw from per-agent keyed streams (``streams.py``: common random numbers across scenarios).
See ``model/ODD.md`` for the full description.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import mesa
import numpy as np

from . import SECTORS, SKILLS, YI, guards, metrics, streams
from .agents import _RowStore
from .errors import InputError
from .mechanisms import (capital, carbon, chains, demand, demography, digital, entry_exit, fiscal, geography,
                         housing, innovation, labour_market, land, location, migration, production)
from .parameters import check_keys, resolve_parameters
from .policy import policy_for_year
from .recorder import Recorder
from .regions import RegionData, load_region_data
from .scenario import FIRST_YEAR, SCALES, Scenario, scenario_from_dict
from .world import Sim, World

Step = Callable[[Sim], None]

# The 2012 set-up: each step needs what the ones before it set (see each ``init``'s docstring).
SETUP: tuple[Step, ...] = (
    geography.init,                   # market access 2012 and the market-potential reference
    land.init,                        # land-cost gradient, land prices, user cost
    location.init,                    # friction
    demography.init,                  # talent agents (draws: region, skill, age, home, ability); cohort array
    labour_market.init,               # pools, talent shares, 2012 wages
    production.init,                  # technology, firm agents (draws: cell, size, TFP), TFP backed out
    capital.init,                     # 2012 return and industry's draw on the pool
    innovation.init,                  # R&D performers (draw), spending scale, stocks, public R&D
    digital.init,                     # digital taste (draw)
    entry_exit.init,                  # firm ages (draw)
    demand.init,                      # sector demand, industry, services, GDP
    labour_market.init_employment,    # other sectors' labour share, employment, who works (draw)
    migration.init,                   # amenities of the 2012 spatial equilibrium
    housing.init,                     # housing price index 1 in 2012
    carbon.init,                      # firm and grid intensities, non-industrial CO2
    chains.init,                      # IO coefficients, 2012 supplier access, local procurement
    location.init_match,              # firm-region matches (draws; last, so the rest of 2012 is unchanged)
)
# One year, in order.
YEAR: tuple[Step, ...] = (
    demography.step,      # 1. deaths, ageing, births, retirement, young entrants and graduates
    migration.step,       # 2. talent reconsiders where to live; the year's pool is then fixed
    entry_exit.step,      # 3. exit: sustained losses or bad luck; capital stranded
    geography.step,       # 4a. market access from market potential (last year's GDP, this year's trade costs)
    land.step,            # 4b. industrial land prices and the user cost from capital after exits
    chains.step,          # 4c. supplier access and the chain factor from last year's value added
    location.step,        # 4. place factors; firms reconsider their region (flying geese)
    capital.step,         # 5. the national pool finances entrants, then incumbents
    innovation.step,      # 6. R&D and innovation
    digital.step,         # 7. digital adoption
    carbon.step,          # 8. the power mix, efficiency, electrification, abatement and its capital
    demand.step,          # 9. demand, services and public research grow
    production.step,      # 10. prices clear, firms hire (rationed) and produce; accounts
    labour_market.step,   # 11. who holds a job, wages for next year
    housing.step,         # 12. housing prices from this year's GDP, for next year's migration
    fiscal.step,          # 13. the levers' fiscal cost (issue 11)
)
LEDGER_KEYS = ("investment", "stranded", "entries", "exits", "reloc_in", "reloc_out", "capital_moved_in",
               "capital_moved_out", "talent_in_high", "talent_out_high", "talent_in", "talent_out",
               "talent_entries", "retirements", "policy_cost", "talent_in_young", "talent_out_young",
               "talent_deaths")


class FlyingGeeseModel(mesa.Model):
    """One replicate of one scenario.

    Args:
        scenario: a validated ``Scenario``, a mapping in the scenario-file schema, or None (no policy).
        params: extra parameter overrides by dotted name, applied after the scenario's own.
        seed: an int or ``numpy.random.SeedSequence``; the same seed gives the same bytes.
        scale: tiny | small | medium | full (default: the scenario's).
        n_firms, n_talent: explicit agent counts (override the scale preset).
        region_data: regional data (default: the packaged 2012 file).
        calibrated: apply ``calibration/params.yaml`` (True, as `geese run` does) or not (False); see
            ``parameters.resolve_parameters`` for the layering.
    """

    def __init__(self, scenario: Scenario | Mapping | None = None, *, params: Mapping[str, float] | None = None,
                 seed: int | np.random.SeedSequence = 0, scale: str | None = None, n_firms: int | None = None,
                 n_talent: int | None = None, region_data: RegionData | None = None, calibrated: bool = True):
        super().__init__(rng=np.random.default_rng(seed))
        self.stream_key = streams.root_key(seed)  # keyed per-agent draws of the yearly steps (streams.py)
        if scenario is None:
            scenario = {"name": "no-policy"}
        if not isinstance(scenario, Scenario):
            scenario = scenario_from_dict(dict(scenario), "<scenario>")
        self.config = scenario  # mesa reserves `self.scenario`
        self.data = region_data or load_region_data()
        self.regions = self.data.names
        self.params = resolve_parameters(scenario.params, params, calibrated)
        check_keys(self.params, self.regions)
        scale = scale or scenario.scale
        if scale not in SCALES:
            raise InputError("<model>", "scale", scale, f"one of {list(SCALES)}")
        nf, nt = SCALES[scale]
        self.n_firms0 = int(n_firms or nf)
        self.n_talent0 = int(n_talent or nt)
        if self.n_firms0 < 40 or self.n_talent0 < 100:
            raise InputError("<model>", "n_firms/n_talent", (self.n_firms0, self.n_talent0),
                             "at least 40 firm agents and 100 talent agents")
        self.first_year, self.last_year = scenario.years
        self.year = FIRST_YEAR
        self.policy = policy_for_year(self.config, FIRST_YEAR, self.regions)
        self.world = World()
        R, S = self.data.n, len(SECTORS)
        self.flows = {"firms": np.zeros((S, R, R)), "jobs": np.zeros((S, R, R)), "talent": np.zeros((len(SKILLS), R, R))}
        self.year_stats: dict[str, np.ndarray] = {}
        self.ledger: dict[str, object] = {}
        self._reset_year_stats()
        for init in SETUP:
            init(self)
            self._set_cells()
        # Sorted after the set-up (its draws are by row, as on main): sums by region and cell are then slice sums
        # (agents.py); each year's keep re-sorts, moves and entrants are corrections. The World's per-firm
        # arrays follow the rows.
        perm = self.firms.sort()
        if perm is not None:
            for name in ("rd_spend", "emissions_firm"):
                v = getattr(self.world, name)
                if len(v) == len(perm):
                    setattr(self.world, name, v[perm])
        self.talent.sort()
        self._snapshot = self._ledger_snapshot()
        self.recorder = Recorder(self.regions, FIRST_YEAR, self.last_year)
        self.recorder.record(self)

    def _set_cells(self) -> None:
        """The agent sets' cell grids (agents.py ``sort``): firms by (region, sector), talent by (region, skill)."""
        R = self.data.n
        if hasattr(self, "firms") and "_cells" not in self.firms.__dict__:
            self.firms.set_cells(R, len(SECTORS))
        if hasattr(self, "talent") and "_cells" not in self.talent.__dict__:
            self.talent.set_cells(R, len(SKILLS))

    def _reset_year_stats(self) -> None:
        R = self.data.n
        self.year_stats = {key: np.zeros(R) for key in LEDGER_KEYS}
        for flow in self.flows.values():
            flow[:] = 0

    # ------------------------------------------------------------------ one year
    def step(self) -> None:
        before = self._snapshot
        self.start_year()
        for mechanism_step in YEAR:
            mechanism_step(self)
        self._check_ledgers(before)
        self.recorder.record(self)
        guards.check_year(self)  # agent growth and finite metrics (issue 12)

    def start_year(self) -> None:
        """Advance the clock: next year's policy and an empty ledger (before the mechanisms run)."""
        self.year += 1
        self._reset_year_stats()
        self.policy = policy_for_year(self.config, self.year, self.regions)

    def run(self) -> Recorder:
        """Run from 2012 to the scenario's last year; returns the recorder."""
        self.run_for(self.last_year - self.year)
        return self.recorder

    # ------------------------------------------------------------------ invariants
    def _ledger_snapshot(self) -> dict[str, np.ndarray]:
        f, t = self.firms, self.talent
        R = self.data.n
        return {
            "talent": t.sum_by_region(t.weight),
            "firms": f.weight_by_region(R),  # cached: the recorder's firm count is the same sum
            # productive and abatement capital (carbon.py) form one ledger
            "capital": f.sum_by_region(f.weighted(f.capital + f.abatement_capital, fresh=True)) / YI,
        }

    def _check_ledgers(self, before: dict[str, np.ndarray]) -> None:
        """Talent, firm and capital ledgers must balance by region every year; no NaN or inf."""
        after = self._ledger_snapshot()
        self._snapshot = after
        ys = self.year_stats
        delta = self.params["capital.depreciation"]
        expect = {
            "talent": before["talent"] + ys["talent_entries"] - ys["retirements"] + ys["talent_in"] - ys["talent_out"],
            "firms": before["firms"] + ys["entries"] - ys["exits"] + ys["reloc_in"] - ys["reloc_out"],
            "capital": (before["capital"] * (1 - delta) + ys["investment"] - ys["stranded"]
                        + ys["capital_moved_in"] - ys["capital_moved_out"]),
        }
        self.ledger = {"year": self.year, "before": before, "after": after, "expected": expect}
        for name in expect:
            if not np.allclose(after[name], expect[name], rtol=1e-9, atol=1e-6 * max(1.0, after[name].max())):
                raise RuntimeError(f"{name} ledger does not balance in {self.year}: {after[name]} != {expect[name]}")
        # Columns a finite sum over every row proves finite: a NaN or an inf in x makes w x x, x + y and any sum of
        # them NaN or inf. The capital ledger sums weight x (capital + abatement capital); the recorder's industrial
        # VA and wage bill (formed here, cached on the agents, used by the recorder next) sum weight x value added
        # and weight x employed x wage. One read of those columns less.
        proven = set()
        if np.isfinite(after["capital"]).all():
            proven |= {("firms", "capital"), ("firms", "abatement_capital")}
        if np.isfinite(metrics.value_added_by_region(self.firms)).all():
            proven.add(("firms", "value_added"))
        if np.isfinite(metrics.wage_bill_by_region(self.talent)).all():
            proven.add(("talent", "wage"))
        for name, arr in (("firms", self.firms), ("talent", self.talent)):
            for col, v in dict.items(arr.data):  # read only: keeps the agents' cached index copies (agents.py)
                if isinstance(v, _RowStore):  # its older rows cannot have changed since they were checked
                    # the store's rows added since then are contiguous and hold the current ones among them: all
                    # finite (the usual case) proves those; else only the current ones decide (as before)
                    new = v.store[v.checked:v.n]
                    unchecked, v.checked = (new[:0] if _all_finite(new) else v.unchecked()), v.n
                elif v.dtype.kind == "f":  # only the rows not known finite (agents.py ``verified``)
                    unchecked = v[len(v) if (name, col) in proven else arr.verified(col, v):]
                else:
                    continue
                if unchecked.dtype.kind == "f" and not _all_finite(unchecked):
                    raise RuntimeError(f"{name}.{col} has NaN or inf in {self.year}")
                if not isinstance(v, _RowStore):
                    arr.set_verified(col, v)


def _all_finite(v: np.ndarray) -> bool:
    """``np.all(np.isfinite(v))`` with one read-only pass in the usual case: a NaN or an inf makes the sum NaN or
    inf, so a finite sum means every value is finite; otherwise (that, or finite values whose sum overflows)
    the exact check decides. About 20 % less time than forming the boolean array for every column."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(v, axis=None)):
            return True
    return bool(np.all(np.isfinite(v)))
