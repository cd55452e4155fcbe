"""``queuesim report DIR``: a self-contained HTML report, a Markdown twin and PNG figures.

Reads the result folder of ``queuesim run --out DIR`` and writes

* ``DIR/figures/*.png``: every figure at 110 dpi (figures of earlier reports
  that this one does not draw are removed);
* ``DIR/report.html``: one file, figures embedded as base64 PNG (opens offline);
* ``DIR/report.md``: the same tables, figures linked from ``figures/``.

Sections: a title (the config's description) and a first paragraph in plain
words with the main numbers and their 95% CIs; what was compared (what each
variant changes, as the config wrote it; the service-level threshold; run
facts); the headline comparison (several scenarios: one column per scenario,
the mean of each headline measure and the paired difference against the
baseline with its 95% CI, significant ones in bold); scenario table (mean and
95% CI); paired comparisons against the baseline; figures: how long callers
hold, the cost of the day split by component (when the config has
``costs``), metric bars, percentiles, paired-vs-independent CIs, metrics
against the swept key (for sweeps), intraday panels (when ``intervals.csv``
exists); a glossary of the names used in files; failures. Measures carry
planners' names (:mod:`queuesim.report.words`), units and the threshold.
"""

from __future__ import annotations

import base64
import html
import io
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

from .. import __version__
from ..experiment.atomic import write_bytes_atomic, write_text_atomic
from ..experiment.results import ExperimentResult
from ..experiment.store import StoreError, _writing, file_stem
from . import charts as F
from . import words as W

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..model.spec import Experiment

__all__ = ["DEFAULT_METRICS", "load_waits", "write_report"]

#: Metrics charted and tabulated first when none are asked for.
DEFAULT_METRICS: tuple[str, ...] = ("abandonment_rate", "service_level", "asa")
_TABLE_METRICS: tuple[str, ...] = (
    "offered", "abandonment_rate", "service_level", "asa", "mean_wait", "wait_p90", "occupancy",
)


def load_waits(directory: Path, result: "ExperimentResult", limit: int = 2_000_000) -> dict[str, np.ndarray]:
    """Waits (s) of counted calls from ``DIR/calls/*.csv``, pooled per scenario (empty if none saved)."""
    import pandas as pd

    calls_dir = directory / "calls"
    if not calls_dir.is_dir():
        return {}
    out: dict[str, np.ndarray] = {}
    for scenario in result.experiment.scenarios:
        parts = []
        total = 0
        for r in range(result.experiment.replications):
            path = calls_dir / f"{file_stem(scenario.name)}-rep{r:03d}.csv"
            if not path.exists() or total > limit:
                continue
            frame = pd.read_csv(path, usecols=["arrival", "wait"])
            keep = (frame["arrival"] >= scenario.warmup) & (frame["arrival"] < scenario.horizon)
            parts.append(frame.loc[keep, "wait"].to_numpy(dtype=np.float64))
            total += parts[-1].size
        if parts:
            out[scenario.name] = np.concatenate(parts)
    return out


def _png(fig: "Figure") -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    F.close(fig)
    return buffer.getvalue()


def _num(x: float, metric: str) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    if F._scale(metric) == 100.0:
        return f"{100 * x:.2f}"
    return f"{x:,.2f}" if abs(x) < 1e6 else f"{x:,.0f}"


def _ci(low: float, high: float, metric: str) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"[{_num(low, metric)}, {_num(high, metric)}]"


def _pp(x: float, metric: str) -> str:
    """A difference: percentage points for fractions (the unit column says so)."""
    if x is None or not math.isfinite(x):
        return "–"
    if F._scale(metric) == 100.0:
        return f"{100 * x:+.2f}"
    return f"{x:+,.2f}"


def _unit(result: "ExperimentResult", metric: str) -> str:
    unit = result.unit(metric)
    return "%" if unit == "fraction" or F._scale(metric) == 100.0 else unit


def _name(result: "ExperimentResult", metric: str) -> str:
    return W.human_name(metric, result.experiment.baseline.service_level_threshold)


