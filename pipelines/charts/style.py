"""The house chart style (Government Analysis Function) and how a chart is saved.

Every chart is saved as PNG and SVG with its data as CSV, its alt text, and a JSON record of
title, source line, notes and provenance. A chart with any synthetic input says so on its face.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

from pipelines.safe_csv import write_safe_csv

PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE = PALETTE
TEXT = "#0B0C0C"
GRID = "#DDDDDD"

matplotlib.rcParams.update(
    {
        "font.family": "sans-serif",
        "font.sans-serif": ["Arial", "Helvetica", "DejaVu Sans"],
        "axes.edgecolor": DARK_GREY,
        "axes.labelcolor": TEXT,
        "svg.hashsalt": "npq-observatory",  # stable SVG ids: same data, same file
    }
)

SYNTHETIC_LABEL = "SYNTHETIC DATA: illustrative, not official statistics"


@dataclass(frozen=True)
class ChartSpec:
    """What a chart says, and where its numbers come from."""

    name: str
    title: str
    alt_text: str
    source: str
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False

    def footer(self) -> str:
        lines = [f"Source: {self.source}", *self.notes]
        if self.synthetic:
            lines.insert(0, SYNTHETIC_LABEL)
        return "\n".join(lines)


def house_axes(figsize: tuple[float, float] = (9, 5.5)) -> tuple[Figure, plt.Axes]:
    """A figure and axes in the house style: no top/right spines, light horizontal grid."""
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(DARK_GREY)
    ax.yaxis.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(colors=TEXT, labelsize=10)
    return fig, ax


def finish(fig: Figure, ax: plt.Axes, spec: ChartSpec) -> Figure:
    """Statement title, source line and notes under the chart; synthetic stamp if needed."""
    ax.set_title(spec.title, loc="left", fontsize=13, fontweight="bold", color=TEXT, pad=14)
    fig.get_layout_engine().set(h_pad=0.2)
    fig.text(
        0.01, -0.01, spec.footer(), ha="left", va="top", fontsize=8.5, color=DARK_GREY, wrap=True
    )
    if spec.synthetic:
        fig.text(
            0.5,
            0.5,
            "SYNTHETIC",
            ha="center",
            va="center",
            fontsize=60,
            color=DARK_PINK,
            alpha=0.12,
            rotation=25,
            transform=ax.transAxes,
        )
    return fig


def save_chart(fig: Figure, spec: ChartSpec, data: pl.DataFrame, folder: Path) -> list[Path]:
    """Write `<name>.png/.svg/.csv/.alt.txt/.json` into folder; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / spec.name
    written = []
    for suffix in ("png", "svg"):
        path = base.with_suffix(f".{suffix}")
        fig.savefig(
            path,
            dpi=150 if suffix == "png" else None,
            bbox_inches="tight",
            metadata=None if suffix == "png" else {"Date": None},
        )
        written.append(path)
    plt.close(fig)
    csv_path = base.with_suffix(".csv")
    write_safe_csv(data, csv_path)
    alt_path = folder / f"{spec.name}.alt.txt"
    alt_path.write_text(spec.alt_text + "\n", encoding="utf-8")
    meta_path = base.with_suffix(".json")
    meta_path.write_text(json.dumps(asdict(spec), indent=2) + "\n", encoding="utf-8")
    return [*written, csv_path, alt_path, meta_path]
