"""Live events for the web app and ``GET /api/events`` (server-sent events): device state changes, gate decisions and
rule firings, fanned out from the threads that see them to every open stream."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from iotlm.device_drivers.capabilities import shown

log = logging.getLogger(__name__)


class EventHub:
    """Each subscriber has a bounded queue; a subscriber that falls behind loses events (counted), never the others."""

    def __init__(self, max_queue: int = 1000) -> None:
        self.max_queue = max_queue
        self.dropped = 0
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[tuple[str, dict[str, Any]] | None]]] = set()
        self._lock = threading.Lock()

    def attach(self, runtime: Any) -> EventHub:
        runtime.connection.registry.add_listener(self._on_change)
        runtime.audit.listeners.append(self._on_decision)
        return self

    def _on_change(self, device_id: str, changed: dict[str, Any]) -> None:
        self.emit("state", {"device_id": device_id, "changed": changed, "time": time.time(),
                            "shown": {name: shown(name, value) for name, value in changed.items()}})

    def _on_decision(self, entry: dict[str, Any]) -> None:
        kind = "rule" if entry.get("origin") == "rule" else "decision"
        self.emit(kind, {k: entry.get(k) for k in ("time", "user", "role", "origin", "device_id", "operation", "attribute",
                                                      "value", "verdict", "code", "reason")})

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, q in subscribers:
            try:
                loop.call_soon_threadsafe(self._put, q, (kind, data))
            except RuntimeError:  # the stream's loop has closed
                self._drop(loop, q)

    def _put(self, q: asyncio.Queue[tuple[str, dict[str, Any]] | None], item: tuple[str, dict[str, Any]]) -> None:
        try:
            q.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped in (1, 1000) or self.dropped % 100_000 == 0:
                log.warning("a live event stream is behind: %d events dropped so far", self.dropped)

    def _drop(self, loop: asyncio.AbstractEventLoop, q: asyncio.Queue[tuple[str, dict[str, Any]] | None]) -> None:
        with self._lock:
            self._subscribers.discard((loop, q))

    async def stream(self, *, keepalive: float = 15.0,
                     visible: Callable[[str, dict[str, Any]], bool] | None = None) -> AsyncIterator[str]:
        """Server-sent events, as text: ``event: state`` with a JSON ``data:`` line; a comment every ``keepalive`` s.
        ``visible(kind, data)``: whether an event is for this stream's person (others' decisions are not)."""
        loop = asyncio.get_running_loop()
        q: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue(maxsize=self.max_queue)
        with self._lock:
            self._subscribers.add((loop, q))
        try:
            yield ": connected\n\n"
            while True:
                try:
                    item = await asyncio.wait_for(q.get(), timeout=keepalive)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if item is None:
                    return
                kind, data = item
                if visible is not None and not visible(kind, data):
                    continue
                yield f"event: {kind}\ndata: {json.dumps(data, default=str, ensure_ascii=False)}\n\n"
        finally:
            self._drop(loop, q)

    def close(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, q in subscribers:
            try:
                loop.call_soon_threadsafe(q.put_nowait, None)
            except RuntimeError:
                pass


__all__ = ["EventHub"]
