"""A local emulator of the Microsoft endpoints we use: the identity platform's OpenID configuration and token
endpoint, and Graph's getSchedule and /me/events, over real HTTPS on loopback (msal insists on https), so
that msal and our HTTP code run end to end in tests. It checks PKCE, the client secret and bearer tokens,
and can answer 429 with Retry-After, 401 for an expired token, and 5xx."""

import base64
import datetime
import hashlib
import http.server
import ipaddress
import json
import secrets
import ssl
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "emulator-client-secret"
TENANT = "common"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class MicrosoftState:
    def __init__(self):
        self.base = ""
        self.pending: dict[str, dict] = {}  # code -> {challenge, nonce, redirect_uri, scope}
        self.refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, float] = {}  # token -> expires at (time.time())
        self.mailbox = "ivan@contoso.example"
        self.schedule: list[dict] = []  # scheduleItems: {status, start, end} (datetimes in UTC)
        self.events: dict[str, dict] = {}
        self.fail_next: list[tuple[int, int | None]] = []  # (status, Retry-After) for Graph calls
        self.requests: list[tuple[str, str]] = []
        self.expires_in = 3600

    def approve(self, authorization_url: str) -> tuple[str, str]:
        """What the consent screen does: answers the code and the state for our callback."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        assert query["code_challenge_method"] == "S256" and query["client_id"] == CLIENT_ID
        assert query["response_type"] == "code"
        code = secrets.token_urlsafe(12)
        self.pending[code] = {"challenge": query["code_challenge"], "nonce": query.get("nonce", ""),
                              "redirect_uri": query["redirect_uri"], "scope": query["scope"]}
        return code, query["state"]

    def revoke_all(self):
        self.refresh_tokens.clear()
        self.access_tokens.clear()

    def expire_access_tokens(self):
        self.access_tokens = {t: 0.0 for t in self.access_tokens}

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": f"{self.base}/{TENANT}/v2.0", "aud": CLIENT_ID, "iat": now, "nbf": now, "exp": now + 3600,
                  "nonce": nonce, "preferred_username": self.mailbox, "oid": "oid-1", "tid": "tid-1", "sub": "sub-1"}
        header = {"alg": "none", "typ": "JWT"}
        return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _graph_time(value: datetime.datetime) -> dict:
    return {"dateTime": value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
            "timeZone": "UTC"}


def _parse(value: dict) -> datetime.datetime:
    assert value["timeZone"] == "UTC"
    return datetime.datetime.fromisoformat(value["dateTime"]).replace(tzinfo=datetime.timezone.utc)


def _handler(state: MicrosoftState):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status: int, body: dict | None = None, headers: dict | None = None):
            payload = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _graph_error(self, status: int, code: str, headers: dict | None = None):
            self._send(status, {"error": {"code": code, "message": code}}, headers)

        def _authorized(self) -> bool:
            token = self.headers.get("Authorization", "")
            if not token.startswith("Bearer "):
                self._graph_error(401, "InvalidAuthenticationToken")
                return False
            expires = state.access_tokens.get(token.removeprefix("Bearer "))
            if expires is None or expires < time.time():
                self._graph_error(401, "InvalidAuthenticationToken")  # unknown, revoked or expired
                return False
            if state.fail_next:
                status, retry_after = state.fail_next.pop(0)
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                self._graph_error(status, "TooManyRequests" if status == 429 else "ServiceUnavailable", headers)
                return False
            return True

        def do_GET(self):
            path = urlsplit(self.path).path
            state.requests.append(("GET", path))
            if path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
                base = f"{state.base}/{TENANT}"
                return self._send(200, {
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "issuer": f"{base}/v2.0",
                    "response_modes_supported": ["query", "fragment", "form_post"],
                })
            self._graph_error(404, "NotFound")

        def _token(self):
            form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return self._send(401, {"error": "invalid_client", "error_description": "AADSTS7000215"})
            id_token = None
            if form.get("grant_type") == "authorization_code":
                pending = state.pending.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                expected = _b64(hashlib.sha256(verifier.encode()).digest())
                if pending is None or pending["challenge"] != expected or pending["redirect_uri"] != form.get("redirect_uri"):
                    return self._send(400, {"error": "invalid_grant", "error_description": "AADSTS70008 bad code"})
                scopes = pending["scope"].split()
                if "offline_access" not in scopes or "Calendars.ReadWrite" not in scopes:
                    return self._send(400, {"error": "invalid_scope"})
                id_token = state.id_token(pending["nonce"])
            elif form.get("grant_type") == "refresh_token":
                old = form.get("refresh_token", "")
                if old not in state.refresh_tokens:
                    return self._send(400, {"error": "invalid_grant", "error_description": "AADSTS70000 revoked"})
                state.refresh_tokens.discard(old)  # rotated
            else:
                return self._send(400, {"error": "unsupported_grant_type"})
            refresh, access = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
            state.refresh_tokens.add(refresh)
            state.access_tokens[access] = time.time() + state.expires_in
            body = {"token_type": "Bearer", "scope": "Calendars.ReadWrite openid profile offline_access",
                    "expires_in": state.expires_in, "ext_expires_in": state.expires_in,
                    "access_token": access, "refresh_token": refresh}
            if id_token:
                body["id_token"] = id_token
            self._send(200, body)

        def do_POST(self):
            path = urlsplit(self.path).path
            state.requests.append(("POST", path))
            if path == f"/{TENANT}/oauth2/v2.0/token":
                return self._token()
            body = json.loads(self._body() or b"{}")
            if not self._authorized():
                return
            if path == "/v1.0/me/calendar/getSchedule":
                if self.headers.get("Prefer") != 'outlook.timezone="UTC"':
                    return self._graph_error(400, "ExpectedUtcPrefer")
                start, end = _parse(body["startTime"]), _parse(body["endTime"])
                if end - start > datetime.timedelta(days=62):
                    return self._graph_error(400, "ErrorInvalidTimeRange")  # Graph's own limit
                items = [i for i in state.schedule if i["start"] < end and i["end"] > start]
                return self._send(200, {"value": [{
                    "scheduleId": mailbox,
                    "scheduleItems": [{"status": i["status"], "start": _graph_time(i["start"]),
                                       "end": _graph_time(i["end"])} for i in items],
                } for mailbox in body["schedules"]]})
            if path == "/v1.0/me/events":
                existing = [e for e in state.events.values() if e.get("transactionId") == body.get("transactionId")]
                if existing:
                    return self._send(201, existing[0])
                event_id = "AAMk" + secrets.token_urlsafe(12)
                state.events[event_id] = {**body, "id": event_id}
                return self._send(201, state.events[event_id])
            self._graph_error(404, "NotFound")

        def do_PATCH(self):
            path = urlsplit(self.path).path
            state.requests.append(("PATCH", path))
            body = json.loads(self._body() or b"{}")
            if not self._authorized():
                return
            event_id = path.rsplit("/", 1)[-1]
            if not path.startswith("/v1.0/me/events/") or event_id not in state.events:
                return self._graph_error(404, "ErrorItemNotFound")
            state.events[event_id].update(body)
            self._send(200, state.events[event_id])

        def do_DELETE(self):
            path = urlsplit(self.path).path
            state.requests.append(("DELETE", path))
            if not self._authorized():
                return
            if state.events.pop(path.rsplit("/", 1)[-1], None) is None:
                return self._graph_error(404, "ErrorItemNotFound")
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=4000)).not_valid_after(now + datetime.timedelta(days=800))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "emulator.pem", folder / "emulator.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@contextmanager
def microsoft_emulator(folder: Path):
    """Yields ``(base URL, state, CA bundle path)``; trust the bundle with REQUESTS_CA_BUNDLE."""
    cert_path, key_path = _certificate(folder)
    state = MicrosoftState()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.base = f"https://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state.base, state, cert_path
    finally:
        server.shutdown()
        server.server_close()
