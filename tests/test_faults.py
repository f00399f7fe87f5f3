"""Issue 12, faults: an ensemble killed at random moments leaves no workers and, after the next run, no
temporary folders; SIGTERM behaves like Ctrl-C.

Each trial starts `geese run` in a subprocess (2 pool workers, tiny scale, plots on so that some kills
land while results are being written), sends SIGINT (to the process group, as Ctrl-C does), SIGTERM or
SIGKILL after a seeded random delay, and checks what is left.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

SCENARIO = "name: kill\nscale: tiny\nseeds: 4\nyears: [2012, 2035]\n"
TRIALS = 6
SEED = 20261130


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _watch(proc: subprocess.Popen, seen: set[int], stop: threading.Event) -> None:
    """Collect every descendant of ``proc`` while it lives (workers, the resource tracker)."""
    try:
        parent = psutil.Process(proc.pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        try:
            seen.update(c.pid for c in parent.children(recursive=True))
        except psutil.NoSuchProcess:
            return
        time.sleep(0.02)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}


def _run(args: list[str], cwd: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "model", *args], cwd=cwd, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".")) if out.exists() else []


def test_killed_ensembles_leave_nothing_behind(tmp_path):
    rng = random.Random(SEED)
    scen = tmp_path / "kill.yaml"
    scen.write_text(SCENARIO)
    out = tmp_path / "out"
    outcomes = []
    for trial in range(TRIALS):
        sig = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)[trial % 3]
        delay = rng.uniform(0.5, 5.0)
        proc = _run(["run", str(scen), "--out", str(out), "--workers", "2", "--force"], tmp_path, start_new_session=True)
        seen: set[int] = set()
        stop = threading.Event()
        watcher = threading.Thread(target=_watch, args=(proc, seen, stop), daemon=True)
        watcher.start()
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            if sig == signal.SIGINT:
                os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole foreground group
            else:
                os.kill(proc.pid, sig)
        try:
            _, err = proc.communicate(timeout=120)
        finally:
            stop.set()
            watcher.join()
        outcomes.append((sig.name, round(delay, 2), proc.returncode))
        assert "Traceback" not in err, err
        if proc.returncode == 0:
            pass  # finished before the signal
        elif sig == signal.SIGKILL:
            assert proc.returncode == -signal.SIGKILL
        else:
            assert proc.returncode == (130 if sig == signal.SIGINT else 143), (proc.returncode, err)
            assert "interrupted" in err or "terminated" in err, err
            assert _hidden(out) == [], _hidden(out)  # nothing half-written, no lock left
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and [p for p in seen if _alive(p)]:
            time.sleep(0.1)
        assert not [p for p in seen if _alive(p)], f"workers outlived the parent after {sig.name}"
        complete = (out / "kill" / "manifest.json").exists()
        if sig == signal.SIGKILL and not complete:  # leftovers are allowed now; the next run removes them
            # (a run killed AFTER its results were swapped in -- or that finished before the kill -- left complete
            # results, which a run with other seeds rightly refuses without --force; the session-4 fit made the
            # tiny run fast enough for the random delay to land there)
            nxt = _run(["run", str(scen), "--out", str(out), "--workers", "1", "--seeds", "1", "--years",
                        "2012:2013", "--no-plots"], tmp_path)
            _, err = nxt.communicate(timeout=120)
            assert nxt.returncode == 0, err
            assert _hidden(out) == []
    assert _hidden(out) == []
    assert not out.exists() or [p.name for p in out.iterdir()] in ([], ["kill"])
    print("trials:", outcomes)


def test_sigterm_behaves_like_ctrl_c(tmp_path):
    scen = tmp_path / "kill.yaml"
    scen.write_text(SCENARIO)
    out = tmp_path / "out"
    proc = _run(["run", str(scen), "--out", str(out), "--workers", "2", "--seeds", "40"], tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out / ".kill.lock").exists():  # past validation, computing
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    lines = [ln for ln in err.splitlines() if ln.startswith("geese:")]
    assert len(lines) == 1 and "terminated" in lines[0] and "Traceback" not in err
    assert not out.exists()


_LATE_SIGNAL = """
import atexit, os, signal, sys
from model import cli
cli.main = lambda: {status}
# a signal that lands while the interpreter shuts down, after the program's work is done and its status decided
atexit.register(lambda: os.kill(os.getpid(), signal.{sig}))
cli.{call}
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_after_the_work_is_done_does_not_change_the_exit_status(sig, tmp_path):
    # CPython resets Python-level signal handlers to the default action while it finalises; without `entry`
    # ignoring late signals, a Ctrl-C or SIGTERM landing then killed a finished run (exit -2 or -15)
    p = subprocess.run([sys.executable, "-c", _LATE_SIGNAL.format(status=0, sig=sig, call="entry()")],
                       cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stderr) == (0, "")
    p = subprocess.run([sys.executable, "-c", _LATE_SIGNAL.format(status=3, sig=sig, call="entry()")],
                       cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stderr) == (3, "")


def test_the_late_signal_check_can_fail(tmp_path):
    # the same late SIGTERM without `entry` (the old `sys.exit(main())`) kills the finished process
    p = subprocess.run([sys.executable, "-c", _LATE_SIGNAL.format(status=0, sig="SIGTERM", call="sys.exit(cli.main())")],
                       cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
    assert p.returncode == -signal.SIGTERM


@pytest.mark.parametrize(("raised", "status"), [("KeyboardInterrupt", 130), ("cli.Terminated", 143)])
def test_an_interrupt_between_main_and_exit_is_reported_as_such(raised, status, tmp_path):
    code = ("import sys\nfrom model import cli\n"
            f"def main():\n    raise {raised}()\ncli.main = main\ncli.entry()\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == status
    assert "Traceback" not in p.stderr
