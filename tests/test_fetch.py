"""Fetching a release from a local server replaying recorded responses (never the network).

Each test scripts what the server answers (status, headers, body from tests/fixtures/http/,
delay, a body cut short) and checks that a fetch either adds one complete release folder or
leaves `raw_root` byte-for-byte as it was.
"""

import dataclasses
import gzip
import hashlib
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from pipelines.errors import InputError
from pipelines.fetch import FetchError, download, fetch_release, http_session
from pipelines.sources import NPQ_PARTICIPANTS, SOURCES, latest_release_dir, verified_files

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = PROJECT_ROOT / "data" / "raw" / "ees" / "npq_participants" / "2024-25"
FIXTURES = Path(__file__).parent / "fixtures" / "http"
DATA_SET_ID = "79418e7a-43e1-495d-afaa-f1253a2fb601"
CSV_PATH = f"/data-catalogue/data-set/{DATA_SET_ID}/csv"
META_PATH = f"/data-catalogue/data-set/{DATA_SET_ID}/meta"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
CSV = (FIXTURES / "npq_participants_national.csv").read_bytes()
REVISED = (FIXTURES / "npq_participants_national_revised.csv").read_bytes()
RENAMED = (FIXTURES / "npq_participants_renamed_column.csv").read_bytes()
META = (FIXTURES / "npq_participants_national.meta.csv").read_bytes()
CHUNK_SENT = 4096


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before answering at all
    stall: float = 0.0  # halfway through the body
    length: int | None = None  # the Content-Length to declare; more than sent = a cut body
    chunked: bool = False  # no Content-Length: the size is known only once the body ends
    drip: tuple[int, float] | None = None  # (bytes, seconds): send that much, pause, repeat


class RecordedServer(ThreadingHTTPServer):
    """Answers each path from a script of replies, in order; the last reply repeats."""

    daemon_threads = True
    block_on_close = False  # a handler still sleeping for a timeout test must not block teardown

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: dict[str, list[Reply]] = {}
        self.hits: list[str] = []

    def play(self, path: str, *replies: Reply) -> str:
        self.script[path] = list(replies)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def next_reply(self, path: str) -> Reply:
        self.hits.append(path)
        replies = self.script.get(path) or [Reply(404, b"not found")]
        return replies.pop(0) if len(replies) > 1 else replies[0]

    def handle_error(self, request, client_address) -> None:
        pass  # clients that time out hang up before the answer; that is the point


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RecordedServer

    def do_GET(self) -> None:
        reply = self.server.next_reply(self.path)
        time.sleep(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(reply.body), CHUNK_SENT):
                piece = reply.body[start : start + CHUNK_SENT]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(reply.length or len(reply.body)))
        if reply.length is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if reply.drip:
            size, pause = reply.drip
            for start in range(0, len(reply.body), size):
                self.wfile.write(reply.body[start : start + size])
                self.wfile.flush()
                time.sleep(pause)
            return
        half = len(reply.body) // 2 if reply.stall else len(reply.body)
        self.wfile.write(reply.body[:half])
        self.wfile.flush()
        time.sleep(reply.stall)
        self.wfile.write(reply.body[half:])

    def log_message(self, *args) -> None:
        pass


def register(monkeypatch: pytest.MonkeyPatch, url: str, **changes) -> None:
    """Make `url` the NPQ participants download address in the source registry, for this
    test only: a fetch may then talk to that scheme, host and port (and to no other
    loopback address)."""
    source = dataclasses.replace(SOURCES["npq_participants"], download_url=url, **changes)
    monkeypatch.setitem(SOURCES, "npq_participants", source)


