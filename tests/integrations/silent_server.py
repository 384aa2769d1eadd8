"""Loopback servers for the slowest providers there can be: one that takes connections and never answers, and
one that answers a byte at a time."""

import socket
import threading
from collections.abc import Callable
from contextlib import contextmanager


@contextmanager
def loopback_server(on_connection: Callable[[socket.socket, threading.Event], None]):
    """A listener on a free loopback port handing each connection to ``on_connection`` (with the event set when
    the server stops); yields its URL. Closes the listener at the end."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            on_connection(conn, stop)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()


@contextmanager
def silent_server():
    """Yields its URL and the connections it holds (read nothing, answer nothing)."""
    held: list[socket.socket] = []
    try:
        with loopback_server(lambda conn, stop: held.append(conn)) as url:
            yield url, held
    finally:
        for conn in held:
            conn.close()


@contextmanager
def dripping_server(every: float, lasting: float):
    """A server that reads each request, then sends an answer a byte every ``every`` seconds, for ``lasting``
    seconds or until the client hangs up: each read gets its byte inside any timeout longer than ``every``.
    Yields its URL and how many bytes it sent."""
    sent = [0]
    answer = b"HTTP/1.1 207 Multi-Status\r\nContent-Type: text/xml\r\nX-Slow: " + b"a" * int(lasting / every)

    def drip(conn: socket.socket, stop: threading.Event):
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                for byte in answer:
                    if stop.wait(every):
                        return
                    conn.sendall(bytes([byte]))
                    sent[0] += 1
            except OSError:  # the client hung up
                return

    with loopback_server(lambda conn, stop: threading.Thread(target=drip, args=(conn, stop), daemon=True).start()) \
            as url:
        yield url, sent
