"""Office documents to PDF with LibreOffice: a supervised warm server and a one-shot CLI.

A warm ``unoserver`` converts a small document in a fraction of a second where a cold
``soffice`` pays over a second of start-up every time, so text documents and slides go
to one long-lived server per worker process. LibreOffice can crash or hang on hostile
input, and a crash takes the whole instance down, so the server is supervised: it runs
in its own process group (so the group kill also reaches ``soffice.bin``), under an
address-space limit, and is restarted after a crash, after a timeout and every
``WENKU_CONVERTER_RECYCLE_AFTER`` conversions. A failure is charged to the document being
converted, never to the service.

Both converters run with FONTCONFIG_FILE pointing at ``wenku/fontconfig/fonts.conf``,
which maps the fonts Chinese documents name (宋体, 黑体, 仿宋_GB2312 ...) to open fonts.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import logging
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from unoserver.client import UnoClient

from wenku.documents.pipeline.errors import RejectedDocument

logger = logging.getLogger(__name__)

FONTCONFIG_FILE = Path(__file__).resolve().parent.parent.parent / "fontconfig" / "fonts.conf"

# unoserver sleeps 7 s by design before it serves; a loaded machine needs more.
STARTUP_TIMEOUT = 90
PROBE_TIMEOUT = 10  # one info() round trip to a healthy server takes milliseconds
# The server's own --conversion-timeout is a backstop behind the client's deadline.
SERVER_TIMEOUT_MARGIN = 30
# LibreOffice prints this, and exits 0, when no import filter can read the file.
CLI_LOAD_ERROR = "source file could not be loaded"
UNO_LOAD_ERROR = "Could not load document"


class ConverterUnavailable(RuntimeError):
    """The warm server could not be started: a fault of the machine, not of a document."""


class WarmConversionFailed(RejectedDocument):
    """The warm server failed on this document in a way the one-shot CLI may not.

    LibreOffice 7.4 loads some files through the CLI that it cannot load, or crashes
    on, through UNO (XLSX does both), so callers may retry such a document once with
    :func:`convert_with_cli` before giving up on it.
    """


class ConverterCrashed(WarmConversionFailed):
    """LibreOffice died while converting this document; the server is restarting."""

    def __init__(self, detail: str) -> None:
        super().__init__("conversion_failed", detail)


def child_env() -> dict[str, str]:
    """The environment of a LibreOffice child: ours, plus the font substitutions."""
    return {**os.environ, "FONTCONFIG_FILE": str(FONTCONFIG_FILE)}


def memory_limiter(memory_mb: int) -> Callable[[], None]:
    """A ``preexec_fn`` capping the child's address space (inherited by soffice.bin).

    It only calls setrlimit, which takes no lock, so it is safe to run between fork and
    exec even when other threads exist. LibreOffice 7.4 starts and converts under 1 GB.
    """
    limit = memory_mb * 1024 * 1024

    def limit_address_space() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return limit_address_space


def start_limited(
    command: list[str], *, memory_mb: int, stderr: int = subprocess.STDOUT
) -> subprocess.Popen:
    """Start a converter child: its own process group (so a timeout can kill all it
    started), capped address space, and the font substitutions."""
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=child_env(),
        start_new_session=True,
        preexec_fn=memory_limiter(memory_mb),
    )


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a child's whole process group and reap the child.

    The group outlives its leader when soffice.bin is still running, so the group is
    killed even if the leader has already exited.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(text: str, limit: int = 500) -> str:
    return text.strip()[-limit:]


class _TimeoutTransport(xmlrpc.client.Transport):
    """XML-RPC transport whose socket gives up after ``timeout`` seconds."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):  # type: ignore[no-untyped-def]
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


class _Client(UnoClient):
    """unoserver's client, without its 5 x 10 s reconnection loop.

    We supervise the server ourselves; a refused connection must surface at once.
    """

    def _connect(self, proxy, retries=1, sleep=0):  # type: ignore[no-untyped-def]
        return super()._connect(proxy, retries=1, sleep=0)


