"""Tasmota over MQTT: native discovery (``tasmota/discovery``), ``cmnd``/``stat``/``tele`` topics."""

from iotlm.device_drivers.tasmota.driver import TasmotaDriver

__all__ = ["TasmotaDriver"]
