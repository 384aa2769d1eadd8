"""The process's own metrics (Prometheus). Under gunicorn every worker process writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` (set by bin/serve before anything imports prometheus_client) and the /metrics view
adds them up; figures read from the database at scrape time live in ops.metrics."""

from prometheus_client import Counter, Histogram

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

requests_total = Counter(
    "interviews_http_requests_total", "HTTP requests answered, by view, method and status", ["view", "method", "status"]
)
request_seconds = Histogram(
    "interviews_http_request_duration_seconds",
    "Time to answer an HTTP request, by view",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
booking_conflicts_total = Counter(
    "interviews_booking_conflicts_total", "Bookings refused because a participant was not free (409 slot_unavailable)"
)
tasks_total = Counter("interviews_tasks_total", "Background tasks run, by task and result", ["task", "result"])
calendar_syncs_total = Counter(
    "interviews_calendar_syncs_total", "Calendar syncs run by the worker, by kind and result", ["kind", "result"]
)


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"  # a client chooses the method: keep the labels bounded
    requests_total.labels(view, method, str(status)).inc()
    request_seconds.labels(view, method).observe(seconds)
