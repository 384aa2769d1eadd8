"""A loopback server that takes connections and never answers: the slowest provider there can be."""

import socket
import threading
from contextlib import contextmanager


@contextmanager
def silent_server():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)  # read nothing, answer nothing

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", held
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@contextmanager
def dripping_server(every: float, lasting: float):
    """A loopback server that reads each request, then sends an answer a byte every ``every`` seconds, for
    ``lasting`` seconds or until the client hangs up: each read gets its byte inside any timeout longer than
    ``every``. Yields its URL and how many bytes it sent."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    sent = [0]
    stop = threading.Event()
    answer = b"HTTP/1.1 207 Multi-Status\r\nContent-Type: text/xml\r\nX-Slow: " + b"a" * int(lasting / every)

    def drip(conn):
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

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", sent
    finally:
        stop.set()
        thread.join()
        listener.close()
