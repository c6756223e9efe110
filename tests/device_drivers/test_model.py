from __future__ import annotations

from typing import Any

import pytest

from iotlm.device_drivers.model import (
    Attribute,
    Device,
    InvalidValue,
    canonical,
    kelvin_to_mired,
    mired_to_kelvin,
    percent_to_scale,
    scale_to_percent,
    to_bool,
)


@pytest.mark.parametrize(("percent", "raw"), [(0, 0), (50, 127), (100, 254), (1, 3), (30, 76)])
def test_percent_to_0_254(percent: float, raw: int) -> None:
    assert percent_to_scale(percent) == raw
    assert scale_to_percent(raw) == percent


@pytest.mark.parametrize(("kelvin", "mired"), [(2700, 370), (4000, 250), (6500, 154), (2000, 500)])
def test_kelvin_mired(kelvin: int, mired: int) -> None:
    assert kelvin_to_mired(kelvin) == mired
    assert abs(mired_to_kelvin(mired) - kelvin) <= kelvin * 0.01


@pytest.mark.parametrize("bad", [-1, 101])
def test_percent_out_of_range_is_an_error(bad: float) -> None:
    with pytest.raises(InvalidValue, match="percent must be 0-100"):
        percent_to_scale(bad)


@pytest.mark.parametrize(("given", "expected"), [("ON", "on"), ("off", "off"), ("LOCK", "locked"), ("UNLOCK", "unlocked"),
                                                 ("CLOSE", "closed"), ("OPEN", "open"), ("heat", "heat"), (3, 3)])
def test_canonical_words(given: Any, expected: Any) -> None:
    assert canonical(given) == expected


@pytest.mark.parametrize(("given", "expected"), [("on", True), ("ON", True), (True, True), (1, True), ("off", False),
                                                 (False, False), (0, False), ("maybe", None), (7, None)])
def test_to_bool(given: Any, expected: bool | None) -> None:
    assert to_bool(given) is expected


NUMERIC = Attribute(value=50, min=0, max=100, unit="%")
OPTIONS = Attribute(value="on", options=["on", "off"])
FLAGS = Attribute(value=False, options=[True, False], writable=False)
COLOR = Attribute(value=[1, 2, 3])


@pytest.mark.parametrize(("attr", "given", "expected"), [
    (NUMERIC, 30, 30), (NUMERIC, "30", 30), (NUMERIC, "30%", 30), (NUMERIC, 12.5, 12.5),
    (OPTIONS, "ON", "on"), (OPTIONS, "off", "off"), (FLAGS, "true", True), (FLAGS, False, False),
    (COLOR, [255, 0, 10], [255, 0, 10]),
])
def test_check_accepts(attr: Attribute, given: Any, expected: Any) -> None:
    assert attr.check(given) == expected


@pytest.mark.parametrize(("attr", "given", "message"), [
    (NUMERIC, 101, "101 is out of range 0..100 %"), (NUMERIC, "lots", "expected a number, got 'lots'"),
    (NUMERIC, True, "expected a number"), (OPTIONS, "dim", "'dim' is not one of the options on, off"),
    (FLAGS, 1, "is not one of the options"), (COLOR, [256, 0, 0], "RGB triple"),
])
def test_check_rejects_with_what_is_allowed(attr: Attribute, given: Any, message: str) -> None:
    with pytest.raises(InvalidValue, match=message.replace("(", r"\(").replace(".", r"\.")):
        attr.check(given, name="value")


def test_read_only_device_has_no_writable_attribute() -> None:
    device = Device(id="s", name="s", read_only=True, attributes={"t": Attribute(value=1, min=0, max=5)})
    assert device.writable() == {}
    inferred = Device(id="s2", name="s2", attributes={"t": Attribute(value=1, writable=False)})
    assert inferred.read_only is True


@pytest.mark.parametrize("bad_id", ["", " x", "a/#", "a+b"])
def test_device_id_must_be_usable_in_topics(bad_id: str) -> None:
    with pytest.raises(ValueError, match="device id"):
        Device(id=bad_id, name="x")


def test_range_must_be_ordered() -> None:
    with pytest.raises(ValueError, match=r"min 10\.0 is above max 1\.0"):
        Attribute(min=10, max=1)


def test_a_boolean_value_without_options_is_a_yes_no_reading() -> None:
    """Found by review: {"value": false} with no options was taken as text, so a rule on that motion sensor could not
    be added."""
    attr = Attribute(value=False, writable=False)
    assert (attr.kind, attr.options) == ("options", [True, False])
    assert attr.check("true") is True


def test_a_device_type_iotlm_does_not_know_is_kept_as_other() -> None:
    assert Device(id="a", name="a", type="teleporter").type == "other"
    assert Device.model_validate({"id": "a", "name": "a", "type": ["light"]}).type == "other"
    assert [Device(id="a", name="a", type=t).type for t in ("light", "climate", "binary_sensor")] == ["light", "climate",
                                                                                                   "binary_sensor"]
