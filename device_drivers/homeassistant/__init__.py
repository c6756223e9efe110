"""Home Assistant MQTT discovery dialect."""

from iotlm.device_drivers.homeassistant.driver import HomeAssistantDriver

__all__ = ["HomeAssistantDriver"]
