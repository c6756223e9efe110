"""The device registry: every device the drivers discovered, with its reported state."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from iotlm.device_drivers.model import Device, Value
from iotlm.device_drivers.overrides import DeviceOverride
from iotlm.device_drivers.pins import MemoryPins, Pin, Pins, signature

log = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Value]], None]
"""Called with (device id, changed attributes) after a device reports state."""


def is_value(value: Any) -> bool:
    """Whether ``value`` is something a device attribute can hold (see :data:`device_drivers.model.Value`)."""
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)


PREFERENCE = {"zigbee2mqtt": 0, "tasmota": 0, "shelly": 0, "homeassistant": 1, "esphome": 2}
"""Which dialect describes a device best, lowest first: a device's own dialect before Home Assistant discovery of it
(Tasmota with ``SetOption19 1``, Zigbee2MQTT's ``homeassistant`` option), and that before ESPHome's own topics, which
describe nothing. A plugin's driver ranks with Home Assistant's."""


_SAID = ("room", "name", "aliases", "type", "risky")
"""What a devices file can say of a device."""


def _rank(device: Device) -> int:
    return PREFERENCE.get(device.binding.driver, 1) if device.binding else 1


class DeviceRegistry:
    """Thread-safe map of device id -> :class:`Device`.

    Drivers add devices and report state; everyone else reads. State comes only from what
    devices report (:meth:`report`), never from what was commanded.

    One registry for every dialect: a physical device announced by two dialects at once (the same ``identity``, a MAC
    or a Zigbee address) is kept once, as the dialect that describes it best (:data:`PREFERENCE`) announces it; the
    other is held back (:meth:`also_seen`) and comes back if the first is withdrawn.
    """

    def __init__(self, pins: Pins | None = None) -> None:
        self.pins: Pins = pins if pins is not None else MemoryPins()
        """Each device's type, risk and identity as first seen (:mod:`~iotlm.device_drivers.pins`)."""
        self._changes: dict[str, tuple[Device, str]] = {}
        """Re-announcements held back because they change a device's pinned type or a risky device's identity: the
        device as announced, and why."""
        self._devices: dict[str, Device] = {}
        self._held: dict[str, Device] = {}
        """Devices held back: another dialect announces the same physical device, and describes it better."""
        self.overrides: dict[str, DeviceOverride] = {}
        """What the person says of a device (its room, name, aliases, kind, risk), by id: over what its dialect says."""
        self._announced: dict[str, dict[str, Any]] = {}
        """What each device's dialect said of it, before the overrides (to change them while running)."""
        self._cond = threading.Condition()
        self._listeners: list[Listener] = []
        self._report_listeners: list[Listener] = []
        self._version = 0
        self.structure_version = 0
        """Changes when a device is added, removed or redescribed (not on state reports)."""

    @property
    def version(self) -> int:
        """Changes on every change, a state report included: a reader whose copy is of this version is current."""
        return self._version

    # ------------------------------------------------------------ writers (drivers)

    def upsert(self, device: Device) -> bool:
        """Add a device or replace its description, keeping the state already reported. False: it is held back,
        because another dialect announces the same physical device and describes it better."""
        announced = {key: list(v) if isinstance(v := getattr(device, key), list) else v for key in _SAID}
        raw = device
        override = self.overrides.get(device.id)
        if override is not None:
            device = override.apply(device)
        with self._cond:
            self._announced[device.id] = announced
            change = self._pinned(device, override.changes() if override is not None else {})
            if change is not None:
                fresh = self._changes.get(device.id, (None, ""))[1] != change
                self._changes[device.id] = (raw, change)
                if fresh:
                    log.log(logging.INFO if " in part " in change else logging.WARNING, "%s", change)
                return False
            self._changes.pop(device.id, None)
            if not self._admit(device):
                return False
            old = self._devices.get(device.id)
            if old is not None:
                for name, attr in device.attributes.items():
                    if name in old.attributes and old.attributes[name].value is not None and attr.value is None:
                        attr.value = old.attributes[name].value
                if device.availability == "unknown":
                    device.availability = old.availability
            self._devices[device.id] = device
            self._version += 1
            self.structure_version += 1
            self._cond.notify_all()
        return True

    def _pinned(self, device: Device, said: dict[str, Any]) -> str | None:
        """Why ``device`` (as announced, with the devices file applied) may not replace what was first seen, or None;
        a risky device announced as not risky stays risky. What the devices file says (``said``) is the person's word."""
        identity = device.binding.identity if device.binding else None
        pin = self.pins.get(device.id)
        can = signature(device)
        if pin is None:
            self.pins.put(device.id, Pin(device.type, device.risky, identity, can))
            return None
        grown = set(pin.attributes) <= set(can)
        # a new type only with more to it (a device announced entity by entity); the same attributes under another
        # type is a relabelling, which a person must accept
        if device.type != pin.type and "type" not in said and not set(pin.attributes) < set(can):
            if set(can) < set(pin.attributes):  # part of it, announced entity by entity: the rest is on its way
                return (f"device {device.id} is announced in part ({', '.join(can)}) so far; as a whole it was a "
                        f"{pin.type}")
            return (f"device {device.id} was first seen as a {pin.type} and is now announced as a {device.type}: it stays "
                    f"a {pin.type} until a person accepts the change (iotlm devices accept {device.id}) or gives its "
                    "type in the devices file")
        if pin.risky and pin.identity and identity and identity != pin.identity:
            return (f"risky device {device.id} is now announced by another physical device ({identity}; first seen as "
                    f"{pin.identity}): it is held back until a person accepts it (iotlm devices accept {device.id})")
        if pin.risky and not device.risky and "risky" not in said:
            device.risky = True  # risk goes up on its own, never down
        wanted = Pin(device.type, device.risky if "risky" in said else pin.risky or device.risky, pin.identity or identity,
                     tuple(sorted(set(pin.attributes) | set(can))) if grown else pin.attributes)
        if wanted != pin:
            self.pins.put(device.id, wanted)
        return None

    def held_changes(self) -> dict[str, str]:
        """Re-announcements held back until a person accepts them: device id -> why."""
        with self._cond:
            return {i: why for i, (_, why) in self._changes.items()}

    def accept(self, device_id: str) -> Device | None:
        """Accept a held re-announcement (its type, risk and identity become the device's); None when none is held."""
        with self._cond:
            held = self._changes.pop(device_id, None)
        if held is None:
            return None
        device = held[0]
        self.pins.put(device_id, Pin(device.type, device.risky, device.binding.identity if device.binding else None,
                                     signature(device)))
        self.upsert(device.model_copy(deep=True))
        return self.get(device_id)

    def recheck(self) -> list[str]:
        """Admit the held re-announcements that the pins now allow (accepted by another process); their ids."""
        with self._cond:
            held = [device for device, _ in self._changes.values()]
        return [d.id for d in held if self.upsert(d.model_copy(deep=True))]

    def _admit(self, device: Device) -> bool:
        """Whether ``device`` is kept, holding back the devices of a worse dialect with the same identity."""
        self._held.pop(device.id, None)
        identity = device.binding.identity if device.binding else None
        if identity is None or device.binding is None:
            return True
        rivals = [d for d in self._devices.values() if d.id != device.id and d.binding is not None
                  and d.binding.identity == identity and d.binding.driver != device.binding.driver]
        if any(_rank(r) <= _rank(device) for r in rivals):  # as good or better, and here first
            self._held[device.id] = device
            self._devices.pop(device.id, None)
            return False
        for rival in rivals:
            self._held[rival.id] = self._devices.pop(rival.id)
        return True

    def set_overrides(self, overrides: dict[str, DeviceOverride]) -> list[str]:
        """Apply a new devices file to the devices already here (and what it no longer says is undone); return the ids
        of those it changed."""
        changed: list[str] = []
        with self._cond:
            self.overrides = dict(overrides)
            for store in (self._devices, self._held):
                for device_id, device in list(store.items()):
                    said = self._announced.get(device_id)
                    if said is None:
                        continue
                    override = self.overrides.get(device_id)
                    wanted = {**said, **(override.changes() if override else {})}
                    if any(getattr(device, k) != v for k, v in wanted.items()):
                        store[device_id] = device.model_copy(update=wanted)
                        changed.append(device_id)
                        pin = self.pins.get(device_id)  # the devices file is the person's word: it moves the pin
                        if pin is not None and (pin.type, pin.risky) != (wanted["type"], wanted["risky"]):
                            self.pins.put(device_id, Pin(wanted["type"], wanted["risky"], pin.identity, pin.attributes))
            if changed:
                self._version += 1
                self.structure_version += 1
                self._cond.notify_all()
        changed += [i for i in self.recheck() if i not in changed]  # a held re-announcement the file now allows
        return changed

    def remove(self, device_id: str) -> None:
        with self._cond:
            self._held.pop(device_id, None)
            self._announced.pop(device_id, None)
            gone = self._devices.pop(device_id, None)
            if gone is None:
                return
            identity = gone.binding.identity if gone.binding else None
            if identity is not None and not any(d.binding and d.binding.identity == identity for d in self._devices.values()):
                # what another dialect announced of the same device comes back, best first
                back = sorted((d for d in self._held.values() if d.binding and d.binding.identity == identity), key=_rank)
                for device in back:
                    if self._admit(device):
                        self._devices[device.id] = device
            self._version += 1
            self.structure_version += 1
            self._cond.notify_all()

    def also_seen(self, device_id: str) -> list[str]:
        """The other dialects that announce the same physical device (held back: this one describes it better)."""
        with self._cond:
            device = self._devices.get(device_id)
            identity = device.binding.identity if device is not None and device.binding else None
            if identity is None:
                return []
            return sorted({d.binding.driver for d in self._held.values() if d.binding and d.binding.identity == identity})

    def report(self, device_id: str, values: dict[str, Any]) -> dict[str, Value]:
        """Record state a device reported; return the attributes whose value changed. A value no attribute can hold
        (an object, NaN, a list of text) is not state: it is left out, for the registry and its listeners alike."""
        changed: dict[str, Value] = {}
        values = {k: v for k, v in values.items() if is_value(v)}
        with self._cond:
            device = self._devices.get(device_id)
            if device is None:
                held = self._held.get(device_id)
                if held is not None:  # kept current, should it come back
                    for name, value in values.items():
                        if name in held.attributes:
                            held.attributes[name].value = value
                return changed
            for name, value in values.items():
                attr = device.attributes.get(name)
                if attr is not None and attr.value != value:
                    attr.value = value
                    changed[name] = value
            self._version += 1
            self._cond.notify_all()
            listeners = list(self._listeners)
            reporters = list(self._report_listeners)
        if changed:
            for listener in listeners:
                listener(device_id, changed)
        for reporter in reporters:  # every report, changed or not (a button pressed twice, a sensor still above 24)
            reporter(device_id, values)
        return changed

    def set_availability(self, device_id: str, availability: str) -> None:
        with self._cond:
            device = self._devices.get(device_id) or self._held.get(device_id)
            if device is not None and availability in ("online", "offline", "unknown"):
                device.availability = availability  # type: ignore[assignment]
                self._version += 1
                self._cond.notify_all()

    # ------------------------------------------------------------ readers

    def get(self, device_id: str) -> Device | None:
        with self._cond:
            device = self._devices.get(device_id)
            return _snapshot(device) if device is not None else None

    def peek(self, device_id: str) -> Device | None:
        """The registry's own object, not a copy: for drivers decoding a report on the hot path. Never mutate it."""
        with self._cond:
            return self._devices.get(device_id)

    def value(self, device_id: str, attribute: str) -> Value:
        """One reported value, without copying the device (None if unknown)."""
        with self._cond:
            device = self._devices.get(device_id)
            attr = device.attributes.get(attribute) if device is not None else None
            return attr.value if attr is not None else None

    def all(self) -> list[Device]:
        with self._cond:
            return [_snapshot(d) for d in self._devices.values()]

    def states(self) -> dict[str, dict[str, Value]]:
        """Every device's reported values (cheap: no copies of the descriptions)."""
        with self._cond:
            return {i: {n: a.value for n, a in d.attributes.items()} for i, d in self._devices.items()}

    def ids(self) -> list[str]:
        with self._cond:
            return list(self._devices)

    def by_address(self, driver: str, address: str) -> Device | None:
        with self._cond:
            for device in self._devices.values():
                if device.binding and device.binding.driver == driver and device.binding.address == address:
                    return device
        return None

    def __len__(self) -> int:
        with self._cond:
            return len(self._devices)

    def __contains__(self, device_id: object) -> bool:
        with self._cond:
            return device_id in self._devices

    def add_listener(self, listener: Listener) -> None:
        """Called with the attributes that changed, on the transport's dispatcher thread."""
        with self._cond:
            self._listeners.append(listener)

    def add_report_listener(self, listener: Listener) -> None:
        """Called with every report's values, changed or not (rule triggers)."""
        with self._cond:
            self._report_listeners.append(listener)

    def remove_report_listener(self, listener: Listener) -> None:
        with self._cond:
            if listener in self._report_listeners:
                self._report_listeners.remove(listener)

    def wait_for(self, predicate: Callable[[DeviceRegistry], bool], timeout: float) -> bool:
        """Block until ``predicate(self)`` holds (checked after every change) or timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if predicate(self):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)

    def wait_for_devices(self, ids: Iterable[str], timeout: float) -> bool:
        wanted = set(ids)
        return self.wait_for(lambda r: all(i in r for i in wanted), timeout)


def _snapshot(device: Device) -> Device:
    """A copy whose attributes are the caller's own (a deep copy was ~4x slower and this is on every command)."""
    return device.model_copy(update={"attributes": {n: a.model_copy() for n, a in device.attributes.items()},
                                     "aliases": list(device.aliases)})


__all__ = ["PREFERENCE", "DeviceRegistry", "Listener", "is_value"]
