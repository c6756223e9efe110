"""Devices and how to reach them: the device model, MQTT transport, drivers, simulator, broker."""

from iotlm.device_drivers.base import CommandError, Driver
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.home import Home, HomeFileError, load_home, load_homebench
from iotlm.device_drivers.model import Attribute, Binding, Device, PropertyBinding
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.transport import Transport, parse_broker_url

__all__ = [
    "Attribute", "Binding", "CommandError", "Connection", "Device", "DeviceRegistry", "Driver",
    "EmbeddedBroker", "Home", "HomeFileError", "PropertyBinding", "Transport", "load_home",
    "load_homebench", "parse_broker_url",
]
