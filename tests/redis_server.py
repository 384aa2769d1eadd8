"""A real Redis for tests, started on a loopback port of its own (never the machine's shared one), and the
shared cache on it with the production backend (``on_redis``)."""

import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from core import counters, tokens
from core.cache_backends import breaker_reset
from tests.ports import free_port

REDIS_SERVER = "redis-server"


class RedisServer:
    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process = None
        self.paused = False

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        for _ in range(200):
            try:
                probe.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.process.send_signal(signal.SIGCONT)
        self.paused = False

    def stop(self):
        if self.paused:
            self.resume()
        self.process.terminate()
        self.process.wait(10)

    def raw(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def on_redis(redis_server, settings):
    """The shared cache on that Redis, with the production backend; a long breaker so that, once Redis has
    failed, nothing more is sent to it until the test says it is back (``back``)."""
    settings.CACHES = {"default": {
        "BACKEND": "core.cache_backends.ResilientRedisCache",
        "LOCATION": f"redis://127.0.0.1:{redis_server.port}/0",
        "OPTIONS": {"socket_timeout": 0.3, "socket_connect_timeout": 0.3, "BREAKER_SECONDS": 60},
    }}
    breaker_reset()
    tokens._repairs_due = False
    counters._local.clear()
    yield redis_server
    breaker_reset()
    tokens._repairs_due = False
    counters._local.clear()
