"""The watchers as data, the watch engine's episodes, and the notices it raises: on a real device registry and a
real SQLite file, with a clock the test moves."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pluggy
import pytest

from iotlm.automations.notices import Notices, duration
from iotlm.automations.watch import LEARN_DAYS, SETTLE_S, Alert, WatchEngine
from iotlm.automations.watchers import Watcher, builtin_watchers, holds, load_watchers, parse_watchers
from iotlm.device_drivers.clock import TimeOfDay, Window
from iotlm.device_drivers.home import parse_home
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.errors import SetupError, UserError
from iotlm.tools import hookspecs
from iotlm.tools.hookspecs import hookimpl
from tests.conftest import FakeClock

ZONE = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 2, 12, 0, tzinfo=ZONE)  # a Monday, noon


def _ro(value: Any, **extra: Any) -> dict[str, Any]:
    return {"value": value, "writable": False, **extra}


HOME = {"name": "t", "devices": [
    {"id": "kitchen.fridge_door", "name": "fridge door", "room": "kitchen", "type": "binary_sensor", "read_only": True,
     "attributes": {"contact": _ro(True), "battery": _ro(80, min=0, max=100, unit="%")}},
    {"id": "kitchen.leak", "name": "leak sensor", "room": "kitchen", "type": "binary_sensor", "read_only": True,
     "attributes": {"water_leak": _ro(False)}},
    {"id": "bathroom.climate", "name": "bathroom sensor", "room": "bathroom", "type": "sensor", "read_only": True,
     "attributes": {"temperature": _ro(21.0, unit="°C"), "humidity": _ro(60, min=0, max=100, unit="%")}},
    {"id": "bathroom.fan", "name": "extractor fan", "room": "bathroom", "type": "fan",
     "attributes": {"state": {"value": "off", "options": ["on", "off"]}}},
    {"id": "bedroom.radiator", "name": "radiator", "room": "bedroom", "type": "climate",
     "attributes": {"mode": {"value": "off", "options": ["off", "heat"]}, "target_temperature": {"value": 20, "min": 5, "max": 30}}},
    {"id": "bedroom.window", "name": "bedroom window", "room": "bedroom", "type": "binary_sensor", "read_only": True,
     "attributes": {"contact": _ro(True)}},
    {"id": "office.window", "name": "office window", "room": "office", "type": "binary_sensor", "read_only": True,
     "attributes": {"contact": _ro(True)}},
    {"id": "hallway.lock", "name": "front door lock", "room": "hallway", "type": "lock",
     "attributes": {"state": {"value": "locked", "options": ["locked", "unlocked", "jammed"]}}},
    {"id": "office.lamp", "name": "desk lamp", "room": "office", "type": "light",
     "attributes": {"state": {"value": "off", "options": ["on", "off"]}}},
    {"id": "office.plug", "name": "plug", "room": "office", "type": "outlet",
     "attributes": {"state": {"value": "on", "options": ["on", "off"]}, "power": _ro(2.0, unit="W")}},
]}


class Recorder:
    """A notifier that records what it is told (the engine's side of :class:`Notices`)."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.ends: list[tuple[int, float]] = []

    def raised(self, alert: Alert) -> int | None:
        self.alerts.append(alert)
        return len(self.alerts)

    def ended(self, notice_id: int, at: float) -> None:
        self.ends.append((notice_id, at))


def _engine(watchers: list[Watcher] | None = None) -> tuple[WatchEngine, DeviceRegistry, Recorder, FakeClock]:
    registry = DeviceRegistry()
    for device in parse_home(HOME).devices:
        registry.upsert(device)
    clock = FakeClock(START)
    told = Recorder()
    engine = WatchEngine(registry, watchers if watchers is not None else list(builtin_watchers().values()), told,
                         clock=clock)
    registry.add_report_listener(engine.on_report)
    return engine, registry, told, clock


def _run(engine: WatchEngine, clock: FakeClock, seconds: float, step: float = 15.0) -> None:
    end = clock.now + timedelta(seconds=seconds)
    while clock.now < end:
        clock.advance(min(step, (end - clock.now).total_seconds()))
        engine.tick()


def _alerts(told: Recorder) -> list[tuple[str, str]]:
    return [(a.watcher.id, a.device.id) for a in told.alerts]


# ---------------------------------------------------------------- the watchers as data

def test_the_built_in_watchers_load_and_cover_each_kind_the_home_should_notice() -> None:
    watchers = builtin_watchers()
    assert {w.about for w in watchers.values()} == {"open too long", "safety", "comfort and waste", "device health",
                                                     "appliances", "the unusual"}
    assert all(w.level == "safety" for w in watchers.values() if w.id in ("leak", "smoke", "carbon_monoxide"))
    assert watchers["fridge_open"].for_ == 300 and watchers["humid_after_shower"].for_ == 3600


@pytest.mark.parametrize(("body", "message"), [
    ({"about": "x", "devices": {}, "is": {"volume_level": 3}, "say": "s"}, "'volume_level' is not a capability"),
    ({"about": "x", "devices": {"has": ["wetness"]}, "is": {"contact": False}, "say": "s"}, "wetness: not a capability"),
    ({"about": "x", "devices": {}, "is": {"humidity": {">=": 80}}, "say": "s"}, 'a comparison is {">": number}'),
    ({"about": "x", "devices": {}, "is": {"contact": False}, "between": "late", "say": "s"}, 'write a span of the day'),
    ({"about": "x", "devices": {}, "say": "s"}, "a watcher needs a condition"),
    ({"about": "x", "devices": {}, "is": {"contact": False}, "for": "a while", "say": "s"}, "is not a duration"),
    ({"about": "x", "devices": {}, "unusual": "power", "say": "s"}, "add has: [power]"),
    ({"about": "x", "devices": {}, "is": {"contact": False}, "say": "The {thing} is open"}, "thing: not a field"),
    ({"about": "x", "devices": {}, "is": {"contact": False}, "say": "The {device is open"}, "write a field as {device}"),
])
def test_a_broken_watcher_is_refused_naming_it_and_what_is_wrong(body: dict[str, Any], message: str) -> None:
    with pytest.raises(SetupError) as caught:
        parse_watchers({"mine": body}, "watchers.yaml")
    assert "watcher 'mine'" in str(caught.value) and message in str(caught.value)


def test_the_users_file_changes_a_built_in_watcher_turns_one_off_and_adds_its_own(tmp_path: Path) -> None:
    (tmp_path / "watchers.yaml").write_text(
        "fridge_open: {about: open too long, devices: {has: contact, name: [fridge]}, is: {contact: false}, for: 2m,\n"
        "  say: 'Fridge open {for}'}\n"
        "smoke: {enabled: false}\n"
        "cellar_damp: {about: comfort and waste, devices: {has: humidity, name: [cellar]}, is: {humidity: {'>': 70}},\n"
        "  for: 1h, say: 'The cellar is damp ({value})'}\n", encoding="utf-8")
    watchers = {w.id: w for w in load_watchers(tmp_path)}
    assert watchers["fridge_open"].for_ == 120 and "smoke" not in watchers and watchers["cellar_damp"].is_ == {
        "humidity": {">": 70}}
    (tmp_path / "watchers.yaml").write_text("fridge_open: [not, a, watcher\n", encoding="utf-8")
    with pytest.raises(SetupError, match=r"watchers file .*watchers\.yaml"):
        load_watchers(tmp_path)


@pytest.mark.parametrize(("test", "value", "expected"), [
    (False, False, True), (False, 0, False), (True, True, True), ("heat", "HEAT", True), ("heat", "cool", False),
    ({">": 80}, 81, True), ({">": 80}, 80, False), ({">": 80}, True, False), ({"<": 10}, 5, True),
    ({">": 1, "<": 3}, 2, True), (["on", "open"], "open", True), (["on", "open"], "closed", False),
])
def test_a_condition_holds_as_written(test: Any, value: Any, expected: bool) -> None:
    assert holds(test, value) is expected


# ---------------------------------------------------------------- the engine

def test_a_fridge_door_open_is_told_once_when_it_has_been_open_five_minutes_and_ends_when_closed() -> None:
    engine, registry, told, clock = _engine()
    registry.report("kitchen.fridge_door", {"contact": False})
    _run(engine, clock, 285)
    assert _alerts(told) == []
    _run(engine, clock, 30)
    assert _alerts(told) == [("fridge_open", "kitchen.fridge_door")]
    _run(engine, clock, 600)
    assert len(_alerts(told)) == 1  # told once, however long it stays open
    registry.report("kitchen.fridge_door", {"contact": True})
    assert [n for n, _ in told.ends] == [1]


def test_a_leak_is_told_at_once() -> None:
    _, registry, told, _ = _engine()
    registry.report("kitchen.leak", {"water_leak": True})
    assert _alerts(told) == [("leak", "kitchen.leak")]


def test_a_reading_wavering_round_its_threshold_is_one_episode_and_holds_its_count() -> None:
    engine, registry, told, clock = _engine()
    for i in range(4 * 65):  # an hour and five minutes of reports every 15 s: 82, 79, 82 ... (below for 15 s at a time)
        registry.report("bathroom.climate", {"humidity": 79 if i % 5 == 4 else 82})
        clock.advance(15)
        engine.tick()
    assert _alerts(told) == [("humid_after_shower", "bathroom.climate")]
    alert = told.alerts[0]
    assert alert.at - alert.since == pytest.approx(3600, abs=15)
    registry.report("bathroom.climate", {"humidity": 60})
    _run(engine, clock, SETTLE_S - 30)
    assert told.ends == []
    _run(engine, clock, 60)
    assert len(told.ends) == 1


def test_heating_with_a_window_open_counts_only_a_window_of_the_same_room() -> None:
    engine, registry, told, clock = _engine()
    registry.report("bedroom.radiator", {"mode": "heat"})
    registry.report("office.window", {"contact": False})
    _run(engine, clock, 1200)
    assert _alerts(told) == []
    registry.report("bedroom.window", {"contact": False})
    _run(engine, clock, 590)
    assert _alerts(told) == []
    _run(engine, clock, 30)
    assert _alerts(told) == [("heating_window_open", "bedroom.radiator")]


def test_a_lock_left_unlocked_is_told_only_ten_minutes_into_the_night() -> None:
    engine, registry, told, clock = _engine([builtin_watchers()["unlocked_at_night"]])
    clock.now = START.replace(hour=22, minute=30)
    registry.report("hallway.lock", {"state": "unlocked"})
    _run(engine, clock, 40 * 60)  # to 23:10
    assert _alerts(told) == [("unlocked_at_night", "hallway.lock")]
    assert told.alerts[0].at >= START.replace(hour=23, minute=10).timestamp()


def test_a_reading_that_stops_changing_for_six_hours_is_told_and_ends_when_it_moves_again() -> None:
    engine, registry, told, clock = _engine([builtin_watchers()["reading_stuck"]])
    registry.report("bathroom.climate", {"temperature": 21.3})
    for _ in range(6 * 60 - 2):
        clock.advance(60)
        registry.report("bathroom.climate", {"temperature": 21.3})  # the same, again and again
        engine.tick()
    assert _alerts(told) == []
    _run(engine, clock, 180)
    assert _alerts(told) == [("reading_stuck", "bathroom.climate")]
    registry.report("bathroom.climate", {"temperature": 21.4})
    engine.tick()
    assert len(told.ends) == 1


def test_a_device_unavailable_for_an_hour_is_told() -> None:
    engine, registry, told, clock = _engine([builtin_watchers()["unavailable"]])
    registry.set_availability("office.plug", "offline")
    _run(engine, clock, 3570)
    assert _alerts(told) == []
    _run(engine, clock, 60)
    assert _alerts(told) == [("unavailable", "office.plug")]


def test_on_at_an_hour_it_has_never_been_on_at_is_judged_against_its_own_history() -> None:
    _, registry, told, clock = _engine([builtin_watchers()["on_at_odd_hour"]])
    for day in range(int(LEARN_DAYS) + 1):  # on every evening at 19:xx
        clock.now = START.replace(hour=19, minute=5) + timedelta(days=day)
        registry.report("office.lamp", {"state": "on"})
        clock.advance(3600)
        registry.report("office.lamp", {"state": "off"})
    assert _alerts(told) == []
    clock.now = START.replace(hour=20, minute=30) + timedelta(days=16)  # within an hour of its usual
    registry.report("office.lamp", {"state": "on"})
    registry.report("office.lamp", {"state": "off"})
    assert _alerts(told) == []
    clock.now = START.replace(hour=3, minute=10) + timedelta(days=17)
    registry.report("office.lamp", {"state": "on"})
    assert _alerts(told) == [("on_at_odd_hour", "office.lamp")]


def test_a_power_draw_far_above_the_devices_usual_for_this_hour_is_told_after_ten_minutes() -> None:
    engine, registry, told, clock = _engine([builtin_watchers()["power_unusual"]])
    for minute in range(8 * 24 * 60):  # a week and a day of a device drawing about 60 W by day, 2 W by night
        clock.now = START + timedelta(minutes=minute)
        registry.report("office.plug", {"power": (60.0 + minute % 5) if 8 <= clock.now.hour < 18 else 2.0 + minute % 2})
    assert _alerts(told) == []
    for _ in range(12):
        clock.advance(60)
        registry.report("office.plug", {"power": 400.0})
        engine.tick()
    assert _alerts(told) == [("power_unusual", "office.plug")]
    alert = told.alerts[0]
    assert alert.value == 400.0 and 60 <= (alert.usual or 0) <= 65


def test_a_report_of_a_device_no_watcher_looks_at_costs_no_evaluation() -> None:
    engine, registry, told, _ = _engine([builtin_watchers()["leak"]])
    assert engine.watched() == 1
    registry.report("office.plug", {"power": 5000.0})
    assert engine.reports == 1 and _alerts(told) == []


# ---------------------------------------------------------------- notices

def _notices(tmp_path: Path, clock: FakeClock, people: dict[str, str] | None = None,
             quiet: Window | None = None) -> Notices:
    return Notices(tmp_path / "iotlm.db", people=lambda: people or {"ann": "admin", "bob": "member", "gus": "guest"},
                   clock=clock, quiet=lambda: quiet)


def _alert(watcher: str, device_id: str, since: float, at: float, value: Any = None) -> Alert:
    registry = DeviceRegistry()
    for device in parse_home(HOME).devices:
        registry.upsert(device)
    device = registry.get(device_id)
    assert device is not None
    return Alert(builtin_watchers()[watcher], device, since, at, value)


def test_a_notice_says_what_was_seen_and_since_when_and_goes_to_the_roles_named(tmp_path: Path) -> None:
    clock = FakeClock(START.replace(hour=18, minute=13))
    notices = _notices(tmp_path, clock)
    since = START.replace(hour=18, minute=2).timestamp()
    pushed: list[tuple[dict[str, Any], list[str]]] = []
    notices.listeners.append(lambda n, to: pushed.append((n, to)))
    notice_id = notices.raised(_alert("fridge_open", "kitchen.fridge_door", since, since + 11 * 60))
    shown = notices.get(notice_id or 0, "ann")
    assert shown["text"] == "The kitchen fridge door has been open for 11 minutes (since 18:02)."
    assert shown["told"] == ["ann", "bob"] and shown["status"] == "open"
    assert pushed[0][1] == ["ann", "bob"] and pushed[0][0]["text"] == shown["text"]
    with pytest.raises(UserError, match="no notification"):
        notices.get(notice_id or 0, "gus")  # a guest is not told about the fridge
    leak = notices.raised(_alert("leak", "kitchen.leak", since, since))
    assert notices.get(leak or 0, "gus")["told"] == ["ann", "bob", "gus"]  # safety: everyone
    notices.close()


def test_quiet_hours_hold_all_but_safety_and_the_rate_limit_holds_the_seventh(tmp_path: Path) -> None:
    clock = FakeClock(START.replace(hour=23, minute=30))
    notices = _notices(tmp_path, clock, {"ann": "admin"}, Window(TimeOfDay(22), TimeOfDay(7)))
    now = clock().timestamp()
    quiet = notices.get(notices.raised(_alert("fridge_open", "kitchen.fridge_door", now - 300, now)) or 0, "ann")
    assert quiet["told"] == [] and quiet["held"] == {"ann": "quiet hours"}
    loud = notices.get(notices.raised(_alert("leak", "kitchen.leak", now, now)) or 0, "ann")
    assert loud["told"] == ["ann"]
    notices.close()


def test_past_six_notices_in_an_hour_a_person_is_not_pushed_more_but_still_finds_them(tmp_path: Path) -> None:
    clock = FakeClock(START)
    notices = _notices(tmp_path, clock, {"ann": "admin"})
    t = clock().timestamp()
    found = [notices.get(notices.raised(_alert(w, d, t + i, t + i)) or 0) for i, (w, d) in enumerate([
        ("battery_low", "kitchen.fridge_door"), ("fridge_open", "kitchen.fridge_door"),
        ("humid_after_shower", "bathroom.climate"), ("heating_window_open", "bedroom.radiator"),
        ("unavailable", "office.plug"), ("unavailable", "office.lamp"), ("unavailable", "bathroom.fan")])]
    assert [n["told"] for n in found[:6]] == [["ann"]] * 6
    assert found[6]["told"] == [] and found[6]["held"] == {"ann": "over 6 in 1 hour"}
    assert [n["id"] for n in notices.list("ann", limit=10)] == [n["id"] for n in reversed(found)]
    notices.close()


def test_the_same_thing_about_the_same_device_is_not_told_again_within_an_hour_of_its_end(tmp_path: Path) -> None:
    clock = FakeClock(START)
    notices = _notices(tmp_path, clock)
    t = clock().timestamp()
    first = notices.raised(_alert("fridge_open", "kitchen.fridge_door", t, t + 300))
    assert first is not None
    notices.ended(first, t + 400)
    assert notices.raised(_alert("fridge_open", "kitchen.fridge_door", t + 1000, t + 1300)) is None
    assert notices.raised(_alert("fridge_open", "kitchen.fridge_door", t + 4100, t + 4400)) is not None
    assert notices.get(first)["status"] == "over" and notices.get(first)["outcome"] == "over at 12:06"
    notices.close()


def test_a_person_mutes_a_kind_of_notice_about_a_device_but_not_safety(tmp_path: Path) -> None:
    clock = FakeClock(START)
    notices = _notices(tmp_path, clock)
    t = clock().timestamp()
    first = notices.raised(_alert("fridge_open", "kitchen.fridge_door", t, t + 300)) or 0
    assert notices.mute("bob", first) == "Muted open too long notices (fridge_open) about kitchen.fridge_door for bob."
    notices.ended(first, t + 400)
    again = notices.get(notices.raised(_alert("fridge_open", "kitchen.fridge_door", t + 9000, t + 9300)) or 0)
    assert again["told"] == ["ann"] and again["held"] == {"bob": "muted"}
    leak = notices.raised(_alert("leak", "kitchen.leak", t, t)) or 0
    with pytest.raises(UserError, match="cannot be muted"):
        notices.mute("bob", leak)
    assert notices.unmute("bob", "fridge_open") == 1
    notices.close()


def test_what_happened_today_lists_the_notices_for_that_person_with_what_became_of_them(tmp_path: Path) -> None:
    clock = FakeClock(START.replace(hour=20))
    notices = _notices(tmp_path, clock)
    t = START.replace(hour=18, minute=2).timestamp()
    first = notices.raised(_alert("fridge_open", "kitchen.fridge_door", t, t + 660)) or 0
    notices.acted(first, "bob", "Close it: done", True)
    assert notices.digest("bob", START.replace(hour=0).timestamp()) == (
        "1 notice:\n18:13 The kitchen fridge door has been open for 11 minutes (since 18:02). (bob: Close it: done)")
    assert notices.digest("gus", START.replace(hour=0).timestamp()) == "Nothing to report since 00:00."
    notices.close()


def test_durations_read_as_a_person_says_them() -> None:
    assert [duration(s) for s in (30, 60, 660, 3600, 3900, 7260, 3 * 86400)] == [
        "30 seconds", "1 minute", "11 minutes", "1 hour", "1 hour 5 minutes", "2 hours 1 minute", "3 days"]


class _Plugin:
    @hookimpl
    def register_watchers(self, register: Any) -> None:
        register("cellar_damp", {"about": "comfort and waste", "devices": {"has": "humidity", "name": ["cellar"]},
                                 "is": {"humidity": {">": 70}}, "for": "1h", "say": "The cellar is damp ({value})."})
        register("broken", {"about": "x", "devices": {}, "say": "no condition"})


def test_a_plugin_adds_watchers_and_a_broken_one_is_skipped_with_its_name(caplog: pytest.LogCaptureFixture) -> None:
    pm = pluggy.PluginManager("iotlm")
    pm.add_hookspecs(hookspecs)
    pm.register(_Plugin(), name="damp")
    watchers = {w.id: w for w in load_watchers(None, pm)}
    assert watchers["cellar_damp"].for_ == 3600 and "broken" not in watchers
    assert "plugin damp: watcher 'broken'" in caplog.text and "a watcher needs a condition" in caplog.text
