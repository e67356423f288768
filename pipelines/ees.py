"""Reading files in the Explore Education Statistics (EES) open-data format.

`read_ees_csv` loads a data file verbatim: every cell as text, plus the line number it came
from. It refuses, with an `InputError` naming file, row and column, anything it cannot read
faithfully: undecodable bytes, a wrong delimiter, ragged rows, duplicate or missing columns.
Turning indicator text into numbers and statuses is `pipelines.transforms.ees`.
"""

import csv
import io
import zlib
from pathlib import Path

import polars as pl
import polars.selectors as cs

from pipelines.errors import InputError

# Columns the reader insists on; the ingest gate (pipelines/gate.py) checks the rest of the
# standard's required columns (country_code, country_name) with the geography rules.
EES_REQUIRED_COLUMNS = ("time_period", "time_identifier", "geographic_level")

ROW_NUMBER = "_row_number"


def col(name: str) -> pl.Expr:
    """The column called `name`, taken literally.

    `pl.col("*")` is every column and `pl.col("^...$")` a regular expression, so a file with a
    column named `*` (older KS4 subject files have one) or `^x$` would select the wrong columns
    or crash. Every expression built from a column name read from a file goes through here.
    """
    return cs.by_name(name, require_all=True).as_expr()


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError(
            path,
            f"is not UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start}); "
            "EES files must be saved as UTF-8",
            row=line,
            rule="encoding",
        ) from None
    return text


def read_ees_csv(path: str | Path, required_columns: tuple[str, ...] = ()) -> pl.DataFrame:
    """Read an EES data file (.csv or .csv.gz): all columns as text, blanks as null.

    Adds `_row_number`, the file line each row came from (header = 1). Raises InputError on
    anything it cannot read faithfully; never returns a partial frame.
    """
    return read_text_csv(path, (*EES_REQUIRED_COLUMNS, *required_columns))


# The largest file (or decoded .gz) any reader parses: reading a CSV costs several times its
# size in memory, so a larger one is refused before it is read. Raw releases have their own,
# per data set, limits (`max_bytes` in pipelines/sources.py), checked before this.
MAX_BYTES = 64 * 1024 * 1024


def _too_big(path: Path, found: str, limit: int) -> InputError:
    return InputError(path, f"{found} the {limit:,}-byte limit: not read", rule="max_bytes")


def read_text_csv(
    path: str | Path,
    required_columns: tuple[str, ...] = (),
    allow_no_rows: bool = False,
    max_bytes: int = MAX_BYTES,
) -> pl.DataFrame:
    """Read any UTF-8 CSV verbatim, as `read_ees_csv` does, without the EES required columns.

    With `allow_no_rows`, a header without data rows is an empty frame (a pilot year with no
    new participants), not an error. A file over `max_bytes` (a .gz: decoding to over) is
    refused before it is parsed."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _too_big(path, f"is {size:,} bytes, over", max_bytes)
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot be read: {err.strerror}", rule="readable") from None
    if path.suffix == ".gz":
        try:
            decoder = zlib.decompressobj(wbits=31)
            raw = decoder.decompress(raw, max_bytes + 1)
        except zlib.error as err:
            raise InputError(path, f"is not a valid gzip file ({err})", rule="readable") from None
        if len(raw) > max_bytes:
            raise _too_big(path, "decodes to over", max_bytes)
        if not decoder.eof:
            raise InputError(path, "is not a valid gzip file (it ends early)", rule="readable")
    text = _decode(path, raw)
    if not text.strip():
        raise InputError(path, "is empty: no header row", row=1, rule="header")

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] = []
    lines: list[int] = []
    kept: list[list[str]] = []
    try:
        header = [name.strip() for name in next(reader)]
        _check_header(path, header, required_columns)
        width = len(header)
        first_line = reader.line_num + 1  # where the next record starts
        for record in reader:
            line, first_line = first_line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue  # a blank line, or a row of empty cells (Excel exports): no data
            if len(record) != width:
                short = len(record) < width
                raise InputError(
                    path,
                    f"has {len(record)} fields where the header has {width}"
                    + (" (truncated row?)" if short else " (unquoted comma or extra field?)"),
                    row=line,
                    column=header[len(record)] if short else None,
                    rule="row_width",
                )
            lines.append(line)
            kept.append(record)
    except csv.Error as err:
        raise InputError(
            path, f"is not valid CSV ({err})", row=reader.line_num, rule="csv"
        ) from None
    if not kept and not allow_no_rows:
        raise InputError(path, "has a header but no data rows", row=2, rule="no_data")

    frame = pl.DataFrame(kept, schema=dict.fromkeys(header, pl.String), orient="row")
    frame = frame.with_columns(
        # Blank cells (and cells of spaces) are null: "" and " " carry no value.
        pl.when(col(name).str.strip_chars() == "").then(None).otherwise(col(name)).alias(name)
        for name in header
    )
    return frame.with_columns(pl.Series(ROW_NUMBER, lines, dtype=pl.Int64))


def _check_header(path: Path, header: list[str], required: tuple[str, ...]) -> None:
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        raise InputError(
            path,
            "has a single column: the delimiter is not a comma (EES files are comma-separated)",
            row=1,
            column=header[0][:40],
            rule="delimiter",
        )
    seen: set[str] = set()
    for name in header:
        if not name:
            raise InputError(path, "has a column with no name", row=1, rule="header")
        if name in seen:
            raise InputError(
                path, "has a duplicated column name", row=1, column=name, rule="header"
            )
        seen.add(name)
    for name in required:
        if name not in seen:
            raise InputError(
                path, "is missing a required column", row=1, column=name, rule="required_columns"
            )
