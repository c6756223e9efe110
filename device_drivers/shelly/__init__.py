"""Shelly Gen2+ over MQTT: RPC (``<prefix>/rpc``), status and notifications."""

from iotlm.device_drivers.shelly.driver import ShellyDriver

__all__ = ["ShellyDriver"]
