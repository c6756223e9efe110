"""Each shipped policy from a table of cases, then their composition (deny wins over ask)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from iotlm.device_drivers.home import load_home
from iotlm.device_drivers.model import Device
from iotlm.policies.config import PolicyConfig, QuietHours, RateLimit, Role, Rule
from iotlm.policies.defaults import (
    capability,
    confirmation,
    default_policies,
    permissions,
    quiet_hours,
    rate_limit,
    read_only,
    value_range,
)
from iotlm.policies.gate import compose
from iotlm.policies.model import Decision, PolicyContext, Step, User
from tests.conftest import EXAMPLE_HOME

HOME = {d.id: d for d in load_home(EXAMPLE_HOME).devices}
NOON = datetime(2026, 11, 22, 12, 0)
NIGHT = datetime(2026, 11, 22, 23, 30)


def step(device_id: str | None, attribute: str | None = None, value: Any = None, operation: str | None = None,
         tool: str | None = None) -> Step:
    op = operation or (f"set_{attribute}" if attribute else "get_state")
    return Step(tool=tool or f"{device_id}.{op}", device_id=device_id, operation=op if device_id else None,
                attribute=attribute, value=value)


OWNER = User()


def ctx(device_id: str | None = None, *, user: User = OWNER, now: datetime = NOON, recent: int = 0,
        confirmed: bool = False, device: Device | None = None, tool_confirm: bool = False) -> PolicyContext:
    return PolicyContext(user=user, now=now, device=device or (HOME.get(device_id) if device_id else None),
                         recent_commands=recent, confirmed=confirmed, tool_requires_confirmation=tool_confirm)


def verdict(decision: Decision | None) -> tuple[str, str] | None:
    return None if decision is None else (decision.verdict, decision.code)


@pytest.mark.parametrize(("s", "c", "expected"), [
    (step("kitchen.light", "brightness", 40), ctx("kitchen.light"), None),
    (step("kitchen.fan", "state", "on", "turn_on"), ctx("kitchen.fan"), ("deny", "unknown_device")),
    (step("kitchen.light", "color", [1, 2, 3]), ctx("kitchen.light"), ("deny", "unsupported_attribute")),
    (step(None, tool="notify"), ctx(), None),
])
def test_capability(s: Step, c: PolicyContext, expected: tuple[str, str] | None) -> None:
    assert verdict(capability(s, c)) == expected


def test_capability_names_what_exists() -> None:
    decision = capability(step("kitchen.light", "color", [1, 2, 3]), ctx("kitchen.light"))
    assert decision is not None and decision.reason == "the light has no color; it has: state, brightness"


@pytest.mark.parametrize(("s", "c", "expected"), [
    (step("kitchen.temperature", "temperature", 30), ctx("kitchen.temperature"), ("deny", "read_only")),
    (step("living_room.thermostat", "current_temperature", 25), ctx("living_room.thermostat"), ("deny", "read_only")),
    (step("living_room.thermostat", "target_temperature", 22), ctx("living_room.thermostat"), None),
    (step("hallway.motion"), ctx("hallway.motion"), None),  # reading a sensor is fine
])
def test_read_only(s: Step, c: PolicyContext, expected: tuple[str, str] | None) -> None:
    assert verdict(read_only(s, c)) == expected


@pytest.mark.parametrize(("s", "expected"), [
    (step("kitchen.light", "brightness", 100), None),
    (step("kitchen.light", "brightness", 0), None),
    (step("kitchen.light", "brightness", 101), ("deny", "out_of_range")),
    (step("kitchen.light", "brightness", -5), ("deny", "out_of_range")),
    (step("living_room.thermostat", "target_temperature", 35), ("deny", "out_of_range")),
    (step("bedroom.fan", "speed", "turbo"), ("deny", "out_of_range")),
    (step("bedroom.fan", "speed", "HIGH"), None),
    (step("kitchen.light", "brightness", "bright"), ("deny", "out_of_range")),
])
def test_value_range_denies_never_clamps(s: Step, expected: tuple[str, str] | None) -> None:
    assert verdict(value_range(s, ctx(s.device_id))) == expected


GUEST, OWNER, KID = User(name="visitor", role="guest"), User(name="owner", role="admin"), User(name="kid", role="kid")
PERMS = permissions(PolicyConfig(users={"owner": "admin", "kid": "kid"}, roles={
    "admin": Role(), "member": Role(), "guest": PolicyConfig().roles["guest"],
    "kid": Role(deny=[Rule(devices="room:kitchen", operations=["turn_on"])], ask=[Rule(devices="type:media_player")]),
}))


@pytest.mark.parametrize(("s", "user", "expected"), [
    (step("hallway.front_door", "state", "unlocked", "unlock"), GUEST, ("deny", "not_permitted")),
    (step("hallway.front_door", "state", "locked", "lock"), GUEST, None),
    (step("garage.door", "state", "open", "open"), GUEST, ("deny", "not_permitted")),
    (step("kitchen.oven", "state", "on", "turn_on"), GUEST, ("deny", "not_permitted")),
    (step("kitchen.light", "state", "on", "turn_on"), GUEST, None),
    (step("hallway.front_door", "state", "unlocked", "unlock"), OWNER, None),
    (step("kitchen.light", "state", "on", "turn_on"), KID, ("deny", "not_permitted")),
    (step("kitchen.light", "state", "off", "turn_off"), KID, None),
    (step("living_room.tv", "volume", 10), KID, ("ask", "needs_confirmation")),
])
def test_permissions(s: Step, user: User, expected: tuple[str, str] | None) -> None:
    assert verdict(PERMS(s, ctx(s.device_id, user=user))) == expected


QUIET = quiet_hours(PolicyConfig(quiet_hours=QuietHours(max_value=30)))


@pytest.mark.parametrize(("s", "now", "expected"), [
    (step("living_room.tv", "volume", 50), NIGHT, ("deny", "quiet_hours")),
    (step("living_room.tv", "volume", 30), NIGHT, None),
    (step("living_room.tv", "volume", 50), NOON, None),
    (step("living_room.tv", "volume", 50), datetime(2026, 11, 22, 6, 59), ("deny", "quiet_hours")),
    (step("living_room.tv", "volume", 50), datetime(2026, 11, 22, 7, 0), None),
    (step("kitchen.light", "brightness", 90), NIGHT, None),
])
def test_quiet_hours(s: Step, now: datetime, expected: tuple[str, str] | None) -> None:
    assert verdict(QUIET(s, ctx(s.device_id, now=now))) == expected


def test_quiet_hours_window_within_a_day() -> None:
    siesta = quiet_hours(PolicyConfig(quiet_hours=QuietHours(start="13:00", end="15:00", max_value=10)))  # type: ignore[arg-type]
    tv = step("living_room.tv", "volume", 20)
    assert verdict(siesta(tv, ctx(tv.device_id, now=datetime(2026, 1, 1, 14, 0)))) == ("deny", "quiet_hours")
    assert siesta(tv, ctx(tv.device_id, now=datetime(2026, 1, 1, 23, 0))) is None


RATE = rate_limit(PolicyConfig(rate_limit=RateLimit(max_commands=3, per_seconds=10)))


@pytest.mark.parametrize(("recent", "expected"), [(0, None), (2, None), (3, ("deny", "rate_limited")), (50, ("deny", "rate_limited"))])
def test_rate_limit(recent: int, expected: tuple[str, str] | None) -> None:
    s = step("kitchen.light", "brightness", 10)
    assert verdict(RATE(s, ctx(s.device_id, recent=recent))) == expected


CONFIRM = confirmation(PolicyConfig())


@pytest.mark.parametrize(("s", "c", "expected"), [
    (step("hallway.front_door", "state", "unlocked", "unlock"), ctx("hallway.front_door"), ("ask", "needs_confirmation")),
    (step("garage.door", "state", "open", "open"), ctx("garage.door"), ("ask", "needs_confirmation")),
    (step("kitchen.oven", "target_temperature", 180), ctx("kitchen.oven"), ("ask", "needs_confirmation")),
    (step("kitchen.light", "state", "on", "turn_on"), ctx("kitchen.light"), None),
    (step("hallway.front_door"), ctx("hallway.front_door"), None),  # reading the lock's state
    (step(None, tool="unlock_everything"), ctx(tool_confirm=True), ("ask", "needs_confirmation")),
    (step("office.desk_lamp", "state", "on", "turn_on"),
     ctx(device=HOME["office.desk_lamp"].model_copy(update={"risky": True})), ("ask", "needs_confirmation")),
    # the garage door by what it is, even announced as a plain cover; the garage's light is only a light
    (step("garage.door", "state", "open", "open"),
     ctx(device=HOME["garage.door"].model_copy(update={"risky": False, "type": "cover"})), ("ask", "needs_confirmation")),
    (step("garage.light", "state", "on", "turn_on"),
     ctx(device=HOME["kitchen.light"].model_copy(update={"id": "garage.light", "name": "garage light", "room": "garage"})),
     None),
])
def test_confirmation(s: Step, c: PolicyContext, expected: tuple[str, str] | None) -> None:
    assert verdict(CONFIRM(s, c)) == expected


# ---------------------------------------------------------------- composition

POLICIES = default_policies(PolicyConfig(rate_limit=RateLimit(max_commands=3, per_seconds=10)))


@pytest.mark.parametrize(("s", "c", "expected"), [
    # plain allow
    (step("kitchen.light", "brightness", 40), ctx("kitchen.light"), ("allow", "allowed")),
    # ask alone
    (step("hallway.front_door", "state", "unlocked", "unlock"), ctx("hallway.front_door"), ("ask", "needs_confirmation")),
    # ask + confirmed -> allow
    (step("hallway.front_door", "state", "unlocked", "unlock"), ctx("hallway.front_door", confirmed=True), ("allow", "confirmed")),
    # deny (guest) beats ask (risky lock), even when confirmed
    (step("hallway.front_door", "state", "unlocked", "unlock"), ctx("hallway.front_door", user=GUEST, confirmed=True),
     ("deny", "not_permitted")),
    # out of range on a risky device: deny beats ask
    (step("kitchen.oven", "target_temperature", 900), ctx("kitchen.oven", confirmed=True), ("deny", "out_of_range")),
    # rate limit beats confirmation
    (step("garage.door", "state", "open", "open"), ctx("garage.door", recent=3, confirmed=True), ("deny", "rate_limited")),
    # quiet hours deny at night, allow at noon
    (step("living_room.tv", "volume", 80), ctx("living_room.tv", now=NIGHT), ("deny", "quiet_hours")),
    (step("living_room.tv", "volume", 80), ctx("living_room.tv"), ("allow", "allowed")),
    # the first deny in order is the one reported
    (step("kitchen.temperature", "temperature", 999), ctx("kitchen.temperature"), ("deny", "read_only")),
])
def test_composition(s: Step, c: PolicyContext, expected: tuple[str, str]) -> None:
    decision = compose(POLICIES, s, c)
    assert (decision.verdict, decision.code) == expected


def test_composition_order_is_the_policy_order() -> None:
    def ask_first(s: Step, c: PolicyContext) -> Decision:
        return Decision(verdict="ask", reason="first", policy="a")

    def deny_later(s: Step, c: PolicyContext) -> Decision:
        return Decision(verdict="deny", reason="later", policy="b")

    assert compose([ask_first, deny_later], step("kitchen.light"), ctx("kitchen.light")).policy == "b"
    assert compose([ask_first], step("kitchen.light"), ctx("kitchen.light", confirmed=True)).verdict == "allow"
