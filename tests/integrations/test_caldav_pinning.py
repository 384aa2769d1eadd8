"""CalDAV connections go to the address that was vetted, resolved once per request (no DNS rebinding).

A fake resolver stands in for DNS (``socket.getaddrinfo``, which both the vet and urllib3 call): names under
``.test`` get the answers a test gives them, literal addresses resolve as usual, and nothing leaves the machine.
The CalDAV server is a real Radicale on 127.0.0.1; "inside" our network is a listener on 127.0.0.2, which the
tests' policy refuses (only 127.0.0.1/32 is allowed)."""

import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import caldav
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from icalendar import Calendar

from core.calendar_providers import BusyBlock
from integrations.caldav import client as caldav_client
from integrations.ical import fetch as ical_fetch
from integrations.ical.fetch import Policy
from integrations.models import CalDAVConnection
from slots.models import BusyPeriod
from tests.conftest import assert_error
from tests.integrations.radicale_server import USERS, radicale
from tests.integrations.test_caldav import event
from tests.scheduling.helpers import at, book, free

pytestmark = pytest.mark.django_db

POLICY = Policy(max_bytes=1_000_000, timeout=10, allowed_networks=("127.0.0.1/32",))


class FakeDNS:
    """``socket.getaddrinfo`` for ``.test`` names. A rebinding name answers its first address to the first lookup
    of each CalDAV request (``DAVClient.request``) and its second address to every later lookup."""

    def __init__(self, real):
        self.real = real
        self.names: dict[str, tuple[str, str]] = {}
        self.lookups: list[tuple[str, str]] = []  # (name, answer)
        self.in_request = 0

    def answer(self, name: str, first: str, then: str | None = None) -> None:
        self.names[name] = (first, then or first)

    def new_request(self) -> None:
        self.in_request = 0

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in self.names:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, f"no such name in the test's DNS: {name}") from None
            return self.real(host, port, family, type, proto, flags)
        first, then = self.names[name]
        address = first if self.in_request == 0 else then
        self.in_request += 1
        self.lookups.append((name, address))
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 0)))]


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    request = caldav.DAVClient.request

    def one_request(self, *args, **kwargs):
        fake.new_request()
        return request(self, *args, **kwargs)

    monkeypatch.setattr(caldav.DAVClient, "request", one_request)
    return fake


@pytest.fixture(scope="module")
def radicale_port(tmp_path_factory):
    with radicale(tmp_path_factory.mktemp("radicale")) as url:
        yield urlsplit(url).port


@pytest.fixture
def ann_calendar(radicale_port):
    """A fresh calendar of ann's, made straight on 127.0.0.1 (not through the fake DNS)."""
    principal = caldav.DAVClient(url=f"http://127.0.0.1:{radicale_port}/", username="ann", password=USERS["ann"],
                                 timeout=10).principal()
    suffix = uuid.uuid4().hex[:8]
    calendar = principal.make_calendar(name=f"Work {suffix}", cal_id=f"work-{suffix}")
    yield calendar
    for each in principal.calendars():
        each.delete()


