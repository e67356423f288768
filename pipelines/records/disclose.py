"""Disclosure control of the record-level publication, as one declaration over all six marts.

Every count here is derived from record-level data, so every count is protected: below the
threshold it is withheld (`c`), and so is whatever would give it away. What would give it away
is declared once, below, as the linear relations a reader can see across the whole
publication (`pipelines/disclosure.py` chooses the suppression over all of them at once):

- geography: England = the sum of its regions (workforce);
- grades: Leadership = head + deputy + assistant; All teachers = Leadership + classroom;
- group sets that count the same people: every set adds up to the same total (the line's
  denominator), known groups add up to the known denominator, and the ethnicity sets overlap
  (White = White British + Other White; unknown = unknown; the four other major groups =
  Ethnic minority);
- take-up: courses and regions add up to the year; the running total within the target
  window adds the years; Overall = Funded + non-funded (never published, protected when
  small); the region table repeats the workforce's regional headcount;
- NPQ pipeline: courses add up to 'All NPQs', whose groups add up to the year's linked starts
  in rec_linkage, whose starts are rec_npq_takeup_by_year's.

Zeros: a combination with no records inside a year's categories (a region, grade, course or
group that has records somewhere in that year's table) is a sampling zero: it gets a row and
is protected like any small count. A category with no record anywhere in the year is
structurally absent that year (a course not yet offered, a code not in use) and has no row.

Rates, shares and running-total percentages are withheld wherever a count they are built from
(numerator or denominator) is withheld. Status columns say `c` (withheld), `z` (no value by
definition, e.g. a share of known for the unknown group) or `value`.

Rounding instead of suppression: `protect(..., rounding={table: base})` publishes the starts of
the course or region table rounded to the base (half up) and rebuilds the table's rate from the
rounded starts; a cell is withheld only where the rounded figures and everything else
published would still give a small count back exactly. Tables not named use suppression, as
the default publication does for all six.
"""

import hashlib

import polars as pl

from pipelines.disclosure import (
    PUBLICATION_RULE,
    SUPPRESSED,
    Declaration,
    Rule,
    cell_id,
    protect_publication,
    sum_equations,
    withhold,
)

ENGLAND = "E92000001"
WINDOW = (202122, 202223, 202324)
LEADERSHIP = ["Head teacher", "Deputy head teacher", "Assistant head teacher"]
MINORITY_MAJORS = [
    "Asian / Asian British",
    "Black / African / Caribbean / Black British",
    "Mixed / Multiple ethnic groups",
    "Other ethnic group",
]
OVERLAPS = [  # (group set, group) = sum of (group set, group): the same people counted twice
    (
        ("ethnicity_major", "White"),
        [("ethnicity_white_british", "White British"), ("ethnicity_white_british", "Other White")],
    ),
    (
        ("ethnicity_major", "Unknown / refused / not obtained"),
        [("ethnicity_white_british", "Unknown")],
    ),
    (
        ("ethnicity_white_british", "Ethnic minority"),
        [("ethnicity_major", m) for m in MINORITY_MAJORS],
    ),
]

# tables that can be published rounded, with the rate each rebuilds from its rounded starts
ROUNDABLE = {
    "rec_npq_takeup_by_course": "percent_of_year_starts",
    "rec_npq_takeup_by_region": "starts_per_1000_teachers",
}
# the publication's choice, per table: rounded to a base instead of suppressed. Empty: every
# table uses suppression, as DfE's record-level NPQ statistics do.
ROUNDING: dict[str, int] = {}

# The aggregate publication's DfE-convention group set, in the record-level set's groups
AGGREGATE_SET = "ethnicity_minority_ethnic"
AGGREGATE_GROUPS = {
    "White British": ["White British"],
    "Unknown": ["Unknown"],
    "Minority ethnic (all except White British)": ["Other White", "Ethnic minority"],
}

GRAIN = {
    "rec_npq_takeup_by_year": ["time_period", "funding"],
    "rec_npq_takeup_by_course": ["time_period", "funding", "course_code"],
    "rec_npq_takeup_by_region": ["time_period", "funding", "region_code"],
    "rec_workforce_by_grade": ["time_period", "area_code", "grade", "group_set", "group_name"],
    "rec_npq_pipeline": ["time_period", "course_code", "group_set", "group_name"],
    "rec_linkage": ["time_period"],
}
W, P = "rec_workforce_by_grade", "rec_npq_pipeline"
Y, C, R, L = (
    "rec_npq_takeup_by_year",
    "rec_npq_takeup_by_course",
    "rec_npq_takeup_by_region",
    "rec_linkage",
)


