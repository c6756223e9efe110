"""A simulated home that speaks Zigbee2MQTT and Home Assistant discovery on a real broker."""

from iotlm.device_drivers.simulator.environment import Environment, Outdoor, Rates
from iotlm.device_drivers.simulator.sim import Received, Simulator

__all__ = ["Environment", "Outdoor", "Rates", "Received", "Simulator"]
