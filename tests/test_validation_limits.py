"""Validation catches what would break a run, and bad input is refused in one line.

Each case was once accepted (or crashed with a traceback): a degenerate
distribution, a price whose products overflow, a duplicate YAML key, a
boolean given for a number, an empty ``--out``, a name with control
characters or too many bytes, user text echoed raw into ``report.md``, a CSV
profile without ``interval``, an unreachable Dask scheduler, a device file as
config. The rule for all: exit code 2, one line on stderr naming the field,
the value and what is allowed, no traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from queuesim.model.config import ConfigError, experiment_from_dict, load_config
from queuesim.model.distributions import Lognormal, Weibull
from queuesim.experiment.store import STEM_BYTES, file_stem
from queuesim.experiment.replication import NonFiniteResult, simulate

from .conftest import run_cli, make_scenario

BASE = {
    "horizon": "1h",
    "arrivals": {"rate": "2/min"},
    "handle_time": {"distribution": "exponential", "mean": "1min"},
    "agents": 3,
}


_cli = run_cli


def _refused(path: Path, *words: str, argv: tuple[str, ...] = ()) -> str:
    """Validate ``path``: exit 2, one line on stderr containing every word; returns that line."""
    code, _, err = _cli("validate", str(path), *argv)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def _write(tmp_path: Path, config: dict, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


# ------------------------------------------------------------------ distributions and prices


@pytest.mark.parametrize("field,dist,words", [
    ("patience", {"distribution": "weibull", "shape": 1e-300, "mean": "2min"}, ["patience", "weibull", "non-finite"]),
    ("handle_time", {"distribution": "lognormal", "mean": "1min", "sd": 1e300}, ["handle_time", "lognormal"]),
    ("patience", {"distribution": "gamma", "shape": 1e-300, "mean": "2min"}, ["patience", "degenerate"]),
    ("handle_time", {"distribution": "empirical", "values": [1e308, 1e308]}, ["handle_time", "mean of inf"]),
], ids=["weibull-shape-1e-300", "lognormal-sd-1e300", "gamma-shape-1e-300", "empirical-1e308"])
def test_distributions_with_non_finite_or_degenerate_samples_are_refused(tmp_path: Path, field, dist, words) -> None:
    _refused(_write(tmp_path, {**BASE, field: dist}), *words)


def test_extreme_but_usable_distributions_still_validate(tmp_path: Path) -> None:
    """A heavy tail is allowed: only non-finite or all-zero samples are refused."""
    config = {**BASE, "patience": {"distribution": "weibull", "shape": 0.3, "mean": "2min"},
              "handle_time": {"distribution": "lognormal", "mean": "1min", "sd": "10min"}}
    assert _cli("validate", str(_write(tmp_path, config)))[0] == 0


@pytest.mark.parametrize("key", ["agent_per_hour", "trunk_per_minute_hold", "abandoned_call"])
def test_prices_whose_products_overflow_are_refused(tmp_path: Path, key: str) -> None:
    _refused(_write(tmp_path, {**BASE, "costs": {key: 1e308}}), f"costs.{key}", "less than or equal")


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_a_replication_with_non_finite_waits_is_a_failure_not_a_null() -> None:
    """Distributions built in Python skip the config check: the replication itself refuses to report nulls."""
    broken = make_scenario().model_copy(update={"patience": Weibull(shape=1e-300, mean=120.0)})
    with pytest.raises(NonFiniteResult, match="NaN or infinite wait"):
        simulate(broken, seed=1)
    simulate(make_scenario(), seed=1)  # the same scenario with sane patience is fine


def test_a_replication_with_an_overflowing_distribution_fails_in_the_run(tmp_path: Path) -> None:
    """Through the runner: a failure listed with its reason (exit 1), never a result with null metrics."""
    from queuesim import run
    from queuesim.model.spec import Experiment

    broken = make_scenario().model_copy(update={"handle_time": Lognormal(mean=60.0, sd=1e300)})
    result = run(Experiment(name="x", scenarios=(broken,), replications=1), executor="serial", quiet=True,
                 retries=0)
    assert not result.replications and len(result.failures) == 1


# ------------------------------------------------------------------ YAML and types


def test_duplicate_keys_name_the_key_and_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("horizon: 1h\narrivals: {rate: 2/min}\nhandle_time: {distribution: exponential, mean: 1min}\n"
                    "agents: 3\nagents: 4\n", encoding="utf-8")
    _refused(path, "duplicate key 'agents'", "line 5", "line 4")


def test_duplicate_variant_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("horizon: 1h\narrivals: {rate: 2/min}\nhandle_time: {distribution: exponential, mean: 1min}\n"
                    "agents: 3\nvariants:\n  v1: {agents: 4}\n  v2: {agents: 5}\n  v1: {agents: 6}\n", encoding="utf-8")
    _refused(path, "duplicate key 'v1'", "line 8", "line 6")


@pytest.mark.parametrize("patch,field", [
    ({"agents": True}, "agents"),
    ({"seed": False}, "seed"),
    ({"replications": True}, "replications"),
    ({"backlog": True}, "backlog"),
    ({"patience": {"distribution": "gamma", "shape": True, "mean": "2min"}}, "shape"),
    ({"arrivals": {"rate": "2/min", "dispersion": True}}, "dispersion"),
], ids=["agents", "seed", "replications", "backlog", "shape", "dispersion"])
def test_booleans_are_not_numbers(tmp_path: Path, patch: dict, field: str) -> None:
    _refused(_write(tmp_path, {**BASE, **patch}), f"{field} = ", "boolean")


@pytest.mark.parametrize("rows, words", [
    ("07:00,10\n07:00,5\n", ("line 3", "'07:00' is given twice", "line 2")),
    ("07:00,10,3\n07:30,5\n", ("line 2", "3 fields where the header has 2", "decimal comma")),
    ("date,interval_start,calls\n2024-01-01,07:00,1\n2024-01-02,07:00,2\n2024-01-01,07:00,3\n",
     ("line 4", "'07:00' of 2024-01-01 is given twice")),
], ids=["repeated row", "extra field", "repeated row of one date"])
def test_a_csv_profile_row_given_twice_or_with_an_extra_field_is_refused(tmp_path: Path, rows: str,
                                                                         words: tuple[str, ...]) -> None:
    """Summed or cut silently, a repeated row would double an interval's calls and a decimal comma (10,3)
    would read as 10."""
    text = rows if rows.startswith("date") else "interval_start,calls\n" + rows
    (tmp_path / "prof.csv").write_text(text, encoding="utf-8")
    _refused(_write(tmp_path, {**BASE, "horizon": "2h", "arrivals": {"file": "prof.csv", "interval": "30min"}}),
             "prof.csv", *words)


def test_a_trailing_comma_in_a_csv_profile_is_harmless(tmp_path: Path) -> None:
    """Spreadsheets often end rows with an empty field: only a field with something in it is refused."""
    (tmp_path / "prof.csv").write_text("interval_start,calls\n07:00,10,\n07:30,4, \n", encoding="utf-8")
    scenario = load_config(_write(tmp_path, {**BASE, "horizon": None,
                                             "arrivals": {"file": "prof.csv", "interval": "30min"}})).scenarios[0]
    assert scenario.arrivals.calls == (10.0, 4.0)


def test_finer_rows_add_up_to_the_interval(tmp_path: Path) -> None:
    (tmp_path / "prof.csv").write_text("interval_start,calls\n07:00,10\n07:05,5\n07:30,4\n", encoding="utf-8")
    scenario = load_config(_write(tmp_path, {**BASE, "horizon": None,
                                             "arrivals": {"file": "prof.csv", "interval": "30min"}})).scenarios[0]
    assert scenario.arrivals.calls == (15.0, 4.0)


def test_a_csv_profile_without_interval_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "prof.csv").write_text("interval_start,calls\n00:00,10\n", encoding="utf-8")
    line = _refused(_write(tmp_path, {**BASE, "arrivals": {"file": "prof.csv"}}), "arrivals", "interval")
    assert "Assertion" not in line


# ------------------------------------------------------------------ names and echoed text


@pytest.mark.parametrize("name", ["two\nlines", "red\x1b[31m", "bell\x07", "😀" * 75],
                         ids=["newline", "escape", "bell", "300-byte-emoji"])
def test_names_are_printable_and_limited_in_bytes(tmp_path: Path, name: str) -> None:
    line = _refused(_write(tmp_path, {**BASE, "name": name}), "name")
    assert line.isprintable()


@pytest.mark.parametrize("name", ["v\x1b[2J", "v\nw"], ids=["escape", "newline"])
def test_variant_names_with_control_characters_are_refused_and_never_echoed_raw(tmp_path: Path, name: str) -> None:
    line = _refused(_write(tmp_path, {**BASE, "variants": {name: {"agents": 4}}}), "variant name")
    assert line.isprintable()


def test_keys_with_control_characters_are_echoed_escaped(tmp_path: Path) -> None:
    line = _refused(_write(tmp_path, {**BASE, "arrivals": {"rate": "2/min", "x\x1b[2J": 1}}), "unknown key")
    assert line.isprintable() and "\\x1b" in line


def test_a_66_emoji_name_is_fine_and_its_file_stem_counts_bytes() -> None:
    name = "😀" * 50  # 200 bytes: allowed
    stem = file_stem(name)
    assert len(stem.encode("utf-8")) <= STEM_BYTES + 9
    assert file_stem("😀" * 49) != file_stem("😀" * 50)


def test_report_escapes_user_text_in_markdown_html_and_figures(tmp_path: Path) -> None:
    config = {**BASE, "horizon": "20min", "name": "<script>alert(1)</script>", "replications": 2,
              "variants": {"<b>more*</b>": {"agents": 4}, "cost $x^{ $ _c": {"agents": 5}}}
    out = tmp_path / "out"
    code, _, err = _cli("run", str(_write(tmp_path, config)), "--out", str(out), "--executor", "serial", "-q",
                        "--report")
    assert code == 0, err
    md = (out / "report.md").read_text(encoding="utf-8")
    html_text = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in md and "<b>" not in md
    assert "&lt;script&gt;" in md
    assert "<script>" not in html_text


# ------------------------------------------------------------------ command line


def test_empty_out_is_refused_and_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _write(tmp_path, BASE)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, err = _cli("run", str(config), "--out", "", "-n", "1", "--executor", "serial", "-q")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--out" in err, err
    assert list(work.iterdir()) == []


def test_argument_errors_are_one_line(tmp_path: Path) -> None:
    code, _, err = _cli("fit", "--records", "x.csv", "--out", "")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--out" in err, err


def test_unreachable_dask_scheduler_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    code, _, err = _cli("run", str(_write(tmp_path, BASE)), "-n", "1", "-q", "--executor", "dask",
                        "--scheduler", "tcp://127.0.0.1:1")
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "tcp://127.0.0.1:1" in err and "Traceback" not in err
    assert "no Dask scheduler answers" in err  # found by one TCP connect, not after Dask's retries


# ------------------------------------------------------------------ bounded input


def test_device_files_and_folders_are_not_configs(tmp_path: Path) -> None:
    if os.path.exists("/dev/zero"):
        _refused(Path("/dev/zero"), "not a regular file")
    _refused(tmp_path, "folder")


def test_config_files_above_the_size_limit_are_refused_before_parsing(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import queuesim.model.config as config_module

    path = _write(tmp_path, {**BASE, "arrivals": {"interval": "1h", "calls": [1] * 2000}})
    assert _cli("validate", str(path))[0] == 0
    monkeypatch.setattr(config_module, "MAX_CONFIG_BYTES", 1000)
    _refused(path, "bytes", "at most 1,000")


def test_profile_files_that_are_devices_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUESIM_ALLOW_ANY_PATH", "1")
    (tmp_path / "prof.csv").symlink_to("/dev/zero")
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    _refused(_write(tmp_path, {**BASE, "arrivals": {"file": "prof.csv", "interval": "30min"}}), "not a regular file")


def test_inline_profiles_with_too_many_intervals_are_refused(tmp_path: Path) -> None:
    from queuesim.model.profile import MAX_PROFILE_INTERVALS

    config = {**BASE, "arrivals": {"interval": "5min", "calls": [0] * (MAX_PROFILE_INTERVALS + 1)}}
    with pytest.raises(ConfigError, match="arrivals.calls.*at most 105,120"):
        experiment_from_dict(config)


def test_a_config_file_above_5_mb_is_refused_unread(tmp_path: Path) -> None:
    """A sparse 6 MB file: refused by its size, so nothing is parsed (a 50 MB config once took 7.8 GB)."""
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.truncate(6_000_000)
    _refused(path, "6,000,000 bytes", "at most 5,000,000")


def test_a_records_file_above_the_limit_is_refused_unread(tmp_path: Path) -> None:
    from queuesim.fit.records import MAX_RECORDS_FILE_BYTES

    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate(MAX_RECORDS_FILE_BYTES + 1)
    code, _, err = _cli("fit", "--records", str(path), "--out", str(tmp_path / "x.yaml"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "at most" in err, err


def test_empirical_files_that_are_devices_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    (tmp_path / "aht.csv").symlink_to("/dev/zero")
    config = {**BASE, "handle_time": {"distribution": "empirical", "file": "aht.csv", "column": "seconds"}}
    monkeypatch.setenv("QUEUESIM_ALLOW_ANY_PATH", "1")
    _refused(_write(tmp_path, config), "not a regular file")


def test_staffing_lists_are_bounded(tmp_path: Path) -> None:
    config = {**BASE, "agents": None, "staffing": {"interval": "5min", "agents": [1] * 105_121}}
    config.pop("agents")
    with pytest.raises(ConfigError, match="staffing.agents"):
        experiment_from_dict(config)


def test_erlang_refuses_absurd_agent_counts_in_one_line() -> None:
    code, _, err = _cli("erlang", "--rate", "95/min", "--handle-time", "1min", "--agents", "999999999")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "1,000,000" in err, err
    code, out, err = _cli("erlang", "--rate", "95/min", "--handle-time", "1min", "--agents", "1000000")
    assert code == 0 and "Erlang C" in out, err


def test_staff_with_an_unwritable_out_exits_3_before_any_search(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    config = _write(tmp_path, BASE)
    code, out, err = _cli("staff", str(config), "--target", "service_level>=0.8@20s", "--out", str(blocker / "out"),
                          "--quiet")
    assert code == 3, err
    assert len(err.strip().splitlines()) == 1 and "a-file" in err and "Traceback" not in err


def test_shift_template_files_refuse_duplicate_keys_and_devices(tmp_path: Path) -> None:
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text("- {name: early, start: '08:00', length: 8h, length: 9h}\n", encoding="utf-8")
    config = _write(tmp_path, BASE)
    for path, words in ((shifts, ("duplicate key 'length'", "line 1")), (Path("/dev/zero"), ("not a regular file",))):
        if not path.exists():
            continue
        code, _, err = _cli("staff", str(config), "--target", "service_level>=0.8@20s", "--shifts", str(path),
                            "--quiet")
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        for word in words:
            assert word in err, err


def test_staff_figures_draw_names_as_plain_text(tmp_path: Path) -> None:
    config = _write(tmp_path, {**BASE, "name": "a $x^{ $b", "costs": {"currency": "$$", "agent_per_hour": 20}})
    out = tmp_path / "out"
    code, _, err = _cli("staff", str(config), "--target", "service_level>=0.8@20s", "--out", str(out), "--quiet")
    assert code == 0, err
    assert (out / "figures" / "requirements.png").exists()
