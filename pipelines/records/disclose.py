"""Disclosure control for the record-level marts, through `pipelines/disclosure.py`.

Each mart is laid out as the tables a reader could add up, margins included, and passed to
`protect`: counts below the threshold are withheld (`c`) with whatever would give them away,
and the rates built on them follow. Per mart:

- takeup by course / by region: one line per year and funding, the year's starts its total.
- takeup by year: each figure alone (primary suppression; the totals of the tables above).
- workforce by grade: per year, area and group set, grades x groups with each grade's
  denominator as margin; the grades are two linked tables (Leadership + classroom teachers =
  all teachers; head + deputy + assistant = Leadership), protected in turn until stable.
- NPQ pipeline: per year and group set, courses x groups with 'All NPQs' and each course's
  linked starts as margins.
- linkage: linked and unlinked starts per year, the year's starts their total.

A known-group denominator (and the shares of known built on it) is withheld wherever an
unknown group's count in its line is withheld: published, it would give that count away.
Every withheld value gets status `c` in `<column>_status`; published values `value`.
"""

import hashlib

import polars as pl

from pipelines.disclosure import SUPPRESSED, Rule, protect

DEFAULT_RULE = Rule()
TOTAL = DEFAULT_RULE.total_label


def _status(frame: pl.DataFrame, column: str, hidden: pl.Expr) -> pl.DataFrame:
    """Withhold `column` where `hidden`; its status says `c` (withheld), `z` (no value by
    definition, e.g. a share of known for the unknown group) or `value`."""
    return frame.with_columns(
        pl.when(hidden).then(None).otherwise(pl.col(column)).alias(column),
        pl.when(hidden)
        .then(pl.lit(SUPPRESSED))
        .when(pl.col(column).is_null())
        .then(pl.lit("z"))
        .otherwise(pl.lit("value"))
        .alias(f"{column}_status"),
    )


def one_line(
    frame: pl.DataFrame, by: list[str], label: str, count: str, rates: dict, rule: Rule
) -> pl.DataFrame:
    """Cells `label` within each `by` group, their sum the line's total."""
    totals = frame.group_by(by).agg(pl.col(count).sum()).with_columns(pl.lit(TOTAL).alias(label))
    long = pl.concat([frame, totals], how="diagonal_relaxed").with_columns(_line=pl.lit("all"))
    out = protect(long, row="_line", column=label, count=count, by=by, rates=rates, rule=rule)
    out = out.with_columns(  # a rate with no value by definition (no denominator) is 'z'
        pl.when(pl.col(rate).is_null() & (pl.col(f"{rate}_status") == "value"))
        .then(pl.lit("z"))
        .otherwise(pl.col(f"{rate}_status"))
        .alias(f"{rate}_status")
        for rate in rates
    )
    return out.filter(pl.col(label) != TOTAL).drop("_line", "suppression").sort([*by, label])


def each_alone(frame: pl.DataFrame, counts: list[str], rule: Rule) -> pl.DataFrame:
    """Primary suppression only, figure by figure (for totals with no margins)."""
    for count in counts:
        frame = _status(frame, count, pl.col(count) < rule.threshold)
    return frame


