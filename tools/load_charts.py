"""The two charts of a load run set, drawn from its CSV rows as PNG files.

latency.png: loan latency, mean with a bar of one standard deviation either
side, against the number of PS per site; answered.png: requests answered
by both sites in the window, against the same axis. One line per GC mode.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on the machines that run this

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

STYLE = {"serial": ("tab:blue", "o"), "threaded": ("tab:orange", "s")}
SIZE_IN = (7.5, 4.8)
DPI = 120


def by_mode(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows per GC mode, ordered by PS per site."""
    modes: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["gc_mode"], r["ps_per_site"])):
        modes.setdefault(row["gc_mode"], []).append(row)
    return modes


def dodge(rows: list[dict[str, Any]], index: int, modes: int) -> float:
    """A small sideways shift per mode, so error bars at one x do not overlap."""
    counts = [row["ps_per_site"] for row in rows]
    span = max(counts) - min(counts) or 2
    return (index - (modes - 1) / 2) * 0.03 * span


def draw_latency(rows: list[dict[str, Any]], path: Path) -> None:
    figure, axes = _figure(rows, "Loan latency (PRESTAR) against PS per site")
    modes = by_mode(rows)
    for index, (mode, series) in enumerate(modes.items()):
        color, marker = STYLE.get(mode, (None, "^"))
        shift = dodge(rows, index, len(modes))
        axes.errorbar(
            [row["ps_per_site"] + shift for row in series],
            [row["avg_ms"] for row in series],
            yerr=[row["stdev_ms"] for row in series],
            color=color,
            marker=marker,
            capsize=5,
            label=f"{mode} GC (mean ± stdev)",
        )
    axes.set_ylabel("loan latency (ms)")
    _save(figure, axes, path, _top([r["avg_ms"] + r["stdev_ms"] for r in rows]))


def draw_answered(rows: list[dict[str, Any]], path: Path) -> None:
    window_s = _window_s(rows)
    figure, axes = _figure(rows, "Requests answered against PS per site")
    for mode, series in by_mode(rows).items():
        color, marker = STYLE.get(mode, (None, "^"))
        axes.plot(
            [row["ps_per_site"] for row in series],
            [row["answered"] for row in series],
            color=color,
            marker=marker,
            label=f"{mode} GC",
        )
    axes.set_ylabel(f"requests answered in {window_s:g} s (both sites)")
    _save(figure, axes, path, _top([row["answered"] for row in rows]))


def _figure(rows: list[dict[str, Any]], title: str):
    figure, axes = plt.subplots(figsize=SIZE_IN)
    axes.set_title(f"{title}\n{_subtitle(rows)}", fontsize=11)
    axes.set_xlabel("PS processes per site (two sites)")
    counts = sorted({row["ps_per_site"] for row in rows})
    axes.set_xticks(counts)
    axes.margins(x=0.08)
    if len(counts) == 1:
        axes.set_xlim(counts[0] - 1, counts[0] + 1)
    axes.grid(True, alpha=0.3)
    return figure, axes


def _subtitle(rows: list[dict[str, Any]]) -> str:
    run_set = rows[0]["run_set"] if rows else "no runs"
    return f"window {_window_s(rows):g} s per run, run set {run_set}"


def _window_s(rows: list[dict[str, Any]]) -> float:
    return rows[0]["window_s"] if rows else 0.0


def _top(values: list[float]) -> float:
    """The highest value drawn; a run without loans has nan latency."""
    return max((v for v in values if math.isfinite(v)), default=0.0)


def _save(figure, axes, path: Path, top: float) -> None:
    # From zero, so the eye reads ratios; headroom above for the legend.
    axes.set_ylim(0, top * 1.25 if top > 0 else 1)
    axes.legend(loc="best")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    plt.close(figure)


def draw_all(rows: list[dict[str, Any]], folder: Path) -> list[Path]:
    """Both charts into `folder`; their paths."""
    paths = [folder / "latency.png", folder / "answered.png"]
    draw_latency(rows, paths[0])
    draw_answered(rows, paths[1])
    return paths
