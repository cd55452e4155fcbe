"""`queuesim staff` shows its work: progress over the search, results as they are final, unambiguous columns."""

from __future__ import annotations

import io

import pytest

from queuesim.cli import main
from queuesim.commands.staff import SearchProgress

from .conftest import SMALL_DAY

CONFIG = SMALL_DAY + "shrinkage: 0.2\n"

# The late shift may have at most 2 agents: 09:00-11:00 stay short of the requirement, so the
# simulated schedule misses the service-level target there whatever the random numbers.
SHORT_SHIFTS = """
shift_templates:
  - {name: early, start: "08:00", length: 1h, cost_per_hour: 30}
  - {name: late, start: "09:00", length: 3h, cost_per_hour: 30, max_agents: 2}
"""


@pytest.fixture
def files(tmp_path):
    config = tmp_path / "day.yaml"
    config.write_text(CONFIG)
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text(SHORT_SHIFTS)
    return config, shifts


def test_columns_say_what_they_count_and_which_target_is_missed(files, capsys) -> None:
    config, shifts = files
    assert main(["staff", str(config), "--target", "service_level>=0.8@20s", "--shifts", str(shifts), "-q"]) == 0
    out = capsys.readouterr().out
    requirement_header = next(line for line in out.splitlines() if line.lstrip().startswith("interval") and "calls" in line)
    assert requirement_header.split() == ["interval", "calls", "load", "erlang_c", "erlang_a", "simulated",
                                          "required_scheduled"]
    schedule_header = next(line for line in out.splitlines() if "shift_coverage" in line)
    assert schedule_header.split() == ["interval", "required_scheduled", "shift_coverage", "meets_targets"]
    rows = {line.split()[0]: line for line in out.splitlines()[out.splitlines().index(schedule_header) + 1:][:4]}
    assert rows["08:00"].rstrip().endswith("yes")
    assert rows["10:00"].rstrip().endswith("NO: service_level"), rows["10:00"]
    for header in (requirement_header, schedule_header):
        assert "scheduled" not in header.split() and "meets" not in header.split()


def test_requirements_are_printed_before_the_schedule_is_worked_out(files, capsys, monkeypatch) -> None:
    """A failure in a later stage still leaves the search's final result on stdout."""
    import queuesim.staffing as staffing

    def broken(*_args, **_kwargs):
        raise staffing.StaffingError("the solver is out to lunch")

    monkeypatch.setattr(staffing, "schedule", broken)
    config, shifts = files
    assert main(["staff", str(config), "--target", "service_level>=0.8@20s", "--shifts", str(shifts), "-q"]) == 2
    captured = capsys.readouterr()
    assert "agents required per interval:" in captured.out and "required_scheduled" in captured.out
    assert "out to lunch" in captured.err


def test_progress_lines_report_staffings_and_intervals_still_missing(files, capsys) -> None:
    config, _ = files
    assert main(["staff", str(config), "--target", "service_level>=0.8@20s"]) == 0
    err = capsys.readouterr().err
    assert "[queuesim] search: 1 staffings simulated; 2 interval(s) still miss a target: adding agents" in err
    assert "every interval meets the targets: removing agents where there is slack" in err


def test_search_progress_prints_on_phase_changes_and_at_most_every_interval() -> None:
    stream = io.StringIO()
    progress = SearchProgress(interval=3600.0, stream=stream, interactive=False)
    progress.step(1, 4, "adding")
    progress.step(2, 3, "adding")  # same phase, within the interval: no line
    progress.step(3, 0, "trimming")
    lines = stream.getvalue().splitlines()
    assert lines == ["[queuesim] search: 1 staffings simulated; 4 interval(s) still miss a target: adding agents",
                     "[queuesim] search: 3 staffings simulated; every interval meets the targets: removing agents "
                     "where there is slack"]
    quiet = io.StringIO()
    SearchProgress(quiet=True, stream=quiet, interactive=False).step(1, 4, "adding")
    assert quiet.getvalue() == ""


def test_search_progress_draws_a_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = SearchProgress(stream=stream, interactive=True)
    progress.step(5, 2, "adding")
    progress.step(9, 0, "trimming")
    progress.close()
    text = stream.getvalue()
    assert "search: staffings simulated: 9 staffings" in text and "removing agents where there is slack" in text