@contextmanager
def listener(address: str, port: int = 0):
    """A server that records every connection it gets (and what was sent first), and answers 500."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    sock.listen(16)
    sock.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    seen.append(conn.recv(65536))
                    conn.sendall(b"HTTP/1.1 500 Inside\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    seen.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], seen
    finally:
        stop.set()
        thread.join()
        sock.close()


@pytest.fixture
def api_settings(settings, monkeypatch):
    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    queued = []
    monkeypatch.setattr("integrations.caldav.services.async_task", lambda *args: queued.append(args))
    return queued


def test_a_rebinding_name_never_reaches_the_inside_address(
        hr_client, interviewer_client, candidate, interviewer, dns, radicale_port, ann_calendar, api_settings,
        django_capture_on_commit_callbacks):
    """Connect, read busy time, write and delete a busy block, all through a name whose second answer is inside."""
    dns.answer("caldav.rebind.test", "127.0.0.1", then="127.0.0.2")
    ann_calendar.save_event(event("dentist", at(9), at(10)))
    sent, vetted = [], []
    adapter_send, vet = requests.adapters.HTTPAdapter.send, ical_fetch.vetted_address

    def counted_send(self, request, **kwargs):
        if urlsplit(request.url).hostname == "caldav.rebind.test":
            sent.append(request.url)
        return adapter_send(self, request, **kwargs)

    def counted_vet(host, port, policy):
        vetted.append(host)
        return vet(host, port, policy)

    with listener("127.0.0.2", radicale_port) as (_, inside), pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.adapters.HTTPAdapter, "send", counted_send)
        patch.setattr(ical_fetch, "vetted_address", counted_vet)
        base = f"http://caldav.rebind.test:{radicale_port}/"
        r = interviewer_client.post("/api/v1/integrations/caldav",
                                    {"url": base, "username": "ann", "password": USERS["ann"]}, format="json")
        assert r.status_code == 201, (r.content, inside)
        calendar_url = base.rstrip("/") + ann_calendar.url.path
        assert calendar_url in r.json()["calendars"]
        r = interviewer_client.patch("/api/v1/integrations/caldav", {"calendars": [calendar_url],
                                                                      "busy_calendar": calendar_url}, format="json")
        assert r.status_code == 200, r.content

        free(candidate, 8, 13)
        free(interviewer, 8, 13)
        assert book(hr_client, candidate, [interviewer], 9).status_code == 409  # busy time read through the name
        with django_capture_on_commit_callbacks(execute=True):
            booked = book(hr_client, candidate, [interviewer], 11)
        assert booked.status_code == 201, booked.content
        blocks = [c for item in ann_calendar.events() for c in Calendar.from_ical(item.data).walk("VEVENT")]
        assert [b.decoded("DTSTART") for b in blocks if "booked" in str(b["SUMMARY"])] == [at(11)]
        with django_capture_on_commit_callbacks(execute=True):
            assert hr_client.post(f"/api/v1/interviews/{booked.json()['id']}/cancel").status_code == 200
        assert [e for e in ann_calendar.events() if "booked" in e.data] == []

    assert BusyPeriod.objects.filter(user=interviewer, source="caldav").count() == 1
    assert CalDAVConnection.objects.get(user=interviewer).last_error == ""
    assert inside == [], "a request went to the address the name rebinds to"
    # every request sent was vetted once, and the vet's lookup was the only one: the connection used its answer
    assert sent and len(vetted) == len(sent) and set(vetted) == {"caldav.rebind.test"}, (vetted, sent)
    assert dns.lookups == [("caldav.rebind.test", "127.0.0.1")] * len(sent)


def test_the_host_header_names_the_host_and_port(dns):
    dns.answer("caldav.pin.test", "127.0.0.1")
    with listener("127.0.0.1") as (port, seen):
        with pytest.raises(caldav_client.CalDAVError):
            caldav_client.discover(caldav_client.Account(f"http://caldav.pin.test:{port}/dav/", "ann", "pw"), POLICY)
    assert seen
    for raw in seen:
        headers = [line.lower() for line in raw.split(b"\r\n")]
        assert headers[0].endswith(b" http/1.1") and b" /dav/ " in headers[0]
        assert [h for h in headers if h.startswith(b"host:")] == [f"host: caldav.pin.test:{port}".encode()]
    assert len(dns.lookups) == len(seen)


def test_a_private_answer_is_refused_before_any_connection(interviewer_client, dns, api_settings):
    dns.answer("caldav.inside.test", "127.0.0.2")
    dns.answer("caldav.metadata.test", "169.254.169.254")
    with listener("127.0.0.2") as (port, inside):
        for name in ("caldav.inside.test", "caldav.metadata.test"):
            r = interviewer_client.post("/api/v1/integrations/caldav", {
                "url": f"http://{name}:{port}/", "username": "ann", "password": "pw"}, format="json")
            error = assert_error(r, 400, "validation_error")
            assert "private network" in error["fields"]["url"][0]
        with pytest.raises(caldav_client.CalDAVError, match="private network") as refused:
            caldav_client.put_block(caldav_client.Account(f"http://caldav.inside.test:{port}/", "ann", "pw"),
                                    f"http://caldav.inside.test:{port}/ann/work/", _block(), policy=POLICY)
    assert refused.value.permanent
    assert inside == []


def _block() -> BusyBlock:
    return BusyBlock(key="ivpinning", interview_id=1, interview_uid="u1", title="x", start=at(10), end=at(11),
                     sequence=0, active=True)


# HTTPS: a test CA, and certificates for the name the fake DNS answers and for another name

def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _certificates(folder: Path) -> dict[str, Path]:
    now = datetime.datetime.now(datetime.timezone.utc)
    # valid years either side of now: a run with the clock moved (which OpenSSL does not see) still trusts it
    before, after = now - datetime.timedelta(days=4000), now + datetime.timedelta(days=4000)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Pinning test CA")).issuer_name(_name("Pinning test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(before).not_valid_after(after)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    paths = {"ca": folder / "ca.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for host in ("caldav.pin.test", "other.pin.test"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(before).not_valid_after(after)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        paths[host] = folder / f"{host}.pem"
        paths[host].write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return _certificates(tmp_path_factory.mktemp("pinning-tls"))


@contextmanager
def tls_server(certificate: Path):
    """HTTPS on 127.0.0.1 answering 403 to everything; records the SNI names and the requests' Host headers."""
    snis: list[str] = []
    hosts: list[str] = []

    class Forbidden(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def handle_one_request(self):
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or not self.parse_request():
                self.close_connection = True
                return
            hosts.append(self.headers.get("Host", ""))
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.wfile.flush()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forbidden)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate)
    context.sni_callback = lambda sock, name, ctx: snis.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port, snis, hosts
    finally:
        server.shutdown()
        server.server_close()


