"""The house chart style (Government Analysis Function), the rules every chart keeps, and how a
chart is saved.

Every chart is drawn at report size: 16 cm wide (a full column of an A4 report) and, for the
half-page check, with its panels squeezed to 8 cm tall (half of an A4 text block, 12 cm, less a
few lines of title and notes; the title and notes keep their own height). At both sizes
`chart_problems` finds:

- text smaller than 9 pt, text outside the figure, and text boxes that intersect (matplotlib's
  renderer measures every title, label, tick label, legend entry and data label);
- a tick label computed from its position that does not read exactly as that position ("2%"
  at 2.5); a percentage axis whose label does not say what it is a percentage of;
- colours below WCAG 2.2 contrast against the background: 4.5:1 for text (3:1 for large
  text), 3:1 for data marks (lines, markers, bars);
- a synthetic chart without SYNTHETIC in its title or without its generator named first in the
  source line, or an official chart that says SYNTHETIC; a watermark over any text.

`save_chart` refuses to write a chart with any of these problems, so a new chart cannot break
them. Every chart is saved as PNG and SVG with its data as CSV, its alt text, and a JSON record
of title, source line, notes and provenance.
"""

import itertools
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.axis import Axis
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FixedFormatter, Formatter, FuncFormatter, NullFormatter

from pipelines.safe_csv import write_safe_csv

PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE = PALETTE
TEXT = "#0B0C0C"
GRID = "#DDDDDD"
BACKGROUND = "#FFFFFF"
# Text in a palette colour: the lighter palette colours pass 3:1 for marks but not 4.5:1 for
# text, so text uses a darker shade of the same hue.
TEXT_SHADE = {TURQUOISE: "#1B7A72", ORANGE: "#B94A0F", LIGHT_PURPLE: "#6F4FA8"}

CM = 1 / 2.54  # inches
FULL_COLUMN_CM = 16.0
HALF_PAGE_PANELS_CM = 8.0  # panels' height at half a page: 12 cm less a few lines of notes
MIN_TEXT_PT = 9.0
MIN_TEXT_CONTRAST = 4.5
MIN_LARGE_TEXT_CONTRAST = 3.0  # WCAG: 18 pt, or 14 pt bold
MIN_MARK_CONTRAST = 3.0  # WCAG 1.4.11, non-text contrast
WATERMARK_ID = "synthetic-watermark"

matplotlib.rcParams.update(
    {
        "font.family": "sans-serif",
        "font.sans-serif": ["Arial", "Helvetica", "DejaVu Sans"],
        "font.size": 9.5,
        "axes.edgecolor": DARK_GREY,
        "axes.labelcolor": TEXT,
        "axes.labelsize": 9.5,
        "axes.titlesize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "figure.facecolor": BACKGROUND,
        "axes.facecolor": BACKGROUND,
        "svg.hashsalt": "npq-observatory",  # stable SVG ids: same data, same file
    }
)

SYNTHETIC_LABEL = "SYNTHETIC DATA: illustrative, not official statistics"


def text_colour(colour: str) -> str:
    """The shade of a palette colour to write text in (passes 4.5:1 on white)."""
    return TEXT_SHADE.get(colour, colour)


@dataclass(frozen=True)
class ChartSpec:
    """What a chart says, and where its numbers come from.

    A synthetic chart names the code that generated its numbers (`generator`); the title then
    starts "SYNTHETIC:" and the source line names the generator first."""

    name: str
    title: str
    alt_text: str
    source: str
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False
    generator: str = ""
    half_page: bool = True  # False: a long list (one row per estimate) that needs its height

    def __post_init__(self) -> None:
        if self.synthetic:
            if not self.generator:
                raise ValueError(f"chart {self.name}: synthetic, but no generator is named")
            if "SYNTHETIC" not in self.title:
                object.__setattr__(self, "title", f"SYNTHETIC: {self.title}")

    def source_line(self) -> str:
        if self.synthetic:
            return f"Source: {self.generator} (synthetic data generator); {self.source}"
        return f"Source: {self.source}"

    def footer(self) -> str:
        lines = [self.source_line(), *self.notes]
        if self.synthetic:
            lines.insert(0, SYNTHETIC_LABEL)
        return "\n".join(lines)


def full_column(height_cm: float) -> tuple[float, float]:
    """Figure size in inches for a chart a full column wide and height_cm tall."""
    return FULL_COLUMN_CM * CM, height_cm * CM


