"""Database connections persist across requests and are checked before reuse: the production default."""

import json
import subprocess
import sys

import pytest

from tests.ops.procs import ROOT, production_env

_READ = ("import json, django; django.setup(); from django.conf import settings; d = settings.DATABASES['default'];"
         "print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))")


def _database(tmp_path, **env):
    result = subprocess.run([sys.executable, "-c", _READ], cwd=ROOT, env=production_env(tmp_path, **env),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("url", [None, "postgres://app@db.internal:5432/interviews"])
def test_connections_persist_and_are_health_checked_by_default(tmp_path, url):
    extra = {"DATABASE_URL": url} if url else {}
    assert _database(tmp_path, **extra) == [60, True]
    assert _database(tmp_path, DATABASE_CONN_MAX_AGE=0, **extra) == [0, True]
