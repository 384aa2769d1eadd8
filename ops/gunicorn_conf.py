"""gunicorn's settings for bin/serve, from the environment."""

import gc
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# Logs: the app writes its own JSON request line (core.observability); gunicorn's access log stays off.
accesslog = None
errorlog = "-"
# The proxy in front is trusted for X-Forwarded-* only from these addresses (gunicorn's own default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Load the application once in the master: workers fork ready (and start fast); settings errors stop the master.
preload_app = True
# gunicorn's control socket sits at one fixed path per user: two instances on one machine would fight over it.
control_socket_disable = True


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

# gunicorn's own lines (start, worker boot and exit, timeouts) in the same JSON shape as the app's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.observability.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": ["console"], "propagate": False},
    },
}


def when_ready(server):
    """In the master, before any worker is forked (the app is preloaded): import the URLconf and with it every
    view, so that no worker's first request pays for those imports (about 3 s on a small machine).

    Then freeze what the master holds (modules, classes, settings: some 140,000 objects that live as long as the
    process) out of the garbage collector's sight. A worker's full collections then walk only what its requests
    made: before, each took about 100 ms, and one came every dozen searches over a year (their p95 was 3x their
    p50). Frozen objects are never written by the collector either, so the forked workers keep sharing their
    pages with the master (Python's ``gc.freeze`` documentation)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the property imports)
    gc.freeze()