def house_axes(height_cm: float = 11.0) -> tuple[Figure, plt.Axes]:
    """A full-column figure and axes in the house style: no top/right spines, light grid."""
    fig, ax = plt.subplots(figsize=full_column(height_cm), layout="constrained")
    panel_axes(ax, "y")
    return fig, ax


def panels(rows: int, cols: int, height_cm: float, **kwargs) -> tuple[Figure, list[plt.Axes]]:
    """A full-column figure of rows x cols panels, each in the house style (grid on y)."""
    fig, axes = plt.subplots(
        rows, cols, figsize=full_column(height_cm), layout="constrained", squeeze=False, **kwargs
    )
    flat = [ax for row in axes for ax in row]
    for ax in flat:
        panel_axes(ax, "y")
    return fig, flat


def panel_axes(ax: plt.Axes, grid: str) -> None:
    """House style for one axes: no top/right spines, a light grid on one axis."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(DARK_GREY)
    getattr(ax, f"{grid}axis").grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(colors=TEXT, labelsize=9)


class ExactFormatter(Formatter):
    """Tick labels that read exactly as their position: as few decimals as the value needs
    (2.5 -> "2.5%", never "2%"), thousands as "k" only when exact."""

    def __init__(self, suffix: str = "", thousands: bool = False) -> None:
        self.suffix = suffix
        self.thousands = thousands

    def __call__(self, value: float, pos: int | None = None) -> str:
        scaled, unit = value, ""
        if self.thousands and abs(value) >= 1000:
            scaled, unit = value / 1000, "k"
        for decimals in range(4):
            if abs(round(scaled, decimals) - scaled) < 1e-9 * max(1.0, abs(scaled)):
                return f"{scaled:,.{decimals}f}{unit}{self.suffix}".replace("-", "\u2212")
        return f"{scaled:,.3g}{unit}{self.suffix}".replace("-", "\u2212")


PERCENT = ExactFormatter("%")


class YearFormatter(Formatter):
    """An academic year from its starting year: 2021 -> "2021/22"; blank between years."""

    def __call__(self, value: float, pos: int | None = None) -> str:
        if abs(value - round(value)) > 1e-9:
            return ""
        year = round(value)
        return f"{year}/{(year + 1) % 100:02d}"


def wrap(text: str, width_pt: float, size: float, weight: str = "normal") -> str:
    """Wrap text greedily to width_pt, measuring each line with matplotlib's text layout."""
    prop = FontProperties(size=size, weight=weight)
    measure = TextToPath()
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}" if line else word
            width = measure.get_text_width_height_descent(trial, prop, ismath=False)[0]
            if line and width > width_pt:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return "\n".join(lines)


def finish(fig: Figure, axes: plt.Axes | list[plt.Axes], spec: ChartSpec) -> Figure:
    """Statement title across the top, source line and notes across the bottom (both inside the
    figure, so the layout makes room for them), and the synthetic watermark if needed. The
    figure grows by the height of the title and notes, so they never squash the panels."""
    width_pt = fig.get_figwidth() * 72 * 0.93
    title = wrap(spec.title, width_pt, 11, "bold")
    footer = wrap(spec.footer(), width_pt, MIN_TEXT_PT)
    extra_pt = (title.count("\n") + 1) * 11 * 1.4 + (footer.count("\n") + 1) * MIN_TEXT_PT * 1.5
    fig.set_size_inches(fig.get_figwidth(), fig.get_figheight() + extra_pt / 72)
    fig.npq_chrome_inches = extra_pt / 72  # title and notes, for the half-page check
    fig.suptitle(
        title,
        x=0.01,
        ha="left",
        fontsize=11,
        fontweight="bold",
        color=TEXT,
    )
    fig.supxlabel(
        footer,
        x=0.01,
        ha="left",
        fontsize=MIN_TEXT_PT,
        color=DARK_GREY,
        linespacing=1.25,
    )
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06)
    if spec.synthetic:
        axes = axes if isinstance(axes, list) else [axes]
        place_watermark(fig, axes)
    return fig