def _call_with_deadline(function: Callable[[], object], timeout: float) -> None:
    """Run ``function`` in a daemon thread and wait at most ``timeout`` seconds.

    The XML-RPC call has no timeout of its own. A daemon thread (not an executor, whose
    threads are joined at interpreter exit) cannot keep the process alive; the caller
    kills the server on TimeoutError, which ends the blocked call.
    """
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            function()
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, name="unoserver-call", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout} s")
    if outcome:
        raise outcome[0]


# Every converter this process made, so that exit stops them all, not only the singleton.
_instances: weakref.WeakSet[WarmConverter] = weakref.WeakSet()


class WarmConverter:
    """One supervised ``unoserver`` and the LibreOffice it drives.

    Thread-safe: conversions are serialised, since one LibreOffice converts one
    document at a time anyway. Scale out with more worker processes.
    """

    def __init__(
        self, *, timeout: int, memory_mb: int, recycle_after: int, profile_root: Path
    ) -> None:
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.recycle_after = recycle_after
        self.profile_root = profile_root
        self.owner_pid = os.getpid()
        self._lock = threading.RLock()
        self._proc: subprocess.Popen | None = None
        self._port = 0
        self._profile: Path | None = None
        self._ready = False
        self._started_at = 0.0
        self._conversions = 0
        _instances.add(self)

    @classmethod
    def from_settings(cls) -> WarmConverter:
        return cls(
            timeout=settings.WENKU_CONVERT_TIMEOUT,
            memory_mb=settings.WENKU_CONVERT_MEMORY_MB,
            recycle_after=settings.WENKU_CONVERTER_RECYCLE_AFTER,
            profile_root=Path(settings.DATA_DIR) / "libreoffice",
        )

    @property
    def pid(self) -> int | None:
        """The server's pid, which is also its process group id."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Start the server in the background if it is not running; does not wait."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._restart()

    def stop(self) -> None:
        """Kill the server and everything it started, and remove its profile."""
        with self._lock:
            if self._proc is not None:
                kill_group(self._proc)
                logger.info("unoserver stopped pid=%s", self._proc.pid)
            self._proc = None
            self._ready = False
            if self._profile is not None:
                shutil.rmtree(self._profile, ignore_errors=True)
                self._profile = None

    def convert(self, src: Path, dst: Path, *, timeout: int | None = None) -> Path:
        """Convert ``src`` (whose extension names its format) to the PDF ``dst``.

        Raises RejectedDocument: "timeout"; WarmConversionFailed ("corrupt" when
        LibreOffice cannot load the file, ConverterCrashed when it died on it), worth one
        retry through the CLI; "conversion_failed" otherwise. Raises ConverterUnavailable
        when the server cannot be started.
        """
        timeout = timeout or self.timeout
        dst.unlink(missing_ok=True)  # a retried task must not pick up an old PDF
        with self._lock:
            try:
                self._convert_once_more_if_refused(src, dst, timeout)
            finally:
                self._count_and_recycle()
            if not dst.is_file() or dst.stat().st_size == 0:
                raise RejectedDocument("conversion_failed", "LibreOffice wrote no PDF")
        return dst

    def _convert_once_more_if_refused(self, src: Path, dst: Path, timeout: int) -> None:
        # A refused connection means the request never reached LibreOffice (the server
        # died between two documents): not this document's fault, so try again once.
        for attempt in (1, 2):
            self._ensure_ready()
            try:
                self._call(src, dst, timeout)
                return
            except ConnectionRefusedError:
                logger.warning("unoserver refused connection attempt=%s", attempt)
                self._restart()
        raise ConverterUnavailable("unoserver refused the connection twice")

    def _call(self, src: Path, dst: Path, timeout: int) -> None:
        client = _Client(server="127.0.0.1", port=str(self._port), host_location="local")
        started = time.monotonic()
        try:
            _call_with_deadline(
                lambda: client.convert(inpath=str(src), outpath=str(dst), convert_to="pdf"),
                timeout,
            )
            logger.info(
                "libreoffice converted route=warm seconds=%.2f src=%s",
                time.monotonic() - started,
                src.name,
            )
        except TimeoutError as exc:
            logger.warning("libreoffice timed out seconds=%s src=%s", timeout, src.name)
            self._restart()
            raise RejectedDocument("timeout", f"no PDF after {timeout} s") from exc
        except xmlrpc.client.Fault as fault:
            self._raise_for_fault(fault)
        except ConnectionRefusedError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            # The connection broke mid-conversion: LibreOffice (or the server) died.
            logger.warning("libreoffice crashed error=%r src=%s", exc, src.name)
            self._restart()
            raise ConverterCrashed(f"LibreOffice died during conversion: {exc!r}") from exc

    def _raise_for_fault(self, fault: xmlrpc.client.Fault) -> None:
        """Map an exception raised inside the server to a rejection."""
        detail = _tail(fault.faultString)
        if "TimeoutError" in fault.faultString:  # the server's own --conversion-timeout
            self._restart()
            raise RejectedDocument("timeout", detail) from fault
        if not self._healthy():
            logger.warning("libreoffice crashed fault=%s", detail)
            self._restart()
            raise ConverterCrashed(detail) from fault
        if UNO_LOAD_ERROR in fault.faultString:
            raise WarmConversionFailed("corrupt", detail) from fault
        raise RejectedDocument("conversion_failed", detail) from fault

    def _count_and_recycle(self) -> None:
        # LibreOffice leaks memory over many documents; a fresh instance costs seconds.
        self._conversions += 1
        if self._conversions >= self.recycle_after:
            logger.info("unoserver recycled conversions=%s", self._conversions)
            self._restart()

    def _ensure_ready(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                logger.warning("unoserver found dead returncode=%s", self._proc.returncode)
            self._restart()
        if not self._ready:
            self._wait_ready()

    def _restart(self) -> None:
        """Kill the current server, if any, and launch a new one without waiting for it.

        Start-up then overlaps with whatever the caller does before its next document.
        """
        self.stop()
        self.profile_root.mkdir(parents=True, exist_ok=True)
        self._port, uno_port = _free_port(), _free_port()
        self._profile = self.profile_root / f"profile-{self._port}"
        self._conversions = 0
        command = [
            sys.executable, "-m", "unoserver.server",
            "--interface", "127.0.0.1",
            "--port", str(self._port),
            "--uno-port", str(uno_port),
            # unoserver turns this path into a file:// URL itself.
            "--user-installation", str(self._profile),
            "--conversion-timeout", str(self.timeout + SERVER_TIMEOUT_MARGIN),
        ]  # fmt: skip
        self._proc = start_limited(command, memory_mb=self.memory_mb)
        threading.Thread(
            target=_forward_output, args=(self._proc,), name="unoserver-log", daemon=True
        ).start()
        self._started_at = time.monotonic()
        logger.info("unoserver starting pid=%s port=%s", self._proc.pid, self._port)

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = self._started_at + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                returncode = self._proc.returncode
                self.stop()
                raise ConverterUnavailable(f"unoserver exited during start-up: {returncode}")
            if self._healthy():
                self._ready = True
                logger.info(
                    "unoserver ready pid=%s seconds=%.1f",
                    self._proc.pid,
                    time.monotonic() - self._started_at,
                )
                return
            time.sleep(0.2)
        self.stop()
        raise ConverterUnavailable(f"unoserver not ready after {STARTUP_TIMEOUT} s")

    def _healthy(self) -> bool:
        """Whether the server answers info(), which also asks LibreOffice its version."""
        if self._proc is None or self._proc.poll() is not None:
            return False
        transport = _TimeoutTransport(PROBE_TIMEOUT)
        url = f"http://127.0.0.1:{self._port}"
        try:
            with xmlrpc.client.ServerProxy(url, transport=transport, allow_none=True) as proxy:
                proxy.info()
        except (OSError, http.client.HTTPException, xmlrpc.client.Error):
            return False
        return True


def _forward_output(proc: subprocess.Popen) -> None:
    """Pass the server's output to our log: problems as warnings, the rest as debug."""
    assert proc.stdout is not None
    with proc.stdout:
        for raw in proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip()
            if any(word in line for word in ("ERROR", "CRITICAL", "Traceback", "Error:")):
                logger.warning("unoserver output pid=%s line=%s", proc.pid, line)
            else:
                logger.debug("unoserver output pid=%s line=%s", proc.pid, line)


