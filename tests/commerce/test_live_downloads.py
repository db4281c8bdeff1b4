"""Resuming broken downloads against the running server: `curl -C -` and `wget -c`
against granian, and through nginx with X-Accel-Redirect.

Each transfer is really interrupted (a proxy drops the connection part-way), then
resumed by the tool's own resume option; the result must hash to the original's
sha256, and the server's log must show the resume as a Range request.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.commerce import live

SIZE = 6 * 1024 * 1024
CUT_AFTER = 2_500_000  # bytes of the first answer that get through before the break

CURL = shutil.which("curl")
WGET = shutil.which("wget")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("live-data")
    info = live.prepare(data_dir, SIZE)
    port = live.free_port()
    with live.granian(data_dir, port) as base:
        yield {**info, "base": base, "data_dir": data_dir}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def logged_ranges(data_dir: Path) -> list[tuple[int, int, int]]:
    """(status, range_start, counted) of the downloads the server recorded."""
    with sqlite3.connect(data_dir / "wenku.sqlite3") as db:
        return db.execute(
            "SELECT status, range_start, counted FROM commerce_downloadlog ORDER BY id"
        ).fetchall()


def broken_download(command: list[str], url: str, target: Path) -> int:
    """Start a download through a proxy that cuts the connection part-way; returns the
    bytes that reached the file."""
    upstream = int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    with live.cutting_proxy(upstream, CUT_AFTER) as proxy:
        subprocess.run([*command, proxy + path], capture_output=True, timeout=60, check=False)
    got = target.stat().st_size if target.exists() else 0
    assert 0 < got < SIZE, f"the first attempt should be partial, got {got} bytes"
    return got


@pytest.mark.skipif(CURL is None, reason="curl is not installed (apt-get install curl)")
def test_curl_resumes(site, tmp_path):
    url = site["base"] + site["path"]
    target = tmp_path / "download.pdf"
    got = broken_download([CURL, "-sS", "-f", "-b", site["cookie"], "-o", str(target)], url, target)
    resumed = subprocess.run(
        [CURL, "-sS", "-f", "-C", "-", "-b", site["cookie"], "-o", str(target), url],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert resumed.returncode == 0, resumed.stderr
    assert target.stat().st_size == SIZE
    assert sha256(target) == site["sha256"]
    assert (206, got, 0) in logged_ranges(site["data_dir"])


@pytest.mark.skipif(WGET is None, reason="wget is not installed (apt-get install wget)")
def test_wget_resumes(site, tmp_path):
    url = site["base"] + site["path"]
    target = tmp_path / "download.pdf"
    wget = [WGET, "-q", "--header", f"Cookie: {site['cookie']}", "-O", str(target)]

    got = broken_download([*wget, "--tries=1"], url, target)
    resumed = subprocess.run([*wget, "-c", url], capture_output=True, text=True, timeout=60)

    assert resumed.returncode == 0, resumed.stderr
    assert sha256(target) == site["sha256"]
    assert (206, got, 0) in logged_ranges(site["data_dir"])


@pytest.mark.skipif(CURL is None, reason="curl is not installed (apt-get install curl)")
def test_headers_over_the_wire(site):
    url = site["base"] + site["path"]
    head = subprocess.run(
        [CURL, "-sS", "-I", "-b", site["cookie"], url], capture_output=True, text=True, timeout=30
    ).stdout
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in head.splitlines()[1:] if line)
    }
    assert head.startswith("HTTP/1.1 200")
    assert headers["content-length"] == str(SIZE)
    assert headers["accept-ranges"] == "bytes"
    assert headers["etag"] == f'"{site["sha256"]}"'
    assert "filename*=UTF-8''%E6%96%AD%E7%82%B9" in headers["content-disposition"]

    past_end = subprocess.run(
        [
            CURL,
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-r",
            f"{SIZE}-",
            "-b",
            site["cookie"],
            url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    assert past_end == "416"


@pytest.mark.skipif(
    CURL is None or not Path(live.NGINX).exists(),
    reason="needs curl and nginx (apt-get install curl nginx-light)",
)
def test_curl_resumes_through_nginx_x_accel_redirect(tmp_path):
    data_dir = tmp_path / "data"
    info = live.prepare(data_dir, SIZE)
    app_port, nginx_port = live.free_port(), live.free_port()
    cookie = ["-b", info["cookie"]]
    with (
        live.granian(data_dir, app_port, WENKU_X_ACCEL_REDIRECT="1"),
        live.nginx(tmp_path / "nginx", nginx_port, app_port, info["originals"]) as base,
    ):
        url = base + info["path"]
        target = tmp_path / "download.pdf"
        got = broken_download([CURL, "-sS", "-f", *cookie, "-o", str(target)], url, target)
        headers_file = tmp_path / "headers"
        resume = [CURL, "-sS", "-f", "-C", "-", *cookie, "-o", str(target), "-D", str(headers_file)]
        resumed = subprocess.run([*resume, url], capture_output=True, text=True, timeout=60)

        assert resumed.returncode == 0, resumed.stderr
        assert sha256(target) == info["sha256"]
        headers = headers_file.read_text().lower()
        assert headers.startswith("http/1.1 206")
        assert "server: nginx" in headers  # nginx sent the bytes…
        assert "x-accel-redirect" not in headers  # …and consumed the header
        assert "filename*=utf-8''" in headers
        # The internal location cannot be reached from outside.
        status = [CURL, "-s", "-o", "/dev/null", "-w", "%{http_code}"]
        internal = f"{base}/_originals/{info['storage_name']}"
        direct = subprocess.run([*status, internal], capture_output=True, text=True, timeout=30)
        assert direct.stdout == "404"
    rows = logged_ranges(data_dir)
    assert rows[-1][1] == got and rows[-1][2] == 0