def _tables(result: "ExperimentResult", metrics: Sequence[str]) -> dict[str, tuple[list[str], list[list[str]]]]:
    names = result.scenario_names
    cols = [m for m in dict.fromkeys([*metrics, *_TABLE_METRICS]) if m in result.metric_names()]
    header = ["scenario", "replications"] + [f"{_name(result, m)} ({_unit(result, m) or 'no unit'}; mean [95% CI])"
                                             for m in cols]
    rows = []
    for n in names:
        row = [n, str(result.estimate(n, cols[0]).n if cols else 0)]
        for m in cols:
            e = result.estimate(n, m)
            row.append(f"{_num(e.mean, m)} {_ci(e.low, e.high, m)}")
        rows.append(row)
    tables = {"scenarios": (header, rows)}
    if len(names) > 1:
        header = ["variant", "measure", "unit", "difference vs " + names[0], "95% CI (same days compared)",
                  "95% CI (if run independently)", "variance reduction", "days"]
        rows = []
        for n in names[1:]:
            for m in metrics:
                if m not in result.metric_names():
                    continue
                c = result.comparison(n, names[0], m)
                vr = "–" if not math.isfinite(c.variance_reduction) else f"{c.variance_reduction:.1f}x"
                if c.variance_reduction == math.inf:
                    vr = "∞ (every pair differs by the same amount)"
                unit = _unit(result, m)
                rows.append([n, _name(result, m), "percentage points" if unit == "%" else unit, _pp(c.difference, m),
                             f"[{_pp(c.paired_low, m)}, {_pp(c.paired_high, m)}]",
                             f"[{_pp(c.unpaired_low, m)}, {_pp(c.unpaired_high, m)}]", vr, str(c.n)])
        tables["comparisons"] = (header, rows)
    return tables


def _headline(result: "ExperimentResult") -> tuple[list[str], list[tuple[str, list[str], list[bool]]]]:
    """Header and rows (group, cells, significant flags) of the headline comparison."""
    names = result.scenario_names
    header = ["measure", "unit", *names]
    rows = []
    for row in result.headline():
        texts = row.texts(marker="")
        flags = [False, False] + [c.significant for c in row.cells]
        rows.append((row.group, [_name(result, row.metric), row.unit, *texts], flags))
    return header, rows


def _headline_md(header: list[str], rows: list[tuple[str, list[str], list[bool]]]) -> str:
    def bold_difference(text: str) -> str:  # "30.3  (-12.1 ± 0.9)" -> "30.3 **(-12.1 ± 0.9)**"
        mean, _, diff = text.partition("  (")
        return f"{mean} **({diff}**" if diff else text

    cells = [[bold_difference(c) if flag else c.replace("  (", " (") for c, flag in zip(cells, flags)]
             for _, cells, flags in rows]
    return _md_table(header, cells)


