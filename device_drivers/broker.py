"""An MQTT broker for when none is configured: Mosquitto as a child process, else amqtt.

Always bound to 127.0.0.1 on a free port. Use it as a context manager or call ``stop()``;
it is also stopped at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import getpass
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

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


class EmbeddedBroker:
    """A broker on 127.0.0.1. ``kind`` is ``"auto"``, ``"mosquitto"`` or ``"amqtt"``."""

    def __init__(self, port: int | None = None, kind: str = "auto") -> None:
        if kind not in ("auto", "mosquitto", "amqtt"):
            raise ValueError(f"broker kind {kind!r}: use auto, mosquitto or amqtt")
        self.requested_port = port
        self.kind = kind
        self.port = 0
        self.impl = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._amqtt_loop: asyncio.AbstractEventLoop | None = None
        self._amqtt_thread: threading.Thread | None = None
        self._amqtt_broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        mosquitto = find_mosquitto() if self.kind in ("auto", "mosquitto") else None
        if self.kind == "mosquitto" and mosquitto is None:
            raise RuntimeError("mosquitto is not installed; install it (apt-get install mosquitto) or use amqtt")
        if mosquitto:
            self._start_mosquitto(mosquitto)
        else:
            self._start_amqtt()
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
        last_error = ""
        for _ in range(5):  # a free port can be taken between probe and bind: retry
            self.port = self.requested_port or free_port()
            conf = Path(self._dir.name) / "mosquitto.conf"
            lines = [
                f"listener {self.port} 127.0.0.1",
                "allow_anonymous true",
                "persistence false",
                "max_queued_messages 0",
                "set_tcp_nodelay true",
                "log_dest stderr",
                "log_type error",
                "log_type warning",
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

    # ------------------------------------------------------------ amqtt

    def _start_amqtt(self) -> None:
        from amqtt.broker import Broker  # type: ignore[import-untyped]

        for noisy in ("amqtt", "transitions"):
            logging.getLogger(noisy).setLevel(logging.CRITICAL)
        self.port = self.requested_port or free_port()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._amqtt_loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._amqtt_broker = Broker(config, loop=loop)
                loop.run_until_complete(self._amqtt_broker.start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._amqtt_thread = threading.Thread(target=run, name="iotlm-amqtt", daemon=True)
        self._amqtt_thread.start()
        ready.wait(15)
        if failure or not ready.is_set():
            raise RuntimeError(f"amqtt did not start on 127.0.0.1:{self.port}: {failure[0] if failure else 'timeout'}")
        self.impl = "amqtt"

    # ------------------------------------------------------------ stop

    def stop(self) -> None:
        self._kill_proc()
        loop, broker = self._amqtt_loop, self._amqtt_broker
        if loop is not None and broker is not None and loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(broker.shutdown(), loop).result(timeout=5)
            loop.call_soon_threadsafe(loop.stop)
            if self._amqtt_thread is not None:
                self._amqtt_thread.join(timeout=5)
        self._amqtt_loop = self._amqtt_broker = None
        if self._dir is not None:
            with contextlib.suppress(OSError):
                self._dir.cleanup()
            self._dir = None
