"""Run-time guards the model calls once a year, after the ledgers are checked and the year is recorded.

* Agent growth: a parameter set that grows the firm or talent agents beyond ``GROWTH_LIMIT`` times their
  2012 count is rejected with a one-line ``InputError`` naming the parameter that drives the growth
  (memory stays bounded: the run stops before it can exhaust it).
* Finiteness: no recorded metric may be infinite, and NaN only in a statistic declared ``may_be_undefined``
  in ``metrics.py`` (the firm-panel stylised facts, where their sample is empty) or in ``gdp_growth`` in 2012;
  those cells are the only ones left out of ``timeseries.csv``. Anything else is an ``InvariantError``.

``quiet_numerics()`` silences numpy's floating-point warnings during a run: values that matter are
checked here instead, so no RuntimeWarning reaches the user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError, InvariantError
from .metrics import MAY_BE_UNDEFINED

if TYPE_CHECKING:
    from .model import FlyingGeeseModel

GROWTH_LIMIT = 20.0  # agents may grow to at most this multiple of their 2012 count
UNDEFINED_IN_FIRST_YEAR = ("gdp_growth",)  # no previous year in 2012
FIRST_YEAR = 2012


def quiet_numerics():
    """A context in which numpy floating-point warnings are not emitted (the guards check results)."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore")


def check_year(model: FlyingGeeseModel) -> None:
    """All yearly guards; called at the end of ``FlyingGeeseModel.step``."""
    check_growth(model)
    check_metrics_finite(model.recorder.values, model.recorder.years, model.recorder.metrics,
                         model.recorder.regions, upto=model.year)


def check_growth(model: FlyingGeeseModel) -> None:
    for label, agents, n0, params in (
        ("firm", model.firms, model.n_firms0, ("entry_exit.entry_rate", "entry_exit.exit_hazard")),
        ("talent", model.talent, model.n_talent0, ("talent.graduate_growth", "demography.fertility_multiplier")),
    ):
        ratio = len(agents) / max(n0, 1)
        if ratio > GROWTH_LIMIT:
            name = params[0]
            raise InputError("<parameters>", name, model.params[name],
                             f"with this parameter set the {label} agents grow to {ratio:.0f}x their 2012 count "
                             f"by {model.year} (the limit is {GROWTH_LIMIT:g}x); lower {name}"
                             + (f" or raise {params[1]}" if label == "firm" else f" or {params[1]}"))


def check_metrics_finite(values: np.ndarray, years: list[int], metrics: list[str], regions: tuple[str, ...],
                         upto: int | None = None) -> None:
    """Raise InvariantError at the first value that breaks the contract (all years, or only ``upto``).

    Infinity is never allowed. NaN is allowed only where a statistic is undefined by construction:
    ``gdp_growth`` in 2012, and the non-core metrics (for instance the stylised facts, defined nationally
    or only for enough firms); every core metric must be finite.
    """
    lo = 0 if upto is None else years.index(upto)
    hi = len(years) if upto is None else lo + 1
    block = values[lo:hi]
    undefined_ok = np.array([m in MAY_BE_UNDEFINED for m in metrics], dtype=bool)
    bad = np.isinf(block) | (np.isnan(block) & ~undefined_ok[None, None, :])
    if years[lo] == FIRST_YEAR:
        for m in UNDEFINED_IN_FIRST_YEAR:
            bad[0, :, metrics.index(m)] &= ~np.isnan(block[0, :, metrics.index(m)])
    if bad.any():
        y, r, m = (int(i[0]) for i in np.nonzero(bad))
        years = years[lo:hi]
        where = list(regions) + ["national"]
        raise InvariantError(f"model invariant failed: metric {metrics[m]} ({where[r]}) is {block[y, r, m]} "
                             f"in {years[y]}; this is a bug or an unsupported parameter combination, "
                             "please report it with the scenario file")
