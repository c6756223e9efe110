"""Home Assistant MQTT discovery dialect."""

from device_drivers.homeassistant.driver import HomeAssistantDriver

__all__ = ["HomeAssistantDriver"]
