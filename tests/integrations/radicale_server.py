"""A real CalDAV server for the tests: Radicale (from pip) on a loopback port, htpasswd auth, a temp folder."""

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from tests.ports import free_port

USERS = {"ann": "ann-app-password", "bob": "bob-app-password"}


def write_users(folder: Path, users: dict[str, str]) -> None:
    (folder / "users").write_text("".join(f"{name}:{password}\n" for name, password in users.items()))


@contextmanager
def radicale(folder: Path):
    port = free_port()
    write_users(folder, USERS)
    (folder / "config").write_text(f"""[server]
hosts = 127.0.0.1:{port}
[auth]
type = htpasswd
htpasswd_filename = {folder / "users"}
htpasswd_encryption = plain
[storage]
filesystem_folder = {folder / "collections"}
[rights]
type = owner_only
[logging]
level = warning
""")
    process = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(folder / "config")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Radicale did not start: {process.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
