"""bin/run serves where HOST and PORT say, and says so (the README's two commands, really run)."""

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="once is enough: SQLite pass")
def test_bin_run_prints_and_serves_the_port_it_uses(tmp_path):
    port = free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
           "Q_WORKERS": "1"}
    for name in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG", "TEST_CLOCK_SHIFT_DAYS"):
        env.pop(name, None)
    env.pop("PUBLIC_BASE_URL", None)
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen([str(ROOT / "bin" / "run")], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and status is None:
            time.sleep(0.5)
            assert process.poll() is None, log.read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/docs/", timeout=2) as r:
                    status = r.status
            except OSError:
                continue
        assert status == 200, log.read_text()[-2000:]
        text = log.read_text()
        assert f"Serving on http://127.0.0.1:{port}/" in text
        assert f"http://127.0.0.1:{port}/api/v1/docs/" in text.split("Demo accounts", 1)[1]  # the demo's hint
        assert ":8000" not in text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