_converter: WarmConverter | None = None
_converter_lock = threading.Lock()


def get_warm_converter() -> WarmConverter:
    """This process's warm converter, started on first use."""
    global _converter
    with _converter_lock:
        if _converter is None or _converter.owner_pid != os.getpid():
            _converter = WarmConverter.from_settings()
            _converter.start()
        return _converter


def shutdown_converters() -> None:
    """Stop this process's converters so no LibreOffice outlives it (runs at exit)."""
    global _converter
    # At interpreter exit the log handlers' streams may already be closed (pytest
    # closes its capture); a failed log line must not print a traceback then.
    logging.raiseExceptions = False
    with _converter_lock:
        for converter in list(_instances):
            if converter.owner_pid == os.getpid():
                converter.stop()
        _converter = None


def _forget_converters_in_child() -> None:
    # A forked child must neither use nor kill its parent's servers.
    global _converter
    _converter = None
    _instances.clear()


atexit.register(shutdown_converters)
os.register_at_fork(after_in_child=_forget_converters_in_child)


def convert_with_cli(src: Path, outdir: Path, timeout: int | None = None) -> Path:
    """Convert ``src`` to ``outdir/<stem>.pdf`` with a one-shot ``soffice``.

    Each run gets a private profile, so runs never share state or lock each other out;
    the profile is seeded from a template (made from the first successful run), which
    saves LibreOffice about a second of first-start set-up per document.
    """
    timeout = timeout or settings.WENKU_CONVERT_TIMEOUT
    outdir.mkdir(parents=True, exist_ok=True)
    tmp_root = Path(settings.WENKU_TMP_DIR)
    tmp_root.mkdir(parents=True, exist_ok=True)
    pdf = outdir / f"{src.stem}.pdf"
    pdf.unlink(missing_ok=True)  # a retried task must not pick up an old PDF
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lo-profile-", dir=tmp_root) as profile_dir:
        profile = Path(profile_dir)
        template = Path(settings.DATA_DIR) / "libreoffice" / "cli-profile-template"
        if template.is_dir():
            shutil.copytree(template, profile, dirs_exist_ok=True)
        returncode, output = _run_soffice(src, outdir, profile, timeout)
        converted = returncode == 0 and pdf.is_file() and pdf.stat().st_size > 0
        if converted and not template.is_dir():
            _save_template(profile, template)
    if not converted:
        code = "corrupt" if CLI_LOAD_ERROR in output else "conversion_failed"
        raise RejectedDocument(code, f"soffice exit {returncode}: {_tail(output)}")
    logger.info(
        "libreoffice converted route=cli seconds=%.2f src=%s", time.monotonic() - started, src.name
    )
    return pdf


def _run_soffice(src: Path, outdir: Path, profile: Path, timeout: int) -> tuple[int, str]:
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    command = [
        soffice, "--headless", "--norestore", "--nolockcheck", "--nologo", "--nodefault",
        "--nofirststartwizard", f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to", "pdf", "--outdir", str(outdir), str(src),
    ]  # fmt: skip
    proc = start_limited(command, memory_mb=settings.WENKU_CONVERT_MEMORY_MB)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        logger.warning("soffice timed out seconds=%s src=%s", timeout, src.name)
        kill_group(proc)
        proc.communicate()
        raise RejectedDocument("timeout", f"no PDF after {timeout} s") from exc
    finally:
        kill_group(proc)  # whatever soffice left behind in its group
    return proc.returncode, output.decode("utf-8", errors="replace")


def _save_template(profile: Path, template: Path) -> None:
    """Publish a used profile as the template; the rename makes concurrent savers safe."""
    template.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="template-", dir=template.parent))
    try:
        shutil.copytree(profile, staging, dirs_exist_ok=True)
        staging.rename(template)
    except OSError:
        pass  # another process published one first
    finally:
        shutil.rmtree(staging, ignore_errors=True)
