"""Downloading a new release of a registered data set into `data/raw/<source>/<dataset>/`.

Raw releases are immutable, so a fetch either adds one complete new release folder (files plus
`manifest.json`, renamed into place in one step) or changes nothing at all: not on a network
failure, a truncated body, a broken gzip stream, nor a file whose columns differ from the
registry's. No Dagster here; the assets call these functions.

A fetch talks only to the addresses of registered sources (scheme, host and port of a URL in
pipelines/sources.py), and checks every redirect hop before following it. A file may not exceed
its data set's `max_bytes` (on the wire and once decoded) and a download may not take longer
than `max_seconds` in all.
"""

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from pipelines.ees import EES_REQUIRED_COLUMNS, read_ees_csv
from pipelines.errors import InputError
from pipelines.sources import DEFAULT_MAX_BYTES, OGL, SOURCES, Source, read_manifest

LICENCE_URLS = {OGL: "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}
# Routes that serve a data set as one EES CSV (data catalogue, statistics API /csv).
CSV_ROUTES = ("ees-catalogue-csv", "ees-api")
RETRY_STATUSES = (429, 500, 502, 503, 504)
CHUNK = 64 * 1024
SCHEMES = {"http": 80, "https": 443}
MAX_REDIRECTS = 5
# The whole download, retries and redirects included; the read timeout alone lets a server
# that sends a few bytes a minute hold a run for ever.
MAX_SECONDS = 900.0
# The data catalogue and the statistics API both end a data set's CSV route in /{id}/csv.
_DATA_SET_CSV = re.compile(r"/data-sets?/(?P<id>[0-9a-fA-F-]{36})/csv/?$")

Timeout = float | tuple[float, float]


class FetchError(RuntimeError):
    """The download could not be completed. The message is one line and says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


@dataclass(frozen=True)
class Download:
    """One downloaded file as stored: gzip is decoded, so the checksum tracks the data."""

    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class FetchResult:
    """`new`: release_dir was just written. `unchanged`: release_dir already holds this file."""

    status: Literal["new", "unchanged"]
    release_dir: Path
    sha256: str


class _TimeoutAdapter(HTTPAdapter):
    """requests has no session-wide timeout; without one a stalled server hangs a run forever."""

    def __init__(self, timeout: Timeout, **kwargs) -> None:
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def http_session(
    timeout: Timeout = (10.0, 60.0),
    retries: int = 4,
    *,
    backoff_factor: float = 1.0,
    max_retry_after: int = 120,
) -> requests.Session:
    """A session whose GETs time out (connect, read) and retry 429/5xx with backoff.

    EES asks clients to back off on 429 and can answer 504 under load. Retry-After is honoured
    up to `max_retry_after` seconds, so one odd header cannot stall a run for hours.
    """
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        respect_retry_after_header=True,
        retry_after_max=max_retry_after,
        raise_on_status=False,  # the last answer comes back, so the error can name its status
    )
    session = requests.Session()
    adapter = _TimeoutAdapter(timeout, max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "npq-observatory/0.1 (python-requests)"
    return session


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _origin(url: str) -> str:
    """scheme://host:port of a URL, port always written (so 'https://h' == 'https://h:443')."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or SCHEMES.get(scheme)
    except ValueError:  # a port that is not a number
        port = None
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _shown(url: str) -> str:
    """A URL as an error quotes it: no user name or password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    path = parts.path if len(parts.path) <= 200 else parts.path[:200] + "..."
    return f"{parts.scheme}://{host}{port}{path}"


def _site(url: str) -> str:
    """scheme://host[:port] as the user wrote it, for messages."""
    shown = _shown(url)
    path = urlsplit(url).path
    return shown[: len(shown) - len(path)] if path and shown.endswith(path) else shown


def allowed_origins() -> frozenset[str]:
    """Where a fetch may go: the scheme, host and port of each registered source's download
    and landing page URLs. Read from the registry at call time."""
    return frozenset(
        _origin(url).removesuffix(f":{SCHEMES[scheme]}")
        for source in SOURCES.values()
        for url in (source.download_url, source.page_url)
        if (scheme := urlsplit(url).scheme.lower()) in SCHEMES
    )


def _check_address(url: str, came_from: str | None = None) -> None:
    """Refuse a URL (or a redirect to it) that is not the address of a registered source."""
    what = (
        f"the redirect from {_site(came_from)} to {_shown(url)}"
        if came_from
        else f"the download of {_shown(url)}"
    )
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise FetchError(
            f"refused {what}: the scheme {scheme!r} is not allowed (http or https to a "
            "registered source only): nothing was changed"
        )
    allowed = {_origin(origin) for origin in allowed_origins()}
    if _origin(url) not in allowed:
        raise FetchError(
            f"refused {what}: {_site(url)} is not the address of a registered source "
            "(pipelines/sources.py): nothing was changed"
        )


def _chain(err: BaseException) -> list[BaseException]:
    """The error and what it wraps: requests wraps urllib3, which wraps the socket error."""
    chain: list[BaseException] = []
    seen: BaseException | None = err
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else (seen.__context__ or seen.__cause__)
    return chain


def _timed_out(err: BaseException) -> bool:
    timeouts = (urllib3.exceptions.ReadTimeoutError, requests.ReadTimeout)
    return any(isinstance(e, timeouts) for e in _chain(err))


def _network_error(url: str, err: BaseException) -> FetchError:
    """One line for any failure to talk to the server, naming the timeout when it was one."""
    if _timed_out(err):
        return FetchError(f"{_host(url)} did not answer in time (timed out): nothing was changed")
    if any(isinstance(e, urllib3.exceptions.ProtocolError) for e in _chain(err)):
        return FetchError(
            f"the connection to {_host(url)} broke during the download: nothing was changed"
        )
    return FetchError(f"cannot reach {_host(url)} (offline?): nothing was changed")


def _status_error(url: str, response: requests.Response) -> FetchError:
    retries = getattr(response.raw, "retries", None)
    tried = len(retries.history) if retries is not None else 0
    after = f" after {tried} retries" if tried else ""
    return FetchError(
        f"{_host(url)} answered {response.status_code} {response.reason or ''}{after} "
        f"for {urlsplit(url).path}: nothing was changed"
    )


def _over_limit(url: str, max_bytes: int, name: str | None) -> FetchError:
    owner = f" of {name}" if name else ""
    return FetchError(
        f"the download from {_site(url)} is over the {max_bytes:,}-byte limit{owner} "
        "(max_bytes in pipelines/sources.py): nothing was changed"
    )


def _too_slow(url: str, max_seconds: float) -> FetchError:
    return FetchError(
        f"the download from {_site(url)} took longer than the {max_seconds:g} s limit: "
        "nothing was changed"
    )


@dataclass(frozen=True)
class _Limits:
    max_bytes: int
    deadline: float  # time.monotonic() by which the download must be complete
    max_seconds: float
    name: str | None  # the data set whose max_bytes applies, for messages


def _open(url: str, session: requests.Session, limits: _Limits) -> tuple[str, requests.Response]:
    """GET `url`, following redirects one hop at a time, each checked before it is requested.

    Returns the final address and its (streaming, unread) response.
    """
    came_from = None
    for _ in range(MAX_REDIRECTS + 1):
        _check_address(url, came_from)
        if time.monotonic() > limits.deadline:
            raise _too_slow(url, limits.max_seconds)
        try:
            response = session.get(
                url, stream=True, allow_redirects=False, headers={"Accept-Encoding": "gzip"}
            )
        except (requests.RequestException, urllib3.exceptions.HTTPError) as err:
            raise _network_error(url, err) from None  # names this hop's host, not the first
        target = session.get_redirect_target(response)
        if target is None:
            return url, response
        response.close()
        came_from, url = url, requests.utils.requote_uri(urljoin(url, target))
    raise FetchError(
        f"{_site(came_from or url)} redirected more than {MAX_REDIRECTS} times: nothing was changed"
    )


def _receive(url: str, session: requests.Session, out: io.BufferedWriter, limits: _Limits) -> bool:
    """Write the body exactly as sent to `out`; True when it is gzip (to be decoded)."""
    declared: str | None = None
    encoding = "identity"
    received = 0
    first = b""
    try:
        url, response = _open(url, session, limits)
        with response:
            if response.status_code != 200:
                raise _status_error(url, response)
            encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding not in ("identity", "gzip"):
                raise FetchError(
                    f"{_host(url)} sent an unsupported Content-Encoding {encoding!r}: "
                    "nothing was changed"
                )
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > limits.max_bytes:
                raise _over_limit(url, limits.max_bytes, limits.name)
            # decode_content=False: count the bytes on the wire, which Content-Length describes.
            # read1 returns what has arrived, so the deadline is checked as the body trickles in.
            while chunk := response.raw.read1(CHUNK, decode_content=False):
                received += len(chunk)
                if received > limits.max_bytes:
                    raise _over_limit(url, limits.max_bytes, limits.name)
                if time.monotonic() > limits.deadline:
                    raise _too_slow(url, limits.max_seconds)
                out.write(chunk)
                first = first or chunk[:2]
    except (requests.RequestException, urllib3.exceptions.HTTPError) as err:
        if _timed_out(err) or not _short(declared, received):
            raise _network_error(url, err) from None
    if _short(declared, received):
        raise FetchError(
            f"the download from {_host(url)} was cut short (got {received} of {declared} "
            "bytes): nothing was changed"
        )
    return encoding == "gzip" or first == b"\x1f\x8b"


def _short(declared: str | None, received: int) -> bool:
    return declared is not None and declared.isdigit() and received != int(declared)


def _inflate(decoder, data: bytes):
    """Decode `data` in pieces of at most CHUNK bytes: a small body can expand a thousandfold."""
    while True:
        piece = decoder.decompress(data, CHUNK)
        yield piece
        data = decoder.unconsumed_tail
        if decoder.eof or (not data and len(piece) < CHUNK):
            return


def _gunzip(url: str, src: Path, dst: Path, limits: _Limits) -> None:
    """Decode a gzip body, refusing one that stops before its end marker (a cut transfer) or
    that decodes to more than the size limit."""
    decoder = zlib.decompressobj(wbits=31)
    written = 0
    try:
        with src.open("rb") as f_in, dst.open("wb") as f_out:
            for chunk in iter(lambda: f_in.read(CHUNK), b""):
                while chunk:
                    if decoder.eof:  # a further gzip member follows
                        decoder = zlib.decompressobj(wbits=31)
                    for piece in _inflate(decoder, chunk):
                        written += len(piece)
                        if written > limits.max_bytes:
                            raise _over_limit(url, limits.max_bytes, limits.name)
                        f_out.write(piece)
                    chunk = decoder.unused_data if decoder.eof else b""
            f_out.write(decoder.flush())
    except zlib.error as err:
        raise FetchError(
            f"the gzip body from {_host(url)} is corrupt ({err}): nothing was changed"
        ) from None
    if not decoder.eof:
        raise FetchError(
            f"the gzip body from {_host(url)} is incomplete (cut short?): nothing was changed"
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    url: str,
    dest: str | Path,
    session: requests.Session,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_seconds: float = MAX_SECONDS,
    name: str | None = None,
) -> Download:
    """Fetch `url` into `dest` atomically: all of it, verified, or no file at all.

    `url` and every redirect must be the address of a registered source. The body goes to
    hidden temp files beside `dest`, is checked against Content-Length and (when gzip) decoded
    with its integrity checked, then `os.replace`d into place. More than `max_bytes` (sent or
    decoded) or more than `max_seconds` in all is refused; `name` is the data set whose limit
    that is, for the message.
    """
    dest = Path(dest)
    limits = _Limits(max_bytes, time.monotonic() + max_seconds, max_seconds, name)
    parts: list[Path] = []

    def temp(suffix: str) -> Path:
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=suffix)
        os.close(fd)
        parts.append(Path(name))
        return parts[-1]

    try:
        body = temp(".part")
        with body.open("wb") as out:
            gzipped = _receive(url, session, out, limits)
        if gzipped:
            decoded = temp(".gunzip")
            _gunzip(url, body, decoded, limits)
            body = decoded
        with body.open("rb+") as handle:
            os.fsync(handle.fileno())
        stored = Download(dest, _sha256(body), body.stat().st_size)
        os.replace(body, dest)
        return stored
    finally:
        for part in parts:
            part.unlink(missing_ok=True)


