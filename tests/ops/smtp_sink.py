"""A tiny SMTP server on loopback that keeps what it accepts (and can be slow to accept it)."""

import socketserver
import threading
from contextlib import contextmanager


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        sink = self.server.sink
        with sink.lock:
            sink.connections += 1
        self.wfile.write(b"220 sink ready\r\n")
        data_mode, lines = False, []
        for raw in self.rfile:
            line = raw.rstrip(b"\r\n")
            if data_mode:
                if line == b".":
                    data_mode = False
                    sink.receiving.set()
                    sink.release.wait(sink.accept_delay)
                    with sink.lock:
                        sink.messages.append(b"\r\n".join(lines))
                    lines = []
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 sink\r\n")
            elif verb == b"DATA":
                data_mode = True
                self.wfile.write(b"354 go on\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Sink:
    def __init__(self, accept_delay: float = 0.0):
        self.accept_delay = accept_delay
        self.messages: list[bytes] = []
        self.connections = 0
        self.lock = threading.Lock()
        self.receiving = threading.Event()  # a message's data has arrived (the client waits for our answer)
        self.release = threading.Event()


@contextmanager
def smtp_sink(accept_delay: float = 0.0):
    sink = Sink(accept_delay)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.sink = sink
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], sink
    finally:
        sink.release.set()
        server.shutdown()
        server.server_close()
