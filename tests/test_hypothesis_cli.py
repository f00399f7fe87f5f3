"""Property tests (Hypothesis): random YAML documents and random command lines never make a traceback.

Every outcome must be exit 0, or one ``geese: error:`` line with exit 2 (input) or 1 (environment);
never a traceback and never an internal error (exit 70). Compute is replaced by a sentinel, so a
command line that would start simulating counts as accepted; nothing is written outside a temporary
folder. The example counts are bounded for CI; ``GEESE_HYPOTHESIS_SCALE=10`` runs ten times more.
Runs are derandomized, so CI is reproducible; ``GEESE_HYPOTHESIS_RANDOM=1`` explores new examples.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import model.cli
import model.plots
import model.runner
from model.cli import main
from model.errors import InputError

SCALE = float(os.environ.get("GEESE_HYPOTHESIS_SCALE", "1"))
RANDOM = os.environ.get("GEESE_HYPOTHESIS_RANDOM") == "1"  # explore beyond the fixed CI examples
REPO = Path(__file__).resolve().parent.parent


def _settings(n: int):
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, derandomize=not RANDOM, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


class Reached(BaseException):
    """Compute was about to start: the command line was accepted."""


def _reached(*_a, **_k):
    raise Reached()


def _unreachable_scheduler(address: str):
    model.runner.check_scheduler_address(address)
    raise InputError("--scheduler", None, address, "could not connect (test)")


@pytest.fixture(scope="module")
def no_compute():
    mp = pytest.MonkeyPatch()
    mp.setattr(model.runner.ReplicatePool, "map", _reached)  # run, calibrate and targets all compute here
    mp.setattr(model.runner, "_client", _unreachable_scheduler)
    mp.setattr(model.plots, "plot_compare", _reached)
    yield
    mp.undo()


def _call(argv: list[str]) -> tuple[int | None, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except Reached:
            rc = None
    return rc, out.getvalue(), err.getvalue()


def _check(rc: int | None, out: str, err: str) -> None:
    assert "Traceback" not in err and "Traceback" not in out, err
    assert rc in (None, 0, 1, 2), (rc, err)
    errors = [ln for ln in err.splitlines() if not ln.startswith(("geese: warning:", "geese: note:"))]
    if rc in (1, 2):
        assert len(errors) == 1 and errors[0].startswith("geese: error: "), err
    else:
        assert errors == [], err


# --- random YAML documents -----------------------------------------------------------------------

KEYS = ["name", "base", "years", "seeds", "scale", "levers", "shocks", "params", "description", "from", "to",
        "region", "wage_topup", "talent_incentive", "carbon_price", "path", "kind", "sector", "size", "year",
        "talent.mobility_high", "entry_exit.entry_rate", "digitalization", "adoption_subsidy", "<<"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**40, 10**40), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.sampled_from(["tiny", "east", "baseline", "x", "2012", "demand", "equipment"]),
    st.integers(2000, 2100),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8), st.integers(2012, 2040)), inner,
                    max_size=4)), max_leaves=20)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=6).map(
    lambda d: {"name": "h", "scale": "tiny", "years": [2012, 2013], **d} if len(d) % 3 == 0 else d)

FRAGMENTS = ["name: h\n", "name:", " x", "\n", "  ", "- ", "[", "]", "{", "}", ": ", ",", "&a ", "*a", "*b",
             "!!python/object/apply:os.system ['true']", "!!str ", "!!binary ", "010", "1:20", "2e-1", "0x1F",
             "1_000", ".nan", "-.inf", "? ", "'", '"', "#", "---\n", "...\n", "<<: *a\n", "\t", "\x07", "é",
             "seeds: ", "years: ", "levers:\n  ", "params: {", "9" * 60, "2012-13-45"]
raw_texts = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join)


def _validate_text(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "doc.yaml"
        if isinstance(text, bytes):
            f.write_bytes(text)
        else:
            f.write_text(text, encoding="utf-8")
        rc, out, err = _call(["validate", str(f)])
        _check(rc, out, err)
        assert rc in (0, 2)
        if rc == 0:
            assert ": ok (" in out


@_settings(120)
@given(doc=documents)
def test_random_yaml_documents_never_traceback(no_compute, doc):
    _validate_text(yaml.safe_dump(doc, allow_unicode=True))


@_settings(150)
@given(text=st.one_of(raw_texts, st.text(max_size=200), st.binary(max_size=100)))
def test_random_yaml_text_never_tracebacks(no_compute, text):
    _validate_text(text)


# --- random command lines ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def places(tmp_path_factory):
    base = tmp_path_factory.mktemp("argv")
    good = base / "good.yaml"
    good.write_text("name: good\nscale: tiny\nseeds: 1\nyears: [2012, 2013]\n")
    bad = base / "bad.yaml"
    bad.write_text("name: Bad Name\n")
    res = base / "res"
    for n in ("r1", "r2"):  # minimal results folders for compare
        d = res / n
        d.mkdir(parents=True)
        (d / "summary.csv").write_text("year,region,metric,mean,p05,p50,p95\n2012,east,gdp,1,1,1,1\n")
        (d / "manifest.json").write_text('{"name": "%s", "scenario": {}, "package_version": "0"}' % n)
    afile = base / "afile"
    afile.write_text("x")
    return {"good": good, "bad": bad, "r1": res / "r1", "r2": res / "r2", "afile": afile, "base": base}


COMMANDS = ["run", "validate", "compare", "list", "calibrate", "targets", "frobnicate", ""]
OPTIONS = ["--seeds", "--scale", "--workers", "--out", "--years", "--scheduler", "--seed", "--no-plots", "--metrics",
           "--budget", "--resume", "--targets", "--params", "--help", "-h", "--frobnicate"]
PLAIN = ["0", "1", "2", "-1", "10001", "1000000000", "9" * 50, "abc", "", "tiny", "huge", "2012:2035", "2035:2012",
         "2012:2100", "2012", "tcp://127.0.0.1:1", "tcp://bad host", "gdp", "gpd", "1e3", "0x10", " ", "--", "-"]


@st.composite
def argvs(draw, places):
    paths = [str(places[k]) for k in ("good", "bad", "r1", "r2", "afile")] + [
        str(places["base"] / "missing.yaml"), str(places["base"] / "new-out"), str(places["base"]), "/dev/null"]
    cmd = draw(st.sampled_from(COMMANDS))
    rest = draw(st.lists(st.one_of(st.sampled_from(OPTIONS), st.sampled_from(PLAIN), st.sampled_from(paths),
                                   st.text(max_size=12)), max_size=8))
    argv = ([cmd] if cmd else []) + rest
    if cmd in ("run", "compare", "calibrate") and "--out" not in argv:
        argv += ["--out", str(places["base"] / "out")]  # never the repository's own folders
    if "--out" in argv:  # keep every output inside the temporary folder
        i = argv.index("--out")
        if i + 1 < len(argv) and not argv[i + 1].startswith(str(places["base"])):
            argv[i + 1] = str(places["base"] / "out2")
    return argv


@_settings(250)
@given(data=st.data())
def test_random_command_lines_never_traceback(no_compute, places, data):
    argv = data.draw(argvs(places))
    rc, out, err = _call(argv)
    _check(rc, out, err)