def expected_columns(source: Source, release_label: str) -> tuple[str, ...]:
    """The columns the registry expects: that release's layout if known, else the current one."""
    if release_label in source.releases:
        return source.releases[release_label].columns
    return tuple(
        dict.fromkeys(
            (*EES_REQUIRED_COLUMNS, *source.geography, *source.filters, *source.indicators)
        )
    )


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return [name.strip() for name in next(csv.reader(handle), [])]


def check_schema(path: Path, expected: tuple[str, ...], *, label: str | None = None) -> None:
    """Refuse a file whose columns differ from the registry's; the message lists both ways.

    A renamed column shows up as one removed and one added. `label` is how the file is named
    in the error (e.g. its URL, when `path` is a temp file that is about to vanish).
    """
    header = _header(path)
    removed = [name for name in expected if name not in header]
    added = [name for name in header if name not in expected]
    if not removed and not added:
        return
    changes = []
    if removed:
        changes.append(f"removed {', '.join(removed)}")
    if added:
        changes.append(f"added {', '.join(added)}")
    raise InputError(
        label or path,
        f"has a changed schema ({'; '.join(changes)}): not stored; update the source "
        "registry (expected columns and mapping) before accepting this release",
        row=1,
        column=(removed or added)[0],
        rule="schema",
    )