def _headline_html(header: list[str], rows: list[tuple[str, list[str], list[bool]]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    group = None
    for g, cells, flags in rows:
        if g != group and g:
            body.append(f'<tr class="group"><td colspan="{len(header)}">{html.escape(g)}</td></tr>')
        group = g
        body.append("<tr>" + "".join(_headline_cell_html(c, flag) for c, flag in zip(cells, flags)) + "</tr>")
    return f'<table class="headline"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _headline_cell_html(text: str, significant: bool) -> str:
    """The mean on one line, the difference (bold when significant) below it: narrow columns."""
    mean, _, diff = text.partition("  (")
    if not diff:
        return f"<td>{html.escape(text)}</td>"
    diff = html.escape("(" + diff)
    diff = f"<strong>{diff}</strong>" if significant else diff
    return f'<td>{html.escape(mean)}<br><span class="diff">{diff}</span></td>'


def _md(text: str) -> str:
    """Text from the user (names, errors) made inert in Markdown: no raw HTML, no table or link breaks."""
    text = html.escape(text, quote=False)
    for char in ("\\", "`", "*", "_", "[", "]", "|"):
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = lambda s: html.escape(s, quote=False).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(map(esc, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(esc, row)) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(header: list[str], rows: list[list[str]], css_class: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{css_class}"' if css_class else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.85em;margin:.8em 0;display:block;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;white-space:nowrap}th{background:#f2f2f2}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85em;color:#555}
.facts td:first-child{font-weight:600}.summary{font-size:1.08em;line-height:1.5;max-width:60em}.changes td{white-space:normal}.changes td:last-child{font-family:ui-monospace,monospace;font-size:.92em}.description{font-style:italic;color:#444}
.headline td:nth-child(n+3){text-align:right;font-variant-numeric:tabular-nums}.headline .diff{font-size:.9em;color:#444}.headline strong{color:#000}.headline tr.group td{background:#f7f7f7;font-weight:600;font-style:italic}.warn{background:#fff3e0;border-left:4px solid #D55E00;padding:.5em 1em}
"""


def write_report(directory: str | Path, *, metrics: Optional[Sequence[str]] = None) -> list[Path]:
    """Write ``report.html``, ``report.md`` and ``figures/*.png`` for the result folder ``directory``.

    Raises :class:`~queuesim.experiment.store.StoreError` for a folder that cannot be reported on (no
    results, a damaged replication file) and its subclass ``StoreWriteError`` when a file cannot be written
    (``figures`` is a file, a read-only folder, a full disk).
    """
    directory = Path(directory)
    result = ExperimentResult.load(directory)
    if not result.replications:
        raise StoreError(f"{directory}: no finished replication to report on")
    metrics = list(metrics or DEFAULT_METRICS)
    unknown = [m for m in metrics if m not in result.metric_names()]
    if unknown:
        raise KeyError(f"--metric {unknown[0]}: not a metric of this run; metrics: {', '.join(result.metric_names())}")

    threshold = W.threshold_text(result.experiment.baseline.service_level_threshold)
    baseline = result.scenario_names[0]
    # (file stem, caption, figure factory)
    specs: list[tuple[str, str, object]] = []
    for m in metrics:
        specs.append((f"metric-{m}", f"{_name(result, m)} ({_unit(result, m)}): mean per scenario over the "
                      "simulated days, with its 95% confidence interval.",
                      lambda m=m: F.metric_figure(result, m)))
    has_quantiles = any(result.hold_time_quantiles(n) is not None for n in result.scenario_names)
    waits = {} if has_quantiles else load_waits(directory, result)
    if has_quantiles:
        cdf_caption = ("How long callers hold (until an agent answers, they hang up or accept a callback): for each "
                       "scenario, the share of callers who held at most x seconds on an average day (each "
                       "percentile averaged over the simulated days), with its 95% CI as a band.")
    elif waits:
        cdf_caption = "How long callers hold, from the saved call logs of every simulated day together."
    else:
        cdf_caption = ("How long callers hold: the mean 50th/90th/99th percentiles (these results carry no "
                       "per-day percentiles; run with --save-calls for the full curve).")
    specs.insert(0, ("wait-cdf", cdf_caption, lambda: F.wait_cdf_figure(result, waits=waits or None)))
    if F.has_costs(result):
        currency = result.currency() or "currency"
        specs.insert(1, ("costs", f"Cost of the day per scenario ({currency}), split into its components "
                         f"(means over the simulated days). The whisker of each variant is the 95% CI of its "
                         f"difference against {baseline} (the same days compared), drawn around its total: a "
                         f"whisker that crosses the dashed line of {baseline} is a difference within the noise.",
                         lambda: F.cost_figure(result)))
    specs.append(("wait-quantiles", "Median, 90th and 99th percentile time on hold per scenario (s, 95% CI).",
                  lambda: F.wait_quantiles_figure(result)))
    if len(result.scenario_names) > 1:
        for m in metrics:
            specs.append((f"compare-{m}", f"Difference in {_name(result, m).lower()} against {baseline}: "
                          "black, comparing the same simulated days (what the tables report); grey, what "
                          "independent runs of the same length would give.",
                          lambda m=m: F.compare_figure(result, m)))
    if result.experiment.sweep_keys:
        sweep_metrics = tuple(m for m in ("abandonment_rate", "service_level") if m in result.metric_names())
        for key in result.experiment.sweep_keys:
            specs.append((f"sweep-{key}", f"Callers who hung up and answered within {threshold} against {key} "
                          "(%, 95% CI bands).",
                          lambda key=key: F.sweep_figure(result, sweep_metrics, key=key)))
    if F.has_agent_records(result):
        specs.append(("agent-occupancy", "How the load falls on the agents: for each scenario, the share of its "
                      "agents (all simulated days together) whose own occupancy over the day, busy / (on duty + "
                      "overtime), is at most x. Rows per agent are in agents.csv.",
                      lambda: F.agent_occupancy_figure(result)))
    intervals = result.intervals_frame()
    has_intraday = intervals is not None and intervals.groupby("scenario").size().max() > 1
    if has_intraday:
        specs.append(("intraday", "Over the day (means over the simulated days, per interval): calls offered and "
                      "agents on duty (scenarios with the same profile share a line), then the share answered "
                      f"within {threshold} in each scenario, with {baseline} in grey behind it and the "
                      f"{100 * F.SERVICE_LEVEL_TARGET:.0f}% target dashed.",
                      lambda: F.intraday_figure(result, frame=intervals)))

    figures_dir = directory / "figures"
    with _writing(figures_dir):
        figures_dir.mkdir(exist_ok=True)
    written: list[Path] = []
    images: list[tuple[str, str, bytes]] = []
    for stem, caption, factory in specs:
        data = _png(factory())  # type: ignore[operator]
        path = figures_dir / f"{stem}.png"
        with _writing(path):
            write_bytes_atomic(path, data)
        written.append(path)
        images.append((stem, caption, data))
    for old in figures_dir.glob("*.png"):  # figures of earlier reports (other metrics, an older sweep)
        if old not in written:
            old.unlink(missing_ok=True)

    exp = result.experiment
    facts = [
        ("experiment", exp.name),
        ("scenarios", str(len(exp.scenarios))),
        ("simulated days (replications) per scenario", str(exp.replications)),
        ("service level", f"share of offered calls answered within {threshold}; callers who hang up count as misses"),
        ("root seed", str(exp.seed)),
        ("replications found", f"{len(result.replications)} of {len(exp.scenarios) * exp.replications}"),
        ("baseline (for comparisons)", baseline),
        ("queuesim", __version__),
        ("report written", time.strftime("%Y-%m-%d %H:%M")),
    ]
    if exp.sweep_keys:
        facts.insert(2, ("sweep over", ", ".join(exp.sweep_keys)))
    tables = _tables(result, metrics)
    missing = len(exp.scenarios) * exp.replications - len(result.replications)
    warn = ""
    if missing:
        warn = (f"{missing} replication(s) are missing (failed or not run yet): the means use the others. "
                "See failures/ and run again with --resume.")

    title = _title(exp)
    summary = W.summary_paragraph(result)
    changes = W.variant_changes(result)
    shown = [r.metric for r in result.headline()] if len(exp.scenarios) > 1 else []
    shown += [m for m in [*metrics, *_TABLE_METRICS] if m in result.metric_names()]
    glossary = W.glossary(result, shown)
    glossary_header = ["in this report", "name in files (summary.json, CSV)", "meaning", "unit"]
    intro_cmp = ("Day r of every scenario has the same callers (the same arrivals, handle times and patience), so "
                 "each difference is measured day by day. The second interval is what independent runs would "
                 "give; the variance reduction is how many times more days independent runs would need for the "
                 "same precision.")
    intro_headline = (f"Each cell: the mean over the simulated days; for every scenario after the baseline "
                      f"({baseline}), in parentheses, the difference against it ± the half-width of its 95% CI "
                      "(the same days compared). Differences whose CI excludes 0 are in bold. Percentages are of "
                      "offered calls (occupancy: of agent time); their differences are in percentage points.")
    intro_scenarios = ("Means over the simulated days with 95% confidence intervals (Student-t; for percentages "
                       "on the logit scale, so they stay within 0-100%).")
    people = ("agents on duty over the day (after shrinkage)" if any(sc.shrinkage > 0 for sc in exp.scenarios)
              else "agents scheduled over the day")
    what_header = ["scenario", people, "what it changes (as written in the config)"]
    scheduled = {sc.name: len(sc.duty_periods()) for sc in exp.scenarios}  # people with a duty period, all groups
    what_rows = [[name, f"{scheduled[name]:,}" if name in scheduled else "", what] for name, what in changes]

    # Markdown
    md = [f"# {_md(title)}", ""]
    if exp.description and title != exp.description:
        md += [f"*{_md(exp.description)}*", ""]
    md += [_md(summary), ""]
    if warn:
        md += [f"> **Warning:** {warn}", ""]
    md += ["## What was compared", "", _md_table(what_header, what_rows), "",
           _md_table(["", ""], [list(f) for f in facts]), ""]
    headline = _headline(result) if len(exp.scenarios) > 1 else None
    if headline and headline[1]:
        md += ["## Headline", "", _md(intro_headline), "", _headline_md(*headline), ""]
    md += ["## Scenarios", "", _md(intro_scenarios), "", _md_table(*tables["scenarios"]), ""]
    if "comparisons" in tables:
        md += ["## Paired comparisons", "", intro_cmp, "", _md_table(*tables["comparisons"]), ""]
    md += ["## Figures", ""]
    for stem, caption, _ in images:
        md += [f"![{_md(caption)}](figures/{stem}.png)", "", f"*{_md(caption)}*", ""]
    md += ["## Glossary", "", _md_table(glossary_header, [list(g) for g in glossary]), ""]
    if result.failures:
        md += ["## Failures", "", _md_table(["scenario", "replication", "attempts", "error", "traceback"],
               [[f.scenario, str(f.replication), str(f.attempts), f.error, f.file or ""] for f in result.failures]), ""]
    with _writing(directory / "report.md"):
        write_text_atomic(directory / "report.md", "\n".join(md))
    written.append(directory / "report.md")

    # HTML
    body = [f"<h1>{html.escape(title)}</h1>"]
    if exp.description and title != exp.description:
        body.append(f'<p class="description">{html.escape(exp.description)}</p>')
    body.append(f'<p class="summary">{html.escape(summary)}</p>')
    if warn:
        body.append(f'<p class="warn">{html.escape(warn)}</p>')
    body += ["<h2>What was compared</h2>", _html_table(what_header, what_rows, "changes"),
             '<table class="facts">' + "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
                                                for k, v in facts) + "</table>"]
    if headline and headline[1]:
        body += ["<h2>Headline</h2>", f"<p>{html.escape(intro_headline)}</p>", _headline_html(*headline)]
    body += ["<h2>Scenarios</h2>", f"<p>{html.escape(intro_scenarios)}</p>", _html_table(*tables["scenarios"])]
    if "comparisons" in tables:
        body += ["<h2>Paired comparisons</h2>", f"<p>{html.escape(intro_cmp)}</p>", _html_table(*tables["comparisons"])]
    body.append("<h2>Figures</h2>")
    for stem, caption, data in images:
        encoded = base64.b64encode(data).decode("ascii")
        body.append(f'<figure id="{stem}"><img alt="{html.escape(caption)}" src="data:image/png;base64,{encoded}">'
                    f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    body += ["<h2>Glossary</h2>", _html_table(glossary_header, [list(g) for g in glossary])]
    if result.failures:
        body += ["<h2>Failures</h2>", _html_table(
            ["scenario", "replication", "attempts", "error", "traceback"],
            [[f.scenario, str(f.replication), str(f.attempts), f.error, f.file or ""] for f in result.failures])]
    document = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{html.escape(title)}</title>"
                f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    with _writing(directory / "report.html"):
        write_text_atomic(directory / "report.html", document)
    written.append(directory / "report.html")
    return written


def _title(exp: "Experiment") -> str:
    """The report's title: the config's description (its first line), else what was compared."""
    if exp.description and exp.description.strip():
        first = exp.description.strip().splitlines()[0].strip()
        if len(first) <= 120:
            return first
    n = len(exp.scenarios)
    return f"{exp.name}: {n} scenarios compared" if n > 1 else f"{exp.name}: simulation report"
