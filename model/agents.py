"""Array-backed agent sets: one row per agent, one numpy column per attribute.

Each row is one agent making its own stochastic decisions; mechanisms act on whole columns at once,
so a step never loops in Python over agents. ``weight`` says how many real firms or people a row
stands for, which makes scale a setting.
"""

from __future__ import annotations

import sys
import weakref

import numpy as np

from .numeric import lookup, uniform_value  # lookup: gathers by the read-only index columns


class _RowStore:
    """A 2-D column held as ``store[rows]`` (``stored_columns``): ``keep`` only narrows ``rows`` and ``append``
    writes the new rows after the used part of ``store``, so the wide [firm, region] location match (31 x 8
    bytes a row, ~140 MB at full scale) is not copied every year. Rows ``store[:n]`` never change while the
    store exists (a write needs the column through ``data``, which first turns it back into an array), so
    the yearly finite check only reads rows added since the last check (``checked``)."""

    __slots__ = ("store", "n", "rows", "checked")

    def __init__(self, store: np.ndarray, n: int, rows: np.ndarray, checked: int):
        self.store, self.n, self.rows, self.checked = store, n, rows, checked

    def array(self) -> np.ndarray:
        """The column as a new array (same values, rows in order)."""
        return self.store.take(self.rows, axis=0)

    def unchecked(self) -> np.ndarray:
        """The current rows added since the last finite check (``checked`` is then advanced by the caller)."""
        fresh = self.rows[self.rows >= self.checked]
        return self.store.take(fresh, axis=0)


_COL_REFS, _BUF_REFS = 4, 6  # references to an unused old column and to its buffer in ``_take_rows``
# Those counts were measured on CPython 3.12; on any other interpreter buffers are never reused (always safe,
# ~3 % slower at full scale) until the counts are measured there again.
_REUSE_BUFFERS = sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 12)


def _plain(v):
    return v.array() if isinstance(v, _RowStore) else v


class _Columns(dict):
    """The column dict of an agent set. Reaching a column through it (``agents.data["region"]``, which
    may write to it in place) drops that column's cached index copy (``ArrayAgentSet.__getattr__``)."""

    __slots__ = ("_index", "_memo", "_order", "_finite", "_const")

    def __init__(self, cols: dict, index: dict, memo: dict, order: dict, finite: dict, const: dict):
        super().__init__(cols)
        self._index = index
        self._memo = memo
        self._order = order  # {"keys": the sort-key columns, "offsets": cell boundaries or None}
        self._finite = finite  # {column: (weak reference to the array, rows known finite)} (``verified``)
        self._const = const  # {column: (weak reference to the array, its one value)} (``constant``)

    def _drop(self, key):
        self._index.pop(key, None)
        self._finite.pop(key, None)
        self._const.pop(key, None)
        if key in self._order["keys"]:  # a key column may be written: the rows may no longer be sorted
            self._order.update(offsets=None, moved=None, moved_cell=None)
        if self._memo:
            for name in [n for n, (deps, _) in self._memo.items() if key in deps]:
                del self._memo[name]

    def __getitem__(self, key):
        self._drop(key)
        v = dict.__getitem__(self, key)
        if isinstance(v, _RowStore):  # the caller may write to it: a plain array from now on
            v = v.array()
            dict.__setitem__(self, key, v)
        return v

    def _materialize(self):
        for k, v in dict.items(self):
            if isinstance(v, _RowStore):
                dict.__setitem__(self, k, v.array())

    def __setitem__(self, key, value):
        self._drop(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key):
        self._drop(key)
        dict.__delitem__(self, key)

    def _drop_all(self):
        self._index.clear()
        self._finite.clear()
        self._const.clear()
        self._memo.clear()
        self._order.update(offsets=None, moved=None, moved_cell=None)

    def items(self):
        self._drop_all()
        self._materialize()
        return dict.items(self)

    def values(self):
        self._drop_all()
        self._materialize()
        return dict.values(self)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def pop(self, *args):
        self._drop_all()
        self._materialize()
        return dict.pop(self, *args)

    def update(self, *args, **kw):
        self._drop_all()
        dict.update(self, *args, **kw)

    def setdefault(self, *args):
        self._drop_all()
        self._materialize()
        return dict.setdefault(self, *args)

    def popitem(self):
        self._drop_all()
        self._materialize()
        return dict.popitem(self)

    def clear(self):
        self._drop_all()
        dict.clear(self)

    def __ior__(self, other):
        self._drop_all()
        return dict.__ior__(self, other)

    def __reduce__(self):  # pickles as a plain dict (the cache is rebuilt on use)
        return (dict, (dict(self.items()),))


