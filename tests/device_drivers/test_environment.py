"""The simulated environment: rooms drift toward outdoors and respond to their devices; sensors report the change.
Time is stepped by the test (simulated minutes), never read from the wall clock."""

from __future__ import annotations

from pathlib import Path

from iotlm.bench.harness import BENCH_TIME, open_home
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import load_home
from iotlm.device_drivers.simulator import Environment, Outdoor, Simulator
from iotlm.device_drivers.transport import Transport

CONTEXT = Path(__file__).parents[1] / "bench" / "context"


def _sim(transport: Transport, prefix: str) -> Simulator:
    return Simulator(load_home(CONTEXT / "home1.json"), transport, base=f"{prefix}/z2m", ha_root=f"{prefix}/ha")


def test_rooms_drift_toward_outdoors_and_answer_their_devices(sim_transport: Transport, prefix: str) -> None:
    sim = _sim(sim_transport, prefix)
    env = Environment(sim, outdoor=Outdoor(temperature=10.0, co2=420.0))
    before = dict(env.rooms["bedroom"].values)
    env.step(30)
    after = dict(env.rooms["bedroom"].values)
    assert after["temperature"] < before["temperature"]  # a closed room leaks toward 10 °C outdoors, slowly
    assert before["temperature"] - after["temperature"] < 2
    assert after["co2"] > before["co2"]  # people breathing, windows shut
    sim.apply("bedroom.window", {"state": "open"})
    env.step(30)
    assert env.rooms["bedroom"].values["co2"] < after["co2"]  # an open window lets the CO2 out...
    assert env.rooms["bedroom"].values["temperature"] < after["temperature"] - 2  # ...and the cold in
    assert sim.state("bedroom.climate_sensor")["temperature"] == round(env.rooms["bedroom"].values["temperature"], 1)

    sim.apply("bedroom.humidifier", {"state": "on", "intensity": 5})
    sim.apply("bedroom.window", {"state": "closed"})
    humidity = env.rooms["bedroom"].values["humidity"]
    env.step(10)
    assert env.rooms["bedroom"].values["humidity"] > humidity
    dark = env.rooms["living room"].values["illuminance"]
    sim.apply("living_room.light_1", {"state": "on"})
    env.step(1)
    assert env.rooms["living room"].values["illuminance"] > dark
    sim.reset()  # back to the home file's readings
    assert env.rooms["bedroom"].values == before


def test_a_plan_is_checked_by_its_effect(broker: EmbeddedBroker, tmp_path: Path) -> None:
    bench = open_home(load_home(CONTEXT / "home1.json"), broker.url, data_dir=tmp_path, clock=lambda: BENCH_TIME)
    env = Environment(bench.sim, outdoor=Outdoor(temperature=24.0))
    try:
        before = bench.states()["utility_room.climate_sensor"]["temperature"]
        result = bench.agent.turn("the utility room must be too warm")
        assert result.reply.startswith(f"The utility room is {before} °C, too warm"), result.reply
        env.step(15)
        registry = bench.runtime.connection.registry
        assert registry.wait_for(lambda r: r.get("utility_room.climate_sensor").state()["temperature"] < before - 2, 5)  # type: ignore[union-attr]
        asked = bench.agent.turn("how warm is the utility room?")
        now = registry.get("utility_room.climate_sensor").state()["temperature"]  # type: ignore[union-attr]
        assert f"the utility room is {now} °C".lower() in asked.reply.lower()
    finally:
        env.stop()
        bench.close()


def test_a_case_is_checked_by_its_effect_and_the_wrong_way_fails(broker: EmbeddedBroker, tmp_path: Path) -> None:
    from iotlm.bench.suite import Case, run_case

    bench = open_home(load_home(CONTEXT / "home1.json"), broker.url, data_dir=tmp_path, clock=lambda: BENCH_TIME)
    env = Environment(bench.sim)
    try:
        case = {"id": "t", "category": "GOAL", "command": "it's freezing in the bedroom",
                "expect_any": [{"bedroom.heater": {"state": "on"}}]}
        right = run_case(bench, Case.model_validate({**case, "moves": {"room": "bedroom", "value": "temperature", "direction": "up"}}), env)
        assert right.passed, right.differences
        wrong = run_case(bench, Case.model_validate({**case, "moves": {"room": "bedroom", "value": "temperature", "direction": "down"}}), env)
        assert not wrong.passed
        assert wrong.differences[0].startswith("the bedroom's temperature did not go down: ")
    finally:
        bench.close()


def test_a_kitchen_with_a_fridge_and_a_freezer_stays_near_its_own_temperature_for_a_day(
        sim_transport: Transport, prefix: str) -> None:
    """The fridge's 4 °C and the freezer's -18 °C are theirs: the kitchen starts at its sensor's 21 °C, is never
    cooled by them, and after a simulated day is where the same kitchen without them would be."""
    ha_home = load_home(Path(__file__).parents[1] / "bench" / "devicemodel" / "ha_home.json")
    outdoor = Outdoor(temperature=18.0)
    sim = Simulator(ha_home, sim_transport, base=f"{prefix}/z2m", ha_root=f"{prefix}/ha")
    env = Environment(sim, outdoor=outdoor)
    assert env.rooms["kitchen"].values["temperature"] == 21.0  # the room's sensor, not the appliances' insides
    without = ha_home.model_copy(deep=True)
    without.devices = [d for d in without.devices if d.id not in ("kitchen.refrigerator", "kitchen.freezer")]
    alone = Environment(Simulator(without, sim_transport, base=f"{prefix}/z2m-b", ha_root=f"{prefix}/ha-b"), outdoor=outdoor)
    for _ in range(24):
        env.step(60)
        alone.step(60)
        assert env.rooms["kitchen"].values["temperature"] >= outdoor.temperature - 0.01
    assert env.rooms["kitchen"].values["temperature"] == alone.rooms["kitchen"].values["temperature"]
    assert 18.0 <= env.rooms["kitchen"].values["temperature"] <= 21.0
    assert sim.state("kitchen.refrigerator")["current_temperature"] == 4  # never overwritten with the room's
    assert sim.state("kitchen.freezer")["current_temperature"] == -18
    assert sim.state("kitchen.climate_sensor")["temperature"] == round(env.rooms["kitchen"].values["temperature"], 1)
