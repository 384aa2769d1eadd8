"""Static files (the admin's, the API docs' Swagger assets) served by the app with DEBUG off, after
collectstatic: a real gunicorn-free check through the WSGI stack with whitenoise."""

import subprocess
import sys

from tests.ops.procs import production_env, ROOT


def test_collected_static_files_are_served_with_debug_off(tmp_path):
    env = production_env(tmp_path, DJANGO_ALLOWED_HOSTS="testserver")
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True, timeout=120)
    script = """
from django.test import Client
c = Client()
docs = c.get("/api/v1/docs/")
assert docs.status_code == 200, docs.status_code
import re
assets = re.findall(r'src="(/static/[^"]+)"', docs.content.decode())
assert assets, "no assets in the docs page"
for path in assets + ["/static/admin/css/base.css"]:
    r = c.get(path)
    assert r.status_code == 200, (path, r.status_code)
    body = b"".join(r.streaming_content)
    assert len(body) > 1000, path
    assert "max-age=" in r.get("Cache-Control", ""), path
print("served", len(assets) + 1)
"""
    result = subprocess.run([sys.executable, "-c", "import django; django.setup();" + script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("served")