def _count_rows(path: Path, label: str, expected: tuple[str, ...] | None) -> int:
    """Data rows in an EES file, read fully so a malformed file is refused before storing."""
    if expected is None:  # a .meta.csv: not a data file, just count its records
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return sum(1 for record in csv.reader(handle) if record) - 1
    try:
        return read_ees_csv(path, required_columns=expected).height
    except InputError as err:
        raise InputError(label, err.detail, row=err.row, column=err.column, rule=err.rule) from None


def _matching_release(dataset_dir: Path, hashes: set[str]) -> Path | None:
    """The existing release whose manifest already lists every downloaded file's sha256."""
    if not dataset_dir.is_dir():
        return None
    for folder in sorted(dataset_dir.iterdir()):
        if folder.name.startswith(".") or not (folder / "manifest.json").is_file():
            continue
        listed = {entry.get("sha256") for entry in read_manifest(folder).get("files", [])}
        if hashes <= listed:
            return folder
    return None


def _publish(staging: Path, dataset_dir: Path, folder: str, now: datetime) -> Path:
    """Rename the finished staging folder to a name no release uses yet (never overwrite)."""
    dataset_dir.mkdir(parents=True, exist_ok=True)
    dated = f"{folder}__{now.date().isoformat()}"
    # Zero-padded so that name order is fetch order (sources.latest_release_dir relies on it).
    candidates = [folder, dated, *(f"{dated}_{n:02d}" for n in range(2, 100))]
    for name in candidates:
        target = dataset_dir / name
        if target.exists():
            continue
        try:
            staging.rename(target)  # atomic: the folder appears complete or not at all
        except OSError:  # another fetch took the name a moment ago
            continue
        return target
    raise FileExistsError(f"no free release folder name for {folder} in {dataset_dir}")


