"""Issue 12: no path escapes, no silent data loss, bounded resources, no tracebacks, clean faults.

Each case of the issue has a test here (or, for the signal-kill test, in test_faults.py) that fails if
it regresses. Runs are tiny and short; every error is checked to be one line without a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import shutil
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import model.plots
import model.results
import model.runner
from model.cli import main
from model.errors import InputError, InvariantError, RunError, Shown, short_repr

REPO = Path(__file__).resolve().parent.parent
PREFIX = "geese: error: "
QUICK = "name: {name}\nscale: tiny\nseeds: 1\nyears: [2012, 2013]\n"
FAST = ["--workers", "1", "--no-plots"]


def _cli(capsys, *argv) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _one_line(err: str, *must: str, prefix: str = PREFIX) -> str:
    lines = [ln for ln in err.splitlines() if not ln.startswith("geese: warning:")]
    assert "Traceback" not in err
    assert len(lines) == 1, lines
    assert lines[0].startswith(prefix), lines[0]
    for m in must:
        assert m in lines[0], f"{m!r} missing from {lines[0]}"
    return lines[0]


def _scenario(d: Path, name: str = "quick", text: str | None = None, file: str | None = None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / (file or f"{name}.yaml")
    p.write_text(text if text is not None else QUICK.format(name=name), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Two real tiny results folders, a and b, to compare."""
    base = tmp_path_factory.mktemp("res")
    files = [_scenario(base / "in", n) for n in ("a", "b")]
    out = base / "results"
    assert main(["run", *map(str, files), "--out", str(out), *FAST]) == 0
    return out


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _tree(p: Path) -> dict[str, bytes]:
    return {str(f.relative_to(p)): f.read_bytes() for f in sorted(p.rglob("*")) if f.is_file()}


# --- 1. security: compare never writes outside --out -----------------------------------------

def test_compare_manifest_name_cannot_escape(results, tmp_path, capsys):
    a = _copy(results / "a", tmp_path / "r" / "a")
    b = _copy(results / "b", tmp_path / "r" / "b")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    m = json.loads((a / "manifest.json").read_text())
    m["name"] = f"x/../../../../..{victim}"
    (a / "manifest.json").write_text(json.dumps(m))
    rc, out, err = _cli(capsys, "compare", a, b)
    assert rc == 2
    _one_line(err, "manifest.json", "name", "lower-case name")
    assert (victim / "precious.txt").read_text() == "keep me" and len(list(victim.iterdir())) == 1
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["a", "b"]


# --- 2. no silent data loss --------------------------------------------------------------------

def test_compare_out_may_not_be_an_input(results, tmp_path, capsys):
    a = _copy(results / "a", tmp_path / "a")
    before = _tree(a)
    for out in (a, tmp_path, a / "inside"):
        rc, _, err = _cli(capsys, "compare", a, results / "b", "--out", out)
        assert rc == 2
        _one_line(err, "--out", "input")
    assert _tree(a) == before


def test_compare_out_with_unrelated_files_is_refused(results, tmp_path, capsys):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "thesis.tex").write_text("years of work")
    rc, _, err = _cli(capsys, "compare", results / "a", results / "b", "--out", keep)
    assert rc == 2
    _one_line(err, "--out", "did not write")
    assert [p.name for p in keep.iterdir()] == ["thesis.tex"]


def _cheap_plots(dirs, metrics, out_dir):
    for f in ("comparison.png", "difference.png", "comparison.csv"):
        (Path(out_dir) / f).write_bytes(b"x")


def test_compare_replaces_its_own_output(results, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(model.plots, "plot_compare", _cheap_plots)
    out = tmp_path / "cmp"
    assert _cli(capsys, "compare", results / "a", results / "b", "--out", out)[0] == 0
    assert json.loads((out / "manifest.json").read_text())["kind"] == "compare"
    assert _cli(capsys, "compare", results / "a", results / "b", "--out", out, "--metrics", "gdp")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]


