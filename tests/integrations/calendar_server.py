"""A small real HTTP server on loopback that serves calendars, redirects, and misbehaves on request."""

import base64
import http.server
import threading
import time
from contextlib import contextmanager


class Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}
    hits: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.hits.append((self.path, dict(self.headers)))
        route = self.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.end_headers()
            return
        kind = route[0]
        if kind == "auth":  # ("auth", user, password, inner route): Basic auth in front of another route
            expected = "Basic " + base64.b64encode(f"{route[1]}:{route[2]}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="calendars"')
                self.end_headers()
                return
            route = route[3]
            kind = route[0]
        if kind == "drip":  # ("drip", seconds between bytes): headers at once, then one byte at a time
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.end_headers()
            try:
                for byte in b"BEGIN:VCALENDAR\r\n" * 100:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(route[1])
            except OSError:
                pass
            return
        if kind == "redirect":
            self.send_response(302)
            self.send_header("Location", route[1])
            self.end_headers()
        elif kind == "slow":
            time.sleep(route[1])
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        elif kind == "ics":
            body, etag = route[1], route[2] if len(route) > 2 else None
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif kind == "status":
            self.send_response(route[1])
            self.end_headers()


@contextmanager
def calendar_server(routes: dict):
    Handler.routes = routes
    Handler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", Handler.hits
    finally:
        server.shutdown()
        server.server_close()
