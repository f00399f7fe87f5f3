"""Array-backed agent sets: one row per agent, one numpy column per attribute.

Each row is one agent making its own stochastic decisions; mechanisms act on whole columns at once,
so a step never loops in Python over agents. ``weight`` says how many real firms or people a row
stands for, which makes scale a setting.
"""

from __future__ import annotations

import numpy as np


class ArrayAgentSet:
    """A table of agents with fixed columns; rows are added by ``append`` and removed by ``keep``."""

    columns: dict[str, np.dtype] = {}

    def __init__(self, **cols: np.ndarray):
        missing = set(self.columns) - set(cols)
        extra = set(cols) - set(self.columns)
        if missing or extra:
            raise ValueError(f"{type(self).__name__}: missing {sorted(missing)}, unexpected {sorted(extra)}")
        n = {len(v) for v in cols.values()}
        if len(n) != 1:
            raise ValueError(f"{type(self).__name__}: columns differ in length {sorted(n)}")
        self.data = {k: np.ascontiguousarray(cols[k], dtype=dt) for k, dt in self.columns.items()}
        self._next_id = int(self.data["uid"].max()) + 1 if len(self.data["uid"]) else 0

    def __len__(self) -> int:
        return len(self.data["uid"])

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["data"][name]
        except KeyError:
            raise AttributeError(name) from None

    def new_ids(self, n: int) -> np.ndarray:
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        self._next_id += n
        return ids

    def keep(self, mask: np.ndarray) -> None:
        """Drop every row where ``mask`` is False."""
        self.data = {k: v[mask] for k, v in self.data.items()}

    def append(self, **cols: np.ndarray) -> None:
        n = len(cols["uid"])
        if set(cols) != set(self.columns):
            raise ValueError(f"append needs exactly the columns {sorted(self.columns)}")
        if any(len(v) != n for v in cols.values()):
            raise ValueError("append: columns differ in length")
        self.data = {k: np.concatenate([v, np.asarray(cols[k], dtype=v.dtype)]) for k, v in self.data.items()}


class Firms(ArrayAgentSet):
    """Above-size industrial firms. Money in million yuan (real 2012) per real firm; labour in persons."""

    columns = {
        "uid": np.dtype(np.int64),
        "region": np.dtype(np.int8),
        "sector": np.dtype(np.int8),
        "tfp": np.dtype(np.float64),             # own productivity (moves with the firm)
        "tfp_shock": np.dtype(np.float64),       # transitory part of ln tfp (AR(1), innovation.py)
        "tfp_premium": np.dtype(np.float64),     # permanent part of ln tfp: the 2012 Pareto-tail premium (production.py)
        "capital": np.dtype(np.float64),         # million yuan
        "labour_high": np.dtype(np.float64),     # persons
        "labour_general": np.dtype(np.float64),  # persons
        "direct_intensity": np.dtype(np.float64),  # kt CO2 per million yuan VA, own fuel and process
        "power_use": np.dtype(np.float64),       # relative electricity use (x regional grid intensity)
        "abatement": np.dtype(np.float64),       # share of direct CO2 abated (carbon.py, MAC curve)
        "abatement_capital": np.dtype(np.float64),  # million yuan, in the capital ledger
        "carbon_charge": np.dtype(np.float64),   # million yuan last year: carbon charge + abatement cost
        "digital": np.dtype(np.bool_),
        "digital_affinity": np.dtype(np.float64),  # persistent log-taste for going digital
        "rd_active": np.dtype(np.bool_),
        "rd_stock": np.dtype(np.float64),        # million yuan
        "age": np.dtype(np.int16),               # years
        "value_added": np.dtype(np.float64),     # million yuan, last year
        "profit": np.dtype(np.float64),          # million yuan, last year (operating)
        "intangible": np.dtype(np.float64),      # million yuan, this year: own R&D + digital adoption spending
        "loss_years": np.dtype(np.int16),        # consecutive years with a loss
        "wedge": np.dtype(np.float64),           # log revenue wedge ln lambda (Hsieh-Klenow), persistent
        "quality": np.dtype(np.float64),         # log demand shifter ln phi (AR(1) idiosyncratic demand)
        "weight": np.dtype(np.float64),          # real firms per agent
        "location_match": np.dtype(np.float64),  # [firm, region] persistent match with each region (location.py)
    }


class Talent(ArrayAgentSet):
    """Working-age people (20 to retirement). Skill 0 = high (tertiary), 1 = general."""

    columns = {
        "uid": np.dtype(np.int64),
        "region": np.dtype(np.int8),
        "home": np.dtype(np.int8),       # region of origin: attachment and return migration
        "skill": np.dtype(np.int8),
        "age": np.dtype(np.int16),
        "employed": np.dtype(np.bool_),
        "wage": np.dtype(np.float64),    # yuan per year, 0 when unemployed
        "ability": np.dtype(np.float64), # individual earnings multiplier
        "newcomer": np.dtype(np.bool_),  # entered the workforce this year: chooses a region for sure
        "weight": np.dtype(np.float64),  # people per agent
    }
