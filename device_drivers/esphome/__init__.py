"""ESPHome's own MQTT (without Home Assistant): components by their state topics."""

from iotlm.device_drivers.esphome.driver import ESPHomeDriver

__all__ = ["ESPHomeDriver"]