def test_https_is_pinned_and_still_checks_the_certificate_against_the_host_name(
        interviewer_client, dns, certificates, monkeypatch, api_settings, settings):
    dns.answer("caldav.pin.test", "127.0.0.1")
    with tls_server(certificates["caldav.pin.test"]) as (port, snis, hosts):
        account = caldav_client.Account(f"https://caldav.pin.test:{port}/", "ann", "pw")
        # the public CAs (certifi) do not know the test CA, and the environment is not read
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificates["ca"]))
        with pytest.raises(caldav_client.CalDAVError, match="certificate could not be verified"):
            caldav_client.discover(account, POLICY)
        assert hosts == []
        # trusting the test CA (CALDAV_CA_BUNDLE, as an operator with a private CA sets it): the TLS connection
        # to 127.0.0.1 is made for the name, and the request arrives
        settings.CALDAV_CA_BUNDLE = str(certificates["ca"])
        with pytest.raises(caldav_client.CalDAVError, match=r"does not allow this \(403\)"):
            caldav_client.discover(account, POLICY)
    assert hosts and set(hosts) == {f"caldav.pin.test:{port}"}
    assert set(snis) == {"caldav.pin.test"}

    with tls_server(certificates["other.pin.test"]) as (port, snis, hosts):  # trusted CA, another name
        account = caldav_client.Account(f"https://caldav.pin.test:{port}/", "ann", "pw")
        with pytest.raises(caldav_client.CalDAVError, match="certificate could not be verified") as failed:
            caldav_client.discover(account, POLICY)
        r = interviewer_client.post("/api/v1/integrations/caldav", {
            "url": f"https://caldav.pin.test:{port}/", "username": "ann", "password": "pw"}, format="json")
    assert not failed.value.permanent
    error = assert_error(r, 400, "validation_error")
    assert "certificate could not be verified" in error["fields"]["url"][0]
    assert hosts == [] and set(snis) == {"caldav.pin.test"}  # the handshake asked for the real name, then failed


def test_the_session_reads_no_proxy_or_credentials_from_the_environment(dns, monkeypatch, tmp_path):
    dns.answer("caldav.pin.test", "127.0.0.1")
    with listener("127.0.0.1") as (proxy_port, proxied), listener("127.0.0.1") as (port, seen):
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy_port}")
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy_port}")
        netrc = tmp_path / "netrc"
        netrc.write_text("machine caldav.pin.test login mallory password from-the-netrc\n")
        monkeypatch.setenv("NETRC", str(netrc))
        with pytest.raises(caldav_client.CalDAVError):
            caldav_client.discover(caldav_client.Account(f"http://caldav.pin.test:{port}/", "ann", "pw"), POLICY)
    assert proxied == [] and seen
    assert all(b"authorization:" not in raw.lower() for raw in seen)  # no .netrc login on the first request
