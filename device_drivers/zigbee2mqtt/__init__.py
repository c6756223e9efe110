"""Zigbee2MQTT dialect."""

from device_drivers.zigbee2mqtt.driver import Zigbee2MQTTDriver

__all__ = ["Zigbee2MQTTDriver"]
