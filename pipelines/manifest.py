"""The shape every release manifest must have, checked before any of its entries is used.

`parse_manifest(path)` decodes `manifest.json` as UTF-8, parses it and checks its shape: an
object with a `source` and a `dataset` (and a `release`, for a release folder), and a
non-empty `files` list whose entries each give a `path`, a 64-hex-digit `sha256` and a
`provenance`. Anything else is one
`InputError` naming the manifest, the line and the field (`files[2].sha256`), never a
traceback.
"""

import json
import re
from pathlib import Path

from pipelines.errors import InputError

REQUIRED_TEXT = ("source", "dataset")
ENTRY_TEXT = ("path", "provenance")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def parse_manifest(path: Path, release: bool = False) -> dict:
    """The manifest at `path`, refused with an InputError unless it has the required shape
    (with `release`: the shape of a release folder's manifest, which names its release)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            path,
            f"is not UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start}); "
            "manifests are UTF-8 JSON",
            row=raw[: err.start].count(b"\n") + 1,
            rule="manifest",
        ) from None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            path, f"is not valid JSON ({err.msg})", row=err.lineno, rule="manifest"
        ) from None
    lines = text.splitlines()

    def line_of(needle: str) -> int | None:
        return next((n for n, line in enumerate(lines, 1) if needle in line), None)

    def refuse(message: str, field: str | None, row: int | None) -> InputError:
        return InputError(path, message, row=row, column=field, rule="manifest")

    if not isinstance(manifest, dict):
        raise refuse(f"is a JSON {type(manifest).__name__}, not an object", None, 1)
    for key in (*REQUIRED_TEXT, "release") if release else REQUIRED_TEXT:
        if not isinstance(manifest.get(key), str) or not manifest[key].strip():
            raise refuse("is missing or not text", key, line_of(f'"{key}"') or 1)
    files = manifest.get("files")
    if not isinstance(files, list) or not files:
        raise refuse("must be a non-empty list of file entries", "files", line_of('"files"') or 1)
    for index, entry in enumerate(files):
        field = f"files[{index}]"
        if not isinstance(entry, dict):
            raise refuse("is not an object", field, line_of('"files"'))
        name = entry.get("path")
        row = line_of(json.dumps(name)) if isinstance(name, str) else line_of('"files"')
        for key in ENTRY_TEXT:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise refuse("is missing or not text", f"{field}.{key}", row)
        digest = entry.get("sha256")
        if not isinstance(digest, str) or not SHA256.match(digest):
            why = "is missing" if digest is None else "is not 64 lower-case hex digits"
            raise refuse(f"{why}: every raw file is listed with its sha256", f"{field}.sha256", row)
    return manifest
