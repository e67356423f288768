"""The one error type users see for bad input: it always names file, row and column."""

from pathlib import Path


class InputError(ValueError):
    """A file that cannot be accepted. Carries the file, row, column and the rule broken.

    `row` is the line number in the file as a spreadsheet shows it (the header is row 1);
    None when the problem concerns the whole file.
    """

    def __init__(
        self,
        file: str | Path,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        rule: str = "format",
    ) -> None:
        self.file = str(file)
        self.row = row
        self.column = column
        self.rule = rule
        self.detail = message
        where = [f"file {self.file}"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message} [rule: {rule}]")