def hidden_cells(
    frame: pl.DataFrame,
    *,
    by: list[str],
    row: str,
    row_total: str,
    count: str,
    rule: Rule,
    withheld: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Protect rows (`row_total` their total) x groups, each row's total over groups the
    column margin. `withheld` (by..., row, group_name) lists cells already withheld elsewhere
    (group_name 'Total' for a row's margin). Returns every cell with `_hidden`."""
    cells = frame.select(*by, row, "group_name", count)
    margins = (
        cells.group_by(*by, row).agg(pl.col(count).sum()).with_columns(group_name=pl.lit(TOTAL))
    )
    long = pl.concat([cells, margins], how="diagonal_relaxed")
    status = pl.lit("value")
    if withheld is not None:
        long = long.join(
            withheld.with_columns(_prior=pl.lit(True)), on=[*by, row, "group_name"], how="left"
        )
        status = pl.when(pl.col("_prior")).then(pl.lit(SUPPRESSED)).otherwise(status)
    long = long.with_columns(
        pl.when(pl.col(row) == row_total).then(pl.lit(TOTAL)).otherwise(pl.col(row)).alias(row),
        status.alias(f"{count}_status"),
    ).select(*by, row, "group_name", count, f"{count}_status")
    protected = protect(long, row=row, column="group_name", count=count, by=by, rule=rule)
    return protected.select(
        *by,
        pl.when(pl.col(row) == TOTAL).then(pl.lit(row_total)).otherwise(pl.col(row)).alias(row),
        "group_name",
        (pl.col(f"{count}_status") == SUPPRESSED).alias("_hidden"),
    )


def apply_hidden(
    frame: pl.DataFrame,
    hidden: pl.DataFrame,
    *,
    by: list[str],
    row: str,
    count: str,
    known_denominator: str,
    known_rates: list[str],
    all_rates: list[str],
    total_columns: tuple[str, ...] = (),
) -> pl.DataFrame:
    """Withhold the cells `hidden` names, and what rests on them (see the module docstring
    for the known-group denominator)."""
    line = [*by, row]
    out = frame.join(
        hidden.filter(pl.col("group_name") != TOTAL), on=[*line, "group_name"], how="left"
    )
    row_total_hidden = hidden.filter(pl.col("group_name") == TOTAL).select(
        *line, pl.col("_hidden").alias("_total_hidden")
    )
    out = out.join(row_total_hidden, on=line, how="left").with_columns(
        pl.col("_hidden", "_total_hidden").fill_null(False),
        _unknown_hidden=(pl.col("_hidden") & ~pl.col("group_is_known")).any().over(line),
    )
    out = _status(out, count, pl.col("_hidden"))
    for rate in all_rates:
        out = _status(out, rate, pl.col("_hidden") | pl.col("_total_hidden"))
    for column in total_columns:
        out = _status(out, column, pl.col("_total_hidden"))
    out = _status(out, known_denominator, pl.col("_unknown_hidden") | pl.col("_total_hidden"))
    for rate in known_rates:
        hide = pl.col("_hidden") | pl.col("_unknown_hidden") | pl.col("_total_hidden")
        out = _status(out, rate, hide)
    return out.drop("_hidden", "_total_hidden", "_unknown_hidden")


LEADERSHIP = ["Head teacher", "Deputy head teacher", "Assistant head teacher"]


def workforce_by_grade(frame: pl.DataFrame, rule: Rule = DEFAULT_RULE) -> pl.DataFrame:
    """Grades form a hierarchy: All teachers = Leadership + Classroom teacher, and
    Leadership = head + deputy + assistant. Each level is protected as its own table, the
    cells withheld in one carried into the other, until neither withholds anything more."""
    by = ["time_period", "area_code", "group_set"]
    upper = frame.filter(pl.col("grade").is_in(["Leadership", "Classroom teacher", "All teachers"]))
    lower = frame.filter(pl.col("grade").is_in([*LEADERSHIP, "Leadership"]))
    common = {"by": by, "row": "grade", "count": "headcount", "rule": rule}
    withheld = frame.select(*by, "grade", "group_name").clear()
    while True:
        top = hidden_cells(upper, row_total="All teachers", withheld=withheld, **common)
        carried = pl.concat([withheld, top.filter("_hidden").drop("_hidden")]).unique()
        bottom = hidden_cells(lower, row_total="Leadership", withheld=carried, **common)
        grown = pl.concat([carried, bottom.filter("_hidden").drop("_hidden")]).unique()
        if grown.height == withheld.height:  # withheld cells only ever grow: this ends
            break
        withheld = grown
    hidden = withheld.with_columns(_hidden=pl.lit(True))
    out = apply_hidden(
        frame,
        hidden,
        by=by,
        row="grade",
        count="headcount",
        known_denominator="denominator_known_headcount",
        known_rates=["share_of_known_pct"],
        all_rates=["share_of_all_pct"],
        total_columns=("denominator_all_headcount",),
    )
    return out.sort("time_period", "area_code", "grade", "group_set", "group_name")


def npq_pipeline(
    frame: pl.DataFrame, workforce: pl.DataFrame, rule: Rule = DEFAULT_RULE
) -> pl.DataFrame:
    """`workforce`: the protected rec_workforce_by_grade, whose England head-teacher and
    all-teacher shares this mart repeats (withheld here where withheld there)."""
    by = ["time_period", "group_set"]
    hidden = hidden_cells(
        frame, by=by, row="course_code", row_total="All NPQs", count="npq_starts", rule=rule
    )
    out = apply_hidden(
        frame,
        hidden,
        by=by,
        row="course_code",
        count="npq_starts",
        known_denominator="npq_known_starts",
        known_rates=["npq_share_of_known_pct", "gap_to_heads_pp"],
        all_rates=[],
    )
    for grade, column in (
        ("Head teacher", "head_teacher_share_of_known_pct"),
        ("All teachers", "all_teachers_share_of_known_pct"),
    ):
        shown = workforce.filter(
            (pl.col("area_code") == "E92000001") & (pl.col("grade") == grade)
        ).select(
            "time_period",
            "group_set",
            "group_name",
            (pl.col("share_of_known_pct_status") == SUPPRESSED).alias("_withheld"),
        )
        out = out.join(shown, on=["time_period", "group_set", "group_name"], how="left")
        out = _status(out, column, pl.col("_withheld").fill_null(False)).drop("_withheld")
        if grade == "Head teacher":
            out = out.with_columns(
                pl.when(pl.col(f"{column}_status") == SUPPRESSED)
                .then(None)
                .otherwise(pl.col("gap_to_heads_pp"))
                .alias("gap_to_heads_pp"),
                pl.when(pl.col(f"{column}_status") == SUPPRESSED)
                .then(pl.lit(SUPPRESSED))
                .otherwise(pl.col("gap_to_heads_pp_status"))
                .alias("gap_to_heads_pp_status"),
            )
    return out.sort("time_period", "course_code", "group_set", "group_name")


def linkage(frame: pl.DataFrame, rule: Rule = DEFAULT_RULE) -> pl.DataFrame:
    """Linked and unlinked starts of each year with a census are one line; in a year with no
    census nothing can link, so linked figures there are 'z' (not applicable), not withheld."""
    with_census = frame.filter(pl.col("census_available"))
    cells = pl.concat(
        [
            with_census.select(
                "time_period", pl.lit("linked").alias("part"), pl.col("linked_starts").alias("n")
            ),
            with_census.select(
                "time_period",
                pl.lit("unlinked").alias("part"),
                (pl.col("npq_starts") - pl.col("linked_starts")).alias("n"),
            ),
        ]
    )
    hidden = pl.DataFrame(
        schema={"time_period": frame.schema["time_period"], "_hidden": pl.Boolean}
    )
    if cells.height:
        hidden = (
            one_line(cells, ["time_period"], "part", "n", {}, rule)
            .group_by("time_period")
            .agg((pl.col("n_status") == SUPPRESSED).any().alias("_hidden"))
        )
    out = frame.join(hidden, on="time_period", how="left").with_columns(
        pl.col("_hidden").fill_null(False),
        pl.when(pl.col("census_available")).then(pl.col("linked_starts")).alias("linked_starts"),
        pl.when(pl.col("census_available")).then(pl.col("linked_pct")).alias("linked_pct"),
    )
    out = _status(out, "linked_starts", pl.col("_hidden"))
    out = _status(out, "linked_pct", pl.col("_hidden"))
    return _status(out, "npq_starts", pl.col("npq_starts") < rule.threshold).drop("_hidden")


def protect_mart(
    name: str, frame: pl.DataFrame, published: dict[str, pl.DataFrame], rule: Rule = DEFAULT_RULE
) -> pl.DataFrame:
    """The published form of record-level mart `name`; `published` holds the marts already
    protected (rec_npq_pipeline repeats figures of rec_workforce_by_grade)."""
    if name == "rec_npq_takeup_by_year":
        return each_alone(frame, ["npq_starts", "npq_unique_participants"], rule)
    if name == "rec_npq_takeup_by_course":
        return one_line(
            frame,
            ["time_period", "funding"],
            "course_code",
            "npq_starts",
            {"percent_of_year_starts": "row"},
            rule,
        )
    if name == "rec_npq_takeup_by_region":
        return one_line(
            frame,
            ["time_period", "funding"],
            "region_code",
            "npq_starts",
            {"starts_per_1000_teachers": None},
            rule,
        )
    if name == "rec_workforce_by_grade":
        return workforce_by_grade(frame, rule)
    if name == "rec_npq_pipeline":
        return npq_pipeline(frame, published["rec_workforce_by_grade"], rule)
    if name == "rec_linkage":
        return linkage(frame, rule)
    raise ValueError(f"no disclosure rule for {name!r}")


GRAIN = {
    "rec_npq_takeup_by_year": ["time_period", "funding"],
    "rec_npq_takeup_by_course": ["time_period", "funding", "course_code"],
    "rec_npq_takeup_by_region": ["time_period", "funding", "region_code"],
    "rec_workforce_by_grade": ["time_period", "area_code", "grade", "group_set", "group_name"],
    "rec_npq_pipeline": ["time_period", "course_code", "group_set", "group_name"],
    "rec_linkage": ["time_period"],
}


def year_key(marts: dict[str, pl.DataFrame], year: int) -> str:
    """A digest of every mart's rows for one year: disclosure control of a year depends on
    that year's rows alone, so an unchanged digest means an unchanged protected year."""
    digest = hashlib.sha256()
    for name, frame in marts.items():
        rows = frame.filter(pl.col("time_period") == year).sort(frame.columns, nulls_last=True)
        digest.update(name.encode())
        digest.update(repr(rows.rows()).encode())
    return digest.hexdigest()


def protect_years(
    marts: dict[str, pl.DataFrame],
    previous: dict[str, pl.DataFrame] | None = None,
    previous_keys: dict[int, str] | None = None,
    rule: Rule = DEFAULT_RULE,
) -> tuple[dict[str, pl.DataFrame], dict[int, str], list[int]]:
    """Protect every mart, year by year, reusing `previous` (the last run's protected marts)
    for years whose `year_key` is unchanged: a new year costs one year's disclosure control.
    Returns the protected marts, each year's key, and the years protected afresh."""
    years = sorted(set().union(*(set(f["time_period"].to_list()) for f in marts.values())))
    keys = {year: year_key(marts, year) for year in years}
    reuse = previous is not None and previous_keys is not None
    fresh = [y for y in years if not reuse or previous_keys.get(y) != keys[y]]
    parts: dict[str, list[pl.DataFrame]] = {name: [] for name in marts}
    if reuse:
        kept = [y for y in years if y not in fresh]
        for name in marts:
            parts[name].append(previous[name].filter(pl.col("time_period").is_in(kept)))
    for year in fresh:
        done: dict[str, pl.DataFrame] = {}
        for name, frame in marts.items():
            rows = frame.filter(pl.col("time_period") == year)
            if rows.height:
                done[name] = protect_mart(name, rows, done, rule)
                parts[name].append(done[name])
    protected = {
        name: pl.concat(
            [p for p in frames if p.height] or [marts[name].clear()], how="diagonal_relaxed"
        ).sort(GRAIN[name])
        for name, frames in parts.items()
    }
    return protected, keys, fresh
