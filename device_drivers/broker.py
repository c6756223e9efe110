"""An MQTT broker for when none is configured: Mosquitto as a child process.

Always bound to 127.0.0.1 on a free port. Use it as a context manager or call ``stop()``;
it is also stopped at interpreter exit. (An in-process amqtt fallback used to stand in when
Mosquitto was missing; it delivered retained messages that did not match a subscriber's
filter, so it is gone: ``scripts/install.sh`` installs Mosquitto instead.)
"""

from __future__ import annotations

import atexit
import contextlib
import getpass
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from iotlm.errors import SetupError

log = logging.getLogger(__name__)

_MOSQUITTO_PLACES = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto")


def find_mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((p for p in _MOSQUITTO_PLACES if os.access(p, os.X_OK)), None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, timeout: float, alive: Any = lambda: True) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.01)
    return False


class BrokerUnavailable(SetupError):
    """No broker could be started; says how to install one or which to use instead."""


class EmbeddedBroker:
    """A Mosquitto broker on 127.0.0.1, on a free port unless ``port`` is given."""

    def __init__(self, port: int | None = None, *, anonymous: bool = True, extra_config: list[str] | None = None,
                 persistence: Path | None = None) -> None:
        """``persistence``: a folder where the broker keeps sessions and retained messages across its own restarts
        (as a home broker does); by default it keeps nothing."""
        self.requested_port = port
        self.anonymous = anonymous
        self.persistence = persistence
        self.extra_config = list(extra_config or [])
        """More mosquitto.conf lines (tests: password files, ACLs, TLS listeners)."""
        self.port = 0
        self.impl = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        mosquitto = find_mosquitto()
        if mosquitto is None:
            raise BrokerUnavailable("no broker given and Mosquitto is not installed to start one: install it "
                                    "(scripts/install.sh does; or apt-get install mosquitto, brew install mosquitto), "
                                    "or pass --broker mqtt://host:port")
        self._start_mosquitto(mosquitto)
        atexit.register(self.stop)
        log.info("embedded %s broker listening on %s", self.impl, self.url)
        return self

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ mosquitto

    def _start_mosquitto(self, binary: str) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="iotlm-broker-")
        if self.persistence is not None:
            self.persistence.mkdir(parents=True, exist_ok=True)  # mosquitto does not make it, and then keeps nothing
        last_error = ""
        for _ in range(5):  # a free port can be taken between probe and bind: retry
            self.port = self.requested_port or free_port()
            conf = Path(self._dir.name) / "mosquitto.conf"
            lines = [
                f"listener {self.port} 127.0.0.1",
                f"allow_anonymous {'true' if self.anonymous else 'false'}",
                *(["persistence true", f"persistence_location {self.persistence}/", "autosave_interval 1"]
                  if self.persistence else ["persistence false"]),
                "max_queued_messages 0",
                "set_tcp_nodelay true",
                "log_dest stderr",
                "log_type error",
                "log_type warning",
                *self.extra_config,
            ]
            if os.geteuid() == 0:
                lines.append(f"user {getpass.getuser()}")
            conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
            log_file = Path(self._dir.name) / "mosquitto.log"
            with log_file.open("wb") as err:
                self._proc = subprocess.Popen(
                    [binary, "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                )
            if _wait_listening(self.port, 5.0, alive=lambda proc=self._proc: proc.poll() is None):
                self.impl = "mosquitto"
                return
            self._kill_proc()
            last_error = log_file.read_text(errors="replace").strip()
            if self.requested_port:
                break
        raise RuntimeError(f"mosquitto did not start on 127.0.0.1:{self.port}: {last_error or 'no output'}")

    def _kill_proc(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None

    # ------------------------------------------------------------ stop

    def stop(self) -> None:
        self._kill_proc()
        if self._dir is not None:
            with contextlib.suppress(OSError):
                self._dir.cleanup()
            self._dir = None


__all__ = ["BrokerUnavailable", "EmbeddedBroker", "find_mosquitto", "free_port"]
