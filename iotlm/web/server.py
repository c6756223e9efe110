"""Serving the web app: uvicorn on a thread of ``iotlm run`` (and of the demo), beside the rules and MQTT chat."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import threading
import time
from typing import Any

from iotlm.agent.session import Agent
from iotlm.automations.store import RuleStore
from iotlm.errors import SetupError, UserError
from iotlm.policies.users import UserStore
from iotlm.runtime import Runtime
from iotlm.web import DEFAULT_BIND
from iotlm.web.app import create_app
from iotlm.web.auth import Auth, is_loopback
from iotlm.web.chatlog import ChatLog
from iotlm.web.client import SERVICE_FILE
from iotlm.web.events import EventHub
from iotlm.web.home import WebHome

log = logging.getLogger(__name__)


def parse_bind(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8321`` for IPv6; ``:8321`` is loopback)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UserError(f"--web {text!r}: give HOST:PORT, e.g. 127.0.0.1:8321 (or 0.0.0.0:8321 to serve the LAN)")
    return host.strip("[]") or "127.0.0.1", int(port)


class WebServer:
    def __init__(self, agent: Agent[Runtime], *, bind: str = DEFAULT_BIND, rules: RuleStore | None = None,
                 service_file: bool = True) -> None:
        settings = agent.runtime.settings
        self.host, self.port = parse_bind(bind)
        self.users = UserStore(settings.home / "iotlm.db")
        self.hub = EventHub().attach(agent.runtime)
        self._notices = getattr(agent.runtime, "notices", None)
        if self._notices is not None:  # a notice, live, for the people it is meant for
            self._notices.listeners.append(self._on_notice)
        self._own_rules = rules is None
        self.rules = rules or RuleStore(settings.home / "rules.db")
        self.chat = ChatLog(settings.home / "iotlm.db")
        self.home = WebHome(agent, self.users, self.rules, self.hub, self.chat)
        self.token = secrets.token_urlsafe(32)
        self.auth = Auth(self.home, service_token=self.token)
        self.app = create_app(self.home, self.auth)
        self._service_file = settings.home / SERVICE_FILE if service_file else None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def _on_notice(self, notice: dict[str, Any], to: list[str]) -> None:
        self.hub.emit("notice", {**notice, "to": to})

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def start(self, timeout: float = 10.0) -> WebServer:
        import uvicorn

        if not is_loopback(self.host) and len(self.users) == 0:
            raise SetupError(f"the web app would be open to the network on {self.host} with nobody to sign in: add a user "
                             "first (iotlm users add NAME --role admin), or serve loopback only (--web 127.0.0.1:8321)")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # inherited by each connection: uvicorn writes a response's head and body apart, and without it the body of a
        # kept-alive connection waited ~40 ms for the client's delayed ACK (measured: 44 ms p50 for /api/health)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise SetupError(f"cannot serve the web app on {self.host}:{self.port}: {exc.strerror or exc}; pick another "
                             "with --web HOST:PORT, or --no-web") from exc
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name="iotlm-web", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self._server.started:
            raise SetupError(f"the web app did not start on {self.url} within {timeout:g} s")
        self._write_service_file()
        log.info("web app on %s", self.url)
        return self

    def _write_service_file(self) -> None:
        if self._service_file is None:
            return
        data = {"url": self.url, "pid": os.getpid(), "token": self.token, "home": str(self._service_file.parent.resolve())}
        tmp = self._service_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
        os.replace(tmp, self._service_file)

    def stop(self) -> None:
        if self._notices is not None and self._on_notice in self._notices.listeners:
            self._notices.listeners.remove(self._on_notice)
        self.hub.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._service_file is not None:
            with contextlib.suppress(OSError):
                data = json.loads(self._service_file.read_text())
                if data.get("token") == self.token:
                    self._service_file.unlink()
        self.users.close()
        self.chat.close()
        if self._own_rules:
            self.rules.close()


__all__ = ["WebServer", "parse_bind"]