@contextmanager
def serving() -> Iterator[RecordedServer]:
    srv = RecordedServer()
    thread = threading.Thread(target=srv.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def server(monkeypatch) -> Iterator[RecordedServer]:
    """A loopback server registered as the NPQ participants download host."""
    with serving() as srv:
        register(monkeypatch, srv.url(CSV_PATH))
        yield srv


@pytest.fixture
def unregistered() -> Iterator[RecordedServer]:
    """A second loopback server (another port): not the address of any registered source."""
    with serving() as srv:
        yield srv


def quick_session(
    timeout: float | tuple[float, float] = (1.0, 2.0), retries: int = 2, **kwargs
) -> requests.Session:
    session = http_session(timeout, retries, backoff_factor=0.001, **kwargs)
    session.trust_env = False  # no proxy from the environment between us and 127.0.0.1
    return session


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with quick_session() as s:
        yield s


def fetch(url: str, raw_root: Path, session: requests.Session, **kwargs):
    return fetch_release(
        "npq_participants", url, raw_root, "2024/25", session=session, now=NOW, **kwargs
    )


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under root (hidden ones too) with its bytes: 'nothing changed' is equality."""
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def with_example(tmp_path: Path) -> Path:
    """A raw root holding a copy of the project's committed NPQ participants releases."""
    shutil.copytree(EXAMPLE.parent, NPQ_PARTICIPANTS.folder(tmp_path))
    return tmp_path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a normal download ---------------------------------------------------------------------


def test_new_release_gets_a_folder_and_a_manifest_shaped_like_the_example(
    server, session, tmp_path
):
    url = server.play(CSV_PATH, Reply(body=CSV, headers={"Content-Type": "text/csv"}))

    result = fetch(url, tmp_path, session)

    assert result.status == "new"
    assert result.release_dir == tmp_path / "ees" / "npq_participants" / "2024-25"
    manifest = json.loads((result.release_dir / "manifest.json").read_text(encoding="utf-8"))
    example = json.loads((EXAMPLE / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest) == list(example)
    assert manifest["release"] == "2024/25"
    assert manifest["data_set_id"] == DATA_SET_ID
    assert manifest["download_url"] == url
    assert manifest["source_url"] == url.removesuffix("/csv")
    assert manifest["licence"] == "Open Government Licence v3.0"
    assert manifest["data_set_title"] == example["data_set_title"] == "NPQ participants 2024-25"
    [entry] = manifest["files"]
    assert list(entry) == list(example["files"][0])
    assert entry["extract"] is None  # the whole file, not a transcribed extract
    stored = result.release_dir / entry["path"]
    assert stored.read_bytes() == CSV
    assert entry["sha256"] == sha256(CSV) == result.sha256
    assert entry["bytes"] == len(CSV)
    assert entry["rows"] == example["files"][0]["rows"] == 5
    assert entry["provenance"] == "published"
    assert entry["retrieved_at"] == "2026-11-23T09:30:00+00:00"
    # The registry's own checksum verifier accepts the new release as it stands.
    [raw_file] = verified_files(latest_release_dir(NPQ_PARTICIPANTS.folder(tmp_path)))
    assert (raw_file.sha256, raw_file.release) == (entry["sha256"], "2024/25")
    assert not [p for p in tmp_path.rglob(".*")], "temp files or folders were left behind"


def test_same_content_again_is_unchanged_and_writes_nothing(server, session, tmp_path):
    url = server.play(CSV_PATH, Reply(body=CSV))
    first = fetch(url, tmp_path, session)
    before = tree(tmp_path)

    again = fetch(url, tmp_path, session)

    assert again.status == "unchanged"
    assert again.release_dir == first.release_dir
    assert tree(tmp_path) == before


def test_existing_release_is_recognised_and_never_overwritten(server, session, with_example):
    example_files = tree(with_example)
    url = server.play(CSV_PATH, Reply(body=CSV))
    assert fetch(url, with_example, session).status == "unchanged"  # the example's sha256

    server.play(CSV_PATH, Reply(body=REVISED))
    revised = fetch(url, with_example, session)
    server.play(CSV_PATH, Reply(body=REVISED.replace(b",29840,", b",29851,")))
    second = fetch(url, with_example, session)
    server.play(CSV_PATH, Reply(body=REVISED))
    back = fetch(url, with_example, session)

    assert revised.status == second.status == "new"
    assert revised.release_dir.name == "2024-25__2026-11-23"
    assert second.release_dir.name == "2024-25__2026-11-23_02"
    assert (back.status, back.release_dir) == ("unchanged", revised.release_dir)
    after = tree(with_example)
    assert {k: v for k, v in after.items() if k in example_files} == example_files
    # The registry reads the newest fetch as the latest release, checksums intact.
    latest = latest_release_dir(NPQ_PARTICIPANTS.folder(with_example))
    assert latest == second.release_dir
    assert verified_files(revised.release_dir)[0].sha256 == sha256(REVISED)


def test_meta_file_is_stored_beside_the_data(server, session, tmp_path):
    url = server.play(CSV_PATH, Reply(body=CSV))
    meta_url = server.play(META_PATH, Reply(body=META))

    result = fetch(url, tmp_path, session, meta_url=meta_url)

    manifest = json.loads((result.release_dir / "manifest.json").read_text(encoding="utf-8"))
    assert [(f["path"], f["rows"]) for f in manifest["files"]] == [
        ("npq_participants.csv", 5),
        ("npq_participants.meta.csv", 8),
    ]
    assert (result.release_dir / "npq_participants.meta.csv").read_bytes() == META
    assert len(verified_files(result.release_dir)) == 2


# --- retries ---------------------------------------------------------------------------------


def test_429_with_retry_after_then_200_succeeds_after_one_retry(server, session, tmp_path):
    url = server.play(
        CSV_PATH, Reply(429, b"slow down", headers={"Retry-After": "0"}), Reply(body=CSV)
    )

    assert fetch(url, tmp_path, session).status == "new"
    assert server.hits == [CSV_PATH, CSV_PATH]


def test_a_huge_retry_after_is_capped(server, tmp_path):
    url = server.play(CSV_PATH, Reply(429, headers={"Retry-After": "3600"}), Reply(body=CSV))
    started = time.monotonic()

    with quick_session(max_retry_after=0) as session:
        assert fetch(url, tmp_path, session).status == "new"

    assert time.monotonic() - started < 5


def test_500_then_200_succeeds(server, session, tmp_path):
    url = server.play(CSV_PATH, Reply(500, b"oops"), Reply(body=CSV))

    assert fetch(url, tmp_path, session).status == "new"
    assert len(server.hits) == 2


def test_persistent_503_is_a_fetch_error_and_writes_nothing(server, session, with_example):
    before = tree(with_example)
    url = server.play(CSV_PATH, Reply(503, b"down"))

    with pytest.raises(FetchError) as caught:
        fetch(url, with_example, session)

    assert len(server.hits) == 3  # the first try and two retries
    assert "answered 503 Service Unavailable after 2 retries" in str(caught.value)
    assert str(caught.value).endswith("nothing was changed")
    assert tree(with_example) == before


def test_404_is_not_retried(server, session, tmp_path):
    url = server.play(CSV_PATH, Reply(404, b"gone"))

    with pytest.raises(FetchError, match="answered 404"):
        fetch(url, tmp_path, session)

    assert len(server.hits) == 1
    assert tree(tmp_path) == {}


# --- incomplete or encoded bodies ------------------------------------------------------------


def test_truncated_body_is_a_fetch_error_and_leaves_no_partial_file(server, session, tmp_path):
    url = server.play(CSV_PATH, Reply(body=CSV[:100], length=len(CSV)))

    with pytest.raises(FetchError, match=rf"cut short \(got 100 of {len(CSV)} bytes\)"):
        fetch(url, tmp_path, session)
    assert tree(tmp_path) == {}

    with pytest.raises(FetchError):
        download(url, tmp_path / "file.csv", session)
    assert tree(tmp_path) == {}


def test_gzip_transfer_is_decoded_so_the_checksum_tracks_the_data(server, session, tmp_path):
    url = server.play(
        CSV_PATH, Reply(body=gzip.compress(CSV, mtime=0), headers={"Content-Encoding": "gzip"})
    )

    result = fetch(url, tmp_path, session)

    assert (result.release_dir / "npq_participants.csv").read_bytes() == CSV
    assert result.sha256 == sha256(CSV)
    server.play(CSV_PATH, Reply(body=gzip.compress(CSV, mtime=12345)))  # a .gz file, new mtime
    assert fetch(url, tmp_path, session).status == "unchanged"


def test_truncated_gzip_is_a_fetch_error(server, session, tmp_path):
    cut = gzip.compress(CSV, mtime=0)[:-8]  # no trailer: the transfer stopped early
    url = server.play(CSV_PATH, Reply(body=cut, headers={"Content-Encoding": "gzip"}))

    with pytest.raises(FetchError, match=r"gzip body .* is incomplete"):
        fetch(url, tmp_path, session)
    assert tree(tmp_path) == {}


# --- content the registry does not expect ----------------------------------------------------


def test_changed_schema_names_the_column_and_stores_nothing(server, session, with_example):
    before = tree(with_example)
    url = server.play(CSV_PATH, Reply(body=RENAMED))

    with pytest.raises(InputError) as caught:
        fetch(url, with_example, session)

    err = caught.value
    assert (err.file, err.row, err.column, err.rule) == (url, 1, "npq_starts", "schema")
    assert "removed npq_starts; added npq_funded_starts" in str(err)
    assert tree(with_example) == before


def test_malformed_rows_are_refused_with_the_url_and_row(server, session, tmp_path):
    url = server.play(CSV_PATH, Reply(body=CSV + b"202425,Academic year\n"))

    with pytest.raises(InputError) as caught:
        fetch(url, tmp_path, session)

    assert (caught.value.file, caught.value.row, caught.value.rule) == (url, 7, "row_width")
    assert tree(tmp_path) == {}


# --- the network is not there ------------------------------------------------------------------


def test_offline_is_a_one_line_fetch_error_and_changes_nothing(session, with_example, monkeypatch):
    before = tree(with_example)
    url = f"http://127.0.0.1:{closed_port()}{CSV_PATH}"
    register(monkeypatch, url)

    with pytest.raises(FetchError) as caught:
        fetch(url, with_example, session)

    assert str(caught.value) == "cannot reach 127.0.0.1 (offline?): nothing was changed"
    assert tree(with_example) == before


def test_a_server_slower_than_the_read_timeout_is_a_fetch_error(server, tmp_path):
    url = server.play(CSV_PATH, Reply(body=CSV, delay=1.5))
    started = time.monotonic()

    with (
        quick_session(timeout=(1.0, 0.2), retries=1) as session,
        pytest.raises(FetchError) as caught,
    ):
        fetch(url, tmp_path, session)

    assert str(caught.value) == "127.0.0.1 did not answer in time (timed out): nothing was changed"
    assert time.monotonic() - started < 1.4  # two 0.2 s waits, not the server's 1.5 s
    assert len(server.hits) == 2
    assert tree(tmp_path) == {}


def test_a_server_stalling_mid_body_is_a_fetch_error(server, tmp_path):
    url = server.play(CSV_PATH, Reply(body=CSV, stall=1.5))

    with quick_session(timeout=(1.0, 0.2)) as session, pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, session)

    assert "did not answer in time" in str(caught.value)
    assert tree(tmp_path) == {}


def test_dns_failure_names_the_host(session, with_example, monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # also guarantees no real lookup
    before = tree(with_example)

    with pytest.raises(FetchError) as caught:
        fetch(NPQ_PARTICIPANTS.download_url, with_example, session)

    assert str(caught.value) == (
        "cannot reach explore-education-statistics.service.gov.uk (offline?): nothing was changed"
    )
    assert tree(with_example) == before


def test_every_request_gets_connect_and_read_timeouts():
    session = http_session()
    adapter = session.get_adapter("https://explore-education-statistics.service.gov.uk/")
    assert adapter.timeout == (10.0, 60.0)  # type: ignore[attr-defined]
    assert adapter.max_retries.status_forcelist == (429, 500, 502, 503, 504)


def test_unknown_source_or_a_non_csv_route_is_refused(session, tmp_path):
    with pytest.raises(KeyError, match="npq_participants"):
        fetch_release("nope", "http://127.0.0.1:9/x", tmp_path, "2024/25", session=session)
    with pytest.raises(ValueError, match="route 'gias'"):
        fetch_release(
            "gias_establishments", "http://127.0.0.1:9/x", tmp_path, "2026", session=session
        )
    assert tree(tmp_path) == {}


# --- where a fetch may go, and how much it may take ------------------------------------------


def redirect(to: str, status: int = 302) -> Reply:
    return Reply(status, b"moved", headers={"Location": to})


def test_a_redirect_within_the_registered_host_is_followed(server, session, tmp_path):
    url = server.play(CSV_PATH, redirect("/files/npq.csv", 307))
    server.play("/files/npq.csv", Reply(body=CSV))

    result = fetch(url, tmp_path, session)

    assert result.status == "new"
    assert server.hits == [CSV_PATH, "/files/npq.csv"]
    manifest = json.loads((result.release_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["download_url"] == url  # the registered address, not where it led


def test_a_redirect_to_an_unregistered_host_is_refused_before_connecting(
    server, unregistered, session, with_example
):
    before = tree(with_example)
    elsewhere = unregistered.play("/npq.csv", Reply(body=CSV))
    url = server.play(CSV_PATH, redirect(elsewhere))

    with pytest.raises(FetchError) as caught:
        fetch(url, with_example, session)

    here, there = server.server_address[1], unregistered.server_address[1]
    assert str(caught.value) == (
        f"refused the redirect from http://127.0.0.1:{here} to http://127.0.0.1:{there}/npq.csv: "
        f"http://127.0.0.1:{there} is not the address of a registered source "
        "(pipelines/sources.py): nothing was changed"
    )
    assert unregistered.hits == []
    assert tree(with_example) == before


def test_a_redirect_to_another_host_name_is_refused(server, session, tmp_path):
    port = server.server_address[1]
    url = server.play(CSV_PATH, redirect(f"http://localhost:{port}/npq.csv"))
    server.play("/npq.csv", Reply(body=CSV))

    with pytest.raises(FetchError, match=rf"http://localhost:{port} is not the address of a reg"):
        fetch(url, tmp_path, session)

    assert server.hits == [CSV_PATH]
    assert tree(tmp_path) == {}


def test_a_file_redirect_is_refused_with_its_scheme_named(server, session, tmp_path):
    url = server.play(CSV_PATH, redirect("file:///etc/passwd"))

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, session)

    assert str(caught.value) == (
        f"refused the redirect from http://127.0.0.1:{server.server_address[1]} to "
        "file:///etc/passwd: the scheme 'file' is not allowed (http or https to a registered "
        "source only): nothing was changed"
    )
    assert tree(tmp_path) == {}


def test_an_unregistered_address_is_refused_before_any_request(
    server, unregistered, session, tmp_path
):
    url = unregistered.play(CSV_PATH, Reply(body=CSV))

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, session)

    there = unregistered.server_address[1]
    assert str(caught.value) == (
        f"refused the download of {url}: http://127.0.0.1:{there} is not the address of a "
        "registered source (pipelines/sources.py): nothing was changed"
    )
    with pytest.raises(FetchError, match="the scheme 'ftp' is not allowed"):
        download("ftp://127.0.0.1/npq.csv", tmp_path / "npq.csv", session)
    assert unregistered.hits == []
    assert tree(tmp_path) == {}


def test_a_redirect_loop_is_cut_off_with_its_own_message(server, session, tmp_path):
    url = server.play(CSV_PATH, redirect("/a"))
    server.play("/a", redirect("/b"))
    server.play("/b", redirect(CSV_PATH))

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, session)

    assert str(caught.value) == (
        "http://127.0.0.1:"
        f"{server.server_address[1]} redirected more than 5 times: nothing was changed"
    )
    assert len(server.hits) == 6
    assert tree(tmp_path) == {}


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=CSV),  # declared in Content-Length: refused before the body is read
        Reply(body=CSV, chunked=True),  # undeclared: refused once the limit is passed
        Reply(body=gzip.compress(CSV * 50, mtime=0), headers={"Content-Encoding": "gzip"}),
    ],
    ids=["declared", "chunked", "gzip_expands"],
)
def test_a_body_over_the_data_sets_size_limit_is_refused(
    server, session, with_example, monkeypatch, reply
):
    limit = len(CSV) * 2 if "Content-Encoding" in reply.headers else len(CSV) - 1
    register(monkeypatch, server.url(CSV_PATH), max_bytes=limit)
    before = tree(with_example)
    url = server.play(CSV_PATH, reply)

    with pytest.raises(FetchError) as caught:
        fetch(url, with_example, session)

    assert str(caught.value) == (
        f"the download from http://127.0.0.1:{server.server_address[1]} is over the "
        f"{limit:,}-byte limit of npq_participants (max_bytes in pipelines/sources.py): "
        "nothing was changed"
    )
    assert tree(with_example) == before


