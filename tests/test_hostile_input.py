"""What a broken or hostile server sends, and what RosterSync stores: exactly what it checked,
or nothing.

Member data goes over real HTTP through the simulator and into SQLite and PostgreSQL; page
shapes are served with respx; the time and size bounds are tried against a raw socket server
that misbehaves at the byte level."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from rostergui.cli.output import sync_json
from rostergui.core import errors
from rostergui.core.limits import Limits, RetryPolicy
from rostergui.core.ltiaas import Credentials, LtiaasClient
from rostergui.core.nrps import parse_member, read_page
from rostergui.core.redact import MASK, redact
from rostergui.core.service import RosterService
from rostergui.simulator import Simulator
from tests.conftest import add_sim_course

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
BASE = "https://tool.ltiaas.example"
LMS = "https://lms.example.edu/api/lti/courses/7/names_and_roles"
NO_RETRY = RetryPolicy(attempts=1, total_seconds=1, base_delay=0, max_delay=0)


def member(uid: object, role: str = "Learner", **extra: object) -> dict[str, object]:
    return {"userId": uid, "roles": [M + role], "name": f"Person {uid}", **extra}


def stored(service: RosterService, name: str) -> list[tuple[Any, ...]]:
    return sorted(
        (r.user_id, r.name, r.role, r.status, r.lti_roles)
        for r in service.members(name, status="all")
    )


def synced_course(service: RosterService, sim: Simulator, count: int = 5) -> str:
    sim.replace_roster("canvas-bio", [member(f"u{i}") for i in range(count)])
    name = add_sim_course(service, sim, "canvas-bio")
    assert service.sync(name).ok
    return name


# --- member data, over real HTTP, on SQLite and PostgreSQL ---------------------------------


def test_control_characters_are_stored_exactly(service: RosterService, sim: Simulator) -> None:
    odd = ["line\nbreak", "tab\there", "esc\x1b[31mred", "bidi\u202eevil", "bell\x07", "é\u0301"]
    sim.replace_roster(
        "canvas-bio",
        [
            member(uid, name=f"Name {uid}\r\n", email=f"{i}\x1b@example.edu")
            for i, uid in enumerate(odd)
        ],
    )
    name = add_sim_course(service, sim, "canvas-bio")
    result = service.sync(name)
    assert result.ok, result.error
    rows = {r.user_id: r for r in service.members(name, status="all")}
    assert set(rows) == set(odd)
    for i, uid in enumerate(odd):
        assert rows[uid].name == f"Name {uid}\r\n"
        assert rows[uid].email == f"{i}\x1b@example.edu"


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (member("nul\x00cut"), "NUL"),
        (member("ok", name="Ann\x00 Tail"), "NUL"),
        ({**member("ok"), "roles": [M + "Learner\x00"]}, "NUL"),
        (member(1.5), "not a whole number"),
        (member(float("nan")), "not valid JSON"),
        (member(float("inf")), "not valid JSON"),
        (member(True), "not text"),
        (member({"id": 1}), "not text"),
        (member("x" * 256), "longer than 255"),
        (member("ok", status="Suspended"), "unknown membership status"),
        (member("ok", name={"first": "Ann"}), "not text"),
        ({**member("ok"), "roles": [M + "Learner"] * 65}, "roles"),
    ],
)
def test_data_that_cannot_be_stored_exactly_fails_the_sync_and_keeps_the_roster(
    service: RosterService, sim: Simulator, bad: dict[str, object], words: str
) -> None:
    name = synced_course(service, sim)
    before = stored(service, name)
    sim.replace_roster("canvas-bio", [member(f"u{i}") for i in range(3)] + [bad])
    result = service.sync(name)
    assert not result.ok
    assert result.error_kind == "malformed", result.error
    assert words in (result.error or "")
    assert "member 4" in (result.error or "") or "not valid JSON" in (result.error or "")
    assert "Unexpected" not in (result.error or "")
    assert stored(service, name) == before  # nothing applied, still readable
    assert service.history(name)[0].outcome == "failed"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"members": [{"userId": "lone\\ud800", "roles": []}]}',
        b'{"members": [{"userId": "a", "email": "x\\udfff@e.edu", "roles": []}]}',
        b'\xef\xbb\xbf{"members": [{"userId": "a", "name": "\\udc00", "roles": []}]}',
    ],
)
def test_a_lone_surrogate_is_refused_however_the_body_is_encoded(raw: bytes) -> None:
    parsed = read_page(raw, "page 1")
    assert not parsed.plain
    with pytest.raises(errors.MalformedResponseError, match="not valid Unicode"):
        _ = parsed.members


def test_float_ids_are_the_same_person_as_their_digits(
    service: RosterService, sim: Simulator
) -> None:
    sim.replace_roster(
        "canvas-bio",
        [member(1, "Learner"), member(1.0, "Instructor"), member("1", "Learner"), member(2e3)],
    )
    name = add_sim_course(service, sim, "canvas-bio")
    result = service.sync(name)
    assert result.ok, result.error
    assert sorted(r.user_id for r in service.members(name, status="all")) == ["1", "2000"]


def test_a_member_listed_twice_is_merged_with_every_role_and_a_warning(
    service: RosterService, sim: Simulator
) -> None:
    roster = [member(f"u{i}") for i in range(250)]
    roster.insert(3, member("u1", "Instructor", name="Person u1 again"))  # same page
    roster.append(member("u0", "TeachingAssistant"))  # a later page
    roster.append(member("u0", "Learner"))
    sim.replace_roster("canvas-bio", roster)
    name = add_sim_course(service, sim, "canvas-bio")
    result = service.sync(name)
    assert result.ok, result.error
    assert result.pages > 1
    assert len(result.warnings) == 1
    assert "2 members were listed more than once" in result.warnings[0]
    assert sync_json([result])[0]["warnings"] == result.warnings
    rows = {r.user_id: r for r in service.members(name, status="all")}
    assert len(rows) == 250
    assert list(rows["u1"].lti_roles) == [M + "Learner", M + "Instructor"]
    assert list(rows["u0"].lti_roles) == [M + "Learner", M + "TeachingAssistant"]
    assert rows["u1"].role == "Instructor"
    assert service.history(name)[0].warning == result.warnings[0]


def test_a_member_listed_as_inactive_and_active_stays_active(
    service: RosterService, sim: Simulator
) -> None:
    sim.replace_roster("canvas-bio", [member("a", status="Active"), member("a", status="Inactive")])
    name = add_sim_course(service, sim, "canvas-bio")
    assert service.sync(name).ok
    assert [r.status for r in service.members(name, status="all")] == ["active"]


def test_status_in_any_case_or_as_a_membership_uri_is_understood() -> None:
    assert parse_member(member("a", status=M + "Inactive"), "page 1").status == "Inactive"
    assert parse_member(member("a", status=" deleted "), "page 1").status == "Deleted"
    assert parse_member(member("a", status=""), "page 1").status == "Active"


# --- page shapes (respx) --------------------------------------------------------------------


def client(**limits: Any) -> LtiaasClient:
    return LtiaasClient(
        BASE,
        Credentials("API-KEY-hostile-0001", "SERVICE-KEY-hostile-0002"),
        retry=NO_RETRY,
        limits=Limits(**limits),
    )


def page(members: list[dict[str, object]], **extra: object) -> dict[str, object]:
    return {"id": LMS, "context": {"id": "c1", "title": "Course"}, "members": members, **extra}


@pytest.mark.parametrize(
    "next_value",
    [
        None,
        2,
        0,
        {"href": LMS},
        [LMS],
        "",
        "   ",
        "not a url",
        "ftp://lms.example.edu/x",
        "/relative/page/2",
        "https://",
        "https://lms.example.edu/a b",
        "https://[::1/x",
        "https://lms.example.edu/" + "p" * 9000,
        True,
    ],
)
def test_a_next_link_present_but_unusable_fails_instead_of_ending_the_roster(
    respx_mock: respx.MockRouter, next_value: object
) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(json=page([member("1")], next=next_value))
    with client() as c, pytest.raises(errors.MalformedResponseError, match="next-page link"):
        list(c.iter_pages())


def test_only_a_missing_next_ends_the_roster(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(json=page([member("1")]))
    with client() as c:
        assert len(list(c.iter_pages())) == 1


def test_a_page_without_a_member_list_fails(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(json={"members": {"1": member("1")}})
    with client() as c, pytest.raises(errors.MalformedResponseError, match="member list"):
        list(c.iter_pages())


def test_a_repeated_key_is_read_one_way_by_the_checks_and_the_database(
    service: RosterService, sim: Simulator, respx_mock: respx.MockRouter
) -> None:
    # One body, two readings: the database must store what the checks accepted.
    body = (
        b'{"id": "x", "members": [{"userId": "a", "userId": "b", "givenName": "G",'
        b' "familyName": "F", "name": "N", "name": "Real Name", "roles": ["Learner"]}]}'
    )
    from rostergui.core.roles import RoleMapping
    from rostergui.core.staging import StagedRoster

    parsed = read_page(body, "page 1")
    assert parsed.plain
    with service.engine.connect() as conn:
        staged = StagedRoster(conn, RoleMapping())
        staged.add_page(parsed)
        staged.finish()
        rows = conn.exec_driver_sql("SELECT user_id, name FROM rs_staging").all()
    assert [tuple(r) for r in rows] == [(parsed.members[0].user_id, parsed.members[0].name)]


def test_an_endless_roster_is_stopped_by_its_page_bound_in_constant_memory(
    respx_mock: respx.MockRouter,
) -> None:
    counter = iter(range(10**9))

    def endless(request: httpx.Request) -> httpx.Response:
        link = f"{LMS}?page={next(counter)}&pad=" + "x" * 6000
        return httpx.Response(200, json=page([member("1")], next=link))

    respx_mock.get(f"{BASE}/api/memberships").mock(side_effect=endless)
    with client(pages=300) as c, pytest.raises(errors.LimitExceededError, match="300 pages"):
        for _ in c.iter_pages():
            pass


def test_a_paging_loop_of_any_length_is_noticed(respx_mock: respx.MockRouter) -> None:
    def looping(request: httpx.Request) -> httpx.Response:
        url = request.url.params.get("url")
        number = int(url.rsplit("=", 1)[1]) if url else 0
        return httpx.Response(
            200, json=page([member(str(number))], next=f"{LMS}?p={(number + 1) % 7}")
        )

    respx_mock.get(f"{BASE}/api/memberships").mock(side_effect=looping)
    with client() as c, pytest.raises(errors.MalformedResponseError, match="already sent"):
        for _ in c.iter_pages():
            pass


def test_the_roster_deadline_ends_a_slow_endless_walk(respx_mock: respx.MockRouter) -> None:
    counter = iter(range(10**9))

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)
        return httpx.Response(200, json=page([member("1")], next=f"{LMS}?p={next(counter)}"))

    respx_mock.get(f"{BASE}/api/memberships").mock(side_effect=slow)
    with client(roster_seconds=0.3) as c, pytest.raises(errors.LimitExceededError, match="within"):
        for _ in c.iter_pages():
            pass


# --- secrets in error bodies ----------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500, 502])
def test_an_error_body_echoing_the_keys_is_redacted_everywhere(
    respx_mock: respx.MockRouter, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    api_key, secret = "API-KEY-echoed-7731", "SERVICE-KEY-echoed/+=8842"
    echoed = (
        f"bad header SERVICE-AUTH-V1 {api_key}:{secret}; key={api_key}; "
        f"quoted={httpx.QueryParams({'k': secret})}"
    )
    respx_mock.get(f"{BASE}/api/memberships").respond(
        status, json={"status": status, "error": echoed, "details": {"description": echoed}}
    )
    creds = Credentials(api_key, secret)
    with LtiaasClient(BASE, creds, retry=NO_RETRY) as c, pytest.raises(errors.LtiaasError) as info:
        c.fetch_page()
    texts = [info.value.message, info.value.detail or "", str(info.value)]
    for text in texts:
        assert api_key not in text and secret not in text
        assert "8842" not in text
    assert MASK in info.value.message or MASK in (info.value.detail or "")


def test_redaction_masks_every_spelling_of_a_known_secret() -> None:
    from rostergui.core.redact import remember

    remember("s3cr/et+key=42")
    text = redact("a s3cr/et+key=42 b s3cr%2Fet%2Bkey%3D42 c s3cr%2Fet%2Bkey%3D42 Bearer abc.def")
    assert "s3cr" not in text and "abc.def" not in text


# --- the byte-level bounds, against a raw socket server --------------------------------------


class RawServer:
    """Answers every connection with ``handler(socket)`` on a thread; stops when closed."""

    def __init__(self, handler: Callable[[socket.socket, threading.Event], None]) -> None:
        self.stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._handler = handler
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                self._handler(conn, self.stop)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self._thread.join()
        self._listener.close()


@pytest.fixture
def raw_server() -> Iterator[
    Callable[[Callable[[socket.socket, threading.Event], None]], RawServer]
]:
    servers: list[RawServer] = []

    def start(handler: Callable[[socket.socket, threading.Event], None]) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def local_client(
    server: RawServer, cancel: threading.Event | None = None, **limits: Any
) -> LtiaasClient:
    return LtiaasClient(
        f"http://127.0.0.1:{server.port}",
        Credentials("API-KEY-raw-0001", "SERVICE-KEY-raw-0002"),
        timeout=5,
        retry=NO_RETRY,
        limits=Limits(**limits),
        cancel=cancel,
    )


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


def trickle_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEAD + b"Content-Length: 100000\r\n\r\n")
    while not stop.wait(0.1):
        conn.sendall(b" ")


def trickle_headers(conn: socket.socket, stop: threading.Event) -> None:
    for byte in HEAD:
        if stop.wait(0.1):
            return
        conn.sendall(bytes([byte]))


def silent(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(10)


@pytest.mark.parametrize("handler", [trickle_body, trickle_headers, silent])
def test_every_request_ends_by_its_deadline_however_the_server_trickles(
    raw_server: Callable[..., RawServer], handler: Callable[[socket.socket, threading.Event], None]
) -> None:
    server = raw_server(handler)
    started = time.monotonic()
    with local_client(server, request_seconds=1.0) as c, pytest.raises(errors.LtiaasTimeoutError):
        c.fetch_page()
    assert time.monotonic() - started < 3


def test_a_cancel_ends_a_request_that_is_waiting_for_bytes(
    raw_server: Callable[..., RawServer],
) -> None:
    server = raw_server(trickle_body)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with local_client(server, cancel) as c, pytest.raises(errors.SyncCancelledError):
        c.fetch_page()
    assert time.monotonic() - started < 2


def compressed_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"0" * 2**20
    parts = [packer.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + packer.flush()


def test_a_gzip_bomb_is_refused_by_its_unpacked_size(raw_server: Callable[..., RawServer]) -> None:
    bomb = compressed_zeros(512 * 2**20)  # 512 MB of zeros in about 0.5 MB

    def send(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(
            HEAD + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb) + bomb
        )

    server = raw_server(send)
    with (
        local_client(server, page_bytes=4 * 2**20) as c,
        pytest.raises(errors.LimitExceededError, match="larger than 4 MB"),
    ):
        c.fetch_page()


def test_a_large_body_is_refused_by_its_size(raw_server: Callable[..., RawServer]) -> None:
    def send(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        block = b"1" * 65536
        for _ in range(200):  # 13 MB, with no length announced
            if stop.is_set():
                return
            conn.sendall(b"%x\r\n%s\r\n" % (len(block), block))

    server = raw_server(send)
    with local_client(server, page_bytes=2**20) as c, pytest.raises(errors.LimitExceededError):
        c.fetch_page()


def test_a_compressed_page_within_the_limit_is_read(raw_server: Callable[..., RawServer]) -> None:
    body = gzip.compress(b'{"members": [{"userId": "1", "roles": []}]}')

    def send(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(
            HEAD + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )

    server = raw_server(send)
    with local_client(server) as c:
        assert c.fetch_page().members[0].user_id == "1"


# --- the LTIAAS address an admin types ------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "https://ho\x85st.com",
        "https://\u202eevil.com",
        "https://a\u200bb.com",
        "https://ho\ud800st",
        "https://[v1.fe]",
        "https://999.1.1.1",
        "https:/host",
        "https://a<b>.com",
        "https://host\\evil",
        "https://host;x",
        "https://[::1",
        "https://h:0",
        "https://h:99999",
        "https://exa mple.com",
        "",
    ],
)
def test_an_address_the_client_cannot_use_is_refused_in_words(typed: str) -> None:
    from rostergui.core.origin import normalise_base_url

    with pytest.raises(errors.ConfigError) as info:
        normalise_base_url(typed)
    assert info.value.message.isprintable()


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("tool.ltiaas.com", "https://tool.ltiaas.com"),
        ("HTTPS://Tool.LTIAAS.com:443/path", "https://tool.ltiaas.com"),
        ("https://host:", "https://host"),
        ("http://[::1]:80", "http://[::1]"),
        ("https://bücher.de:8443", "https://bücher.de:8443"),
    ],
)
def test_one_origin_is_spelled_one_way(typed: str, origin: str) -> None:
    from rostergui.core.origin import normalise_base_url

    assert normalise_base_url(typed) == origin


# --- Ctrl-C -------------------------------------------------------------------------------


def test_ctrl_c_cancels_a_sync_stuck_on_a_trickling_server_at_once(
    tmp_path: Path, sim: Simulator
) -> None:
    """The first Ctrl-C cancels cleanly within a moment, even inside one slow request."""
    import os
    import signal
    import subprocess
    import sys

    from rostergui.simulator import DEFAULT_API_KEY, Attack

    env = {
        **os.environ,
        "ROSTERGUI_DATA_DIR": str(tmp_path / "data"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "ROSTERGUI_API_KEY": DEFAULT_API_KEY,
        "ROSTERGUI_SERVICE_KEY": sim.course("canvas-bio").service_key,
    }
    env.pop("ROSTERGUI_DB_URL", None)
    command = [sys.executable, "-m", "rostergui"]
    added = subprocess.run(
        [*command, "contexts", "add", "--name", "Bio", "--base-url", sim.base_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    sim.inject(Attack("trickle_body", course="canvas-bio", page=2, interval=0.5, duration=30))
    proc = subprocess.Popen(
        [*command, "sync", "Bio"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)  # page 1 is in, page 2 is trickling
    interrupted = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert time.monotonic() - interrupted < 3, "the first Ctrl-C did not cancel at once"
    assert proc.returncode == 1, out + err
    assert "cancelled" in out and "Traceback" not in err
    assert "Cancelling" in err


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed."""
    import datetime
    import ipaddress

    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_an_untrusted_certificate_is_named_and_not_retried(tmp_path: Path) -> None:
    import ssl

    cert_file, key_file = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    handshakes: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            handshakes.append(1)
            with conn, contextlib.suppress(ssl.SSLError, OSError):
                context.wrap_socket(conn, server_side=True).close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    retry = RetryPolicy(attempts=5, total_seconds=30, base_delay=0.01, max_delay=0.01)
    try:
        with (
            LtiaasClient(
                f"https://127.0.0.1:{port}", Credentials("A-KEY", "S-KEY"), retry=retry
            ) as c,
            pytest.raises(errors.CertificateError, match="not trusted"),
        ):
            c.fetch_page()
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert len(handshakes) == 1