def test_duplicate_scenario_names_are_an_error(tmp_path, capsys):
    a = _scenario(tmp_path, "same", file="a.yaml")
    b = _scenario(tmp_path, "same", file="b.yaml")
    rc, out, err = _cli(capsys, "run", a, b, "--out", tmp_path / "out", *FAST)
    assert rc == 2
    _one_line(err, str(b), "name", "'same'", str(a))
    assert not (tmp_path / "out").exists()


def test_rerun_keeps_files_the_user_put_there(tmp_path, capsys):
    f = _scenario(tmp_path)
    out = tmp_path / "out"
    assert _cli(capsys, "run", f, "--out", out, *FAST)[0] == 0
    (out / "quick" / "my-notes.txt").write_text("mine")
    before = _tree(out / "quick")
    rc, _, err = _cli(capsys, "run", f, "--out", out, *FAST, "--seed", "5")
    assert rc == 2
    _one_line(err, "my-notes.txt", "did not write")
    assert _tree(out / "quick") == before


def test_run_never_replaces_a_folder_it_did_not_write(tmp_path, capsys):
    f = _scenario(tmp_path)
    out = tmp_path / "out"
    (out / "quick").mkdir(parents=True)
    (out / "quick" / "data.csv").write_text("1,2\n")
    rc, _, err = _cli(capsys, "run", f, "--out", out, *FAST)
    assert rc == 2
    _one_line(err, "did not write")
    assert (out / "quick" / "data.csv").read_text() == "1,2\n"


def test_run_may_not_replace_a_folder_holding_its_input(tmp_path, capsys):
    out = tmp_path / "out"
    f = _scenario(out / "quick")  # out/quick/quick.yaml would be deleted by writing out/quick
    rc, _, err = _cli(capsys, "run", f, "--out", out, *FAST)
    assert rc == 2
    _one_line(err, "--out")
    assert f.is_file()


# --- 3. bounded resources ----------------------------------------------------------------------

def test_documented_maximum_entry_rate_is_safe():
    from model.parameters import default_specs
    from model.guards import GROWTH_LIMIT

    hi = default_specs()["entry_exit.entry_rate"].range[1]
    assert hi <= 0.2
    from model.api import build_model

    m = build_model({"name": "g", "scale": "tiny", "params": {"entry_exit.entry_rate": hi}}, seed=1)
    n0 = len(m.firms)
    m.run()  # the guard would raise beyond the limit
    assert len(m.firms) < GROWTH_LIMIT * n0


def test_old_documented_maximum_is_rejected(tmp_path, capsys):
    f = _scenario(tmp_path, text=QUICK.format(name="g") + "params: {entry_exit.entry_rate: 0.5}\n")
    rc, _, err = _cli(capsys, "validate", f)
    assert rc == 2
    _one_line(err, "params.entry_exit.entry_rate", "0.5", "[0, 0.2]")


def test_agent_growth_guard_names_the_parameter_from_pool_workers(tmp_path, capsys):
    """Valid ranges, runaway combination: one line naming the parameter, from 2 pool workers."""
    text = ("name: runaway\nscale: tiny\nseeds: 2\nyears: [2012, 2035]\nparams: {entry_exit.entry_rate: 0.2, "
            "entry_exit.exit_hazard: 0.0, entry_exit.exit_after_losses: 0.0}\n")
    f = _scenario(tmp_path, text=text)
    rc, out, err = _cli(capsys, "run", f, "--out", tmp_path / "out", "--workers", "2", "--no-plots")
    assert rc == 2
    _one_line(err, str(f), "entry_exit.entry_rate", "20x", "firm agents")
    assert "BrokenProcessPool" not in err
    assert not (tmp_path / "out").exists()


def test_alias_bomb_fails_fast(tmp_path, capsys):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    f = tmp_path / "bomb.yaml"
    f.write_text("name: bomb\n" + "\n".join(lines) + "\n")
    assert len(f.read_bytes()) < 600
    t0 = time.perf_counter()
    rc, _, err = _cli(capsys, "validate", f)
    assert time.perf_counter() - t0 < 5
    assert rc == 2
    _one_line(err, str(f), "alias")


