"""Figures of a fit: fitted vs empirical distributions, arrivals and staffing."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats
from ..model.units import format_clock

if TYPE_CHECKING:  # pragma: no cover
    from .core import FitReport

__all__ = ["fit_figures"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fit_figures(report: "FitReport", folder: Path, prefix: str = "fit") -> list[Path]:
    """Handle-time QQ plots, patience survival (KM vs fits), arrival profile and staffing.

    Call-type names come from the records: they are drawn as plain text, never as mathtext
    (a name such as ``a$x^{$`` would otherwise stop the figures with a parse error).
    """
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        return _fit_figures(report, folder, prefix)


def _fit_figures(report: "FitReport", folder: Path, prefix: str) -> list[Path]:

    plt = _plt()
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    types = list(report.handle)
    ncol = min(len(types), 4)
    nrow = int(math.ceil(len(types) / ncol))

    # handle time: lognormal QQ and histogram of log handle time with the fitted density
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 3.3 * nrow), squeeze=False)
    for ax, t in zip(axes.flat, types):
        h = np.sort(report._samples["handle"][t])
        fit = report.handle[t]
        p = (np.arange(h.size) + 0.5) / h.size
        q = stats.lognorm(s=fit["sigma"], scale=math.exp(fit["mu"])).ppf(p)
        ax.loglog(q, h, ".", ms=2, color="C0", rasterized=True)
        lo, hi = max(min(q[0], h[0]), 1), max(q[-1], h[-1])
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_title(f"{t}: n={fit['n']}, KS={fit['ks']:.3f}", fontsize=9)
        ax.set_xlabel("lognormal quantile (s)")
        ax.set_ylabel("observed handle time (s)")
    for ax in list(axes.flat)[len(types):]:
        ax.axis("off")
    fig.suptitle("Handle time: observed vs fitted lognormal quantiles", fontsize=10)
    fig.tight_layout()
    paths.append(folder / f"{prefix}_handle_qq.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    # patience: Kaplan-Meier vs exponential and Weibull
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 3.3 * nrow), squeeze=False)
    for ax, t in zip(axes.flat, types):
        km = report._samples["km"][t]
        p = report.patience[t]
        upto = min(600.0, km.t_max)
        x = np.linspace(0, upto, 400)
        ax.step(np.concatenate([[0], km.times]), np.concatenate([[1], km.survival]), where="post",
                color="k", lw=1.2, label="Kaplan-Meier")
        if math.isfinite(p["exp_mean"]):
            ax.plot(x, np.exp(-x / p["exp_mean"]), color="C0", label=f"exponential {p['exp_mean']:.0f}s")
        if math.isfinite(p["weib_shape"]):
            ax.plot(x, np.exp(-(x / p["weib_scale"]) ** p["weib_shape"]), color="C1",
                    label=f"Weibull k={p['weib_shape']:.2f}")
        ax.axvline(60, color="0.7", lw=0.8, ls=":")
        ax.set_xlim(0, upto)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{t}: {p['events']} abandoned of {p['n']} queued", fontsize=9)
        ax.set_xlabel("wait (s)")
        ax.set_ylabel("P(patience > t)")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(types):]:
        ax.axis("off")
    fig.suptitle("Patience from censored waits: Kaplan-Meier vs fitted", fontsize=10)
    fig.tight_layout()
    paths.append(folder / f"{prefix}_patience_km.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    # arrivals and staffing
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6))
    n = report.n_intervals
    x = np.arange(n)
    labels = [format_clock(report.start + i * report.interval) for i in range(n)]
    frame = report._samples.get("frame")
    if frame is not None:
        slot = frame.groupby(["day", "slot"]).size().unstack(fill_value=0).reindex(columns=range(n), fill_value=0)
        a1.fill_between(x, slot.quantile(0.1).to_numpy(), slot.quantile(0.9).to_numpy(), color="C0", alpha=0.2,
                        label="10-90% of days")
    a1.plot(x, report.profile, "o-", ms=3, color="C0", label="mean (profile)")
    a1.set_title(f"arrivals per interval ({len(report.days_used)} days; dispersion {report.arrivals['dispersion']:.2f})",
                 fontsize=9)
    st = report.staffing
    for col, style in (("distinct", "s-"), ("busy_while_waiting", "^-"), ("work_conserving", "D-"), ("max_busy", "v-"), ("busy", ".-")):
        if col in st and not st[col].isna().all():
            a2.plot(x, st[col], style, ms=3, label=col.replace("_", " "))
    a2.step(x, st["agents"], where="mid", color="k", lw=1.2, label="config (rounded)")
    a2.set_title("staffing reconstructed from the records (mean over days)", fontsize=9)
    for ax in (a1, a2):
        step = max(1, n // 9)
        ax.set_xticks(x[::step])
        ax.set_xticklabels(labels[::step], fontsize=8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    paths.append(folder / f"{prefix}_arrivals_staffing.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths
