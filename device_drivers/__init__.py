"""Devices and how to reach them: the device model, MQTT transport, drivers, simulator, broker."""

from device_drivers.base import CommandError, Driver
from device_drivers.broker import EmbeddedBroker
from device_drivers.connection import Connection
from device_drivers.home import Home, HomeFileError, load_home, load_homebench
from device_drivers.model import Attribute, Binding, Device, PropertyBinding
from device_drivers.registry import DeviceRegistry
from device_drivers.transport import Transport, parse_broker_url

__all__ = [
    "Attribute", "Binding", "CommandError", "Connection", "Device", "DeviceRegistry", "Driver",
    "EmbeddedBroker", "Home", "HomeFileError", "PropertyBinding", "Transport", "load_home",
    "load_homebench", "parse_broker_url",
]
