"""``iotlm ask`` and ``iotlm chat`` through a running ``iotlm run``: its model and embedder are already warm.

``iotlm run`` writes its URL and a service token to ``$IOTLM_HOME/service.json`` (mode 0600) while it serves; the CLI of
the same data directory finds it there. Only the standard library is used, so this costs no start-up time.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iotlm.errors import SetupError, UserError

SERVICE_FILE = "service.json"
RESULT_KEYS = ("reply", "actions", "refused", "needs_confirmation", "tier", "latency_ms", "scheduled", "reading")
"""The ``iotlm ask --json`` object (docs/design.md); the API's answer adds the thread and more."""


def running_service(home: Path) -> dict[str, str] | None:
    """The ``iotlm run`` serving this data directory, if one is up: {"url", "token"}; None otherwise."""
    try:
        data = json.loads((home / SERVICE_FILE).read_text())
        os.kill(int(data["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if Path(str(data.get("home", ""))) != home.resolve():
        return None
    return {"url": str(data["url"]), "token": str(data["token"])}


@dataclass
class Answer:
    """What a turn through the service gave, shaped as the in-process :class:`~iotlm.agent.session.TurnResult`."""

    body: dict[str, Any]
    reply: str = ""
    needs_confirmation: bool = False
    actions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = {k: self.body.get(k) for k in RESULT_KEYS}
        out["actions"] = [{k: a.get(k) for k in ("device_id", "attribute", "value", "status")} for a in self.actions]
        return out


class ServiceAgent:
    """Speaks to ``iotlm run`` over its API with the service token, as the CLI's user (the CLI may speak as anyone,
    as it can in-process)."""

    def __init__(self, url: str, token: str, timeout: float = 120.0) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = url
        self._conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def turn(self, utterance: str, *, thread: str = "default", user: str | None = None, room: str | None = None,
             yes: bool = False, origin: str = "cli") -> Answer:
        body = {"text": utterance, "thread": thread, "user": user or "owner", "room": room, "yes": yes}
        data = self._post("/api/ask", {k: v for k, v in body.items() if v is not None})
        return Answer(data, str(data.get("reply", "")), bool(data.get("needs_confirmation")), list(data.get("actions") or []))

    def pending(self, thread: str) -> str | None:
        return None

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            self._conn.request("POST", path, json.dumps(body), self._headers)
            response = self._conn.getresponse()
            data: dict[str, Any] = json.loads(response.read() or b"{}")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self._conn.close()
            raise SetupError(f"the iotlm service at {self.url} did not answer ({exc}); stop it, or pass --in-process") from exc
        if response.status >= 400:
            raise (UserError if response.status < 500 else SetupError)(f"the iotlm service at {self.url}: {data.get('error', response.reason)}")
        return data

    def close(self) -> None:
        self._conn.close()


__all__ = ["RESULT_KEYS", "SERVICE_FILE", "Answer", "ServiceAgent", "running_service"]
