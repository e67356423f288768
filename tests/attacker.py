"""An attacker who reads only published tables and tries to pin every withheld count.

Written apart from `pipelines/disclosure.py` on purpose: it shares no code with the protection
it attacks. It loads published cells (a withheld cell is an unknown, never negative), writes
down every linear relation a reader can see between them (margins, geography and grade
hierarchies, overlapping group sets, running totals, a rate beside its denominator, the same
figure in two tables or two publications), and asks a linear programme for the smallest and
largest value each unknown can take. A withheld cell whose range is narrower than the
threshold and reaches below it is a leak (a cell pinned at 4,121 discloses no small count).
Rows missing from a table whose other rows say the combination exists are reported too: an
absent row publishes a zero.
"""

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import polars as pl
from scipy.optimize import linprog
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

THRESHOLD = 10
ENGLAND = "E92000001"


class Board:
    """Cells (a key and a value, None when withheld) and equations sum(coef * cell) = const."""

    def __init__(self) -> None:
        self.value: dict[tuple, float | None] = {}
        self.latent: set[tuple] = set()
        self.bounds: dict[tuple, tuple[float, float]] = {}  # cells shown rounded
        self.equations: list[tuple[dict[tuple, float], float]] = []

    def cell(self, key: tuple, value: float | None) -> None:
        if value is not None and not (isinstance(value, float) and np.isnan(value)):
            self.value[key] = float(value)  # published anywhere: known
        else:
            self.value.setdefault(key, None)

    def rounded(self, key: tuple, shown: float, base: int) -> None:
        """A cell published rounded half up to `base`: known to within half a base."""
        self.value[key] = None
        self.bounds[key] = (max(0.0, shown - base // 2), shown + (base + 1) // 2 - 1)

    def unknown(self, key: tuple) -> None:
        """A quantity never published (e.g. non-funded starts), that equations may name."""
        self.latent.add(key)
        self.value.setdefault(key, None)

    def equation(self, terms: dict[tuple, float], constant: float = 0.0) -> None:
        if any(k not in self.value for k in terms):
            return  # a relation over a cell the publication does not have at all
        self.equations.append((terms, constant))

    def load(self, frame: pl.DataFrame, table: str, column: str, key: list[str]) -> None:
        status = f"{column}_status"
        rows = frame.select(*key, column, *([status] if status in frame.columns else []))
        for row in rows.iter_rows(named=True):
            value = row[column]
            if status in row and row[status] != "value":
                value = None
            self.cell((table, column, *(row[k] for k in key)), value)

    def withheld(self) -> list[tuple]:
        return [
            k
            for k, v in self.value.items()
            if v is None and k not in self.latent and k not in self.bounds
        ]

    def pins(self, threshold: float = THRESHOLD) -> list[tuple[tuple, float, float]]:
        """Every withheld cell the equations pin to a range narrower than `threshold`."""
        unknown = [k for k, v in self.value.items() if v is None]
        index = {k: i for i, k in enumerate(unknown)}
        rows, cols, coefs, constants = [], [], [], []
        for terms, constant in self.equations:
            known = constant - sum(c * self.value[k] for k, c in terms.items() if k not in index)
            hidden = [(index[k], c) for k, c in terms.items() if k in index]
            if not hidden:
                continue
            for i, c in hidden:
                rows.append(len(constants))
                cols.append(i)
                coefs.append(c)
            constants.append(known)
        if not constants:
            return []
        a = csr_matrix((coefs, (rows, cols)), shape=(len(constants), len(unknown)))
        b = np.array(constants)
        incidence = (a != 0).astype(int)
        _, label = connected_components(incidence.T @ incidence, directed=False)
        leaks = []
        for component in np.unique(label):
            members = np.flatnonzero(label == component)
            eq = np.unique(a[:, members].nonzero()[0])
            if not len(eq):
                continue
            sub, rhs = a[eq][:, members].toarray(), b[eq]
            bounds = [self.bounds.get(unknown[i], (0, None)) for i in members]
            for position, i in enumerate(members):
                if unknown[i] in self.latent:
                    continue
                objective = np.zeros(len(members))
                objective[position] = 1.0
                low = linprog(objective, A_eq=sub, b_eq=rhs, bounds=bounds, method="highs")
                high = linprog(-objective, A_eq=sub, b_eq=rhs, bounds=bounds, method="highs")
                if low.status == 2:
                    raise AssertionError(f"published cells contradict each other near {unknown[i]}")
                lo = low.fun if low.status == 0 else 0.0
                hi = -high.fun if high.status == 0 else np.inf
                # a rounded cell leaks when recovered exactly; a withheld one when narrowed
                width = 1.0 if unknown[i] in self.bounds else threshold
                if hi - lo < width - 1e-6 and lo < threshold - 1e-6:  # could be small
                    leaks.append((unknown[i], lo, hi))
        return leaks


def _sum(board: Board, total: tuple, parts: Iterable[tuple]) -> None:
    board.equation({total: -1.0, **dict.fromkeys(parts, 1.0)})


def _lines(frame: pl.DataFrame, by: list[str]) -> dict[tuple, pl.DataFrame]:
    return {k: g for k, g in frame.group_by(by, maintain_order=True)}


# --- the record-level publication -------------------------------------------------------------

WHITE_SPLIT = {  # ethnicity_major group -> the ethnicity_white_british groups it is made of
    "White": ["White British", "Other White"],
    "Unknown / refused / not obtained": ["Unknown"],
}
MINORITY_MAJORS = [
    "Asian / Asian British",
    "Black / African / Caribbean / Black British",
    "Mixed / Multiple ethnic groups",
    "Other ethnic group",
]
GRADE_SUMS = {
    "Leadership": ["Head teacher", "Deputy head teacher", "Assistant head teacher"],
    "All teachers": ["Leadership", "Classroom teacher"],
}


def _group_relations(board: Board, cell, prefix: tuple, sets: dict[str, set[str]]) -> None:
    """The same people counted by two group sets: White = White British + Other White,
    unknown = unknown, the four other majors = Ethnic minority, every set the same total."""
    for major, parts in WHITE_SPLIT.items():
        _sum(
            board,
            cell(*prefix, "ethnicity_major", major),
            [cell(*prefix, "ethnicity_white_british", p) for p in parts],
        )
    _sum(
        board,
        cell(*prefix, "ethnicity_white_british", "Ethnic minority"),
        [cell(*prefix, "ethnicity_major", m) for m in MINORITY_MAJORS],
    )
    total = ("total", *prefix)
    board.unknown(total)
    for group_set, groups in sets.items():
        _sum(board, total, [cell(*prefix, group_set, g) for g in groups])


_COLUMNS = {  # what the board reads of each table (a table not given is read as empty)
    "rec_workforce_by_grade": "time_period area_code grade group_set group_name group_is_known "
    "headcount denominator_all_headcount denominator_known_headcount share_of_all_pct "
    "share_of_known_pct",
    "rec_npq_pipeline": "time_period course_code group_set group_name group_is_known npq_starts "
    "npq_known_starts npq_share_of_known_pct",
    "rec_npq_takeup_by_year": "time_period funding npq_starts cumulative_npq_starts_in_window "
    "percent_of_target",
    "rec_npq_takeup_by_course": "time_period funding course_code npq_starts percent_of_year_starts",
    "rec_npq_takeup_by_region": "time_period funding region_code npq_starts",
    "rec_linkage": "time_period npq_starts linked_starts",
}
_TEXT = {"area_code", "grade", "group_set", "group_name", "course_code", "funding", "region_code"}


def _with_all(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    out = dict(tables)
    for name, columns in _COLUMNS.items():
        frame = out.get(name, pl.DataFrame())
        for column in columns.split():
            dtype = pl.String if column in _TEXT else pl.Float64
            if column == "group_is_known":
                dtype = pl.Boolean
            if column not in frame.columns:
                frame = frame.with_columns(pl.lit(None, dtype).alias(column))
            if dtype == pl.Float64 and f"{column}_status" not in frame.columns:
                frame = frame.with_columns(pl.lit("value").alias(f"{column}_status"))
        out[name] = frame
    return out


def record_board(tables: dict[str, pl.DataFrame], rounded: dict[str, int] | None = None) -> Board:
    """`rounded`: the take-up tables published with their starts rounded, and the base."""
    board = Board()
    rounded = rounded or {}
    tables = _with_all(tables)
    w, p = tables["rec_workforce_by_grade"], tables["rec_npq_pipeline"]
    y, c, r = (tables[f"rec_npq_takeup_by_{k}"] for k in ("year", "course", "region"))
    link = tables["rec_linkage"]
    wkey = ["time_period", "area_code", "grade", "group_set", "group_name"]
    line = ["time_period", "area_code", "grade", "group_set"]
    board.load(w, "W", "headcount", wkey)
    # the other publication's teacher counts: a figure published there is known here
    # (its DfE-convention set names the same groups differently: minority ethnic = Other White
    # + the record-level 'Ethnic minority')
    renamed = {
        "White British": ["White British"],
        "Unknown": ["Unknown"],
        "Minority ethnic (all except White British)": ["Other White", "Ethnic minority"],
    }
    for row in tables.get("aggregate_workforce", pl.DataFrame()).iter_rows(named=True):
        if row["headcount"] is None:
            continue
        head = ("W", "headcount", int(row["time_period"]), row["area_code"], row["grade"])
        if row["group_set"] == "ethnicity_minority_ethnic":
            parts = [(*head, "ethnicity_white_british", g) for g in renamed[row["group_name"]]]
            board.equation({k: 1.0 for k in parts}, float(row["headcount"]))
            continue
        key = (*head, row["group_set"], row["group_name"])
        if key in board.value:
            board.cell(key, row["headcount"])
    for column in ("denominator_all_headcount", "denominator_known_headcount"):
        board.load(w.unique(line), "W", column, line)
    board.load(p, "P", "npq_starts", ["time_period", "course_code", "group_set", "group_name"])
    board.load(p.unique(["time_period", "course_code", "group_set"]), "P", "npq_known_starts",
               ["time_period", "course_code", "group_set"])  # fmt: skip
    for name, frame, key in (
        ("Y", y, ["time_period", "funding"]),
        ("C", c, ["time_period", "funding", "course_code"]),
        ("R", r, ["time_period", "funding", "region_code"]),
    ):
        board.load(frame, name, "npq_starts", key)
        base = rounded.get(
            {"C": "rec_npq_takeup_by_course", "R": "rec_npq_takeup_by_region"}.get(name)
        )
        shown = frame.filter(pl.col("npq_starts_status") == "value") if base else frame.clear()
        for row in shown.iter_rows(named=True):
            board.rounded((name, "npq_starts", *(row[k] for k in key)), row["npq_starts"], base)
    board.load(y, "Y", "cumulative_npq_starts_in_window", ["time_period", "funding"])
    board.load(link, "L", "linked_starts", ["time_period"])

    def wcell(t, area, grade, gs, g):
        return ("W", "headcount", t, area, grade, gs, g)

    sets = {gs: set(f["group_name"]) for (gs,), f in w.group_by(["group_set"])}
    known = {
        (gs, g): k for gs, g, k in w.select("group_set", "group_name", "group_is_known").rows()
    }
    areas = sorted(set(w["area_code"]))
    for (t, grade, gs, g), _ in _lines(
        w, ["time_period", "grade", "group_set", "group_name"]
    ).items():
        _sum(board, wcell(t, ENGLAND, grade, gs, g),
             [wcell(t, a, grade, gs, g) for a in areas if a != ENGLAND])  # fmt: skip
    for (t, area, gs, g), _ in _lines(
        w, ["time_period", "area_code", "group_set", "group_name"]
    ).items():
        for total, parts in GRADE_SUMS.items():
            _sum(board, wcell(t, area, total, gs, g), [wcell(t, area, q, gs, g) for q in parts])
    for (t, area, grade), _ in _lines(w, ["time_period", "area_code", "grade"]).items():
        _group_relations(board, lambda *k: wcell(*k), (t, area, grade), sets)
        for gs, groups in sets.items():
            all_ = ("W", "denominator_all_headcount", t, area, grade, gs)
            known_ = ("W", "denominator_known_headcount", t, area, grade, gs)
            _sum(board, all_, [wcell(t, area, grade, gs, g) for g in groups])
            _sum(board, known_, [wcell(t, area, grade, gs, g) for g in groups if known[(gs, g)]])
    for row in w.iter_rows(named=True):  # a share beside its denominator gives the count
        key = (row["time_period"], row["area_code"], row["grade"], row["group_set"])
        for share, denominator in (
            ("share_of_all_pct", "denominator_all_headcount"),
            ("share_of_known_pct", "denominator_known_headcount"),
        ):
            if row[f"{share}_status"] == "value" and row[share] is not None:
                board.equation({wcell(*key, row["group_name"]): 1.0,
                                ("W", denominator, *key): -row[share] / 100})  # fmt: skip

    def pcell(t, course, gs, g):
        return ("P", "npq_starts", t, course, gs, g)

    psets = {gs: set(f["group_name"]) for (gs,), f in p.group_by(["group_set"])}
    pknown = {
        (gs, g): k for gs, g, k in p.select("group_set", "group_name", "group_is_known").rows()
    }
    courses = sorted(set(p["course_code"]) - {"All NPQs"})
    for (t, gs, g), _ in _lines(p, ["time_period", "group_set", "group_name"]).items():
        _sum(board, pcell(t, "All NPQs", gs, g), [pcell(t, k, gs, g) for k in courses])
    for (t, course), _ in _lines(p, ["time_period", "course_code"]).items():
        _group_relations(board, pcell, (t, course), psets)
        for gs, groups in psets.items():
            _sum(board, ("P", "npq_known_starts", t, course, gs),
                 [pcell(t, course, gs, g) for g in groups if pknown[(gs, g)]])  # fmt: skip
        if course == "All NPQs":
            board.equation({("total", t, course): 1.0, ("L", "linked_starts", t): -1.0})
    for row in p.iter_rows(named=True):
        if row["npq_share_of_known_pct_status"] == "value" and row["npq_share_of_known_pct"]:
            key = (row["time_period"], row["course_code"], row["group_set"])
            board.equation({pcell(*key, row["group_name"]): 1.0,
                            ("P", "npq_known_starts", *key): -row["npq_share_of_known_pct"] / 100})  # fmt: skip  # noqa: E501

    # take-up: courses and regions add up to the year; the running total adds the years
    for (t, funding), _ in _lines(y, ["time_period", "funding"]).items():
        year = ("Y", "npq_starts", t, funding)
        for name, frame, col in (("C", c, "course_code"), ("R", r, "region_code")):
            parts = frame.filter((pl.col("time_period") == t) & (pl.col("funding") == funding))
            if parts.height:  # a table with no rows for the year says nothing of it
                _sum(board, year, [(name, "npq_starts", t, funding, k) for k in parts[col]])
    for funding, frame in _lines(y, ["funding"]).items():
        window = frame.filter(pl.col("time_period").is_in([202122, 202223, 202324])).sort(
            "time_period"
        )
        previous = None
        for t in window["time_period"]:
            cum = ("Y", "cumulative_npq_starts_in_window", t, funding[0])
            terms = {cum: -1.0, ("Y", "npq_starts", t, funding[0]): 1.0}
            if previous is not None:
                terms[previous] = 1.0
            board.equation(terms)
            previous = cum
    for row in y.iter_rows(named=True):  # the percentage of a fixed target gives the total
        cum = ("Y", "cumulative_npq_starts_in_window", row["time_period"], row["funding"])
        if row.get("percent_of_target") is not None and board.value.get(cum, 0) is None:
            board.cell(cum, round(row["percent_of_target"] * 1500))
    # Overall counts the funded starts and the others: Funded <= Overall
    for name, frame, col in (("C", c, "course_code"), ("R", r, "region_code"), ("Y", y, None)):
        key = ["time_period", *([col] if col else [])]
        for k, _ in _lines(frame, key).items():
            other = (name, "non-funded", *k)
            board.unknown(other)
            overall = (name, "npq_starts", k[0], "Overall", *k[1:])
            funded = (name, "npq_starts", k[0], "Funded", *k[1:])
            board.equation({overall: -1.0, funded: 1.0, other: 1.0})
    for row in c.iter_rows(named=True) if "rec_npq_takeup_by_course" not in rounded else ():
        if row["percent_of_year_starts_status"] == "value" and row["percent_of_year_starts"]:
            t, f = row["time_period"], row["funding"]
            board.equation({("C", "npq_starts", t, f, row["course_code"]): 1.0,
                            ("Y", "npq_starts", t, f): -row["percent_of_year_starts"] / 100})  # fmt: skip  # noqa: E501
    for row in link.iter_rows(named=True):
        board.equation({("Y", "npq_starts", row["time_period"], "Overall"): 1.0,
                        ("L", "npq_starts", row["time_period"]): -1.0})  # fmt: skip
        board.cell(("L", "npq_starts", row["time_period"]),
                   row["npq_starts"] if row["npq_starts_status"] == "value" else None)  # fmt: skip
    return board


def absent_rows(tables: dict[str, pl.DataFrame]) -> list[tuple]:
    """Combinations a table's own rows say exist in a year (the year has the category in some
    row) but that have no row: each publishes a zero."""
    domains = {
        "rec_workforce_by_grade": (["area_code", "grade"], ["group_set", "group_name"]),
        "rec_npq_pipeline": (["course_code"], ["group_set", "group_name"]),
        "rec_npq_takeup_by_course": (["funding"], ["course_code"]),
        "rec_npq_takeup_by_region": (["funding"], ["region_code"]),
    }
    missing = []
    for name, (left, right) in domains.items():
        if name not in tables:
            continue
        frame = tables[name]
        for (t,), year in frame.group_by(["time_period"]):
            grid = year.select(left).unique().join(year.select(right).unique(), how="cross")
            gone = grid.join(year, on=[*left, *right], how="anti")
            missing += [(name, t, *row) for row in gone.rows()]
    return missing


# --- pilots -----------------------------------------------------------------------------------


def pilot_board(tables: dict[str, pl.DataFrame]) -> Board:
    """Flow (allocated = analysed + lost in each arm, arms add to Total) beside the estimates'
    n per arm on the same outcome and year, and the security table's totals."""
    board = Board()
    flow = tables["pilot_flow"]
    fkey = ["pilot_id", "evaluation_year", "unit_level", "outcome_id", "arm", "stage"]
    board.load(flow, "F", "units", fkey)
    for (pilot, year, level, outcome), _ in _lines(flow, fkey[:4]).items():
        for arm in ("treatment", "control", "Total"):
            cell = ("F", "units", pilot, year, level, outcome, arm)
            _sum(board, (*cell, "allocated"), [(*cell, "analysed"), (*cell, "lost")])
        for stage in ("allocated", "analysed", "lost"):
            cell = ("F", "units", pilot, year, level, outcome)
            _sum(board, (*cell, "Total", stage),
                 [(*cell, "treatment", stage), (*cell, "control", stage)])  # fmt: skip
    est = tables["pilot_estimates"].filter(pl.col("subgroup") == "all")
    flow_outcomes = flow.select("pilot_id", "outcome_id", "unit_level").unique()
    for row in est.join(flow_outcomes, on=["pilot_id", "outcome_id"]).iter_rows(named=True):
        key, level = (row["pilot_id"], row["evaluation_year"]), row["unit_level"]
        if row["outcome_level"] != level and row["outcome_level"] is not None:
            continue  # an estimate on another unit (e.g. pupils of a school-level flow)
        for arm, column in (("treatment", "n_treatment"), ("control", "n_control")):
            status = row.get(f"{column}_status", "value")
            n = row[column] if status == "value" else None
            if n is not None:
                board.cell(("F", "units", *key, level, row["outcome_id"], arm, "analysed"), n)
    sec = tables["pilot_security"]
    for row in sec.iter_rows(named=True):
        outcome = flow.filter(pl.col("pilot_id") == row["pilot_id"])["outcome_id"]
        if not outcome.len():
            continue
        cell = (
            "F",
            "units",
            row["pilot_id"],
            row["evaluation_year"],
            row["unit_level"],
            outcome[0],
            "Total",
        )
        for column, stage in (("randomised_or_in_sample", "allocated"), ("analysed", "analysed")):
            if row[column] is not None and row.get(f"{column}_status", "value") == "value":
                board.cell((*cell, stage), row[column])
    return board


def by_key(leaks: list[tuple]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for leak in leaks:
        out[leak[0][0]] += 1
    return dict(out)
