"""Throughput of a 50 MB download: through the app, through nginx X-Accel-Redirect,
and from nginx directly, in one run.

    .venv/bin/python bench/downloads.py                 # 50 MB, 11 rounds each
    .venv/bin/python bench/downloads.py --mb 200 --rounds 3

A fresh data directory (SQLite) gets a reader, a document whose original is --mb of
random bytes, and a logged-in session (tests/commerce/live_setup.py). Then, on
127.0.0.1 only:

* ``app``: granian (1 worker, 1 blocking thread, as scripts/run.sh runs it) streams
  the file itself (FileResponse → wsgi.file_wrapper), after the signed-link,
  entitlement and cached-sha256 checks;
* ``app via nginx``: the same app behind nginx as a plain reverse proxy;
* ``x-accel``: a second granian with WENKU_X_ACCEL_REDIRECT=1 behind nginx: Django
  checks and answers with X-Accel-Redirect, nginx sends the file (sendfile);
* ``nginx direct``: nginx serving the same file from the originals directory with no
  application involved — the yardstick.

Each round is one curl download of the whole file to /dev/null with the session
cookie; the median MB/s per path is reported, with its ratio to nginx direct.
Targets (issue 3): x-accel ≥ 0.9× nginx direct, app ≥ 0.3×.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(CHECKOUT))

from tests.commerce import live  # noqa: E402  (the checkout is put on the path first)

CURL = shutil.which("curl") or "curl"


def fetch(url: str, cookie: str | None, expected_size: int) -> float:
    """Download once; returns MB/s as curl measured it (bytes / total time)."""
    command = [CURL, "-sS", "-f", "-o", "/dev/null", "-w", "%{size_download} %{time_total}"]
    if cookie:
        command += ["-b", cookie]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    size, seconds = out.split()
    if int(float(size)) != expected_size:
        raise SystemExit(f"{url}: got {size} bytes, expected {expected_size}")
    return expected_size / float(seconds) / 1e6


def measure(paths: dict[str, tuple[str, str | None]], size: int, rounds: int) -> dict:
    """Median MB/s per path. Rounds go round-robin over the paths, so a burst of load
    from anything else on the machine hits every path alike."""
    for url, cookie in paths.values():
        fetch(url, cookie, size)  # warm-up: page cache, verification cache, connections
    speeds: dict[str, list[float]] = {name: [] for name in paths}
    for _round in range(rounds):
        for name, (url, cookie) in paths.items():
            speeds[name].append(fetch(url, cookie, size))
    return {
        name: {
            "median_MBps": round(statistics.median(values), 1),
            "min_MBps": round(min(values), 1),
            "max_MBps": round(max(values), 1),
        }
        for name, values in speeds.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    size = args.mb * 1024 * 1024
    if not Path(live.NGINX).exists():
        raise SystemExit("nginx is not installed: apt-get install nginx-light")

    with tempfile.TemporaryDirectory(prefix="wenku-bench-downloads-") as folder:
        root = Path(folder)
        data_dir = root / "data"
        info = live.prepare(data_dir, size)
        app_port, accel_port = live.free_port(), live.free_port()
        proxy_port, accel_nginx_port = live.free_port(), live.free_port()
        with (
            live.granian(data_dir, app_port) as app,
            live.granian(data_dir, accel_port, WENKU_X_ACCEL_REDIRECT="1"),
            live.nginx(root / "nginx-proxy", proxy_port, app_port, info["originals"]) as proxy,
            live.nginx(
                root / "nginx-accel", accel_nginx_port, accel_port, info["originals"]
            ) as accel,
        ):
            paths = {
                "app": (app + info["path"], info["cookie"]),
                "app via nginx": (proxy + info["path"], info["cookie"]),
                "x-accel": (accel + info["path"], info["cookie"]),
                "nginx direct": (f"{accel}/direct/{info['storage_name']}", None),
            }
            results = measure(paths, size, args.rounds)
        direct = results["nginx direct"]["median_MBps"]
        print(f"{args.mb} MB file, {args.rounds} rounds each, median (min–max) MB/s:")
        for name, figures in results.items():
            figures["vs_nginx_direct"] = round(figures["median_MBps"] / direct, 2)
            print(
                f"  {name:14} {figures['median_MBps']:8.1f}  "
                f"({figures['min_MBps']:.1f}–{figures['max_MBps']:.1f})  "
                f"{figures['vs_nginx_direct']:.2f}× nginx direct"
            )
        print(json.dumps({"mb": args.mb, "rounds": args.rounds, "results": results}))


if __name__ == "__main__":
    main()