class ArrayAgentSet:
    """A table of agents with fixed columns; rows are added by ``append`` and removed by ``keep``.

    Reading an index column (``index_columns``: ``firms.region``, ``talent.age``, int8/int16 in ``data``)
    as an attribute gives a read-only ``intp`` copy with the same values, cached until the column is next
    reached through ``data`` or the rows change: numpy converts narrow index arrays to ``intp`` on every
    gather (``table[firms.region]``) and ``bincount``, which at full scale cost more than the gathers.
    Write to a column only through ``data`` (``firms.data["region"][i] = r``), as the mechanisms do; a
    write through the attribute raises (read-only).
    """

    columns: dict[str, np.dtype] = {}
    HEADROOM = 0.125  # spare rows after ``keep``, for the year's ``append`` (entrants are a few % a year)
    # narrow integer columns read as a cached intp copy: those the mechanisms use as indices every year
    index_columns: frozenset[str] = frozenset()
    # wide 2-D columns that are only read by row (``rows``), kept as a ``_RowStore`` between writes
    stored_columns: frozenset[str] = frozenset()
    # the columns of the cell key (``cell_key``): ``sort`` orders the rows by cell, then ``sum_by_cell`` and
    # ``sum_by_region`` are slice sums; any write to a key column (through ``data``) or ``append`` unsorts
    sort_keys: tuple[str, ...] = ()
    sort_in_keep = False  # ``keep`` puts the rows in cell order (needs ``set_cells``)

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

    @property
    def data(self) -> dict[str, np.ndarray]:
        return self.__dict__["_data"]

    @data.setter
    def data(self, cols: dict[str, np.ndarray]) -> None:
        index = self.__dict__.setdefault("_index", {})
        index.clear()
        memo = self.__dict__.setdefault("_memo", {})
        memo.clear()
        order = self.__dict__.setdefault("_order", {"keys": self.sort_keys})
        order.update(offsets=None, n=0, moved=None, moved_cell=None)  # new rows: order unknown
        finite = self.__dict__["_finite"] = {}
        const = self.__dict__["_const"] = {}
        self.__dict__["_data"] = _Columns(cols, index, memo, order, finite, const)

    # ------------------------------------------------------------------ known finite (the yearly ledger check)
    # A float column's rows that the finite check has seen and that cannot have changed since: nothing reached
    # the column through ``data`` (the way every write goes: it drops the record), and ``keep`` and ``append``
    # only copy such rows (a kept row of a checked column is a checked value; appended rows come after them).
    def verified(self, name: str, v: np.ndarray) -> int:
        """How many leading rows of column ``name`` (the array ``v``) are known finite (0 if none)."""
        rec = self.__dict__.get("_finite", {}).get(name)
        return rec[1] if rec is not None and rec[0]() is v else 0

    def _all_verified(self) -> list[str]:
        """The columns whose every row is known finite (their kept or earlier rows stay so: ``keep``, ``append``)."""
        return [name for name, v in dict.items(self.data)
                if isinstance(v, np.ndarray) and len(v) and self.verified(name, v) == len(v)]

    def set_verified(self, name: str, v: np.ndarray, n: int | None = None) -> None:
        """Record that the first ``n`` (default all) rows of column ``name`` (the array ``v``) are finite."""
        self.__dict__["_finite"][name] = (weakref.ref(v), len(v) if n is None else int(n))

    # ------------------------------------------------------------------ known constant (e.g. every agent's weight)
    # A column whose every row holds the same bits, recorded when ``keep`` finds it so (``numeric.uniform_value``) and carried
    # through ``append`` when the new rows hold those bits too; dropped, like the finite record, as soon as the
    # column is reached through ``data``. A product or sum with such a column can then use the one value: ``w * x``
    # for ``weight * x`` gives the same bits (IEEE multiplication commutes) and reads one array less.
    def constant(self, name: str) -> np.float64 | None:
        """The one value of column ``name`` if every row is known to hold its bits, else None."""
        rec = self.__dict__.get("_const", {}).get(name)
        if rec is None:
            return None
        v = dict.get(self.__dict__["_data"], name)
        return rec[1] if v is not None and rec[0]() is v else None

    def _set_constant(self, name: str, v: np.ndarray, value) -> None:
        """Record that every row of column ``name`` (the array ``v``) holds the scalar ``value``'s bits."""
        self.__dict__["_const"][name] = (weakref.ref(v), value)

    def weighted(self, x: np.ndarray, fresh: bool = False) -> np.ndarray:
        """``weight * x`` (float), for reading: with one weight for every agent (``constant``) that value times
        ``x``, the same bits without reading the weight column (``fresh``: ``x`` is the caller's temporary,
        multiplied in place); a weight of exactly 1.0 (the firms at full scale) returns float ``x`` itself, since
        1.0 x v is v for every double v (numpy never forms signalling NaNs)."""
        w = self.constant("weight")
        if w is None:
            return self.weight * x
        if w == 1.0 and x.dtype == np.float64:
            return x
        return np.multiply(x, w, out=x if fresh and x.dtype == np.float64 else None)

    def weight_sums(self, by) -> np.ndarray:
        """``by(weight)`` for a sum by group (``sum_by_region``, ``sum_by_cell``): the agent counts ``by()`` when
        every weight is exactly 1.0 (the firms at full scale), since a sum of 1.0s is its count exactly."""
        return by().astype(np.float64) if self.constant("weight") == 1.0 else by(self.weight)

    def weight_by_region_where(self, mask: np.ndarray) -> np.ndarray:
        """[region] sum of ``weight`` over the agents where the bool ``mask`` holds (``sum_by_region(weight x
        mask)``): with every weight exactly 1.0 their count by region blocks (``count_by_region``), the same numbers
        (a sum of 1.0s and 0.0s is exact in any order)."""
        mask = np.asarray(mask)
        if self.constant("weight") == 1.0 and mask.dtype == np.bool_:
            return self.count_by_region(mask).astype(np.float64)
        return self.sum_by_region(self.weighted(mask))

    def derived(self, name: str, columns: tuple[str, ...], compute) -> np.ndarray:
        """``compute(self)``, a per-agent array that depends on ``columns`` only, cached (read-only) until one
        of them is next reached through ``data`` (a write, in place or not) or the rows change. For values
        several mechanisms recompute from unchanged columns within a year."""
        memo = self.__dict__["_memo"]
        hit = memo.get(name)
        if hit is not None:
            return hit[1]
        v = compute(self)
        v.flags.writeable = False
        memo[name] = (frozenset(columns), v)
        return v

    # ------------------------------------------------------------------ kept sorted by cell
    # While ``offsets`` is known, rows [0, n) are sorted by ``cell_key`` as they were at the last ``keep``
    # (``offsets``: where each cell's block starts), except the rows ``moved`` to another cell since then
    # (``move``; ``moved_cell``: the cell of their block); rows [n, len) were appended since. A sum by cell is
    # then a slice sum over the blocks, corrected by small bincounts over the moved and the appended rows.
    def set_cells(self, n_regions: int, per_region: int = 1) -> None:
        """The cell grid: ``n_regions`` x ``per_region`` cells (``cell_key`` is in [0, n_regions * per_region))."""
        self.__dict__["_cells"] = (int(n_regions), int(per_region))

    def cell_key(self) -> np.ndarray:
        """[agent] flat cell index, region-major (``region * per_region + ...``)."""
        return getattr(self, self.sort_keys[0])

    @property
    def offsets(self) -> np.ndarray | None:
        """[cell + 1] where each cell's block of the sorted rows starts (and ends), or None when the order is
        unknown (a key column was written through ``data``: then every sum is a bincount)."""
        return self.__dict__["_order"]["offsets"]

    def _order_state(self) -> dict:
        return {k: v for k, v in self.__dict__["_order"].items() if k != "keys"}

    def sort(self) -> np.ndarray | None:
        """Order the rows by cell now (stable), if they are not exactly so. The model does this once after
        set-up; ``keep`` re-sorts every year (for the same cost: it copies every column anyway)."""
        st = self.__dict__["_order"]
        if st["offsets"] is None or st["n"] != len(self) or (st["moved"] is not None and len(st["moved"])):
            return self._keep_sorted(np.arange(len(self)))  # the old row of each new row
        return None

    def _keep_sorted(self, idx: np.ndarray) -> np.ndarray:
        """``_take_rows`` of the rows ``idx``, put in cell order (stable)."""
        R, k = self.__dict__["_cells"]
        # the cell key of the kept rows from the narrow key columns (numpy radix-sorts 16-bit integers)
        cols = [dict.__getitem__(self.__dict__["_data"], c).take(idx) for c in self.sort_keys]
        # up to 256 cells (firms 31 x 4, talent 31 x 2) the key fits one byte: numpy's stable argsort is then a
        # one-pass radix sort (two passes for 16 bits), the same permutation (a stable sort by the same keys)
        wide = np.uint8 if R * k <= 2**8 else np.int16 if R * k < 2**15 else np.int64
        if wide is np.uint8:  # each part in range first (a negative one would wrap in the cast)
            self._check_key_parts(cols)
        key = cols[0].astype(wide)
        if len(cols) > 1:
            key *= k
            np.add(key, cols[1], out=key, casting="unsafe")  # int8 into uint8: in range (checked above)
        if len(key) and (key.min() < 0 or key.max() >= R * k):
            raise ValueError(f"{type(self).__name__}: cell index outside [0, {R * k})")
        if len(key) > 1 and not np.all(key[1:] >= key[:-1]):
            order = np.argsort(key, kind="stable")
            idx = idx.take(order)
            key = key.take(order)
        # the cell boundaries in the key's own dtype: an int64 needle would make searchsorted cast the whole key
        bounds = np.arange(R * k + 1, dtype=key.dtype if R * k + 1 < np.iinfo(key.dtype).max else np.int64)
        offsets = np.searchsorted(key, bounds).astype(np.intp)
        self._take_sorted(idx, offsets)
        return idx

    def _take_sorted(self, idx: np.ndarray, offsets: np.ndarray) -> None:
        """``_take_rows(idx)`` for rows ``idx`` in cell order whose cell blocks start at ``offsets``, and that order
        recorded. The key columns of the sorted rows are each cell's parts repeated over its block: np.repeat
        writes them without reading an index per row (the same values as the take)."""
        R, k = self.__dict__["_cells"]
        counts = np.diff(offsets)
        cell = np.arange(R * k)
        parts = (cell // k, cell % k) if len(self.sort_keys) > 1 else (cell,)
        self._take_rows(idx, fill={c: np.repeat(p.astype(self.columns[c]), counts)
                                   for c, p in zip(self.sort_keys, parts)})
        self.__dict__["_order"].update(offsets=offsets, n=len(idx), moved=None, moved_cell=None)

    def _check_key_parts(self, parts: list[np.ndarray]) -> None:
        """Each part of the cell key (region, and the second key if any) in its range, else ValueError (a part out
        of range would give another cell, or wrap in a narrow cast)."""
        R, k = self.__dict__["_cells"]
        for c, top in zip(parts, (R, k) if len(parts) > 1 else (R * k,)):
            if len(c) and (c.min() < 0 or c.max() >= top):
                raise ValueError(f"{type(self).__name__}: cell index outside [0, {R * k})")

    def move(self, rows: np.ndarray, **cols) -> None:
        """``column[rows] = value`` for each ``column=value`` (e.g. ``region=dest``), keeping track of the
        moved rows so that the sums by cell stay slice sums (writing through ``data`` would drop the order)."""
        rows = np.asarray(rows, dtype=np.intp)
        st = self.__dict__["_order"]
        saved = None
        if st["offsets"] is not None:
            saved = self._order_state()
            r = rows[rows < st["n"]]  # appended rows are summed by bincount anyway
            if saved["moved"] is not None and len(saved["moved"]):
                r = r[~np.isin(r, saved["moved"])]  # moved before: its block is known
                saved["moved"] = np.concatenate([saved["moved"], r])
                saved["moved_cell"] = np.concatenate([saved["moved_cell"], self._cell_of_rows(r)])
            else:  # their cells from the stored key columns: the cell key of every row is not formed for them
                saved["moved"], saved["moved_cell"] = r, self._cell_of_rows(r)
        for name, value in cols.items():
            self.data[name][rows] = value  # drops the cached copies (and the order, restored below)
        if saved is not None:
            st.update(saved)

    @staticmethod
    def _slice_sums(x, off: np.ndarray) -> np.ndarray:
        out = np.zeros(len(off) - 1)
        starts = off[:-1]
        full = starts < off[1:]
        if full.all():
            return np.add.reduceat(x, starts)
        if full.any():  # reduceat needs the empty cells left out (it would give their first element)
            out[full] = np.add.reduceat(x, starts[full])
        return out

    def _sum(self, x, off: np.ndarray, key: np.ndarray, moved_key, m: int) -> np.ndarray:
        st = self.__dict__["_order"]
        n = st["n"]
        if x is None:
            out = np.diff(off)
        else:
            x = np.asarray(x, dtype=np.float64)
            out = self._slice_sums(x[:n], off) if n else np.zeros(m)
        mv = st["moved"]
        if mv is not None and len(mv):
            xm = None if x is None else x.take(mv)
            if xm is None or np.isfinite(xm).all():  # take the moved rows out of their old block's sum
                out = out - np.bincount(moved_key, weights=xm, minlength=m)
            else:  # -inf - -inf would be NaN: sum the blocks again without them
                xz = x[:n].copy()
                xz[mv] = 0.0
                out = self._slice_sums(xz, off)
            out = out + np.bincount(key.take(mv), weights=xm, minlength=m)
        if n < len(key):
            out = out + np.bincount(key[n:], weights=None if x is None else x[n:], minlength=m)
        return out

    def count_by_region(self, mask: np.ndarray) -> np.ndarray:
        """[region] number of agents where the bool ``mask`` is True (int64): while the rows are in cell order, a
        count per region block corrected by the moved and the appended rows (no float pass over every agent)."""
        mask = np.asarray(mask, dtype=bool)
        st = self.__dict__["_order"]
        if "_cells" not in self.__dict__:  # no cell grid: as many regions as the largest index says
            return np.bincount(self.region.compress(mask))
        R, k = self.__dict__["_cells"]
        if st["offsets"] is None:
            return np.bincount(self.region.compress(mask), minlength=R)
        off, n = st["offsets"][::k], st["n"]
        out = np.array([np.count_nonzero(mask[off[r]:off[r + 1]]) for r in range(R)], dtype=np.int64)  # regions
        region = dict.__getitem__(self.__dict__["_data"], "region")  # stored: only a few rows are read
        mv = st["moved"]
        if mv is not None and len(mv):
            on = mask.take(mv)
            out -= np.bincount((st["moved_cell"] // k)[on], minlength=R)
            out += np.bincount(region.take(mv)[on], minlength=R)
        if n < len(self):
            out += np.bincount(region[n:].compress(mask[n:]), minlength=R)
        return out

    def _cell_index(self, S: int) -> np.ndarray:
        """``region * S + second key`` (int64; ``sort_keys``: firms' sector, talent's skill). While the rows are in cell
        order the sorted ones are each block's cell repeated (np.repeat: no arithmetic over every agent), then the
        appended and the moved rows' own, from the stored narrow columns (no intp copy of every row)."""
        data = self.__dict__["_data"]
        region, second = (dict.__getitem__(data, c) for c in self.sort_keys)
        cells = self.__dict__.get("_cells")
        st = self.__dict__["_order"]
        if cells is None or cells[1] != S or st["offsets"] is None:
            return region.astype(np.int64) * S + second
        return self._spread(np.arange(cells[0] * S, dtype=np.int64), np.diff(st["offsets"]),
                            lambda rows: region[rows].astype(np.int64) * S + second[rows])

    def gather_cell(self, table: np.ndarray) -> np.ndarray:
        """``table.take(cell_key())`` for a [cell] table: each agent's cell entry (a new array, the same values; a
        gather only copies them). While the rows are in cell order each cell's block is its entry repeated:
        ``np.repeat`` by the block lengths writes the values without reading an index per agent (about half the
        time of ``take``); the moved and the appended rows are then written from their own cells."""
        return self._gather(table, False)

    def gather_region(self, table: np.ndarray) -> np.ndarray:
        """``table.take(region)`` for a [region] table (``gather_cell``)."""
        return self._gather(table, True)

    def _gather(self, table: np.ndarray, by_region: bool) -> np.ndarray:
        key = self.region if by_region else self.cell_key()
        table = np.asarray(table)
        cells = self.__dict__.get("_cells")
        st = self.__dict__["_order"]
        off = st["offsets"] if cells is not None else None
        if off is None or table.ndim != 1 or len(table) != (cells[0] if by_region else cells[0] * cells[1]):
            return lookup(table, key)  # the order is unknown (or not a flat per-cell table)
        k = cells[1]
        return self._spread(table, np.diff(off[::k] if by_region else off), lambda rows: lookup(table, key[rows]))

    def gather_cell_by(self, table: np.ndarray, name: str) -> np.ndarray:
        """``table[cell_key(), column]`` for a [cell, value] table and the index column ``name`` (e.g. talent's
        [region x skill, age] table by age): each agent's entry (a new array, the same values; a gather only copies
        them). While the rows are in cell order each cell's block gathers from its own row of the table by the
        column, without forming cell x width + column for every agent; the appended and the moved rows then
        gather by their own cell."""
        table = np.asarray(table)
        col = getattr(self, name)
        cells = self.__dict__.get("_cells")
        st = self.__dict__["_order"]
        off = st["offsets"] if cells is not None else None
        if off is None or table.ndim != 2 or table.shape[0] != cells[0] * cells[1]:
            return table[self.cell_key(), col]
        n = st["n"]
        out = np.empty(len(self), dtype=table.dtype)
        for c in range(len(off) - 1):  # cells, not agents
            if off[c + 1] > off[c]:
                out[off[c]:off[c + 1]] = table[c][col[off[c]:off[c + 1]]]  # fancy: a read-only index is not copied
        # the appended and the moved rows by their own cell, from the stored key columns (not the whole cell key)
        if n < len(self):
            out[n:] = table[self._cell_of_rows(np.arange(n, len(self))), col[n:]]
        mv = st["moved"]
        if mv is not None and len(mv):
            out[mv] = table[self._cell_of_rows(mv), col.take(mv)]
        return out

    # binary ufuncs whose result per element is the same IEEE operation whether the other operand is an array or
    # a scalar of the same dtype (numpy's scalar fast paths for power etc. are left out)
    _BLOCKWISE = (np.add, np.subtract, np.multiply, np.divide)

    def combine_cell(self, op, x: np.ndarray, table: np.ndarray, *, by_region: bool = False,
                     table_first: bool = False, out: np.ndarray | None = None) -> np.ndarray:
        """``op(x, table[key])`` (``op(table[key], x)`` with ``table_first``) for a per-agent array ``x`` and a [cell]
        table (``by_region``: a [region] table), bit for bit, without gathering the table: while the rows are in
        cell order, ``op`` runs on each sorted block with the block's entry as a scalar of the table's dtype (the
        same operation on the same two numbers per element), then on the appended and the moved rows with their
        own entries. About 0.3 ms at full scale against ~0.25 + 0.4 ms for a gather and the operation. ``op`` is
        one of np.add, np.subtract, np.multiply, np.divide; ``out`` may be ``x`` itself."""
        def apply(xs, v, o=None):  # op with the table's entries on the side the caller asked for
            return op(v, xs, out=o) if table_first else op(xs, v, out=o)

        key = self.region if by_region else self.cell_key()
        table = np.asarray(table)
        x = np.asarray(x)
        cells = self.__dict__.get("_cells")
        st = self.__dict__["_order"]
        off = st["offsets"] if cells is not None else None
        if (op not in self._BLOCKWISE or off is None or table.ndim != 1 or x.shape != (len(self),)
                or len(table) != (cells[0] if by_region else cells[0] * cells[1])):
            return apply(x, lookup(table, key), out)
        n, mv = st["n"], st["moved"]
        if out is None:
            out = np.empty(len(self), dtype=apply(x[:1], table[:1]).dtype)
        moved = None
        if mv is not None and len(mv):  # before the blocks: ``out`` may be ``x``
            moved = apply(x.take(mv), table.take(key.take(mv)))
        bounds = (off[::cells[1]] if by_region else off).tolist()
        for c, v in enumerate(table):  # blocks (cells or regions), not agents; v: a scalar of the table's dtype
            a, b = bounds[c], bounds[c + 1]
            if a < b:
                apply(x[a:b], v, out[a:b])
        if n < len(self):
            apply(x[n:], lookup(table, key[n:]), out[n:])
        if moved is not None:
            out[mv] = moved
        return out

    def combine_region(self, op, x: np.ndarray, table: np.ndarray, **kw) -> np.ndarray:
        """``combine_cell`` for a [region] table."""
        return self.combine_cell(op, x, table, by_region=True, **kw)

    def _spread(self, per_block: np.ndarray, counts: np.ndarray, own) -> np.ndarray:
        """[agent] ``per_block[b]`` repeated over block b of the sorted rows (``counts``: the block lengths), then
        ``own(rows)`` (``rows`` an index array or a slice) for the rows whose block says nothing about them: those
        appended since the sort (after the sorted ones) and those moved to another cell (written over their
        block's value)."""
        st = self.__dict__["_order"]
        n = st["n"]
        if n < len(self):  # each block filled by a slice, the appended rows after them by their own values
            # (np.repeat of the blocks plus one length-1 block per appended row was ~1.5x slower: measured)
            tail = own(slice(n, None))
            out = np.empty(len(self), dtype=np.result_type(per_block, tail))
            ends = np.cumsum(counts)
            start = 0
            for b, end in enumerate(ends.tolist()):  # blocks (cells or regions), not agents
                out[start:end] = per_block[b]
                start = end
            out[n:] = tail
        else:
            out = np.repeat(per_block, counts)
        mv = st["moved"]
        if mv is not None and len(mv):
            out[mv] = own(mv)
        return out

    def sum_by_cell(self, x: np.ndarray | None = None) -> np.ndarray:
        """[cell] sum of ``x`` (float), or the agent count (int) if ``x`` is None: slice sums while the
        order is known, ``np.bincount`` otherwise (the same values up to summation order)."""
        R, k = self.__dict__["_cells"]
        st = self.__dict__["_order"]
        if st["offsets"] is None:
            return np.bincount(self.cell_key(), weights=x, minlength=R * k)
        return self._sum(x, st["offsets"], self.cell_key(), st["moved_cell"], R * k)

    def sum_by_region(self, x: np.ndarray | None = None) -> np.ndarray:
        """[region] sum of ``x`` (float), or the agent count (int) if ``x`` is None; see ``sum_by_cell``."""
        R, k = self.__dict__["_cells"]
        st = self.__dict__["_order"]
        if st["offsets"] is None:
            return np.bincount(self.region, weights=x, minlength=R)
        mk = st["moved_cell"]
        # the stored region (int8): only the moved and the appended rows' are read, no intp copy of every row
        return self._sum(x, st["offsets"][::k], dict.__getitem__(self.__dict__["_data"], "region"),
                         None if mk is None else mk // k, R)

    def count_by_region_and(self, name: str, width: int) -> np.ndarray | None:
        """[region, width] number of agents by region and by the value of the index column ``name`` (in
        [0, width)), int64: a bincount of each region's block of the sorted rows, corrected by the moved and the
        appended rows. None if the order is unknown or a value is outside [0, width)."""
        st = self.__dict__["_order"]
        if "_cells" not in self.__dict__ or st["offsets"] is None:
            return None
        R, k = self.__dict__["_cells"]
        col = dict.__getitem__(self.__dict__["_data"], name)  # stored (narrow): bincount casts it either way
        if len(col) and (col.min() < 0 or col.max() >= width):
            return None
        off, n = st["offsets"][::k], st["n"]
        out = np.stack([np.bincount(col[off[r]:off[r + 1]], minlength=width) for r in range(R)])  # regions
        region = dict.__getitem__(self.__dict__["_data"], "region")
        flat = out.reshape(-1)
        mv = st["moved"]
        if mv is not None and len(mv):
            v = col.take(mv).astype(np.int64)
            flat -= np.bincount((st["moved_cell"] // k) * width + v, minlength=R * width)
            flat += np.bincount(region.take(mv).astype(np.int64) * width + v, minlength=R * width)
        if n < len(self):
            flat += np.bincount(region[n:].astype(np.int64) * width + col[n:], minlength=R * width)
        return out

    def __len__(self) -> int:
        return len(dict.__getitem__(self.__dict__["_data"], "uid"))

    def __getattr__(self, name: str) -> np.ndarray:
        d = self.__dict__
        try:
            v = dict.__getitem__(d["_data"], name)
        except KeyError:
            raise AttributeError(name) from None
        if isinstance(v, _RowStore):
            index = d["_index"]
            c = index.get(name)
            if c is None:  # read-only copy, cached like the index columns; ``rows`` reads a few rows cheaply
                c = v.array()
                c.flags.writeable = False
                index[name] = c
            return c
        if name not in self.index_columns:
            return v
        index = d["_index"]
        c = index.get(name)
        if c is None:  # the intp copy, with spare rows after it so that ``append`` extends it in place
            c = np.empty(len(v) + max(int(self.HEADROOM * len(v)), 16), dtype=np.intp)[:len(v)]
            c[...] = v  # the same values as v.astype(np.intp)
            c.flags.writeable = False
            index[name] = c
        return c

    def rows(self, name: str, idx: np.ndarray) -> np.ndarray:
        """``column[idx]`` along the first axis (a new array), without forming the whole of a stored column."""
        v = dict.__getitem__(self.__dict__["_data"], name)
        if isinstance(v, _RowStore):
            return v.store.take(v.rows.take(idx), axis=0)
        return v.take(idx, axis=0)

    def __getstate__(self):
        return {"_data": {k: _plain(v) for k, v in dict.items(self.__dict__["_data"])},
                "_order_state": self._order_state(),
                **{k: v for k, v in self.__dict__.items() if k not in ("_data", "_index", "_buf", "_memo", "_order", "_spare", "_finite", "_const")}}

    def __setstate__(self, state):
        state = dict(state)
        cols = state.pop("_data")
        order = state.pop("_order_state", None)
        self.__dict__.update(state)
        self.data = cols
        if order:
            self.__dict__["_order"].update(order)

    def new_ids(self, n: int) -> np.ndarray:
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        self._next_id += n
        return ids

    def keep(self, mask: np.ndarray) -> None:
        """Drop every row where ``mask`` is False.

        The kept rows go, in order, into new buffers with ``HEADROOM`` spare rows, so the year's
        ``append`` writes the new rows in place instead of copying every column again. One index array
        for all columns (``take`` along rows is much faster than a boolean mask on the 2-D columns)."""
        if self.sort_in_keep and "_cells" in self.__dict__:  # the kept rows in cell order, in the same copy
            if self._keep_merged(mask) is None:
                self._keep_sorted(np.flatnonzero(mask))
        else:
            self._take_rows(np.flatnonzero(mask))

    def _cell_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """[row] the current cell key (int64) of the rows ``rows``, from the narrow key columns; each part must be
        in its range (as ``_keep_sorted`` checks): a part out of range raises instead of giving another cell."""
        data = self.__dict__["_data"]
        k = self.__dict__["_cells"][1]
        parts = [dict.__getitem__(data, c).take(rows).astype(np.int64) for c in self.sort_keys]
        self._check_key_parts(parts)
        key = parts[0]
        if len(parts) > 1:
            key *= k
            key += parts[1]
        return key

    def _keep_merged(self, mask) -> np.ndarray | None:
        """``keep`` while the cell order is known: the same rows in the same order as ``_keep_sorted`` (a stable
        sort of the kept rows by cell), formed by merging instead of sorting every row. The kept rows of block c
        that are still in cell c ("regular") are already in order; the others ("irregular": rows moved to
        another cell and appended rows, a few %) are sorted by (cell, row) alone. In a stable sort by cell, cell
        c holds, by row: the irregular rows of cell c from before block c (moved from a lower block), then the
        regular rows of block c, then those after it (moved from a higher block, or appended). None when the
        order is unknown (then ``_keep_sorted`` sorts)."""
        st = self.__dict__["_order"]
        off, n = st["offsets"], st["n"]
        L = len(self)
        mask = np.asarray(mask)
        if off is None or mask.shape != (L,) or mask.dtype != np.bool_ or not 0 < n <= L:
            return None
        R, k = self.__dict__["_cells"]
        C = R * k
        mv = st["moved"]
        reg_mask = mask[:n].copy()
        if mv is not None and len(mv):
            kc = self._cell_of_rows(mv)
            out = kc != st["moved_cell"]  # moved back to its own block's cell: regular again
            irr_mv, irr_mv_key = mv[out], kc[out]
            reg_mask[irr_mv] = False
            kept = mask[irr_mv]
            irr_mv, irr_mv_key = irr_mv[kept], irr_mv_key[kept]
        else:
            irr_mv = irr_mv_key = np.zeros(0, np.int64)
        reg = np.flatnonzero(reg_mask)
        tail = np.flatnonzero(mask[n:]) + n
        irr = np.concatenate([irr_mv, tail]).astype(np.intp, copy=False)
        ik = np.concatenate([irr_mv_key, self._cell_of_rows(tail)])  # in [0, C): _cell_of_rows checks the parts
        o = np.lexsort((irr, ik))  # by cell, then by row (the stable sort's order within a cell)
        irr, ik = irr.take(o), ik.take(o)
        cells = np.arange(C + 1)
        P = np.searchsorted(reg, off)                       # block c's regular rows: reg[P[c]:P[c + 1]]
        ic = np.searchsorted(ik, cells)                     # cell c's irregular rows: irr[ic[c]:ic[c + 1]]
        comp = ik * (L + 1) + irr                           # increasing (sorted by cell, then row)
        split = np.searchsorted(comp, cells[:-1] * (L + 1) + off[:-1])  # cell c's rows before block c: up to here
        pieces = []
        for c in range(C):  # cells, not agents
            pieces += (irr[ic[c]:split[c]], reg[P[c]:P[c + 1]], irr[split[c]:ic[c + 1]])
        idx = np.concatenate(pieces) if pieces else np.zeros(0, np.intp)
        offsets = np.zeros(C + 1, np.intp)
        np.cumsum(np.diff(P) + np.diff(ic), out=offsets[1:])
        self._take_sorted(idx, offsets)
        return idx

    def _take_rows(self, idx: np.ndarray, fill: dict | None = None) -> None:
        """Every column becomes ``column[idx]`` (``keep``: the kept rows; ``sort``: a permutation); ``fill``: columns
        whose new values the caller already has (``_keep_sorted``: the key columns)."""
        k = len(idx)
        cap = k + max(int(self.HEADROOM * k), 16)
        data, bufs = {}, {}
        known = self._all_verified()
        consts = {}  # the columns with one value in every kept row (``constant``)
        spare = self.__dict__.get("_spare", {})
        for name, v in dict.items(self.data):
            if name in self.stored_columns:  # no copy: narrow the row index
                rows = np.empty(cap, dtype=np.intp)  # spare room for the year's append, as for the columns
                if isinstance(v, _RowStore):
                    np.take(v.rows, idx, out=rows[:k], mode="clip")
                    data[name] = _RowStore(v.store, v.n, rows[:k], v.checked)
                else:
                    rows[:k] = idx
                    data[name] = _RowStore(v, len(v), rows[:k], 0)
                continue
            if fill is not None and name in fill:  # a new array, with no spare rows (append then concatenates it)
                data[name] = fill[name]
                continue
            buf = spare.pop(name, None)
            if buf is None or len(buf) < cap or buf.shape[1:] != v.shape[1:] or buf.dtype != v.dtype:
                buf = np.empty((cap,) + v.shape[1:], dtype=v.dtype)
            c = v[0] if self.constant(name) is not None else uniform_value(v)  # known already: no full compare
            if c is not None and k:  # one value in every row (a weight, zeros, last year's newcomers reset)
                buf[:k] = c  # the same bits in every kept row, without reading an index per row
                consts[name] = c
            else:
                np.take(v, idx, axis=0, out=buf[:k], mode="clip")  # idx is in range; "clip" writes out unbuffered
            bufs[name], data[name] = buf, buf[:k]
        # The replaced columns' buffers become the next take's: writing into memory already mapped is ~2x
        # faster than into a new allocation (page faults). Only buffers nothing else holds: the old column
        # (``data``, the loop) and its buffer (``_buf``, the loop, its column's base) and no other view.
        # (counts include getrefcount's argument; measured on CPython 3.12: a column held by a mechanism's
        # variable or a view of its buffer adds one and keeps it out)
        retired, v = {}, None
        for name, old in self.__dict__.get("_buf", {}).items():
            col = dict.get(self.data, name)
            if (_REUSE_BUFFERS and col is not None and col.base is old and sys.getrefcount(col) <= _COL_REFS
                    and sys.getrefcount(old) <= _BUF_REFS):
                retired[name] = old
        col = old = None
        self.data = data
        for name in known:  # the kept rows of a column known finite
            self.set_verified(name, data[name])
        for name, c in consts.items():
            self._set_constant(name, data[name], c)
        self.__dict__["_buf"] = bufs
        self.__dict__["_spare"] = retired

    def append(self, **cols: np.ndarray) -> None:
        n = len(cols["uid"])
        if set(cols) != set(self.columns):
            raise ValueError(f"append needs exactly the columns {sorted(self.columns)}")
        if any(len(v) != n for v in cols.values()):
            raise ValueError("append: columns differ in length")
        n0 = len(self)
        bufs = self.__dict__.get("_buf", {})
        data = {}
        consts = {}  # a constant column stays so if the new rows hold its bits (checked on them only)
        for name in list(self.__dict__.get("_const", {})):
            c = self.constant(name)
            v = dict.__getitem__(self.data, name)
            add = np.asarray(cols[name], dtype=v.dtype)
            if (c is not None and v.ndim == 1 and add.ndim == 1
                    and (not len(add) or uniform_value(np.concatenate([v[:1], add])) is not None)):
                consts[name] = v[0]  # a scalar (a copy of the value)
        for name, v in dict.items(self.data):
            if name in self.stored_columns:
                data[name] = self._store_append(v, cols[name])
                continue
            add = np.asarray(cols[name], dtype=v.dtype)
            buf = bufs.pop(name, None)
            # in place only while the column is still the prefix of its buffer (a mechanism may have replaced it)
            if (buf is not None and v.base is buf and v.shape[0] == n0 and len(buf) >= n0 + n
                    and add.shape[1:] == v.shape[1:] and v.ctypes.data == buf.ctypes.data):
                buf[n0:n0 + n] = add
                data[name] = buf[:n0 + n]
                bufs[name] = buf
            else:
                data[name] = np.concatenate([v, add])
        order = self._order_state()
        cached = dict(self.__dict__["_index"])
        known = self._all_verified()
        self.data = data
        for name in known:  # its rows before the appended ones
            self.set_verified(name, data[name], n0)
        for name, c in consts.items():
            self._set_constant(name, data[name], c)
        self.__dict__["_order"].update(order)  # the new rows are after the sorted ones (summed by bincount)
        self.__dict__["_buf"] = bufs
        # The index columns' cached intp copies are extended in place after their rows (the spare room that
        # ``__getattr__`` leaves) instead of being formed again over every agent; an array a caller holds keeps
        # its length and values.
        index = self.__dict__["_index"]
        for name, c in cached.items():
            base = c.base
            if (name in self.index_columns and isinstance(base, np.ndarray) and base.dtype == np.intp
                    and base.ndim == 1 and len(c) == n0 and len(base) >= n0 + n
                    and c.ctypes.data == base.ctypes.data):
                base[n0:n0 + n] = data[name][n0:]
                ext = base[:n0 + n]
                ext.flags.writeable = False
                index[name] = ext

    @staticmethod
    def _store_append(v, add) -> _RowStore:
        """``v`` (a ``_RowStore`` or an array) with the rows ``add`` after it. When the store is full, the current
        rows are copied, in order, into a new store with room for as many again (a copy every few years)."""
        if not isinstance(v, _RowStore):
            v = _RowStore(v, len(v), np.arange(len(v)), 0)
        add = np.asarray(add, dtype=v.store.dtype)
        if add.shape[1:] != v.store.shape[1:]:
            raise ValueError(f"append: rows of shape {add.shape[1:]} for a column of rows {v.store.shape[1:]}")
        k, n = len(v.rows), len(add)
        if v.n + n > len(v.store):
            store = np.empty((2 * (k + n),) + v.store.shape[1:], dtype=v.store.dtype)
            np.take(v.store, v.rows, axis=0, out=store[:k], mode="clip")  # rows are in range
            v = _RowStore(store, k, np.arange(k), 0)
        v.store[v.n:v.n + n] = add
        new = np.arange(v.n, v.n + n)
        base = v.rows.base
        if base is not None and base.dtype == np.intp and v.rows.ctypes.data == base.ctypes.data and len(base) >= k + n:
            base[k:k + n] = new  # the row index is the prefix of a buffer with room (keep): no copy
            rows = base[:k + n]
        else:
            rows = np.concatenate([v.rows, new])
        return _RowStore(v.store, v.n + n, rows, v.checked)


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
    index_columns = frozenset({"region", "sector"})
    stored_columns = frozenset({"location_match"})
    sort_keys = ("region", "sector")
    sort_in_keep = True

    def cell_key(self) -> np.ndarray:
        return self.cell

    def sum_by_sector(self, x: np.ndarray | None = None) -> np.ndarray:
        """[sector] sum of ``x`` (or the count), from the cell sums."""
        R, S = self.__dict__["_cells"]
        return self.sum_by_cell(x).reshape(R, S).sum(axis=0)

    def gather_sector(self, table: np.ndarray) -> np.ndarray:
        """``table.take(sector)`` for a [sector] table: the gather of the table tiled over the regions'
        cells (cell = region x sectors + sector; ``gather_cell``)."""
        cells = self.__dict__.get("_cells")
        if cells is None or np.ndim(table) != 1 or len(table) != cells[1]:  # (a shorter table: take's values too)
            return lookup(np.asarray(table), self.sector)
        return self.gather_cell(np.tile(np.asarray(table), cells[0]))

    def combine_sector(self, op, x: np.ndarray, table: np.ndarray, **kw) -> np.ndarray:
        """``combine_cell`` for a [sector] table (tiled over the regions' cells)."""
        cells = self.__dict__.get("_cells")
        table = np.asarray(table)
        if cells is None or table.ndim != 1 or len(table) != cells[1]:  # not per sector: gathered by sector
            g = lookup(table, self.sector)
            return op(g, x, out=kw.get("out")) if kw.get("table_first") else op(x, g, out=kw.get("out"))
        return self.combine_cell(op, x, np.tile(table, cells[0]), **kw)

    def values_by_sector(self, x: np.ndarray) -> list[np.ndarray]:
        """[sector] the values of ``x`` (per firm) of each sector's firms, in no particular order (for order
        statistics: quantiles and medians do not depend on it). While the cell order is known these are the
        sector's R cell blocks (a move changes the region only: a moved row's block has its sector) plus the
        sector's appended rows, copied by slices instead of a boolean selection over every firm."""
        R, S = self.__dict__["_cells"]
        st = self.__dict__["_order"]
        off, n = st["offsets"], st["n"]
        mv = st["moved"]
        if off is None or (mv is not None and len(mv) and np.any(self.sector.take(mv) != st["moved_cell"] % S)):
            sector = self.sector
            return [x[sector == s] for s in range(S)]
        tail_sector = self.sector[n:]
        out = []
        for s in range(S):  # sectors and regions (cell blocks), not agents
            parts = [x[off[r * S + s]:off[r * S + s + 1]] for r in range(R)]
            if n < len(x):
                parts.append(x[n:][tail_sector == s])
            out.append(np.concatenate(parts))
        return out

    @property
    def cell(self) -> np.ndarray:
        """[firm] flat (region, sector) index ``region * n_sectors + sector`` (int64, read-only), computed once
        while both columns stay unchanged (capital, digital and production use it)."""
        from . import SECTORS

        return self.derived("cell", ("region", "sector"), lambda f: f._cell_index(len(SECTORS)))


    # Sums several mechanisms and the recorder form from the same columns in the same year: each is one
    # bincount over every firm (~2 ms at full scale), computed once while its columns stay unchanged.
    def weight_by_region(self, n_regions: int) -> np.ndarray:
        """[region] sum of ``weight`` (real firms): the firm ledger and the recorder's firm count."""
        return self.derived("weight_by_region", ("region", "weight"), lambda f: f.weight_sums(f.sum_by_region))

    def capital_by_region(self, n_regions: int) -> np.ndarray:
        """[region] sum of ``weight x capital`` (million yuan): land prices, location's anticipated land
        factors and the recorder's capital stock."""
        return self.derived("capital_by_region", ("region", "weight", "capital"),
                            lambda f: f.sum_by_region(f.weighted(f.capital)))

    def weight_by_cell(self, n_regions: int) -> np.ndarray:
        """[region x sector] (flat) sum of ``weight``: digital peers and the recorder's firms by sector."""
        from . import SECTORS

        return self.derived("weight_by_cell", ("region", "sector", "weight"), lambda f: f.weight_sums(f.sum_by_cell))


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
    index_columns = frozenset({"region", "skill", "age"})
    sort_keys = ("region", "skill")
    sort_in_keep = True

    def cell_key(self) -> np.ndarray:
        """[person] flat (region, skill) index ``region * n_skills + skill`` (read-only, cached)."""
        from . import SKILLS

        return self.derived("skill_cell", ("region", "skill"), lambda t: t._cell_index(len(SKILLS)))
