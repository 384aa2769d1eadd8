"""A local emulator of the three Google endpoints we use (OAuth token, Calendar freeBusy, Calendar events),
served over real HTTP on loopback, so that the real client libraries run end to end in tests."""

import base64
import hashlib
import http.server
import json
import secrets
import threading
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit


class GoogleState:
    def __init__(self):
        self.pending_codes: dict[str, str] = {}  # code -> PKCE code_challenge
        self.refresh_tokens: set[str] = set()
        self.access_tokens: set[str] = set()
        self.busy: dict[str, list[tuple[str, str]]] = {}  # calendar id -> [(start, end)] RFC 3339
        self.calendar_errors: dict[str, str] = {}
        self.events: dict[tuple[str, str], dict] = {}
        self.fail_next: list[int] = []  # statuses to answer API calls with, first to last
        self.requests: list[tuple[str, str]] = []
        self.revoked: list[str] = []
        self.expires_in = 3600

    def approve(self, authorization_url: str) -> tuple[str, str]:
        """What Google's consent screen does: answers the code and the state for our callback."""
        query = parse_qs(urlsplit(authorization_url).query)
        assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
        code = secrets.token_urlsafe(8)
        self.pending_codes[code] = query["code_challenge"][0]
        return code, query["state"][0]

    def revoke_all(self):
        self.refresh_tokens.clear()
        self.access_tokens.clear()


def _handler(state: GoogleState):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body: dict | None = None):
            payload = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _error(self, status: int, reason: str):
            self._send(status, {"error": {"code": status, "message": reason, "errors": [{"reason": reason}]}})

        def _authorized(self) -> bool:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in state.access_tokens:
                self._error(401, "authError")
                return False
            if state.fail_next:
                status = state.fail_next.pop(0)
                self._error(status, "rateLimitExceeded" if status == 429 else "backendError")
                return False
            return True

        def _token(self):
            form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
            if form.get("grant_type") == "authorization_code":
                challenge = state.pending_codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if challenge is None or challenge != expected:
                    return self._send(400, {"error": "invalid_grant"})
                refresh = secrets.token_urlsafe(12)
                state.refresh_tokens.add(refresh)
            elif form.get("grant_type") == "refresh_token":
                refresh = form.get("refresh_token", "")
                if refresh not in state.refresh_tokens:
                    return self._send(400, {"error": "invalid_grant", "error_description": "Token has been revoked."})
            else:
                return self._send(400, {"error": "unsupported_grant_type"})
            access = secrets.token_urlsafe(12)
            state.access_tokens.add(access)
            body = {"access_token": access, "expires_in": state.expires_in, "token_type": "Bearer",
                    "scope": "https://www.googleapis.com/auth/calendar.freebusy https://www.googleapis.com/auth/calendar.events"}
            if form.get("grant_type") == "authorization_code":
                body["refresh_token"] = refresh
            self._send(200, body)

        def do_POST(self):
            path = urlsplit(self.path).path
            state.requests.append(("POST", path))
            if path == "/token":
                return self._token()
            if path == "/revoke":
                state.revoked.append(parse_qs(self._body().decode()).get("token", [""])[0])
                return self._send(200, {})
            if not self._authorized():
                return
            body = json.loads(self._body() or b"{}")
            if path == "/calendar/v3/freeBusy":
                calendars = {}
                for item in body.get("items", []):
                    cal = item["id"]
                    if cal in state.calendar_errors:
                        calendars[cal] = {"errors": [{"domain": "global", "reason": state.calendar_errors[cal]}], "busy": []}
                    else:
                        busy = [b for b in state.busy.get(cal, []) if b[1] > body["timeMin"] and b[0] < body["timeMax"]]
                        calendars[cal] = {"busy": [{"start": s, "end": e} for s, e in busy]}
                return self._send(200, {"kind": "calendar#freeBusy", "timeMin": body["timeMin"],
                                        "timeMax": body["timeMax"], "calendars": calendars})
            parts = path.split("/")  # /calendar/v3/calendars/{cal}/events
            if len(parts) == 6 and parts[3] == "calendars" and parts[5] == "events":
                key = (parts[4], body["id"])
                if key in state.events:
                    return self._error(409, "duplicate")
                state.events[key] = body
                return self._send(200, {**body, "status": "confirmed"})
            self._error(404, "notFound")

        def do_PUT(self):
            path = urlsplit(self.path).path
            state.requests.append(("PUT", path))
            if not self._authorized():
                return
            parts = path.split("/")  # /calendar/v3/calendars/{cal}/events/{id}
            key = (parts[4], parts[6])
            if key not in state.events:
                return self._error(404, "notFound")
            state.events[key] = json.loads(self._body())
            self._send(200, state.events[key])

        def do_DELETE(self):
            path = urlsplit(self.path).path
            state.requests.append(("DELETE", path))
            if not self._authorized():
                return
            parts = path.split("/")
            if state.events.pop((parts[4], parts[6]), None) is None:
                return self._error(410, "deleted")
            self.send_response(204)
            self.end_headers()

    return Handler


@contextmanager
def google_emulator():
    state = GoogleState()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()
        server.server_close()