def test_a_body_at_the_size_limit_is_accepted(server, session, tmp_path, monkeypatch):
    register(monkeypatch, server.url(CSV_PATH), max_bytes=len(CSV))
    url = server.play(CSV_PATH, Reply(body=CSV, chunked=True))

    assert fetch(url, tmp_path, session).status == "new"


def test_a_download_that_takes_too_long_is_cut_off(server, session, tmp_path):
    # Every piece arrives well within the read timeout: only a limit on the whole
    # download stops a server that drips a body out for ever.
    url = server.play(CSV_PATH, Reply(body=CSV, drip=(40, 0.05)))
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, session, max_seconds=0.3)

    assert str(caught.value) == (
        f"the download from http://127.0.0.1:{server.server_address[1]} took longer than the "
        "0.3 s limit: nothing was changed"
    )
    assert time.monotonic() - started < 1.0  # the whole body would take over 1.5 s
    assert tree(tmp_path) == {}


def test_every_registered_download_address_is_allowed_and_nothing_else():
    from pipelines.fetch import allowed_origins

    origins = allowed_origins()
    assert "https://explore-education-statistics.service.gov.uk" in origins
    assert all(origin.startswith("https://") for origin in origins)
    assert not any("127.0.0.1" in origin or "localhost" in origin for origin in origins)
