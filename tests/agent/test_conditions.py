"""Room conditions: read from the room's sensors (else a device's own reading), with unit, freshness, trend from
the state history, and a judgement against configurable comfort bands."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from iotlm.agent.context.conditions import Bands, RoomConditions
from iotlm.config import ConfigError, load_settings
from iotlm.device_drivers.model import Device
from iotlm.memory.store import MemoryStore

NOON = datetime(2026, 1, 14, 12, 0)


def _device(id_: str, room: str, type_: str, **attrs: dict[str, object]) -> Device:
    return Device.model_validate({"id": id_, "name": id_.split(".")[1].replace("_", " "), "room": room, "type": type_,
                                  "attributes": attrs})


DEVICES = [
    _device("office.sensor", "office", "sensor", temperature={"value": 26.5, "unit": "°C", "writable": False},
            humidity={"value": 35, "unit": "%", "writable": False}, illuminance={"value": 420, "unit": "lx", "writable": False}),
    _device("office.thermostat", "office", "climate", current_temperature={"value": 25.0, "unit": "°C", "writable": False},
            target_temperature={"value": 21, "min": 5, "max": 30, "unit": "°C"}),
    _device("bedroom.thermostat", "bedroom", "climate", current_temperature={"value": 18.0, "unit": "°C", "writable": False},
            target_temperature={"value": 20, "min": 5, "max": 30, "unit": "°C"}),
    _device("bedroom.air", "bedroom", "sensor", co2={"value": 1450, "unit": "ppm", "writable": False},
            pm25={"value": 12, "unit": "µg/m³", "writable": False}),
]


def test_a_room_is_read_from_its_sensor_first_then_from_a_devices_own_reading() -> None:
    conditions = RoomConditions(DEVICES)
    office = conditions.read("office", "temperature")
    assert office is not None and (office.value, office.device.id, office.attribute) == (26.5, "office.sensor", "temperature")
    bedroom = conditions.read("bedroom", "temperature")  # no sensor for it: the thermostat's reading, never its setpoint
    assert bedroom is not None and (bedroom.value, bedroom.attribute) == (18.0, "current_temperature")
    assert conditions.read("office", "co2") is None
    assert conditions.read("office", "illuminance").attribute == "illuminance"  # type: ignore[union-attr]
    assert conditions.measures("bedroom") == ["temperature", "pm25", "co2"]
    assert conditions.occupied("bedroom") is None  # nothing there tells


def test_an_appliances_own_temperature_is_never_the_rooms() -> None:
    fridge = _device("kitchen.fridge", "kitchen", "appliance", current_temperature={"value": 4, "unit": "°C", "writable": False})
    oven = _device("kitchen.oven", "kitchen", "appliance", current_temperature={"value": 180, "unit": "°C", "writable": False})
    assert RoomConditions([fridge, oven]).read("kitchen", "temperature") is None  # nothing measures the kitchen's air
    sensor = _device("kitchen.sensor", "kitchen", "sensor", temperature={"value": 21.5, "unit": "°C", "writable": False})
    found = RoomConditions([fridge, oven, sensor]).read("kitchen", "temperature")
    assert found is not None and found.device.id == "kitchen.sensor"


def test_occupancy_and_openings() -> None:
    motion = _device("hall.motion", "hall", "binary_sensor", occupancy={"value": True, "writable": False})
    door = _device("hall.door_contact", "hall", "binary_sensor", contact={"value": False, "writable": False})
    window = _device("bedroom.window", "bedroom", "cover", state={"value": "open", "options": ["open", "closed"]})
    shut = _device("office.window", "office", "cover", state={"value": "closed", "options": ["open", "closed"]})
    conditions = RoomConditions([motion, door, window, shut])
    assert conditions.occupied("hall") is True
    assert [d.id for d in conditions.openings()] == ["hall.door_contact", "bedroom.window"]  # contact False: not shut
    assert conditions.openings("office") == []


def test_judgements_and_words() -> None:
    conditions = RoomConditions(DEVICES)
    assert conditions.read("office", "temperature").judgement == "high"  # type: ignore[union-attr]
    assert conditions.read("office", "humidity").judgement == "low"  # type: ignore[union-attr]
    assert conditions.read("office", "illuminance").judgement == "ok"  # type: ignore[union-attr]  # an office: 300-750 lx
    assert conditions.answer("office", ["temperature"]) == "the office is 26.5 °C, too warm (comfortable: 20-24 °C)"
    assert conditions.answer("bedroom", ["co2"]) == "the CO2 in the bedroom is 1450 ppm, stuffy (good up to 1000 ppm)"
    assert conditions.answer("bedroom", ["temperature"]).endswith("(from the thermostat)")
    assert conditions.answer("office", ["noise"]) == ("nothing in the office measures its noise level; it measures: "
                                                      "temperature, humidity, light level")
    # "how's the air?": what the room measures of it is the answer
    assert conditions.answer("bedroom", ["pm25", "pm10", "co2", "voc"]).startswith("the PM2.5 in the bedroom is 12 µg/m³, good")


def test_bands_are_settings() -> None:
    bands = Bands({"temperature": [18, 21], "illuminance.work": [500, 900], "temperature.nursery": [19, 20]})
    assert bands.for_room("temperature", "kitchen") == (18.0, 21.0)
    assert bands.for_room("temperature", "nursery") == (19.0, 20.0)
    assert bands.for_room("illuminance", "home office") == (500.0, 900.0)
    assert bands.for_room("illuminance", "bedroom") == (50.0, 300.0)  # the default for rest
    assert RoomConditions(DEVICES, bands=bands).read("office", "temperature").judgement == "high"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"comfort band 'humidity' must be \[low, high\]"):
        Bands({"humidity": 50})
    with pytest.raises(ValueError, match=r"low 60\.0 is above high 40\.0"):
        Bands({"humidity": [60, 40]})


def test_comfort_bands_come_from_the_config_file_and_bad_ones_are_named(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[comfort]\ntemperature = [19, 23]\n"illuminance.work" = [400, 800]\n')
    settings = load_settings({"home": str(tmp_path)}, environ={})
    assert Bands(settings.comfort).for_room("temperature", "den") == (19.0, 23.0)
    (tmp_path / "config.toml").write_text('[comfort]\nwarmth = [19, 23]\n')
    with pytest.raises(ConfigError, match="'warmth' is not a room condition; use one of temperature, humidity"):
        load_settings({"home": str(tmp_path)}, environ={})
    (tmp_path / "config.toml").write_text('[comfort]\ntemperature = [25, 19]\n')
    with pytest.raises(ConfigError, match=r"low 25\.0 is above high 19\.0"):
        load_settings({"home": str(tmp_path)}, environ={})


def test_freshness_and_trend_come_from_the_state_history(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "iotlm.db")
    now = NOON.timestamp()
    store.record_states([(now - 3600, "office.sensor", "temperature", 23.0), (now - 1500, "office.sensor", "temperature", 25.0),
                         (now - 600, "office.sensor", "temperature", 26.0), (now - 60, "office.sensor", "temperature", 26.5)])
    conditions = RoomConditions(DEVICES, store=store, clock=lambda: NOON)
    reading = conditions.read("office", "temperature")
    assert reading is not None
    assert reading.updated == now - 60
    assert reading.trend == 1.5  # over the last 30 minutes: 25.0 -> 26.5 (the reading an hour ago is older)
    assert conditions.describe(reading).endswith("up 1.5 °C in the last 30 minutes")
    assert conditions.read("bedroom", "temperature").trend is None  # type: ignore[union-attr]  # no history
    store.close()
