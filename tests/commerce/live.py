"""Running the real thing on loopback for tests and benchmarks: a data directory
prepared by ``live_setup``, granian serving ``wenku.wsgi``, and nginx in front of it
(X-Accel-Redirect) with a configuration written to a temporary directory.

Every process started here is ours, bound to 127.0.0.1, and stopped by its pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
GRANIAN = Path(sys.executable).with_name("granian")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "WENKU_DATA_DIR": str(data_dir), **extra}
    env.pop("WENKU_DATABASE_URL", None)  # the data directory's own SQLite file
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def prepare(data_dir: Path, size: int) -> dict:
    """Migrate a fresh data directory and create a reader, a document and a session."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.commerce.live_setup", str(size)],
        cwd=CHECKOUT,
        env=app_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"live_setup failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def stop(proc: subprocess.Popen) -> None:
    """Ask a server to stop; kill it if it has not within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # the server answered
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def granian(data_dir: Path, port: int, **env: str) -> Iterator[str]:
    """granian serving the app on 127.0.0.1:port, the way scripts/run.sh does."""
    log = (data_dir / f"granian-{port}.log").open("w")
    proc = subprocess.Popen(
        [
            str(GRANIAN),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--blocking-threads",
            "1",
            "--no-ws",
            "wenku.wsgi:application",
        ],
        cwd=CHECKOUT,
        env=app_env(data_dir, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/")
        yield base
    finally:
        stop(proc)
        log.close()


NGINX_CONF = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
daemon off;
{user}
events {{ worker_connections 256; }}
http {{
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    # Keep connections to the app open: a new TCP connection per download costs more
    # than the Django view itself.
    upstream wenku_app {{
        server 127.0.0.1:{upstream};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        # What WENKU_X_ACCEL_PREFIX points at: reachable only through X-Accel-Redirect.
        location /_originals/ {{
            internal;
            alias {originals}/;
        }}
        # The same files served directly, as the benchmark's yardstick.
        location /direct/ {{
            alias {originals}/;
        }}
        location / {{
            proxy_pass http://wenku_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx(root: Path, port: int, upstream: int, originals: str) -> Iterator[str]:
    """nginx on 127.0.0.1:port proxying to the app on ``upstream``."""
    root.mkdir(parents=True, exist_ok=True)
    # As root, workers would drop to "nobody", who cannot read a private temp dir.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = root / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            root=root,
            port=port,
            upstream=upstream,
            originals=originals,
            user=user,
        )
    )
    proc = subprocess.Popen(
        [NGINX, "-p", str(root), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=(root / "stderr.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/direct/", timeout=10)
        yield base
    finally:
        stop(proc)


@contextlib.contextmanager
def cutting_proxy(upstream: int, cut_after: int) -> Iterator[str]:
    """A loopback TCP proxy that drops each connection after relaying ``cut_after``
    bytes of the server's answer: a download broken mid-way, as a flaky network
    would break it, whatever the client's or server's speed."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def pump(source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while limit is None or sent < limit:
                data = source.recv(min(65536, limit - sent) if limit else 65536)
                if not data:
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", upstream))
            threading.Thread(target=pump, args=(client, server, None), daemon=True).start()
            threading.Thread(target=pump, args=(server, client, cut_after), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)
