"""Transport + registry + drivers, started together: how the rest of iotlm reaches devices."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from iotlm.device_drivers.base import CommandError, Driver
from iotlm.device_drivers.esphome.driver import ESPHomeDriver
from iotlm.device_drivers.homeassistant.driver import HomeAssistantDriver
from iotlm.device_drivers.model import Device, Value
from iotlm.device_drivers.overrides import DeviceOverride
from iotlm.device_drivers.pins import Pins
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.shelly.driver import ShellyDriver
from iotlm.device_drivers.tasmota.driver import TasmotaDriver
from iotlm.device_drivers.transport import Transport
from iotlm.device_drivers.zigbee2mqtt.driver import Zigbee2MQTTDriver

DriverFactory = Callable[[Transport, DeviceRegistry, "Connection"], Driver]
"""Builds a driver for a connection: ``factory(transport, registry, connection)``."""

BUILTIN_DRIVERS: dict[str, DriverFactory] = {
    "zigbee2mqtt": lambda t, r, c: Zigbee2MQTTDriver(t, r, c.z2m_base, share_group=c.share_group),
    "homeassistant": lambda t, r, c: HomeAssistantDriver(t, r, c.ha_prefix, share_group=c.share_group),
    "tasmota": lambda t, r, c: TasmotaDriver(t, r, c.tasmota_discovery, share_group=c.share_group),
    "shelly": lambda t, r, c: ShellyDriver(t, r, c.shelly_root, share_group=c.share_group),
    "esphome": lambda t, r, c: ESPHomeDriver(t, r, c.esphome_root, share_group=c.share_group),
}


class Connection:
    """A live view of the home on one broker."""

    z2m_base: str
    ha_prefix: str
    tasmota_discovery: str
    shelly_root: str
    esphome_root: str
    share_group: str | None

    def __init__(self, transport: Transport, *, z2m_base: str = "zigbee2mqtt", ha_prefix: str = "homeassistant",
                 drivers: Mapping[str, DriverFactory] | None = None, share_group: str | None = None,
                 tasmota_discovery: str = "tasmota/discovery", shelly_root: str = "", esphome_root: str = "",
                 overrides: Mapping[str, DeviceOverride] | None = None, pins: Pins | None = None) -> None:
        """``overrides``: what the person says of devices (the devices file), over what their dialects say. ``pins``:
        each device's type, risk and identity as first seen (kept in memory when None)."""
        self.transport = transport
        self.share_group = share_group
        """Several ``iotlm run`` workers with one group share the device reports (``$share/<group>/...``)."""
        self.registry = DeviceRegistry(pins)
        self.registry.overrides = dict(overrides or {})
        self.z2m_base = z2m_base
        self.ha_prefix = ha_prefix
        self.tasmota_discovery = tasmota_discovery
        self.shelly_root = shelly_root
        self.esphome_root = esphome_root
        self.drivers: dict[str, Driver] = {}
        for factory in (BUILTIN_DRIVERS if drivers is None else drivers).values():
            self.add_driver(factory(transport, self.registry, self))

    def add_driver(self, driver: Driver) -> None:
        if driver.name in self.drivers:
            raise ValueError(f"a driver named {driver.name!r} is already registered")
        self.drivers[driver.name] = driver

    def start(self, timeout: float = 10.0) -> Connection:
        for driver in self.drivers.values():
            driver.start()
        self.transport.start(timeout)
        return self

    def stop(self) -> None:
        self.transport.stop()

    def command(self, device_id: str, values: dict[str, Value]) -> dict[str, Any]:
        """Send canonical values to a device through its driver (callers go through the gate)."""
        device = self.registry.get(device_id)
        if device is None:
            raise CommandError(f"no device {device_id!r}; known: {', '.join(sorted(self.registry.ids())) or 'none yet'}")
        return self._driver(device).command(device, values)

    def _driver(self, device: Device) -> Driver:
        if device.binding is None or device.binding.driver not in self.drivers:
            raise CommandError(f"{device.id} has no driver that can reach it")
        return self.drivers[device.binding.driver]

    def wait_settled(self, quiet: float = 0.3, timeout: float = 5.0) -> int:
        """Wait until no new device appeared for ``quiet`` seconds; return the device count."""
        import time

        deadline = time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            count = len(self.registry)
            if count == last and count > 0:
                break
            last = count
            time.sleep(quiet)
        self.transport.drain(timeout=max(0.1, deadline - time.monotonic()))
        return len(self.registry)


__all__ = ["BUILTIN_DRIVERS", "Connection", "DriverFactory"]