def place_watermark(fig: Figure, axes: list[plt.Axes]) -> None:
    """A faint SYNTHETIC stamp inside a panel, at the first spot where it covers no text;
    none if no spot is free (the title and the source line still say SYNTHETIC)."""
    fig.canvas.draw()
    fig.canvas.draw()  # the layout settles over two passes
    texts = [t for t in _texts(fig) if t.get_gid() != WATERMARK_ID]
    boxes = [t.get_window_extent() for t in texts]
    spots = [(0.5, 0.5), (0.75, 0.75), (0.25, 0.75), (0.75, 0.25), (0.25, 0.25)]
    for ax, (x, y), size in itertools.product(axes, spots, (28, 20)):
        stamp = ax.text(
            x, y, "SYNTHETIC", transform=ax.transAxes, ha="center", va="center",
            fontsize=size, fontweight="bold", color=DARK_PINK, alpha=0.14, gid=WATERMARK_ID,
            zorder=0,
        )  # fmt: skip
        box = stamp.get_window_extent()
        inside = ax.get_window_extent()
        stamp.set_in_layout(False)  # the stamp never moves the panels
        if (
            box.x0 >= inside.x0
            and box.x1 <= inside.x1
            and box.y0 >= inside.y0
            and box.y1 <= inside.y1
            and not any(_intersect(box, other) for other in boxes)
        ):
            return
        stamp.remove()


# --- the rules -----------------------------------------------------------------------------------


