"""The report a planner can forward: it says what was compared, at which threshold, with what result.

The flagship config, cut to the morning, is run and reported once; the tests read the
HTML and Markdown, and open the HTML in a real headless Chromium (every figure loads,
no console message). Without Chromium that test is skipped, unless
QUEUESIM_REQUIRE_BROWSER=1 (set by .ci/run, which installs Chromium) makes it fail.
"""

from __future__ import annotations

import html as html_lib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import queuesim as qs
from queuesim.cli import main
from queuesim.experiment.results import ExperimentResult
from queuesim.report import charts as F
from queuesim.report.words import human_name, summary_paragraph, variant_changes

from .conftest import CONFIGS

FLAGSHIP = CONFIGS / "your-call-is-important.yaml"


@pytest.fixture(scope="module")
def flagship_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("flagship") / "run"
    experiment = qs.load_config(FLAGSHIP, ["horizon=10h"])
    qs.run(experiment, replications=4, executor="serial", out=out)
    (out / "figures").mkdir(exist_ok=True)
    (out / "figures" / "metric-happiness.png").write_bytes(b"\x89PNG old")  # an earlier report's figure
    assert main(["report", str(out)]) == 0
    return out


def _text(page: str) -> str:
    """The visible text of an HTML page (tags removed, entities decoded)."""
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def test_title_is_the_description_and_the_first_paragraph_answers_in_numbers(flagship_report: Path) -> None:
    page = (flagship_report / "report.html").read_text()
    title = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert html_lib.unescape(title) == 'The price of "your call is important to us", and its alternatives.'
    assert "hold-loop" not in title
    summary = _text(re.search(r'<p class="summary">(.*?)</p>', page, re.S).group(1))
    alternatives = len(qs.load_config(CONFIGS / "your-call-is-important.yaml").scenarios) - 1
    assert alternatives >= 9 and f"hold-loop (the baseline) with {alternatives} alternatives" in summary
    assert re.search(r"\d+\.\d% of the calls \(95% CI \d+\.\d% to \d+\.\d%; about [\d,]+ a day\)", summary)
    assert re.search(r"answered within 20 s \(95% CI", summary)
    # calls count redials again: the callers behind them, and how many are never answered, are said apart
    assert re.search(r"Those calls come from about [\d,]+ callers \(some call again\); \d+\.\d% of them \(95% CI", summary)
    assert re.search(r"The largest saving is [\w-]+: [\d,]+ EUR a day less \(95% CI [\d,]+ EUR to [\d,]+ EUR\)", summary)


def test_what_each_variant_changes_is_tabled_from_the_config(flagship_report: Path) -> None:
    text = _text((flagship_report / "report.html").read_text())
    assert "What was compared" in text
    assert "shift_adjust: {add: 1}" in text
    table = re.search(r'<table class="changes">(.*?)</table>', (flagship_report / "report.html").read_text(), re.S)
    rows = re.findall(r"<tr><td>([\w-]+)</td><td>([\d,]+)</td>", table.group(1))
    agents = dict(rows)
    assert (agents["hold-loop"], agents["more-agents"], agents["least-cost-schedule"]) == ("109", "125", "145"), \
        "the agents each scenario has"
    assert "callback: {kind: virtual_hold, offer: at_arrival, threshold: 2min" in text
    assert "answered within 20 s; callers who hang up count as misses" in text


def test_measures_have_human_names_units_and_a_glossary(flagship_report: Path) -> None:
    page = (flagship_report / "report.html").read_text()
    headline = re.search(r'<table class="headline">(.*?)</table>', page, re.S).group(1)
    assert "Answered within 20 s (service level)" in headline and "Callers who hung up unserved" in headline
    assert "Value of customers&#x27; time on hold" in headline or "Value of customers' time on hold" in headline
    for internal in ("abandonment_rate", "cost_customer_time", "wait_p90"):
        assert internal not in headline, internal
    glossary = _text(page[page.index("<h2>Glossary</h2>"):])
    for internal in ("abandonment_rate", "service_level", "cost_customer_time", "wait_p90", "asa"):
        assert internal in glossary, internal
    for jargon in ("Vincent", "pairing narrows", "unpaired"):
        assert jargon not in _text(page), jargon
    assert human_name("service_level", 30.0) == "Answered within 30 s (service level)"
    assert human_name("service_level[billing]", 120.0) == "Answered within 2 min (service level), billing only"