@pytest.mark.parametrize("role", [M + "Learner\n", M + "Learner\x1b[2J", "x" * 256])
def test_a_role_that_cannot_be_stored_fails_a_plain_page_too(
    service: RosterService, sim: Simulator, role: str
) -> None:
    # Plain pages check roles once per distinct role list, after the last page.
    name = synced_course(service, sim)
    before = stored(service, name)
    roster = [
        {"userId": f"u{i}", "givenName": "G", "familyName": "F", "roles": [M + "Learner"]}
        for i in range(3)
    ]
    roster.append({"userId": "odd", "givenName": "G", "familyName": "F", "roles": [role]})
    sim.replace_roster("canvas-bio", roster)
    result = service.sync(name)
    assert not result.ok and result.error_kind == "malformed", result.error
    assert "role" in (result.error or "") and (result.error or "").isprintable()
    assert stored(service, name) == before


def test_the_command_lines_simulator_takes_named_attacks() -> None:
    from rostergui.cli import build_parser
    from rostergui.simulator import Attack

    args = build_parser().parse_args(["simulator", "--attack", "gzip_bomb:canvas-bio:2"])
    assert args.attack == [Attack("gzip_bomb", course="canvas-bio", page=2)]
    with pytest.raises(SystemExit) as usage:
        build_parser().parse_args(["simulator", "--attack", "no_such_attack"])
    assert usage.value.code == 2
