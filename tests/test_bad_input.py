"""Bad input never produces a traceback: one line on stderr, exit status 2, nothing written.

Every case checks that the single ``geese: error: ...`` line names the file (or the option), the key
path where there is one, the bad value and what is allowed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from model.cli import main
from model.errors import InputError
from model.parameters import read_params_file

REPO = Path(__file__).resolve().parent.parent
PREFIX = "geese: error: "

# A valid, fast scenario: used as the "good" file and as the runtime guard should validation slip.
GOOD = "name: good\nscale: tiny\nseeds: 1\nyears: [2012, 2013]\n"
# Keep any run that wrongly gets past validation short.
FAST = ["--scale", "tiny", "--seeds", "1", "--years", "2012:2013", "--workers", "1", "--no-plots"]


def _lever(body: str) -> str:
    return f"name: bad\nlevers:\n  {body}\n"


# id, file content (str or bytes; "{tmp}" is replaced by the test's tmp_path), substrings the one line must hold
CASES: list[tuple[str, str | bytes, list[str]]] = [
    ("empty-file", b"", ["empty", "expected a YAML mapping"]),
    ("whitespace-only", "   \n\n# only a comment\n", ["empty", "expected a YAML mapping"]),
    ("list-not-mapping", "- name: bad\n- seeds: 2\n", ["'list'", "expected a YAML mapping at the top level"]),
    ("scalar-not-mapping", "just words\n", ["'str'", "expected a YAML mapping at the top level"]),
    ("yaml-syntax", "name: bad\nlevers: {talent_incentive: [1, 2}\n", ["line 2", "YAML syntax", "fix the YAML syntax"]),
    ("yaml-syntax-indent", "name: bad\nseeds: 2\n  scale: tiny\n", ["line 3", "YAML syntax", "fix the YAML syntax"]),
    ("unknown-lever-typo", "name: bad\nlevers: {talent_incentiv: []}\n",
     ["levers.talent_incentiv", "'talent_incentiv'", "unknown key", "did you mean 'talent_incentive'",
      "allowed keys", "digitalization"]),
    ("unknown-top-level-typo", "name: bad\nsceds: 3\n",
     ["sceds", "'sceds'", "unknown key", "did you mean 'seeds'", "allowed keys", "levers"]),
    ("unknown-lever-field-typo", _lever("talent_incentive:\n    - {region: northeast, wage_topop: 0.1}"),
     ["levers.talent_incentive[0].wage_topop", "did you mean 'wage_topup'", "allowed keys"]),
    ("seeds-wrong-type", "name: bad\nseeds: many\n", ["seeds", "'many'", "valid integer"]),
    ("share-wrong-type", _lever('talent_incentive:\n    - {region: northeast, wage_topup: "high"}'),
     ["levers.talent_incentive[0].wage_topup", "'high'", "valid number"]),
    ("years-wrong-length", "name: bad\nyears: [2012, 2020, 2030]\n", ["years", "[2012, 2020, 2030]", "at most 2 items"]),
    ("negative-seeds", "name: bad\nseeds: -3\n", ["seeds", "-3", "greater than or equal to 1"]),
    ("zero-seeds", "name: bad\nseeds: 0\n", ["seeds", "0", "greater than or equal to 1"]),
    ("share-above-one", _lever("talent_incentive:\n    - {region: northeast, wage_topup: 1.5}"),
     ["levers.talent_incentive[0].wage_topup", "1.5", "less than or equal to 1"]),
    ("share-below-zero", _lever("carbon_price: {path: {2021: 50}, free_allocation: -0.1}"),
     ["levers.carbon_price.free_allocation", "-0.1", "greater than or equal to 0"]),
    ("negative-carbon-price", _lever("carbon_price: {path: {2021: 50, 2030: -10}}"),
     ["levers.carbon_price.path[2030]", "-10", "greater than or equal to 0"]),
    ("empty-carbon-path", _lever("carbon_price: {path: {}}"),
     ["levers.carbon_price.path", "{}", "at least one year"]),
    ("reversed-years", "name: bad\nyears: [2035, 2012]\n", ["years", "[2035, 2012]", "start < end"]),
    ("equal-years", "name: bad\nyears: [2020, 2020]\n", ["years", "[2020, 2020]", "start < end"]),
    ("year-before-data", "name: bad\nyears: [2000, 2020]\n", ["years", "2000", "greater than or equal to 2012"]),
    ("reversed-lever-window", _lever("talent_incentive:\n    - {region: northeast, wage_topup: 0.1, from: 2030, to: 2025}"),
     ["levers.talent_incentive[0]", "2030", "2025", "reversed", "'to' must be >= 'from'"]),
    ("unknown-region", _lever("talent_incentive:\n    - {region: northeest, wage_topup: 0.1}"),
     ["levers.talent_incentive[0].region", "'northeest'", "unknown region", "did you mean 'northeast'",
      "'east'", "'central'", "'west'"]),
    ("unknown-sector", _lever("relocation_subsidy:\n    - {region: west, sectors: [textiles], subsidy: 0.1}"),
     ["levers.relocation_subsidy[0].sectors[0]", "'textiles'", "'energy_intensive'", "'high_tech'"]),
    ("unknown-shock-sector", "name: bad\nshocks:\n  - {kind: demand, sector: steel, size: -0.1, year: 2020}\n",
     ["shocks[0].sector", "'steel'", "'labour_intensive'"]),
    ("unknown-lever", _lever("green_bonds: []"),
     ["levers.green_bonds", "'green_bonds'", "unknown key", "allowed keys", "talent_incentive", "carbon_price"]),
    ("unknown-scale", "name: bad\nscale: huge\n", ["scale", "'huge'", "'tiny'", "'full'"]),
    ("unknown-base", "name: bad\nbase: baselin\n",
     ["base", "'baselin'", "unknown base scenario", "did you mean 'baseline'", "known:"]),
    ("non-utf8", b"name: \xff\xfe x\n", ["UTF-8", r"\xff", "offset 6"]),
    ("latin1", "name: bad\ndescription: caf\xe9\n".encode("latin-1"), ["UTF-8", r"\xe9"]),
    ("binary-nul", b"name: bad\x00\x01\x02\x03\nseeds: 2\n", ["<binary data>", "UTF-8 text"]),
    ("python-tag-top", '!!python/object/apply:os.system ["echo hacked > {tmp}/pwned"]\n',
     ["line 1", "tag", "!!python/object/apply:os.system", "YAML tags", "not allowed"]),
    ("python-tag-nested", 'name: bad\nseeds: !!python/object/apply:os.system ["echo hacked > {tmp}/pwned"]\n',
     ["line 2", "tag", "!!python/object/apply:os.system", "YAML tags"]),
    ("python-name-tag", "name: bad\nseeds: !!python/name:os.system\n",
     ["line 2", "tag", "!!python/name:os.system", "YAML tags"]),
    ("name-escapes-dotdot", "name: ../escape\n", ["name", "'../escape'", "lower-case name", "no '/'"]),
    ("name-escapes-slash", "name: a/b\n", ["name", "'a/b'", "lower-case name", "no '/'"]),
    ("name-absolute", "name: /etc\n", ["name", "'/etc'", "lower-case name"]),
    ("name-missing", "seeds: 2\n", ["name", "None", "required"]),
    ("unknown-param", "name: bad\nparams:\n  talent.mobility_hihg: 1.2\n",
     ["params.talent.mobility_hihg", "'talent.mobility_hihg'", "unknown parameter",
      "did you mean 'talent.mobility_high'"]),
    ("negative-elasticity-param", "name: bad\nparams:\n  production.capital_share.high_tech: -0.2\n",
     ["params.production.capital_share.high_tech", "-0.2", "elasticity in [0.3, 0.85]"]),
    ("share-param-above-one", "name: bad\nparams:\n  production.nonmanufacturing_share_energy: 1.5\n",
     ["params.production.nonmanufacturing_share_energy", "1.5", "share in [0, 1]"]),
    ("param-nan", "name: bad\nparams:\n  talent.mobility_high: .nan\n",
     ["params.talent.mobility_high", "nan", "finite number"]),
]


def _write(tmp_path: Path, content: str | bytes, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content.replace("{tmp}", str(tmp_path)), encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def _one_error_line(out: str, err: str, must: list[str]) -> str:
    assert "Traceback" not in out and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected exactly one stderr line, got {lines!r}"
    line = lines[0]
    assert line.startswith(PREFIX), line
    for s in must:
        assert s in line, f"{s!r} missing from: {line}"
    return line


def _nothing_written(out_dir: Path) -> None:
    assert not out_dir.exists() or list(out_dir.iterdir()) == [], sorted(p.name for p in out_dir.iterdir())


def _cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(("content", "must"), [pytest.param(c, m, id=i) for i, c, m in CASES])
def test_bad_scenario_file(tmp_path, capsys, command, content, must):
    path = _write(tmp_path, content)
    out_dir = tmp_path / "out"
    argv = [command, path] + (["--out", out_dir, *FAST] if command == "run" else [])
    rc, out, err = _cli(capsys, argv)
    assert rc == 2
    _one_error_line(out, err, [str(path), *must])
    assert out == ""
    _nothing_written(out_dir)
    assert not (tmp_path / "pwned").exists(), "a YAML tag executed code"
    assert not (tmp_path / "escape").exists() and not (tmp_path / "a").exists()


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "nope.yaml"
    rc, out, err = _cli(capsys, ["run", path, "--out", tmp_path / "out", *FAST])
    assert rc == 2
    _one_error_line(out, err, [str(path), "does not exist"])
    _nothing_written(tmp_path / "out")


def test_directory_instead_of_file(tmp_path, capsys):
    d = tmp_path / "adir"
    d.mkdir()
    rc, out, err = _cli(capsys, ["validate", d])
    assert rc == 2
    _one_error_line(out, err, [str(d), "expected a file, got a directory"])


def test_base_cycle(tmp_path, capsys):
    a = _write(tmp_path, "name: cyc-a\nbase: cyc-b\n", "cyc-a.yaml")
    _write(tmp_path, "name: cyc-b\nbase: cyc-a\n", "cyc-b.yaml")
    rc, out, err = _cli(capsys, ["run", a, "--out", tmp_path / "out", *FAST])
    assert rc == 2
    _one_error_line(out, err, ["base", "cycle"])
    _nothing_written(tmp_path / "out")


def test_error_in_base_names_the_base_file(tmp_path, capsys):
    base = _write(tmp_path, "name: mybase\nseeds: lots\n", "mybase.yaml")
    child = _write(tmp_path, "name: child\nbase: mybase\n", "child.yaml")
    rc, out, err = _cli(capsys, ["run", child, "--out", tmp_path / "out", *FAST])
    assert rc == 2
    line = _one_error_line(out, err, ["seeds", "'lots'"])
    assert str(child) in line or str(base) in line
    _nothing_written(tmp_path / "out")


def test_error_in_base_is_reported_against_the_base_file(tmp_path, capsys):
    base = _write(tmp_path, "name: mybase\nseeds: lots\n", "mybase.yaml")
    child = _write(tmp_path, "name: child\nbase: mybase\n", "child.yaml")
    rc, out, err = _cli(capsys, ["validate", child])
    assert rc == 2
    _one_error_line(out, err, [str(base), "seeds", "'lots'"])


# --- bad command-line values -------------------------------------------------------------------

CLI_CASES = [
    ("years-reversed", ["--years", "2035:2012"], ["--years", "'2035:2012'", "START < END"]),
    ("years-not-numbers", ["--years", "abc"], ["--years", "'abc'", "START:END"]),
    ("years-one-number", ["--years", "2020"], ["--years", "'2020'", "START:END"]),
    ("years-before-data", ["--years", "2000:2020"], ["--years", "'2000:2020'", "2012 <= START"]),
    ("seeds-zero", ["--seeds", "0"], ["--seeds", "'0'", "positive whole number"]),
    ("seeds-negative", ["--seeds", "-2"], ["--seeds", "'-2'", "positive whole number"]),
    ("seeds-word", ["--seeds", "many"], ["--seeds", "'many'", "positive whole number"]),
    ("workers-zero", ["--workers", "0"], ["--workers", "'0'", "positive whole number"]),
    ("scale-unknown", ["--scale", "huge"], ["--scale", "'huge'", "'tiny'", "'full'"]),
    ("seed-not-int", ["--seed", "abc"], ["--seed", "'abc'", "whole number"]),
    ("unknown-option", ["--frobnicate"], ["--frobnicate", "unrecognized"]),
]


@pytest.mark.parametrize(("extra", "must"), [pytest.param(e, m, id=i) for i, e, m in CLI_CASES])
def test_bad_run_option(tmp_path, capsys, extra, must):
    good = _write(tmp_path, GOOD, "good.yaml")
    out_dir = tmp_path / "out"
    rc, out, err = _cli(capsys, ["run", good, "--out", out_dir, "--no-plots", *extra])
    assert rc == 2
    _one_error_line(out, err, must)
    assert out == ""
    _nothing_written(out_dir)


@pytest.mark.parametrize(("argv", "must"), [
    pytest.param(["frobnicate"], ["'frobnicate'", "invalid choice", "'run'"], id="unknown-command"),
    pytest.param(["run"], ["required", "SCENARIO"], id="run-without-files"),
])
def test_bad_command_line(capsys, argv, must):
    rc, out, err = _cli(capsys, argv)
    assert rc == 2
    _one_error_line(out, err, must)


def test_parse_error_echoes_the_arguments_given_to_main(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["pytest", "--unrelated-outer-argument"])
    good = _write(tmp_path, GOOD, "good.yaml")
    rc, out, err = _cli(capsys, ["run", good, "--scale", "huge", "--out", tmp_path / "out"])
    assert rc == 2
    line = _one_error_line(out, err, ["'huge'"])
    assert "--unrelated-outer-argument" not in line


def test_second_file_bad_writes_nothing(tmp_path, capsys):
    good = _write(tmp_path, GOOD, "good.yaml")
    bad = _write(tmp_path, "name: bad2\nbase: baseline\nscale: tiny\nseeds: -1\n", "bad2.yaml")
    out_dir = tmp_path / "out"
    rc, out, err = _cli(capsys, ["run", good, bad, "--out", out_dir, "--workers", "1", "--no-plots"])
    assert rc == 2
    line = _one_error_line(out, err, [str(bad), "seeds", "-1"])
    assert str(good) not in line
    assert out == ""  # not even the first scenario ran
    _nothing_written(out_dir)


def test_second_file_name_escapes_writes_nothing(tmp_path, capsys):
    good = _write(tmp_path, GOOD, "good.yaml")
    bad = _write(tmp_path, "name: ../escape\nscale: tiny\n", "bad3.yaml")
    out_dir = tmp_path / "out"
    rc, out, err = _cli(capsys, ["run", good, bad, "--out", out_dir, "--workers", "1", "--no-plots"])
    assert rc == 2
    _one_error_line(out, err, [str(bad), "name", "'../escape'"])
    _nothing_written(out_dir)
    assert not (tmp_path / "escape").exists()


# --- compare with bad inputs -------------------------------------------------------------------

def test_compare_not_a_results_dir(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    out_dir = tmp_path / "cmp"
    rc, out, err = _cli(capsys, ["compare", a, b, "--out", out_dir])
    assert rc == 2
    _one_error_line(out, err, [str(a), "summary.csv"])
    _nothing_written(out_dir)


# --- the same through a real subprocess: no traceback, status 2 --------------------------------

def _subprocess(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run([sys.executable, "-m", "model", *map(str, argv)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


@pytest.mark.parametrize(("content", "must"), [
    pytest.param('!!python/object/apply:os.system ["echo hacked > {tmp}/pwned"]\n',
                 ["line 1", "!!python/object/apply:os.system", "YAML tags"], id="python-tag"),
    pytest.param(b"name: bad\x00\x01\x02\n", ["<binary data>", "UTF-8"], id="binary"),
    pytest.param(_lever("talent_incentive:\n    - {region: northeest, wage_topup: 0.1}"),
                 ["levers.talent_incentive[0].region", "'northeest'", "did you mean 'northeast'"], id="region"),
])
def test_subprocess_bad_file(tmp_path, content, must):
    path = _write(tmp_path, content)
    out_dir = tmp_path / "out"
    proc = _subprocess(["run", path, "--out", out_dir, *FAST], cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    _one_error_line(proc.stdout, proc.stderr, [str(path), *must])
    _nothing_written(out_dir)
    assert not (tmp_path / "pwned").exists()


def test_subprocess_bad_option(tmp_path):
    good = _write(tmp_path, GOOD, "good.yaml")
    out_dir = tmp_path / "out"
    proc = _subprocess(["run", good, "--out", out_dir, "--no-plots", "--scale", "huge"], cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    _one_error_line(proc.stdout, proc.stderr, ["--scale", "'huge'", "'tiny'"])
    _nothing_written(out_dir)


# --- calibration params files ------------------------------------------------------------------

@pytest.mark.parametrize(("content", "must"), [
    pytest.param("values:\n  talent.mobility_hihg: 1.2\n",
                 ["values.talent.mobility_hihg", "unknown parameter", "did you mean 'talent.mobility_high'"],
                 id="unknown-name"),
    pytest.param("values:\n  talent.mobility_high: null\n", ["values.talent.mobility_high", "None", "missing"],
                 id="missing-value"),
    pytest.param("values:\n  talent.mobility_high:\n", ["values.talent.mobility_high", "None", "missing"],
                 id="empty-value"),
    pytest.param("values:\n  talent.mobility_high: 1000\n",
                 ["values.talent.mobility_high", "1000", "in [0.2, 5]"], id="out-of-range"),
    pytest.param("values:\n  production.capital_share.high_tech: -0.2\n",
                 ["values.production.capital_share.high_tech", "-0.2", "elasticity in [0.3, 0.85]"],
                 id="negative-elasticity"),
    pytest.param("values:\n  talent.mobility_high: fast\n",
                 ["values.talent.mobility_high", "'fast'", "expected a number"], id="not-a-number"),
    pytest.param("fit: {loss: 0.4}\n", ["values", "None", "mapping of parameter name to number"], id="no-values"),
    pytest.param("fitt: {}\nvalues:\n  talent.mobility_high: 1.2\n", ["fitt", "unknown key", "fit, values"],
                 id="unknown-top-key"),
    pytest.param("values: [1, 2]\n", ["values", "mapping of parameter name to number"], id="values-list"),
])
def test_bad_calibration_params_file(tmp_path, content, must):
    path = _write(tmp_path, content, "params.yaml")
    with pytest.raises(InputError) as info:
        read_params_file(path)
    message = str(info.value)
    assert str(path) in message
    for s in must:
        assert s in message, f"{s!r} missing from: {message}"
    assert "\n" not in message


def test_good_calibration_params_file_reads(tmp_path):
    path = _write(tmp_path, "fit: {loss: 0.4}\nvalues:\n  talent.mobility_high: 1.9\n", "params.yaml")
    assert read_params_file(path)["values"] == {"talent.mobility_high": 1.9}


def test_good_file_is_accepted(tmp_path, capsys):
    """The guard for the table above: the same machinery accepts a valid file."""
    good = _write(tmp_path, GOOD, "good.yaml")
    rc, out, err = _cli(capsys, ["validate", good])
    assert rc == 0, err
    assert "ok" in out and err == ""


@pytest.mark.parametrize("body, must", [
    ("name: x\nname: y\n", ["line 2", "'name'", "only once"]),
    ("name: x\nseeds: true\n", ["seeds", "True", "valid integer"]),
    ("name: x\nseeds: 2.0\n", ["seeds", "2.0", "valid integer"]),
    ("name: x\nlevers: {talent_incentive: [{region: east, wage_topup: yes}]}\n", ["wage_topup", "True"]),
    ("name: x\nparams: {talent.mobility_high: '1.2'}\n", ["params.talent.mobility_high", "'1.2'"]),
])
def test_loose_yaml_values_are_rejected(tmp_path, capsys, body, must):
    f = tmp_path / "loose.yaml"
    f.write_text(body)
    assert main(["validate", str(f)]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("geese: error: ") and str(f) in line and "\n" not in line
    for s in must:
        assert s in line, line