def _texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text the figure draws."""
    found = []
    for artist in fig.findobj(Text):
        if not artist.get_visible() or not artist.get_text().strip():
            continue
        ax = artist.axes
        if ax is not None and not ax.get_visible():
            continue
        found.append(artist)
    return [t for t in found if _drawn(t)]


def _drawn(text: Text) -> bool:
    """A tick label is drawn only when its tick is inside the view."""
    for ax in text.figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if text in (tick.label1, tick.label2):
                    if not ax.axison:
                        return False
                    low, high = sorted(axis.get_view_interval())
                    loc = tick.get_loc()
                    return loc is not None and low - 1e-9 <= loc <= high + 1e-9
    return True


def _intersect(a, b, tolerance: float = 0.5) -> bool:
    return (
        min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance
        and min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance
    )


def _luminance(colour) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = to_rgba(colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(colour, background=BACKGROUND, alpha: float | None = None) -> float:
    """WCAG contrast ratio of a colour (composited at its alpha) against the background."""
    r, g, b, a = to_rgba(colour)
    a = a if alpha is None else alpha
    br, bg, bb, _ = to_rgba(background)
    shown = (r * a + br * (1 - a), g * a + bg * (1 - a), b * a + bb * (1 - a))
    light, dark = sorted((_luminance(shown), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


NUMBER = re.compile(r"^[^\d\u2212-]*([\u2212-]?\d[\d,]*(?:\.\d+)?)\s*([km]?)")


def _label_value(label: str) -> float | None:
    match = NUMBER.match(label.strip())
    if not match:
        return None
    value = float(match.group(1).replace(",", "").replace("\u2212", "-"))
    return value * {"": 1, "k": 1e3, "m": 1e6}[match.group(2)]


def _tick_problems(axis: Axis, where: str) -> list[str]:
    formatter = axis.get_major_formatter()
    given = (
        isinstance(formatter, FuncFormatter)
        and getattr(getattr(formatter.func, "func", None), "__name__", "") == "_format_with_dict"
    )  # set_ticks(positions, labels)
    if given or isinstance(formatter, FixedFormatter | NullFormatter):
        return []  # labels given, not computed from positions
    problems = []
    low, high = sorted(axis.get_view_interval())
    locs = [v for v in axis.get_majorticklocs() if low - 1e-9 <= v <= high + 1e-9]
    labels = formatter.format_ticks(locs)
    for loc, label in zip(locs, labels, strict=True):
        value = _label_value(label)
        if value is not None and abs(value - loc) > 1e-6 * max(1.0, abs(loc)):
            problems.append(f"{where}: tick label {label!r} sits at {loc:g}")
    if any(label.strip().endswith("%") for label in labels):
        name = axis.get_label().get_text()
        if not re.search(r"%\s+of\b|per ?cent of|percentage of", name):
            problems.append(f"{where}: percentages without saying of what (label {name!r})")
    return problems


def _mark_problems(ax: plt.Axes, where: str) -> list[str]:
    problems = []
    for line in ax.get_lines():
        if not line.get_visible() or line.get_gid() == "decoration":
            continue
        for colour in (line.get_color(), line.get_markerfacecolor(), line.get_markeredgecolor()):
            if colour in ("none", None) or to_rgba(colour)[:3] == to_rgba(BACKGROUND)[:3]:
                continue
            ratio = contrast(colour, alpha=line.get_alpha())
            if ratio < MIN_MARK_CONTRAST:
                problems.append(f"{where}: line or marker colour {colour} has contrast {ratio:.2f}")
    for container in ax.containers:
        for patch in getattr(container, "patches", []) or []:
            if not patch.get_visible():
                continue
            ratio = max(
                contrast(patch.get_facecolor(), alpha=patch.get_alpha()),
                contrast(patch.get_edgecolor(), alpha=patch.get_alpha())
                if patch.get_linewidth() > 0
                else 1.0,
            )
            if ratio < MIN_MARK_CONTRAST:
                problems.append(f"{where}: bar colour has contrast {ratio:.2f}")
    return problems


def _size_problems(fig: Figure, size_name: str) -> list[str]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    problems = []
    texts = _texts(fig)
    boxes = [t.get_window_extent(renderer) for t in texts]
    for text, box in zip(texts, boxes, strict=True):
        label = text.get_text()[:40].replace("\n", " ")
        if text.get_gid() != WATERMARK_ID and text.get_fontsize() < MIN_TEXT_PT - 1e-9:
            problems.append(f"{size_name}: {label!r} is {text.get_fontsize():g} pt")
        if (
            box.x0 < frame.x0 - 1
            or box.x1 > frame.x1 + 1
            or box.y0 < frame.y0 - 1
            or box.y1 > frame.y1 + 1
        ):
            problems.append(f"{size_name}: {label!r} runs outside the figure")
    for (a, box_a), (b, box_b) in itertools.combinations(zip(texts, boxes, strict=True), 2):
        if _intersect(box_a, box_b):
            problems.append(
                f"{size_name}: {a.get_text()[:30]!r} overlaps {b.get_text()[:30]!r}".replace(
                    "\n", " "
                )
            )
    return problems


def chart_problems(fig: Figure, spec: ChartSpec) -> list[str]:
    """Every way the chart breaks the rules above, at both report sizes (empty if none)."""
    problems = []
    texts = [t.get_text() for t in _texts(fig)]
    if spec.synthetic:
        if "SYNTHETIC" not in spec.title:
            problems.append("synthetic chart without SYNTHETIC in its title")
        if not spec.source_line().startswith(f"Source: {spec.generator}"):
            problems.append("synthetic chart whose source line does not name its generator first")
    elif any("SYNTHETIC" in t.upper() for t in [*texts, spec.title, spec.alt_text]):
        problems.append("official chart labelled synthetic")
    if not any(spec.title.split("\n")[0][:20] in t.replace("\n", " ") for t in texts):
        problems.append("the title is not drawn on the chart")
    for text in _texts(fig):
        if text.get_gid() == WATERMARK_ID:
            continue
        large = text.get_fontsize() >= 18 or (
            text.get_fontsize() >= 14 and text.get_fontweight() in ("bold", 700)
        )
        need = MIN_LARGE_TEXT_CONTRAST if large else MIN_TEXT_CONTRAST
        ratio = contrast(text.get_color(), alpha=text.get_alpha())
        if ratio < need:
            problems.append(f"text {text.get_text()[:30]!r} has contrast {ratio:.2f}")
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        where = f"panel {i + 1}"
        problems += _tick_problems(ax.xaxis, f"{where} x axis")
        problems += _tick_problems(ax.yaxis, f"{where} y axis")
        problems += _mark_problems(ax, where)
    width, height = fig.get_size_inches()
    if abs(width - FULL_COLUMN_CM * CM) > 1e-6:
        problems.append(f"drawn {width / CM:.1f} cm wide, not a full column ({FULL_COLUMN_CM} cm)")
    problems += _size_problems(fig, "full column")
    half_h = getattr(fig, "npq_chrome_inches", 0.0) + HALF_PAGE_PANELS_CM * CM
    if spec.half_page and height > half_h:
        fig.set_size_inches(width, half_h)
        problems += _size_problems(fig, "half page")
        fig.set_size_inches(width, height)
        fig.canvas.draw()
    return list(dict.fromkeys(problems))


def save_chart(fig: Figure, spec: ChartSpec, data: pl.DataFrame, folder: Path) -> list[Path]:
    """Write `<name>.png/.svg/.csv/.alt.txt/.json` into folder; returns the paths written.
    Refuses a chart that breaks a rule (chart_problems), naming every problem."""
    problems = chart_problems(fig, spec)
    if problems:
        plt.close(fig)
        raise ValueError(f"chart {spec.name} breaks the chart rules: " + "; ".join(problems))
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / spec.name
    written = []
    for suffix in ("png", "svg"):
        path = base.with_suffix(f".{suffix}")
        fig.savefig(
            path,
            dpi=200 if suffix == "png" else None,
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
