"""Connections shut when a deadline passes, whatever the server sends.

A socket timeout bounds each read, not a whole answer: a server that sends a byte just inside each read's
timeout can hold a call without end. Inside ``cut_off_after(seconds)`` every socket handed to ``watch`` is shut
down when the time is up, so the read waiting on it ends at once and the call fails; the block's ``Cutoff``
then says ``cut``. The urllib3 pools here (``WatchedHTTPConnectionPool``, ``WatchedHTTPSConnectionPool``) hand
every socket they open to ``watch``, before any TLS handshake: the clients that talk to servers users name
use them (the iCal fetch, CalDAV). With no time limit nothing is watched. Blocks nest; a socket is watched by
the innermost.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import urllib3

_current = threading.local()


class Cutoff:
    """The sockets opened under one deadline; ``cut`` is True once they were shut.

    It keeps a duplicate of each socket's descriptor: a TLS wrapper takes the original over (the socket object
    handed to ``watch`` is closed then), and shutting down any descriptor of a socket shuts the connection.
    The duplicates are its own, closed with the block, so no descriptor number is ever reused under it."""

    def __init__(self) -> None:
        self.cut = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            duplicate = sock.dup()
            self._sockets.append(duplicate)
            if self.cut:  # opened after the deadline: shut at once
                _shut(duplicate)

    def shut_all(self) -> None:
        with self._lock:
            self.cut = True
            for sock in self._sockets:
                _shut(sock)

    def close(self) -> None:
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed, or never connected
        pass


@contextmanager
def cut_off_after(seconds: float | None) -> Iterator[Cutoff | None]:
    """Watch the sockets opened in this block (in this thread) and shut them ``seconds`` from now (None: no
    limit). Yields the ``Cutoff`` (None without a limit)."""
    if seconds is None:
        yield None
        return
    cutoff = Cutoff()
    timer = threading.Timer(max(seconds, 0.0), cutoff.shut_all)
    timer.daemon = True
    outer = getattr(_current, "cutoff", None)
    _current.cutoff = cutoff
    timer.start()
    try:
        yield cutoff
    finally:
        timer.cancel()
        cutoff.close()
        _current.cutoff = outer


def watch(sock: socket.socket) -> None:
    """Shut ``sock`` at the end of the ``cut_off_after`` block this thread is in (if any)."""
    cutoff = getattr(_current, "cutoff", None)
    if cutoff is not None:
        cutoff.watch(sock)


class _Watched:
    """An HTTP connection that hands its socket to ``watch`` as soon as it is made (before a TLS handshake)."""

    def _new_conn(self):
        sock = super()._new_conn()
        watch(sock)
        return sock


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class WatchedHTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class WatchedHTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


WATCHED_POOLS = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}