def test_stale_figures_are_removed_and_every_figure_is_embedded(flagship_report: Path) -> None:
    pngs = sorted(p.stem for p in (flagship_report / "figures").glob("*.png"))
    assert "metric-happiness" not in pngs
    page = (flagship_report / "report.html").read_text()
    assert sorted(re.findall(r'<figure id="([\w-]+)">', page)) == pngs
    assert "src=\"http" not in page and "<link" not in page and "<script" not in page  # self-contained


def test_cost_whiskers_are_the_paired_difference_against_the_baseline(flagship_report: Path) -> None:
    result = ExperimentResult.load(flagship_report)
    fig = F.cost_figure(result)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if c.__class__.__name__ == "ErrorbarContainer"]
    (container,) = bars
    segments = container.lines[2][0].get_segments()
    names = result.scenario_names
    for name, segment in zip(names, segments):
        width = (segment[1][0] - segment[0][0]) / 2
        expected = 0.0 if name == names[0] else result.comparison(name, names[0], "cost_total").paired_half_width
        assert width == pytest.approx(expected), name
        # pairing narrows the CI of the variants whose days move with the baseline's (same staffing); a
        # schedule under which hardly anyone queues does not move with the understaffed baseline
        if name not in (names[0], "least-cost-schedule"):
            assert width < result.estimate(name, "cost_total").half_width, name
    assert any(line.get_linestyle() == "--" for line in ax.get_lines()), "the baseline's total is a dashed line"


def test_intraday_small_multiples_target_line_counts_from_zero_and_warmup(flagship_report: Path) -> None:
    result = ExperimentResult.load(flagship_report)
    fig = F.intraday_figure(result)
    names = result.scenario_names
    shared, multiples = fig.axes[:2], fig.axes[2:]
    assert len(multiples) == len(names), "one service-level panel per scenario"
    assert [a.get_title(loc="left") for a in multiples] == names
    for ax in shared:
        assert ax.get_ylim()[0] == 0, ax.get_ylabel()
    for ax in multiples:
        assert any(line.get_linestyle() == "--" and line.get_ydata()[0] == 80 for line in ax.get_lines())
    offered = shared[0]
    assert len(offered.get_lines()) < len(names), "scenarios with the same callers share one line"
    warm = result.experiment.model_copy(update={"scenarios": tuple(
        s.model_copy(update={"warmup": 8 * 3600.0}) for s in result.experiment.scenarios)})
    result_warm = ExperimentResult(experiment=warm, replications=result.replications)
    fig = F.intraday_figure(result_warm)
    assert all(any(p.__class__.__name__ == "Rectangle" and p.get_x() == pytest.approx(7.0) for p in ax.patches)
               for ax in fig.axes), "the warm-up (07:00-08:00) is shaded in every panel"


def test_summary_without_costs_names_the_scenario_losing_fewest_callers(tmp_path: Path) -> None:
    config = {"name": "base", "seed": 2, "replications": 4, "horizon": "1h", "arrivals": {"rate": "3/min"},
              "handle_time": {"distribution": "exponential", "mean": "3min"},
              "patience": {"distribution": "exponential", "mean": "2min"}, "agents": 9,
              "variants": {"more": {"agents": 12}}}
    from queuesim.model.config import experiment_from_dict

    result = qs.run(experiment_from_dict(config), executor="serial")
    text = summary_paragraph(result)
    assert "more loses the fewest callers" in text and "percentage points (95% CI" in text
    assert variant_changes(result)[1] == ("more", "agents: 12")


