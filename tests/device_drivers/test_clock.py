"""Time of day is read one way everywhere: chat, rules and the policy file share clock_of and Window."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from iotlm.automations.model import Condition, clock
from iotlm.device_drivers.clock import Window, clock_of, sun_time, sun_up
from iotlm.policies.config import QuietHours


@pytest.mark.parametrize(("said", "read"), [
    ("7 pm", (19, 0, True)), ("7:30", (7, 30, False)), ("07:30", (7, 30, True)), ("19.15", (19, 15, True)),
    ("noon", (12, 0, True)), ("midnight", (0, 0, True)), ("12 am", (0, 0, True)), ("12 pm", (12, 0, True)),
    ("7", (7, 0, False)), ("0:05", (0, 5, True)),
])
def test_a_time_of_day_reads_the_same_for_chat_and_rules(said: str, read: tuple[int, int, bool]) -> None:
    assert clock_of(said) == read
    assert clock(said) == f"{read[0]:02d}:{read[1]:02d}"  # a rule's "at" and "after" read it so too


@pytest.mark.parametrize(("said", "why"), [("25:00", "00:00-23:59"), ("7:75 pm", "00:00-23:59"), ("13 pm", "1-12"),
                                           ("half seven", "write e.g. 07:00")])
def test_a_time_that_is_not_one_says_what_would_be(said: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        clock_of(said)


def test_a_window_wraps_midnight_and_quiet_hours_and_rules_use_it() -> None:
    night = Window(time(22), time(7))
    assert [night.contains(time(h)) for h in (21, 22, 23, 0, 6, 7, 12)] == [False, True, True, True, True, False, False]
    day = Window(time(7), time(22))
    assert [day.contains(time(h)) for h in (6, 7, 21, 22)] == [False, True, True, False]
    assert not Window(time(8), time(8)).contains(time(8))
    quiet = QuietHours()  # 22:00-07:00
    rule = Condition.model_validate({"after": "22:00", "before": "07:00"})
    for hour in range(24):
        moment = datetime(2026, 1, 14, hour, 30)
        assert quiet.active(moment.time()) == rule.holds(moment) == night.contains(moment.time()), hour
    assert Condition.model_validate({"after": "20:00"}).holds(datetime(2026, 1, 14, 23, 59))
    assert not Condition.model_validate({"before": "06:00"}).holds(datetime(2026, 1, 14, 6, 0))


LONDON = (51.5, -0.13)
TROMSO = (69.65, 18.96)


@pytest.mark.parametrize(("moment", "place", "up"), [
    (datetime(2026, 6, 21, 20, 0, tzinfo=UTC), LONDON, True),     # 21:00 BST, before the 21:21 sunset
    (datetime(2026, 6, 21, 20, 45, tzinfo=UTC), LONDON, False),   # 21:45 BST
    (datetime(2026, 12, 21, 16, 30, tzinfo=UTC), LONDON, False),  # after the 15:53 sunset
    (datetime(2026, 12, 21, 8, 30, tzinfo=UTC), LONDON, True),    # after the 08:04 sunrise
    (datetime(2026, 12, 21, 11, 0, tzinfo=UTC), TROMSO, False),   # polar night, at noon
    (datetime(2026, 6, 21, 23, 0, tzinfo=UTC), TROMSO, True),     # midnight sun
])
def test_the_sun_is_up_by_the_place_and_the_day(moment: datetime, place: tuple[float, float], up: bool) -> None:
    assert sun_up(moment, *place) is up


def test_sun_up_agrees_with_sunrise_and_sunset_over_a_day() -> None:
    day = datetime(2026, 3, 2, tzinfo=UTC)
    rise, down = (sun_time(day.date(), *LONDON, event, UTC) for event in ("rise", "set"))
    assert rise is not None and down is not None
    for minute in range(0, 24 * 60, 10):
        moment = day + timedelta(minutes=minute)
        if abs((moment - rise).total_seconds()) > 120 and abs((moment - down).total_seconds()) > 120:
            assert sun_up(moment, *LONDON) == (rise < moment < down), moment
