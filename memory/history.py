"""Every state change a device reports goes into the history, written in batches off the MQTT path."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from iotlm.device_drivers.clock import WALL, Clock
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.memory.store import MemoryStore

log = logging.getLogger(__name__)


class HistoryRecorder:
    """Listens to the registry; a writer thread stores changes in batches (bounded queue, drops counted)."""

    def __init__(self, store: MemoryStore, *, max_pending: int = 100_000, batch: int = 2000, interval: float = 0.2,
                 clock: Clock = WALL) -> None:
        """``clock``: what stamps each change (the agent's, so trends and "when was ..." read the same time; default: the
        wall clock)."""
        self.store = store
        self.clock = clock
        self.batch = batch
        self.interval = interval
        self.dropped = 0
        self.written = 0
        self.last_write = 0.0  # perf_counter() when the latest batch was committed
        self._queue: queue.Queue[tuple[float, str, str, Any] | None] = queue.Queue(maxsize=max_pending)
        self._thread = threading.Thread(target=self._run, name="iotlm-history", daemon=True)
        self._thread.start()

    def attach(self, registry: DeviceRegistry, *, every_report: bool = False) -> HistoryRecorder:
        """Record changes; with ``every_report``, every report (workers that each see only a share of them)."""
        (registry.add_report_listener if every_report else registry.add_listener)(self.on_change)
        return self

    def on_change(self, device_id: str, changed: dict[str, Any]) -> None:
        now = self.clock().timestamp()
        for attribute, value in changed.items():
            try:
                self._queue.put_nowait((now, device_id, attribute, value))
            except queue.Full:
                self.dropped += 1
                if self.dropped in (1, 1000, 100_000):
                    log.warning("state history is behind: %d changes dropped so far", self.dropped)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            rows = [item]
            deadline = time.monotonic() + self.interval
            while len(rows) < self.batch and time.monotonic() < deadline:
                try:
                    more = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if more is None:
                    self._write(rows)
                    return
                rows.append(more)
            self._write(rows)

    def _write(self, rows: list[tuple[float, str, str, Any]]) -> None:
        try:
            self.written += self.store.record_states(rows)
            self.last_write = time.perf_counter()
        except Exception:  # the history must never stop the agent
            log.exception("could not write %d state changes", len(rows))

    def flush(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._queue.empty() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(self.interval + 0.05)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)


__all__ = ["HistoryRecorder"]