def test_summary_of_an_incomplete_run_says_so_and_counts_days_per_comparison(tmp_path: Path) -> None:
    """An interrupted run: some scenarios have fewer days, one none. The first paragraph says how many days each
    has before any number, leaves out the one without, and the noise of a comparison is the days it shares."""
    import dataclasses

    from queuesim.model.config import experiment_from_dict

    config = {"name": "base", "seed": 2, "replications": 6, "horizon": "1h", "arrivals": {"rate": "3/min"},
              "handle_time": {"distribution": "exponential", "mean": "3min"},
              "patience": {"distribution": "exponential", "mean": "2min"}, "agents": 9,
              "costs": {"agent_per_hour": 30, "abandoned_call": 1},
              "variants": {"same": {"agents": 9}, "more": {"agents": 12}, "later": {"agents": 10}}}
    full = qs.run(experiment_from_dict(config), executor="serial")
    kept = [r for r in full.replications
            if r.scenario == "base" or (r.scenario == "same" and r.replication < 4)
            or (r.scenario == "more" and r.replication < 3)]
    text = summary_paragraph(dataclasses.replace(full, replications=kept))
    assert "the run is incomplete: simulated days found per scenario: base 6, same 4, more 3; none yet for later" in text
    assert "the same 0 days" not in text and "later" not in text.split("none yet for later")[1]
    assert "within the noise of 4 days" in text  # same vs base: the 4 days both have
    complete = summary_paragraph(full)
    assert "Each was simulated for the same 6 days" in complete and "incomplete" not in complete
    # one day shared: no CI, said so, not counted as noise
    one = [r for r in full.replications if r.scenario != "same" or r.replication < 1]
    text = summary_paragraph(dataclasses.replace(full, replications=one))
    assert "same shares fewer than 2 days with base: too few to tell" in text and "nan" not in text.lower()
    # the baseline without days: its numbers are not printed as NaN
    no_base = [r for r in full.replications if r.scenario != "base"]
    text = summary_paragraph(dataclasses.replace(full, replications=no_base))
    assert "none yet for base" in text and "base has no simulated day yet" in text and "nan" not in text.lower()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = """<script>window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute('data-images', imgs.length + ' loaded ' + ok.length);
});</script>"""


def _open_in_chromium(page: Path, tmp_path: Path) -> tuple[int, int, list[str]]:
    """Open a copy of ``page`` (plus a probe script) headless: images, loaded images, console lines."""
    copy = tmp_path / "probe.html"
    copy.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", copy.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'data-images="(\d+) loaded (\d+)"', proc.stdout)
    assert found, "the page's load event never ran"
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return int(found.group(1)), int(found.group(2)), console


def _need_chromium() -> None:
    if CHROMIUM is None:
        message = "chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("QUEUESIM_REQUIRE_BROWSER") == "1":
            pytest.fail(message + ", and QUEUESIM_REQUIRE_BROWSER=1 asks for the browser check")
        pytest.skip(message)


def test_report_opens_in_a_real_browser_with_every_figure_and_no_console_message(
        flagship_report: Path, tmp_path: Path) -> None:
    _need_chromium()
    images, loaded, console = _open_in_chromium(flagship_report / "report.html", tmp_path)
    assert images == len(list((flagship_report / "figures").glob("*.png"))) and images >= 8
    assert loaded == images
    assert console == []


def test_the_browser_check_catches_a_broken_figure_and_a_script_error(flagship_report: Path, tmp_path: Path) -> None:
    """The check above can fail: a broken image and a console error are both seen."""
    _need_chromium()
    broken = tmp_path / "broken.html"
    broken.write_text((flagship_report / "report.html").read_text().replace(
        "</body>", '<img src="data:image/png;base64,AAAA"><script>console.error("boom")</script></body>'))
    images, loaded, console = _open_in_chromium(broken, tmp_path)
    assert loaded == images - 1
    assert any("boom" in line for line in console)
