"""Connections shut when their time is up (core/cutoff.py); a CalDAV server and a calendar URL dripping their
answers are in tests/integrations/test_caldav.py and test_ical_fetch.py."""

import socket
import time

import pytest

from core import cutoff
from tests.integrations.silent_server import silent_server


def test_a_call_opened_after_its_deadline_is_shut_at_once():
    with silent_server() as (silent, held), cutoff.cut_off_after(0.0) as watching:
        time.sleep(0.05)  # the deadline has passed
        sock = socket.create_connection(("127.0.0.1", int(silent.rsplit(":", 1)[1])), timeout=5)
        cutoff.watch(sock)
        started = time.monotonic()
        assert sock.recv(1) == b""  # shut: the read ends at once, though the server never answers
        assert time.monotonic() - started < 1 and watching.cut
        sock.close()


def test_a_tls_handshake_is_cut_off_too():
    """The socket is watched from before the handshake: a server that never answers the ClientHello is cut
    off at the deadline, not at the (longer) connection timeout."""
    with silent_server() as (silent, held), cutoff.cut_off_after(0.3) as watching:
        port = int(silent.rsplit(":", 1)[1])
        connection = cutoff.WatchedHTTPSConnectionPool.ConnectionCls("127.0.0.1", port, timeout=10)
        started = time.monotonic()
        with pytest.raises(OSError):
            connection.connect()
        assert time.monotonic() - started < 2 and watching.cut and held
        connection.close()


def test_without_a_limit_nothing_is_watched():
    with silent_server() as (silent, held), cutoff.cut_off_after(None) as watching:
        sock = socket.create_connection(("127.0.0.1", int(silent.rsplit(":", 1)[1])), timeout=0.3)
        cutoff.watch(sock)
        with pytest.raises(TimeoutError):  # only the socket's own timeout ends the read
            sock.recv(1)
        sock.close()
    assert watching is None