def test_error_values_are_formatted_lazily_and_capped():
    shared = ["x" * 1000]
    for _ in range(40):  # 2^40 leaves: a full repr would never finish
        shared = [shared, shared]
    t0 = time.perf_counter()
    line = InputError("f.yaml", "k", shared, "no").one_line()
    assert time.perf_counter() - t0 < 1 and len(line) < 700
    assert len(short_repr(10 ** 5000)) <= 80 and "digits" in short_repr(10 ** 5000)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result = {}
    t = threading.Thread(target=lambda: result.update(rc=main(["validate", str(fifo)])), daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "reading a FIFO blocked"
    assert result["rc"] == 2
    _one_line(capsys.readouterr().err, "FIFO")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_device_is_refused(capsys):
    rc, _, err = _cli(capsys, "validate", "/dev/zero")
    assert rc == 2
    _one_line(err, "/dev/zero", "regular file")


def test_oversized_file_is_refused(tmp_path, capsys):
    f = tmp_path / "big.yaml"
    f.write_text("name: big\ndescription: '" + "x" * (1 << 20) + "'\n")
    rc, _, err = _cli(capsys, "validate", f)
    assert rc == 2
    _one_line(err, "KiB")


@pytest.mark.parametrize(("argv", "must"), [
    (["--seeds", "1000000000"], ["--seeds", "up to 10,000"]),
    (["--seed", "-1"], ["--seed", "'-1'", "from 0"]),
    (["--seed", "1" * 5000], ["--seed", "from 0"]),
    (["--years", "2012:2100"], ["--years", "2035"]),
    (["--years", "2040:2050"], ["--years", "2035"]),
    (["--scheduler", "tcp://no host:x"], ["--scheduler", "address"]),
    (["--scheduler", "tcp://127.0.0.1:99999"], ["--scheduler", "address"]),
])
def test_cli_enforces_bounds(tmp_path, capsys, argv, must):
    f = _scenario(tmp_path)
    rc, out, err = _cli(capsys, "run", f, "--out", tmp_path / "out", *FAST, *argv)
    assert rc == 2
    _one_line(err, *must)
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_one_line_before_compute(tmp_path, capsys, monkeypatch):
    import socket

    monkeypatch.setattr(model.runner, "SCHEDULER_TIMEOUT", 1.0)
    monkeypatch.setattr(model.runner.ReplicatePool, "map", _no_compute)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    f = _scenario(tmp_path)
    rc, _, err = _cli(capsys, "run", f, "--out", tmp_path / "out", *FAST, "--scheduler", f"tcp://127.0.0.1:{port}")
    assert rc == 2
    _one_line(err, "--scheduler", "could not connect")


def test_workers_are_capped_at_the_cores(tmp_path, capsys):
    f = _scenario(tmp_path)
    rc, out, err = _cli(capsys, "run", f, "--out", tmp_path / "out", "--no-plots", "--workers", "1000")
    assert rc == 0, err
    assert f"--workers 1000 capped at {model.runner.usable_cores()}" in err


# --- 4. one error path: no tracebacks ----------------------------------------------------------

@pytest.mark.parametrize(("text", "must"), [
    ("name: x\n? [a, b]\n: 1\n", ["line 2", "a list as a key"]),
    ("name: x\nlevers: {[1]: 2}\n", ["line 2", "as a key"]),
    ("name: x\ndescription: " + "[" * 500 + "]" * 500 + "\n", ["nesting deeper than"]),
    ("name: x\nseeds: " + "7" * 5000 + "\n", ["5,000 digits", "at most 30 digits"]),
])
def test_yaml_that_used_to_traceback(tmp_path, capsys, text, must):
    f = tmp_path / "t.yaml"
    f.write_text(text)
    for cmd in (["validate", f], ["run", f, "--out", tmp_path / "out", *FAST]):
        rc, _, err = _cli(capsys, *cmd)
        assert rc == 2
        _one_line(err, str(f), *must)


def _no_compute(*a, **k):
    raise AssertionError("computed before checking --out")


@pytest.mark.parametrize("case", ["file", "too-long", "unwritable"])
def test_bad_out_is_one_line_before_any_compute(tmp_path, capsys, monkeypatch, case):
    monkeypatch.setattr(model.runner.ReplicatePool, "map", _no_compute)
    f = _scenario(tmp_path)
    if case == "file":
        out = tmp_path / "afile"
        out.write_text("x")
        must = ["--out", "is a file"]
    elif case == "too-long":
        out = tmp_path / ("n" * 300) / "x"
        must = ["--out", "too long"]
    else:
        if os.geteuid() == 0:  # root writes anywhere; /proc refuses new folders even to root
            out = Path("/proc/geese-cannot-be-here")
        else:
            ro = tmp_path / "ro"
            ro.mkdir()
            ro.chmod(0o555)
            out = ro / "out"
        must = ["--out"]
    rc, _, err = _cli(capsys, "run", f, "--out", out, *FAST)
    assert rc == 2
    _one_line(err, *must)


def test_compare_corrupt_or_odd_manifests(results, tmp_path, capsys):
    for i, (content, must) in enumerate([
        ("{not json", ["manifest.json", "valid JSON"]),
        (json.dumps({"name": 42, "package_version": "0"}), ["manifest.json", "name", "42"]),
        (json.dumps(["a"]), ["manifest.json", "JSON object"]),
        (b"\xff\xfe", ["manifest.json", "valid JSON"]),
    ]):
        a = _copy(results / "a", tmp_path / f"c{i}" / "a")
        p = a / "manifest.json"
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
        rc, _, err = _cli(capsys, "compare", a, results / "b", "--out", tmp_path / f"cmp{i}")
        assert rc == 2
        _one_line(err, *must)
        assert not (tmp_path / f"cmp{i}").exists()


def test_compare_long_default_name(results, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(model.plots, "plot_compare", _cheap_plots)
    dirs = []
    for i in range(6):
        name = f"{i}" + "n" * 60
        d = _copy(results / "a", tmp_path / name)
        m = json.loads((d / "manifest.json").read_text())
        m["name"] = name
        (d / "manifest.json").write_text(json.dumps(m))
        dirs.append(d)
    rc, out, err = _cli(capsys, "compare", *dirs)
    assert rc == 0, err
    made = [p for p in tmp_path.iterdir() if p.name.startswith("compare-")]
    assert len(made) == 1 and len(made[0].name) <= 64 and "-and-5-more" in made[0].name


@pytest.mark.parametrize(("content", "must"), [
    ("{broken", ["checkpoint", "JSON"]),
    (json.dumps([1, 2]), ["JSON object"]),
])
def test_calibrate_resume_corrupt_checkpoint(tmp_path, capsys, content, must):
    (tmp_path / ".checkpoint.json").write_text(content)
    rc, _, err = _cli(capsys, "calibrate", "--resume", "--out", tmp_path, "--budget", "1", "--workers", "1")
    assert rc == 2
    _one_line(err, ".checkpoint.json", *must)


def test_calibrate_resume_wrongly_shaped_checkpoint(tmp_path, capsys):
    import hashlib

    from model.calibration import load_targets

    targets = REPO / "calibration" / "targets.yaml"
    names = [fp.name for fp in load_targets(targets).free_parameters]
    doc = {"names": names, "scale": "tiny", "seeds": 2, "targets_sha256": hashlib.sha256(targets.read_bytes()).hexdigest(),
           "history": [[1.0, "x"], None]}
    (tmp_path / ".checkpoint.json").write_text(json.dumps(doc))
    rc, _, err = _cli(capsys, "calibrate", "--resume", "--out", tmp_path, "--budget", "1", "--workers", "1")
    assert rc == 2
    _one_line(err, ".checkpoint.json", "history", "rows of finite numbers")


def test_disk_full_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    f = _scenario(tmp_path)
    out = tmp_path / "out"

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(model.results, "flows_frame", lambda run: type("F", (), {"to_csv": full})())
    rc, _, err = _cli(capsys, "run", f, "--out", out, *FAST)
    assert rc == 1
    _one_line(err, "cannot write", "No space left on device")
    assert not out.exists() or list(out.iterdir()) == []


def test_model_only_rejection_is_caught_by_validate_and_before_run(tmp_path, capsys, monkeypatch):
    # each value is inside its documented range; together they leave no 2012 profit share to fit
    text = QUICK.format(name="bad-mix") + ("params: {production.variety_elasticity.high_tech: 4.1, "
                                           "production.profit_share_2012: 0.2}\n")
    f = _scenario(tmp_path, text=text)
    rc, out, err = _cli(capsys, "validate", f)
    assert rc == 2 and "ok" not in out
    _one_line(err, str(f), "production.variety_elasticity", "profit_share_2012")
    monkeypatch.setattr(model.runner.ReplicatePool, "map", _no_compute)
    rc, _, err = _cli(capsys, "run", f, "--out", tmp_path / "out", "--workers", "2", "--no-plots")
    assert rc == 2
    _one_line(err, str(f), "production.variety_elasticity")


def test_errors_pickle_to_the_same_line():
    class Unpicklable:
        def __reduce__(self):
            raise TypeError("no")

        def __repr__(self):
            return "<odd>"

    for exc in (InputError("f.yaml", "a.b", Unpicklable(), "allowed"), InputError(None, None, 10 ** 5000, "x"),
                RunError("disk full"), InvariantError("gdp is nan")):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and back.one_line() == exc.one_line() and str(back) == str(exc)


def test_errors_from_dask_arrive_as_one_line(tmp_path, capsys):
    """An InputError raised on a Dask worker process reaches the user as the same one line."""
    from distributed import LocalCluster

    text = ("name: runaway\nscale: tiny\nseeds: 1\nyears: [2012, 2035]\nparams: {entry_exit.entry_rate: 0.2, "
            "entry_exit.exit_hazard: 0.0, entry_exit.exit_after_losses: 0.0}\n")
    f = _scenario(tmp_path, text=text)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        rc, _, err = _cli(capsys, "run", f, "--out", tmp_path / "out", "--no-plots", "--scheduler", c.scheduler_address)
    assert rc == 2
    _one_line(err, str(f), "entry_exit.entry_rate", "20x")


# --- 5. faults ---------------------------------------------------------------------------------

def test_failed_second_rename_restores_the_old_results(tmp_path, capsys, monkeypatch):
    f = _scenario(tmp_path)
    out = tmp_path / "out"
    assert _cli(capsys, "run", f, "--out", out, *FAST)[0] == 0
    before = _tree(out / "quick")
    calls = []
    real = os.rename

    def flaky(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise OSError(errno.EIO, "injected failure")
        return real(src, dst)

    monkeypatch.setattr(model.results, "_rename", flaky)
    rc, _, err = _cli(capsys, "run", f, "--out", out, *FAST, "--seed", "3")
    assert rc == 1
    _one_line(err, "cannot write", "injected failure")
    assert _tree(out / "quick") == before
    assert [p.name for p in out.iterdir()] == ["quick"]


def test_concurrent_writer_is_refused_before_compute(tmp_path, capsys, monkeypatch):
    f = _scenario(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    lock = model.results.TargetLock(out / "quick").acquire()  # as another geese process would
    try:
        monkeypatch.setattr(model.runner.ReplicatePool, "map", _no_compute)
        rc, _, err = _cli(capsys, "run", f, "--out", out, *FAST)
        assert rc == 2
        _one_line(err, "another geese process")
    finally:
        lock.release()
    monkeypatch.undo()
    assert _cli(capsys, "run", f, "--out", out, *FAST)[0] == 0
    assert [p.name for p in out.iterdir()] == ["quick"]


def test_two_racing_runs_both_end_cleanly(tmp_path):
    f = _scenario(tmp_path, text=QUICK.format(name="race").replace("2013", "2016"))
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    cmd = [sys.executable, "-m", "model", "run", str(f), "--out", str(out), *FAST]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
             for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for rc, err in results:
        assert "Traceback" not in err
        assert rc == 0 or (rc == 2 and "another geese process" in err), err
    assert any(rc == 0 for rc, _ in results)
    assert [p.name for p in out.iterdir()] == ["race"]
    assert {"timeseries.csv", "summary.csv", "flows.csv", "manifest.json"} <= {p.name for p in (out / "race").iterdir()}


def test_stale_temp_folders_are_removed_and_backups_restored(tmp_path, capsys):
    f = _scenario(tmp_path)
    out = tmp_path / "out"
    assert _cli(capsys, "run", f, "--out", out, *FAST)[0] == 0
    # a process killed between the two renames of a swap: the old results sit in a backup, target gone
    old = out / ".quick.old-999999-abc"
    os.rename(out / "quick", old)
    (out / ".quick.tmp-999999-def").mkdir()
    (out / ".quick.tmp-999999-def" / "timeseries.csv").write_text("partial")
    (out / ".other.tmp-999998-x").mkdir()
    before = _tree(old)
    model.results.clean_stale(out, set())
    assert sorted(p.name for p in out.iterdir()) == ["quick"]
    assert _tree(out / "quick") == before
    (out / ".quick.tmp-999999-zzz").mkdir()
    assert _cli(capsys, "run", f, "--out", out, *FAST, "--seed", "4")[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["quick"]


# --- 6. nonsense is refused or said ------------------------------------------------------------

@pytest.mark.parametrize(("text", "must"), [
    ("years: [2012, 2100]\n", ["years[1]", "2100", "2035"]),
    ("levers:\n  talent_incentive:\n    - {region: east, wage_topup: 0.1, from: 2030, to: 2040}\n",
     ["to", "2040", "2035"]),
    ("years: [2012, 2030]\nshocks:\n  - {kind: demand, sector: equipment, size: -0.1, year: 2032}\n",
     ["shocks[0].year", "2032", "2013 to 2030"]),
    ("shocks:\n  - {kind: demand, sector: equipment, size: -0.1, year: 2012}\n", ["shocks[0].year", "2012"]),
    ("seeds: 010\n", ["line 2", "010", "YAML 1.1"]),
    ("seeds: 1:20\n", ["line 2", "1:20", "YAML 1.1"]),
])
def test_nonsense_is_an_error(tmp_path, capsys, text, must):
    f = _scenario(tmp_path, text="name: nonsense\n" + text)
    rc, _, err = _cli(capsys, "validate", f)
    assert rc == 2
    _one_line(err, str(f), *must)


def test_yaml_12_numbers_are_read(tmp_path, capsys):
    f = _scenario(tmp_path, text="name: num\nparams: {talent.mobility_high: 2e-1}\n")
    from model.scenario import load_scenario

    assert load_scenario(f).params["talent.mobility_high"] == 0.2
    from model.yamlio import load_yaml

    assert load_yaml("a: 2e-1\nb: 1e3\nc: .5\n", "x") == {"a": 0.2, "b": 1000.0, "c": 0.5}


def test_lever_that_never_acts_is_a_warning(tmp_path, capsys):
    text = ("name: late\nscale: tiny\nseeds: 1\nyears: [2012, 2020]\nlevers:\n  talent_incentive:\n"
            "    - {region: east, wage_topup: 0.1, from: 2025}\n")
    f = _scenario(tmp_path, text=text)
    rc, out, err = _cli(capsys, "validate", f)
    assert rc == 0
    assert "geese: warning:" in err and "levers.talent_incentive[0].from" in err and "never acts" in err
    rc, out, err = _cli(capsys, "run", REPO / "scenarios" / "ne-talent.yaml", "--out", tmp_path / "o", *FAST,
                        "--scale", "tiny", "--seeds", "1", "--years", "2012:2014")
    assert rc == 0 and "with --years 2012:2014" in err and "never acts" in err


def test_non_finite_metric_is_an_invariant_failure(tmp_path, capsys, monkeypatch):
    real = model.runner.run_job

    def poisoned(*a, **k):
        rep = real(*a, **k)
        rep.values[-1, 0, 0] = np.nan
        return rep

    monkeypatch.setattr(model.runner, "run_job", poisoned)
    f = _scenario(tmp_path)
    rc, _, err = _cli(capsys, "run", f, "--out", tmp_path / "out", *FAST)
    assert rc == 70
    _one_line(err, "model invariant failed", "population", "nan", "2013")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_declared_undefined_statistics_may_be_nan_but_never_inf():
    from model import guards
    from model.metrics import METRICS as DECLARED

    names = [m.name for m in DECLARED]
    extra = next(m.name for m in DECLARED if m.may_be_undefined)
    plain = next(m.name for m in DECLARED if not m.core and not m.may_be_undefined)
    vals = np.ones((2, 5, len(names)))
    vals[1, 0, names.index(extra)] = np.nan  # an undefined statistic: allowed
    guards.check_metrics_finite(vals, [2012, 2013], names, ("a", "b", "c", "d"))
    vals[1, 0, names.index(extra)] = np.inf
    with pytest.raises(InvariantError, match=extra):
        guards.check_metrics_finite(vals, [2012, 2013], names, ("a", "b", "c", "d"))
    vals[1, 0, names.index(extra)] = 1.0
    vals[1, 2, names.index(plain)] = np.nan  # a metric not declared may_be_undefined: an invariant failure
    with pytest.raises(InvariantError, match=plain):
        guards.check_metrics_finite(vals, [2012, 2013], names, ("a", "b", "c", "d"))


def test_model_checks_finiteness_every_year():
    from model.api import build_model
    from model import guards

    m = build_model({"name": "t", "scale": "tiny", "years": [2012, 2014]}, seed=0)
    m.step()
    m.recorder.values[m.recorder.years.index(m.year), 1, 3] = np.inf
    with pytest.raises(InvariantError, match="gdp"):
        guards.check_year(m)


def test_no_runtime_warning_reaches_the_user(tmp_path, capfd, monkeypatch):
    import model.model

    real = model.model.policy_for_year

    def noisy(*a, **k):  # called every simulated year, inside the replicate
        np.log(np.zeros(2))  # RuntimeWarning: divide by zero, as a log of zero capital would
        return real(*a, **k)

    monkeypatch.setattr(model.model, "policy_for_year", noisy)
    f = _scenario(tmp_path)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        np.seterr(all="warn")
        try:
            rc = main(["run", str(f), "--out", str(tmp_path / "out"), *FAST])
        finally:
            np.seterr(all="warn", under="ignore")
    assert rc == 0
    assert not [w for w in seen if issubclass(w.category, RuntimeWarning)]
    assert "RuntimeWarning" not in capfd.readouterr().err


def test_shown_values_keep_their_text():
    assert repr(Shown("<binary data>")) == "<binary data>"


# Bounds narrowed by the issue-12 range re-check (scripts/check_ranges.py): each old bound broke the model.
NARROWED = [("labour.high_skill_share_2012", 0.01), ("talent.review_rate", 0.5),
            ("innovation.performer_share_2012", 0.01),
            ("carbon.industrial_share_of_co2", 0.05), ("carbon.relative_intensity", 0.01),
            ("entry_exit.exit_hazard", 0.2), ("entry_exit.entry_rate", 0.2),
            ("demand.firm_shock_sd", 0.35), ("labour.high_skill_share_2012", 0.75), ("labour.demand_elasticity", 0.9),
            ("labour.natural_unemployment", 0.02), ("innovation.success_tfp_gain", 0.1),
            ("innovation.success_gain_sigma", 1.0)]


@pytest.mark.parametrize(("name", "bound"), NARROWED)
def test_documented_bounds_run_clean_to_2035(name, bound):
    from model.guards import quiet_numerics
    from model.model import FlyingGeeseModel
    from model.parameters import default_specs

    spec = default_specs().get(name)
    if spec is None:
        pytest.skip(f"{name} is no longer a parameter")
    assert bound in spec.range, (name, spec.range)
    keys = list(spec.value) if isinstance(spec.value, dict) else [None]
    params = {(name if k is None else f"{name}.{k}"): bound for k in keys}
    with quiet_numerics():
        m = FlyingGeeseModel({"name": "bounds", "scale": "tiny"}, seed=1, params=params)
        m.run()  # ledgers and guards are checked every year
    assert m.year == 2035
