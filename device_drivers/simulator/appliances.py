"""Simulated appliance programmes: washers, dryers and dishwashers that run for a while and then finish.

An appliance here is a device with a read-only ``operational_state`` (stopped, running, paused, complete: the Matter
names) and a read-only ``remaining_time`` in minutes. Switched on (``state: on``), it runs its selected programme
(``programme``) for that programme's duration, read from its read-only ``duration_<programme>`` attribute (or, with
no programmes, ``duration``); while it runs it reports the minutes left, and when they are up it reports
``complete`` and switches off. Switched off while running, it stops. One whose ``operational_state`` is writable
accepts ``paused`` (the minutes left wait) and ``running`` (it goes on from there), as Matter's Pause and Resume. A home
file can start one mid-programme: running, with ``remaining_time`` minutes left.

Time is the shared clock (:mod:`iotlm.device_drivers.clock`), so with ``SimClock(speed=600)`` a 90-minute programme
takes 9 seconds, and the agent and the rule engine see the same minutes pass.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Iterator
from typing import Any

from iotlm.device_drivers.clock import Clock, WallClock, real_seconds
from iotlm.device_drivers.model import Device, duration_min, is_appliance

log = logging.getLogger(__name__)


class Programmes:
    def __init__(self, sim: Any, clock: Clock | None = None) -> None:
        self.sim = sim
        self.clock = clock or WallClock()
        self._ends: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()  # held() resets the simulator, whose reset calls reset() here
        sim.on_reset.append(self.reset)

    def reset(self) -> None:
        """Forget when running programmes end: they are read again from the minutes each appliance reports (after
        the home is reset, or a test sets ``remaining_time`` itself)."""
        with self._lock:
            self._ends.clear()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Nothing runs while the home is being set up; afterwards programmes end as the appliances then report."""
        with self._lock:
            yield
            self._ends.clear()

    def step(self) -> None:
        """Look at every appliance once: start, count down, finish or stop, and report what changed."""
        with self._lock:
            now = self.clock().timestamp()
            for device in self.sim.devices():
                if not is_appliance(device):
                    continue
                try:
                    self._one(device, now)
                except Exception:  # one odd appliance must not stop the others
                    log.exception("simulated programme of %s failed", device.id)

    def _one(self, device: Device, now: float) -> None:
        state = device.attributes["state"].value
        phase = device.attributes["operational_state"].value
        left = device.attributes["remaining_time"].value
        changes: dict[str, Any] = {}
        if state == "on" and phase != "running" and phase != "paused":
            minutes = duration_min(device)
            if minutes is None:
                log.warning("simulated %s has no duration for its programme; it cannot run", device.id)
                return
            self._ends[device.id] = now + minutes * 60
            changes = {"operational_state": "running", "remaining_time": minutes}
        elif phase == "paused" and device.id in self._ends:  # paused: the minutes left wait
            self._ends.pop(device.id)
        elif phase == "running" and state == "off":
            self._ends.pop(device.id, None)
            changes = {"operational_state": "stopped", "remaining_time": 0}
        elif phase == "running":
            if device.id not in self._ends:  # started mid-programme by the home file
                minutes = left if isinstance(left, (int, float)) else 0
                self._ends[device.id] = now + float(minutes) * 60
            end = self._ends[device.id]
            if now >= end:
                self._ends.pop(device.id)
                changes = {"operational_state": "complete", "remaining_time": 0, "state": "off"}
            else:
                minutes = math.ceil((end - now) / 60)
                if minutes != left:
                    changes = {"remaining_time": minutes}
        if changes:
            self.sim.apply(device.id, changes, from_device=True)
            self.sim.publish_state(device.id)

    def start(self, interval: float | None = None) -> Programmes:
        """Run on a thread, every ``interval`` real seconds (default: 5 simulated seconds, at most 1 real second)."""
        tick = interval if interval is not None else min(1.0, max(0.005, real_seconds(self.clock, 5.0)))

        def run() -> None:
            while not self._stop.wait(tick):
                self.step()

        self._thread = threading.Thread(target=run, name="iotlm-sim-programmes", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)


__all__ = ["Programmes"]