def _academic_year(time_period: pl.Expr) -> pl.Expr:
    return pl.format(
        "{}/{}",
        (time_period // 100).cast(pl.String),
        (time_period % 100).cast(pl.String).str.zfill(2),
    )


def _complete(frame: pl.DataFrame, left: list[str], right: list[str]) -> pl.DataFrame:
    """Rows for every combination of a year's `left` and `right` categories (each as found
    somewhere in that year's rows); new rows have nothing but their key."""
    grid = (
        frame.select("time_period", *left)
        .unique()
        .join(frame.select("time_period", *right).unique(), on="time_period")
    )
    new = grid.join(frame, on=["time_period", *left, *right], how="anti")
    return pl.concat([frame, new], how="diagonal_relaxed")


def _complete_workforce(frame: pl.DataFrame) -> pl.DataFrame:
    w = _complete(frame, ["area_code", "grade"], ["group_set", "group_name"])
    line = ["time_period", "area_code", "grade", "group_set"]
    w = w.with_columns(
        pl.col("headcount").fill_null(0),
        pl.col("group_is_known").fill_null(pl.col("group_is_known").max().over("group_name")),
        pl.col("denominator_all_headcount", "denominator_known_headcount").max().over(line),
    ).with_columns(
        _academic_year(pl.col("time_period")).alias("academic_year"),
        pl.col("denominator_all_headcount", "denominator_known_headcount").fill_null(0),
        pl.col("share_of_all_pct").fill_null(
            pl.col("headcount") * 100.0 / pl.col("denominator_all_headcount")
        ),
        pl.col("share_of_known_pct").fill_null(
            pl.when(pl.col("group_is_known") & (pl.col("denominator_known_headcount") > 0)).then(
                pl.col("headcount") * 100.0 / pl.col("denominator_known_headcount")
            )
        ),
    )
    return w


def complete(marts: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Sampling zeros as rows (see the module docstring), with the columns that follow."""
    out = dict(marts)
    if W in marts:
        out[W] = _complete_workforce(marts[W])
    if P in marts:
        p = _complete(marts[P], ["course_code"], ["group_set", "group_name"])
        england = out[W].filter(pl.col("area_code") == ENGLAND)
        shares = {
            "head_teacher_share_of_known_pct": "Head teacher",
            "all_teachers_share_of_known_pct": "All teachers",
        }
        for column, grade in shares.items():
            p = p.drop(column).join(
                england.filter(pl.col("grade") == grade).select(
                    "time_period",
                    "group_set",
                    "group_name",
                    pl.col("share_of_known_pct").alias(column),
                ),
                on=["time_period", "group_set", "group_name"],
                how="left",
            )
        p = p.with_columns(
            pl.col("npq_starts").fill_null(0),
            pl.col("group_is_known").fill_null(pl.col("group_is_known").max().over("group_name")),
            pl.col("npq_known_starts").max().over("time_period", "course_code", "group_set"),
        ).with_columns(
            _academic_year(pl.col("time_period")).alias("academic_year"),
            pl.col("npq_known_starts").fill_null(0),
            pl.col("npq_share_of_known_pct").fill_null(
                pl.when(pl.col("group_is_known") & (pl.col("npq_known_starts") > 0)).then(
                    pl.col("npq_starts") * 100.0 / pl.col("npq_known_starts")
                )
            ),
        )
        out[P] = p.with_columns(
            pl.col("gap_to_heads_pp").fill_null(
                pl.col("npq_share_of_known_pct") - pl.col("head_teacher_share_of_known_pct")
            )
        ).select(marts[P].columns)
    for name, category in ((C, "course_code"), (R, "region_code")):
        if name not in marts:
            continue
        frame = _complete(marts[name], ["funding"], [category])
        out[name] = frame.with_columns(
            pl.col("npq_starts").fill_null(0),
            _academic_year(pl.col("time_period")).alias("academic_year"),
        )
    if R in out:
        teachers = (
            out[R]
            .group_by("time_period", "region_code")
            .agg(pl.col("teachers_headcount").max().alias("_teachers"))
        )
        out[R] = (
            out[R]
            .join(teachers, on=["time_period", "region_code"], how="left")
            .with_columns(
                pl.col("teachers_headcount").fill_null(pl.col("_teachers")),
            )
            .with_columns(
                pl.col("starts_per_1000_teachers").fill_null(
                    pl.col("npq_starts") * 1000.0 / pl.col("teachers_headcount")
                )
            )
            .drop("_teachers")
        )
    if C in out:
        totals = (
            out[C].group_by("time_period", "funding").agg(pl.col("npq_starts").sum().alias("_t"))
        )
        out[C] = (
            out[C]
            .join(totals, on=["time_period", "funding"])
            .with_columns(
                pl.col("percent_of_year_starts").fill_null(
                    pl.col("npq_starts") * 100.0 / pl.col("_t")
                )
            )
            .drop("_t")
        )
    return {name: frame.select(marts[name].columns) for name, frame in out.items()}


def _line_equations(
    frame: pl.DataFrame,
    table: str,
    count: str,
    line: list[str],
    total: str,
    key: list[str],
    known=None,
) -> pl.DataFrame:
    """`total` (a column repeated on each row of a line) = the sum of the line's counts (of
    its known groups, with `known`)."""
    rows = frame.filter(known) if known is not None else frame
    eq = cell_id(f"{table}|{total}", *(pl.col(k) for k in line))
    parts = rows.select(
        eq.alias("eq"),
        cell_id(table, count, *(pl.col(k) for k in key)).alias("cell"),
        coef=pl.lit(1.0),
    )
    totals = (
        frame.select(line)
        .unique()
        .select(
            cell_id(f"{table}|{total}", *(pl.col(k) for k in line)).alias("eq"),
            cell_id(table, total, *(pl.col(k) for k in line)).alias("cell"),
            coef=pl.lit(-1.0),
        )
    )
    return pl.concat([parts, totals])


def _cells(
    d: Declaration,
    frame: pl.DataFrame,
    table: str,
    column: str,
    key: list[str],
    kind="derived",
    base: int | None = None,
):
    d.add_cells(
        frame.unique(key), cell_id(table, column, *(pl.col(k) for k in key)), column, kind, base
    )


def _same(d: Declaration, name: str, a: pl.Expr, b: pl.Expr, frame: pl.DataFrame) -> None:
    """Cell `a` = cell `b` on each row of `frame` (the same figure twice)."""
    eq = pl.concat_str(pl.lit(name), a, b, separator="|")
    d.add_equations(
        pl.concat(
            [
                frame.select(eq.alias("eq"), a.alias("cell"), coef=pl.lit(1.0)),
                frame.select(eq.alias("eq"), b.alias("cell"), coef=pl.lit(-1.0)),
            ]
        )
    )


def elsewhere_kind(workforce: pl.DataFrame, elsewhere: pl.DataFrame | None) -> pl.DataFrame:
    """`workforce` with `_elsewhere`: where the aggregate publication already publishes the same
    figure (same key, same value), the table it is in and its provenance, else null."""
    key = GRAIN[W]
    if elsewhere is None or not elsewhere.height:
        return workforce.with_columns(_elsewhere=pl.lit(None, pl.String))
    # the aggregate's DfE-convention groups that are one record-level group each
    single = {k: v[0] for k, v in AGGREGATE_GROUPS.items() if len(v) == 1}
    renamed = elsewhere.filter(
        (pl.col("group_set") == AGGREGATE_SET) & pl.col("group_name").is_in(list(single))
    ).with_columns(
        group_set=pl.lit("ethnicity_white_british"), group_name=pl.col("group_name").replace(single)
    )
    elsewhere = pl.concat([elsewhere.select(renamed.columns), renamed]).unique(
        key, keep="first", maintain_order=True
    )
    shown = elsewhere.filter(pl.col("headcount").is_not_null()).select(
        pl.col("time_period").cast(pl.Int32),
        *key[1:],
        pl.col("headcount").alias("_other"),
        pl.format("rep_workforce_by_grade ({})", pl.col("provenance")).alias("_where"),
    )
    return (
        workforce.join(shown, on=key, how="left")
        .with_columns(
            _elsewhere=pl.when(pl.col("_other") == pl.col("headcount")).then(pl.col("_where"))
        )
        .drop("_other", "_where")
    )


def aggregate_sums(workforce: pl.DataFrame, elsewhere: pl.DataFrame | None) -> pl.DataFrame:
    """The aggregate publication's figures that are sums of record-level groups (its minority
    ethnic = Other White + Ethnic minority), where they count the same teachers (equal to the
    record-level sum): `line` keys, `group_name`, `headcount`."""
    line = ["time_period", "area_code", "grade"]
    schema = {"time_period": pl.Int32, "area_code": pl.String, "grade": pl.String,
              "group_name": pl.String, "headcount": pl.Float64}  # fmt: skip
    if elsewhere is None or not elsewhere.height:
        return pl.DataFrame(schema=schema)
    sums = [g for g, parts in AGGREGATE_GROUPS.items() if len(parts) > 1]
    shown = elsewhere.filter(
        (pl.col("group_set") == AGGREGATE_SET)
        & pl.col("group_name").is_in(sums)
        & pl.col("headcount").is_not_null()
    ).select(pl.col("time_period").cast(pl.Int32), *line[1:], "group_name", "headcount")
    out = []
    for group in sums:
        parts = (
            workforce.filter(
                (pl.col("group_set") == "ethnicity_white_british")
                & pl.col("group_name").is_in(AGGREGATE_GROUPS[group])
            )
            .group_by(line)
            .agg(pl.col("headcount").sum().alias("_sum"), pl.len().alias("_n"))
        )
        same = shown.filter(pl.col("group_name") == group).join(parts, on=line)
        out.append(
            same.filter(
                (pl.col("_n") == len(AGGREGATE_GROUPS[group]))
                & (pl.col("_sum") == pl.col("headcount"))
            ).select(*line, "group_name", pl.col("headcount").cast(pl.Float64))
        )
    return pl.concat(out) if out else pl.DataFrame(schema=schema)


def _declare_aggregate_sums(d: Declaration, sums: pl.DataFrame) -> None:
    """Each aggregate figure fixed, and equal to the sum of the record-level groups."""
    line = [pl.col(k) for k in ("time_period", "area_code", "grade")]
    figure = cell_id("aggregate", "headcount", *line, pl.col("group_name"))
    d.add_cells(sums, figure, "headcount", "official")
    terms = [
        sums.select(cell_id("agg", figure).alias("eq"), figure.alias("cell"), coef=pl.lit(-1.0))
    ]
    for group, parts in AGGREGATE_GROUPS.items():
        rows = sums.filter(pl.col("group_name") == group)
        for part in parts if len(parts) > 1 else []:
            terms.append(
                rows.select(
                    cell_id("agg", figure).alias("eq"),
                    cell_id(
                        W, "headcount", *line, pl.lit("ethnicity_white_british"), pl.lit(part)
                    ).alias("cell"),
                    coef=pl.lit(1.0),
                )
            )
    d.add_equations(pl.concat(terms))


def declare(marts: dict[str, pl.DataFrame], rounding: dict[str, int] | None = None) -> Declaration:
    """The record-level publication's cells and relations (see the module docstring). A
    workforce row whose `_elsewhere` (from `elsewhere_kind`) names another publication is a
    figure published there: fixed here (see `protect`). `rounding` names the tables (of
    `ROUNDABLE`) whose starts are published rounded to a base."""
    rounding = rounding or {}
    unknown = set(rounding) - set(ROUNDABLE)
    if unknown:
        raise ValueError(
            f"rounding is offered for {sorted(ROUNDABLE)} only, not {sorted(unknown)}: other "
            "tables publish figures built on exact counts"
        )
    d = Declaration()
    if W in marts:
        _declare_workforce(d, marts[W])
        if "_aggregate_sums" in marts:
            _declare_aggregate_sums(d, marts["_aggregate_sums"])
    if P in marts:
        _declare_pipeline(d, marts[P])
    if Y in marts:
        _declare_takeup(d, marts, rounding)
    if L in marts:
        link = marts[L]
        linked = link.filter(pl.col("census_available"))
        _cells(d, linked, L, "linked_starts", ["time_period"])
        unlinked = linked.with_columns(
            unlinked_starts=pl.col("npq_starts") - pl.col("linked_starts")
        )
        _cells(d, unlinked, L, "unlinked_starts", ["time_period"], kind="latent")
        d.add_equations(
            pl.concat(
                [
                    linked.select(
                        cell_id("link", pl.col("time_period")).alias("eq"),
                        cell_id(c, col, pl.col("time_period"), *extra).alias("cell"),
                        coef=pl.lit(sign),
                    )
                    for c, col, extra, sign in (
                        (Y, "npq_starts", ["Overall"], -1.0),
                        (L, "linked_starts", [], 1.0),
                        (L, "unlinked_starts", [], 1.0),
                    )
                ]
            )
        )
        if P in marts:
            all_npqs = (
                marts[P]
                .filter(pl.col("course_code") == "All NPQs")
                .select("time_period", "group_set")
                .unique()
            )
            _same(
                d,
                "linked_groups",
                cell_id(
                    P, "_total", pl.col("time_period"), pl.lit("All NPQs"), pl.col("group_set")
                ),
                cell_id(L, "linked_starts", pl.col("time_period")),
                all_npqs,
            )
    return d


def _group_overlaps(
    d: Declaration, frame: pl.DataFrame, table: str, count: str, key: list[str]
) -> None:
    for total, parts in OVERLAPS:
        d.add_equations(
            sum_equations(
                frame,
                table=table,
                column=count,
                key=key,
                dims=["group_set", "group_name"],
                total=total,
                parts=parts,
            )
        )


def _set_totals(
    d: Declaration, frame: pl.DataFrame, table: str, count: str, key: list[str], line: list[str]
) -> None:
    """Every group set of a line adds up to one total (latent: the line's people)."""
    people = line[:-1]  # the line without its group set
    totals = frame.group_by(line).agg(pl.col(count).sum().alias("_n"))
    d.add_cells(totals, cell_id(table, "_total", *(pl.col(k) for k in line)), "_n", "latent")
    d.add_cells(
        totals.unique(people),
        cell_id(table, "_people", *(pl.col(k) for k in people)),
        "_n",
        "latent",
    )
    d.add_equations(_line_equations(frame, table, count, line, "_total", key))
    _same(
        d,
        f"{table}|people",
        cell_id(table, "_total", *(pl.col(k) for k in line)),
        cell_id(table, "_people", *(pl.col(k) for k in people)),
        totals,
    )


def _declare_workforce(d: Declaration, w: pl.DataFrame) -> None:
    key = GRAIN[W]
    line = ["time_period", "area_code", "grade", "group_set"]
    if "_elsewhere" not in w.columns:
        w = w.with_columns(_elsewhere=pl.lit(None, pl.String))
    for kind, rows in (
        ("derived", w.filter(pl.col("_elsewhere").is_null())),
        ("official", w.filter(pl.col("_elsewhere").str.ends_with("(published)"))),
        ("published", w.filter(~pl.col("_elsewhere").str.ends_with("(published)"))),
    ):
        _cells(d, rows, W, "headcount", key, kind=kind)
    _cells(d, w, W, "denominator_all_headcount", line)
    _cells(d, w, W, "denominator_known_headcount", line)
    regions = sorted(set(w["area_code"]) - {ENGLAND})
    for dim, total, parts in (
        ("area_code", ENGLAND, regions),
        ("grade", "Leadership", LEADERSHIP),
        ("grade", "All teachers", ["Leadership", "Classroom teacher"]),
    ):
        d.add_equations(
            sum_equations(
                w,
                table=W,
                column="headcount",
                key=key,
                dims=[dim],
                total=(total,),
                parts=[(p,) for p in parts],
            )
        )
    _group_overlaps(d, w, W, "headcount", key)
    _set_totals(d, w, W, "headcount", key, line)
    d.add_equations(_line_equations(w, W, "headcount", line, "denominator_all_headcount", key))
    d.add_equations(
        _line_equations(
            w,
            W,
            "headcount",
            line,
            "denominator_known_headcount",
            key,
            known=pl.col("group_is_known"),
        )
    )


def _declare_pipeline(d: Declaration, p: pl.DataFrame) -> None:
    key = GRAIN[P]
    line = ["time_period", "course_code", "group_set"]
    _cells(d, p, P, "npq_starts", key)
    _cells(d, p, P, "npq_known_starts", line)
    courses = sorted(set(p["course_code"]) - {"All NPQs"})
    d.add_equations(
        sum_equations(
            p,
            table=P,
            column="npq_starts",
            key=key,
            dims=["course_code"],
            total=("All NPQs",),
            parts=[(c,) for c in courses],
        )
    )
    _group_overlaps(d, p, P, "npq_starts", key)
    _set_totals(d, p, P, "npq_starts", key, line)
    d.add_equations(
        _line_equations(
            p, P, "npq_starts", line, "npq_known_starts", key, known=pl.col("group_is_known")
        )
    )


def _declare_takeup(
    d: Declaration, marts: dict[str, pl.DataFrame], rounding: dict[str, int]
) -> None:
    y = marts[Y]
    _cells(d, y, Y, "npq_starts", GRAIN[Y])
    _cells(d, y, Y, "npq_unique_participants", GRAIN[Y])
    window = y.filter(pl.col("time_period").is_in(WINDOW)).sort("time_period")
    _cells(d, window, Y, "cumulative_npq_starts_in_window", GRAIN[Y])
    # running total: cumulative(t) = cumulative(t - 1) + starts(t)
    steps = window.with_columns(previous=pl.col("time_period").shift(1).over("funding"))
    eq = cell_id("cumulative", pl.col("time_period"), pl.col("funding"))
    d.add_equations(
        pl.concat(
            [
                steps.select(
                    eq.alias("eq"),
                    cell_id(
                        Y,
                        "cumulative_npq_starts_in_window",
                        pl.col("time_period"),
                        pl.col("funding"),
                    ).alias("cell"),
                    coef=pl.lit(-1.0),
                ),
                steps.select(
                    eq.alias("eq"),
                    cell_id(Y, "npq_starts", pl.col("time_period"), pl.col("funding")).alias(
                        "cell"
                    ),
                    coef=pl.lit(1.0),
                ),
                steps.filter(pl.col("previous").is_not_null()).select(
                    eq.alias("eq"),
                    cell_id(
                        Y, "cumulative_npq_starts_in_window", pl.col("previous"), pl.col("funding")
                    ).alias("cell"),
                    coef=pl.lit(1.0),
                ),
            ]
        )
    )
    tables = [(Y, y, [])]
    for name, category in ((C, "course_code"), (R, "region_code")):
        if name in marts:
            frame = marts[name]
            _cells(d, frame, name, "npq_starts", GRAIN[name], base=rounding.get(name))
            tables.append((name, frame, [category]))
            # the categories add up to the year
            parts = frame.select(
                cell_id(Y, "npq_starts", pl.col("time_period"), pl.col("funding")).alias("eq"),
                cell_id(name, "npq_starts", *(pl.col(k) for k in GRAIN[name])).alias("cell"),
                coef=pl.lit(1.0),
            )
            whole = y.select(
                cell_id(Y, "npq_starts", pl.col("time_period"), pl.col("funding")).alias("eq"),
                cell_id(Y, "npq_starts", pl.col("time_period"), pl.col("funding")).alias("cell"),
                coef=pl.lit(-1.0),
            )
            d.add_equations(
                pl.concat([parts, whole]).with_columns(pl.concat_str(pl.lit(name), "eq"))
            )
    # Overall = Funded + non-funded, in every table
    for name, frame, extra in tables:
        by = ["time_period", *extra]
        wide = frame.pivot(on="funding", index=by, values="npq_starts")
        if not {"Overall", "Funded"} <= set(wide.columns):
            continue
        wide = wide.with_columns(_nf=pl.col("Overall") - pl.col("Funded").fill_null(0))
        ids = [pl.col(k) for k in by]
        d.add_cells(wide, cell_id(name, "non_funded", *ids), "_nf", "latent")
        eq = cell_id(name, "funding", *ids)
        d.add_equations(
            pl.concat(
                [
                    wide.select(
                        eq.alias("eq"),
                        cell_id(name, "npq_starts", ids[0], pl.lit("Overall"), *ids[1:]).alias(
                            "cell"
                        ),
                        coef=pl.lit(-1.0),
                    ),
                    wide.select(
                        eq.alias("eq"),
                        cell_id(name, "npq_starts", ids[0], pl.lit("Funded"), *ids[1:]).alias(
                            "cell"
                        ),
                        coef=pl.lit(1.0),
                    ),
                    wide.select(
                        eq.alias("eq"),
                        cell_id(name, "non_funded", *ids).alias("cell"),
                        coef=pl.lit(1.0),
                    ),
                ]
            )
        )
    if R in marts and W in marts:
        r = (
            marts[R]
            .filter(pl.col("teachers_headcount").is_not_null())
            .unique(["time_period", "region_code"])
        )
        _cells(d, r, R, "teachers_headcount", ["time_period", "region_code"])
        _same(
            d,
            "regional_teachers",
            cell_id(R, "teachers_headcount", pl.col("time_period"), pl.col("region_code")),
            cell_id(
                W, "_people", pl.col("time_period"), pl.col("region_code"), pl.lit("All teachers")
            ),
            r,
        )


# --- applying the choice ------------------------------------------------------------------------


def _flag(
    frame: pl.DataFrame, withheld: pl.DataFrame, table: str, column: str, key: list[str], alias: str
):
    ids = cell_id(table, column, *(pl.col(k) for k in key))
    return (
        frame.with_columns(ids.alias("_cell"))
        .join(
            withheld.select(pl.col("cell").alias("_cell"), pl.col("withheld").alias(alias)),
            on="_cell",
            how="left",
        )
        .with_columns(pl.col(alias).fill_null(False))
        .drop("_cell")
    )


def _shown(
    frame: pl.DataFrame, cells: pl.DataFrame, table: str, column: str, key: list[str]
) -> pl.DataFrame:
    """`column` as published: rounded where its cell was declared rounded (withheld stays null)."""
    rounded = cells.filter(pl.col("base").is_not_null() & ~pl.col("withheld"))
    if rounded.is_empty():
        return frame
    return (
        frame.with_columns(cell_id(table, column, *(pl.col(k) for k in key)).alias("_cell"))
        .join(
            rounded.select(pl.col("cell").alias("_cell"), pl.col("published").alias("_shown")),
            on="_cell",
            how="left",
        )
        .with_columns(
            pl.coalesce(pl.col("_shown").cast(frame.schema[column]), pl.col(column)).alias(column)
        )
        .drop("_cell", "_shown")
    )


def apply(marts: dict[str, pl.DataFrame], cells: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Each mart with its withheld counts, and the rates built on them, set to `c`; the starts
    of a table declared rounded shown rounded, and its rate rebuilt from them."""
    out = {}
    withheld = cells.filter("withheld").select("cell", "withheld")
    if W in marts:
        line = ["time_period", "area_code", "grade", "group_set"]
        w = _flag(marts[W], withheld, W, "headcount", GRAIN[W], "_n")
        w = _flag(w, withheld, W, "denominator_all_headcount", line, "_all")
        w = _flag(w, withheld, W, "denominator_known_headcount", line, "_known")
        w = withhold(w, "headcount", pl.col("_n"))
        w = withhold(w, "share_of_all_pct", pl.col("_n") | pl.col("_all"))
        w = withhold(w, "denominator_all_headcount", pl.col("_all"))
        w = withhold(w, "denominator_known_headcount", pl.col("_known"))
        w = withhold(w, "share_of_known_pct", pl.col("_n") | pl.col("_known"))
        out[W] = w.drop("_n", "_all", "_known")
    if P in marts:
        line = ["time_period", "course_code", "group_set"]
        p = _flag(marts[P], withheld, P, "npq_starts", GRAIN[P], "_n")
        p = _flag(p, withheld, P, "npq_known_starts", line, "_known")
        p = withhold(p, "npq_starts", pl.col("_n"))
        p = withhold(p, "npq_known_starts", pl.col("_known"))
        p = withhold(p, "npq_share_of_known_pct", pl.col("_n") | pl.col("_known"))
        heads = pl.lit(False)
        for column, grade in (
            ("head_teacher_share_of_known_pct", "Head teacher"),
            ("all_teachers_share_of_known_pct", "All teachers"),
        ):
            shown = out[W].filter((pl.col("area_code") == ENGLAND) & (pl.col("grade") == grade))
            p = p.join(
                shown.select(
                    "time_period",
                    "group_set",
                    "group_name",
                    (pl.col("share_of_known_pct_status") == SUPPRESSED).alias("_w"),
                ),
                on=["time_period", "group_set", "group_name"],
                how="left",
            )
            p = withhold(p, column, pl.col("_w").fill_null(False))
            if grade == "Head teacher":
                heads = pl.col(f"{column}_status") == SUPPRESSED
            p = p.drop("_w")
        p = withhold(
            p, "gap_to_heads_pp", (pl.col("npq_share_of_known_pct_status") == SUPPRESSED) | heads
        )
        out[P] = p.drop("_n", "_known")
    if Y in marts:
        y = _flag(marts[Y], withheld, Y, "npq_starts", GRAIN[Y], "_n")
        y = _flag(y, withheld, Y, "npq_unique_participants", GRAIN[Y], "_u")
        y = _flag(y, withheld, Y, "cumulative_npq_starts_in_window", GRAIN[Y], "_cum")
        y = withhold(y, "npq_starts", pl.col("_n"))
        y = withhold(y, "npq_unique_participants", pl.col("_u"))
        y = withhold(y, "cumulative_npq_starts_in_window", pl.col("_cum"))
        y = withhold(y, "percent_of_target", pl.col("_cum"))
        out[Y] = y.drop("_n", "_u", "_cum")
        year_hidden = out[Y].select(
            "time_period", "funding", (pl.col("npq_starts_status") == SUPPRESSED).alias("_year")
        )
    if C in marts:
        c = _flag(marts[C], withheld, C, "npq_starts", GRAIN[C], "_n")
        c = (
            c.join(year_hidden, on=["time_period", "funding"], how="left")
            if Y in out
            else c.with_columns(_year=pl.lit(False))
        )
        c = withhold(c, "npq_starts", pl.col("_n"))
        c = withhold(c, "percent_of_year_starts", pl.col("_n") | pl.col("_year").fill_null(False))
        shown = _shown(c, cells, C, "npq_starts", GRAIN[C])
        if not shown.equals(c):  # the rate, rebuilt from the rounded starts
            year = marts[Y].select("time_period", "funding", pl.col("npq_starts").alias("_all"))
            c = shown.join(year, on=["time_period", "funding"], how="left").with_columns(
                pl.when(pl.col("percent_of_year_starts_status") == "value")
                .then(pl.col("npq_starts") * 100.0 / pl.col("_all"))
                .alias("percent_of_year_starts")
            )
        out[C] = c.drop("_n", "_year", "_all", strict=False)
    if R in marts:
        r = _flag(marts[R], withheld, R, "npq_starts", GRAIN[R], "_n")
        r = _flag(r, withheld, R, "teachers_headcount", ["time_period", "region_code"], "_t")
        r = withhold(r, "npq_starts", pl.col("_n"))
        r = withhold(r, "teachers_headcount", pl.col("_t"))
        r = withhold(r, "starts_per_1000_teachers", pl.col("_n") | pl.col("_t"))
        shown = _shown(r, cells, R, "npq_starts", GRAIN[R])
        if not shown.equals(r):  # the rate, rebuilt from the rounded starts
            r = shown.with_columns(
                pl.when(
                    (pl.col("starts_per_1000_teachers_status") == "value")
                    & (pl.col("teachers_headcount") > 0)
                )
                .then(pl.col("npq_starts") * 1000.0 / pl.col("teachers_headcount"))
                .alias("starts_per_1000_teachers")
            )
        out[R] = r.drop("_n", "_t")
    if L in marts:
        link = _flag(marts[L], withheld, L, "linked_starts", ["time_period"], "_l")
        link = (
            link.with_columns(_s=pl.lit(False))
            if Y not in out
            else link.join(
                out[Y]
                .filter(pl.col("funding") == "Overall")
                .select("time_period", (pl.col("npq_starts_status") == SUPPRESSED).alias("_s")),
                on="time_period",
                how="left",
            ).with_columns(pl.col("_s").fill_null(False))
        )
        link = link.with_columns(
            pl.when(pl.col("census_available"))
            .then(pl.col("linked_starts"))
            .alias("linked_starts"),
            pl.when(pl.col("census_available")).then(pl.col("linked_pct")).alias("linked_pct"),
        )
        link = withhold(link, "linked_starts", pl.col("_l"))
        link = withhold(link, "linked_pct", pl.col("_l") | pl.col("_s"))
        link = withhold(link, "npq_starts", pl.col("_s"))
        out[L] = link.drop("_l", "_s")
    return {name: frame.sort(GRAIN[name]) for name, frame in out.items()}


def protect(
    marts: dict[str, pl.DataFrame],
    rule: Rule = PUBLICATION_RULE,
    elsewhere: pl.DataFrame | None = None,
    rounding: dict[str, int] | None = None,
) -> dict[str, pl.DataFrame]:
    """The published form of the record-level marts: zeros completed, suppression chosen over
    the whole publication, rates withheld with their counts.

    `elsewhere` is the aggregate publication's rep_workforce_by_grade. A teacher count it
    already publishes with the same value is the same figure: withholding it here would hide
    nothing, and a reader would subtract it from the others. So it is fixed (published here
    too, never withheld), the protection works around it, and the row says where else it is
    published (`headcount_published_in`). Official aggregates are published statistics; the
    synthetic teacher breakdown stands in for one (School Workforce in England publishes
    teachers by grade, sex, ethnicity and region) and is treated the same way."""
    full = complete(marts)
    marked = (
        {
            **full,
            W: elsewhere_kind(full[W], elsewhere),
            "_aggregate_sums": aggregate_sums(full[W], elsewhere),
        }
        if W in full
        else full
    )
    cells = protect_publication(declare(marked, rounding), rule)
    out = apply(full, cells)
    if W in out:
        given_away = cells.filter("given_away").select(pl.col("cell").alias("_cell"), _given=True)
        where = (
            marked[W]
            .with_columns(cell_id(W, "headcount", *(pl.col(k) for k in GRAIN[W])).alias("_cell"))
            .join(given_away, on="_cell", how="left")
            .select(
                *GRAIN[W],
                pl.when(pl.col("_given"))
                .then(pl.lit("derivable from rep_workforce_by_grade"))
                .otherwise(pl.col("_elsewhere"))
                .alias("headcount_published_in"),
            )
        )
        out[W] = out[W].join(where, on=GRAIN[W], how="left")
    return out


def publication_key(marts: dict[str, pl.DataFrame]) -> str:
    """A digest of every mart's rows and of the rounding chosen: unchanged, they mean an
    unchanged protected publication."""
    digest = hashlib.sha256(repr(sorted(ROUNDING.items())).encode())  # and how it is protected
    for name in sorted(marts):
        frame = marts[name]
        digest.update(name.encode())
        digest.update(repr(frame.sort(frame.columns, nulls_last=True).rows()).encode())
    return digest.hexdigest()