def _manifest(source: Source, url: str, release_label: str, files: list[dict]) -> dict:
    """The manifest, key for key in the shape of the committed releases' manifests."""
    match = _DATA_SET_CSV.search(urlsplit(url).path)
    # Each release's file has its own data catalogue id, so the URL is the better witness.
    data_set_id = match["id"] if match else source.data_set_id
    return {
        "source": source.source,
        "dataset": source.name,
        "publication": source.publication,
        "publisher": source.publisher,
        "release": release_label,
        "data_set_id": data_set_id,
        "data_set_title": f"{source.title} {release_label.replace('/', '-')}",
        "source_url": url[: url.rindex("/csv")] if match else source.page_url,
        "download_url": url,
        "licence": source.licence,
        "licence_url": LICENCE_URLS.get(source.licence, ""),
        "files": files,
    }


def fetch_release(
    source_name: str,
    url: str,
    raw_root: str | Path,
    release_label: str,
    *,
    session: requests.Session,
    now: datetime | None = None,
    meta_url: str | None = None,
    file_name: str | None = None,
    columns: tuple[str, ...] | None = None,
    max_seconds: float = MAX_SECONDS,
) -> FetchResult:
    """Download a release; store it as a new folder only if its checksum is new.

    Returns `unchanged` (writing nothing) when an existing release's manifest already has this
    sha256. Otherwise the file(s) and manifest.json are built in a hidden folder under
    `raw_root` and renamed to `<source>/<dataset>/<release>` (or `<release>__<date>` when that
    name is taken). Each file may be up to the source's `max_bytes`, each download may take up
    to `max_seconds`. Raises FetchError (network, address, limits) or InputError (schema,
    malformed file); in both cases nothing under `raw_root` has changed.
    """
    if source_name not in SOURCES:
        raise KeyError(f"unknown source {source_name!r}; registered: {', '.join(SOURCES)}")
    source = SOURCES[source_name]
    if source.route not in CSV_ROUTES:
        raise ValueError(f"{source_name} comes by route {source.route!r}, not an EES CSV route")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    raw_root = Path(raw_root)
    raw_root.mkdir(parents=True, exist_ok=True)
    dataset_dir = source.folder(raw_root)
    data_name = file_name or f"{source.name}.csv"
    wanted = [(url, data_name, columns or expected_columns(source, release_label))]
    if meta_url:
        wanted.append((meta_url, data_name.removesuffix(".csv") + ".meta.csv", None))

    # Staging sits in raw_root (same filesystem, so the final rename is atomic) and is hidden
    # from readers; a failure anywhere removes it and leaves raw_root as it was.
    staging = Path(tempfile.mkdtemp(dir=raw_root, prefix=".incoming-"))
    try:
        limits = {"max_bytes": source.max_bytes, "max_seconds": max_seconds, "name": source.name}
        fetched = [
            (download(u, staging / name, session, **limits), u, cols) for u, name, cols in wanted
        ]
        same = _matching_release(dataset_dir, {got.sha256 for got, _, _ in fetched})
        if same is not None:
            return FetchResult("unchanged", same, fetched[0][0].sha256)
        entries = []
        for got, file_url, cols in fetched:
            if cols is not None:
                check_schema(got.path, cols, label=file_url)
            entries.append(
                {
                    "path": got.path.name,
                    "sha256": got.sha256,
                    "bytes": got.size,
                    "rows": _count_rows(got.path, file_url, cols),
                    "provenance": "published",
                    "retrieved_at": now.isoformat(timespec="seconds"),
                    "extract": None,  # the whole file as published, not a transcribed extract
                }
            )
        manifest = _manifest(source, url, release_label, entries)
        (staging / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        folder = _publish(staging, dataset_dir, release_label.replace("/", "-"), now)
        return FetchResult("new", folder, fetched[0][0].sha256)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fetchable() -> list[Source]:
    """Registered sources the pipeline stages that come by an EES CSV route."""
    return [s for s in SOURCES.values() if s.in_pipeline and s.route in CSV_ROUTES]


def current_release(source: Source) -> str:
    """The release label a new download is filed under: the newest layout the registry knows."""
    return max(source.releases) if source.releases else "latest"


def fetch_all(
    raw_root: str | Path, session: requests.Session, names: list[str] | None = None
) -> list[tuple[str, FetchResult]]:
    """Fetch the latest release of each fetchable source (or the named ones), in order.

    Stops at the first failure (FetchError or InputError), which the caller reports; releases
    already stored by then are complete and kept.
    """
    chosen = [s for s in fetchable() if names is None or s.name in names]
    return [
        (
            s.name,
            fetch_release(s.name, s.download_url, raw_root, current_release(s), session=session),
        )
        for s in chosen
    ]
