"""Zigbee2MQTT dialect."""

from iotlm.device_drivers.zigbee2mqtt.driver import Zigbee2MQTTDriver

__all__ = ["Zigbee2MQTTDriver"]
