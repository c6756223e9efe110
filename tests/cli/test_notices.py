"""`iotlm run` watches the home: a notice on MQTT for each person told, listed by `iotlm notifications`, told in chat."""

from __future__ import annotations

import json
import queue
import re
from pathlib import Path

from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.transport import Transport
from tests.cli.test_rules_and_run import _start_run, _stop
from tests.conftest import EXAMPLE_HOME, run_cli

WATCHERS = """
door_open:
  about: open too long
  devices: {has: contact, name: [door]}
  is: {contact: false}
  for: 2s
  say: "The {device} has been open for {for} (since {since})."
  suggest: {say: "Lock the {device}", set: {state: locked}, device: {type: lock}}
"""


def test_run_tells_each_person_on_mqtt_lists_it_and_answers_what_happened(broker: EmbeddedBroker, home: Home,
                                                                           sim_transport: Transport, tmp_path: Path) -> None:
    from iotlm.device_drivers.simulator import Simulator

    (tmp_path / "watchers.yaml").write_text(WATCHERS, encoding="utf-8")  # the built-in door watcher, with 2 s for 15 min
    # the push must not depend on the hour the tests run at: the default quiet hours (22:00-07:00) hold a warning
    (tmp_path / "policies.toml").write_text("[quiet_hours]\nenabled = false\n", encoding="utf-8")
    sim = Simulator(home, sim_transport, dialect="z2m").start()
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    listener = Transport(broker.url).start()
    listener.subscribe("iotlm/job-test/notify/#", lambda topic, payload: got.put((topic, payload)), wait=5)
    service = _start_run(broker, tmp_path)
    try:
        sim.apply("hallway.door_contact", {"contact": False}, from_device=True)
        sim.publish_state("hallway.door_contact")
        topic, payload = got.get(timeout=15)
        notice = json.loads(payload)
        assert topic == "iotlm/job-test/notify/owner"
        assert set(notice) == {"id", "watcher", "about", "level", "device_id", "room", "text", "since", "at", "suggest"}
        assert (notice["watcher"], notice["device_id"], notice["level"]) == ("door_open", "hallway.door_contact", "warning")
        assert re.fullmatch(r"The hallway front door sensor has been open for [23] seconds \(since \d\d:\d\d\)\.", notice["text"])
        assert notice["suggest"] == {"say": "Lock the hallway front door lock", "device_id": "hallway.front_door",
                                     "attribute": "state", "value": "locked"}
        env = {"IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": ""}
        listed = run_cli("notifications", "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        assert [(n["id"], n["told"], n["status"]) for n in json.loads(listed.stdout)] == [(notice["id"], ["owner"], "open")]
        asked = run_cli("ask", "anything I should know?", "--json", env=env)
        assert asked.returncode == 0, asked.stderr
        reply = json.loads(asked.stdout)
        assert notice["text"] in reply["reply"] and "still going" in reply["reply"] and reply["actions"] == []
    finally:
        _stop(service)
        listener.stop()
        sim.clear_discovery()


def test_notifications_and_routines_say_what_is_wrong_and_change_nothing(tmp_path: Path) -> None:
    env = {"IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": ""}
    empty = run_cli("notifications", env=env)
    assert empty.returncode == 0 and empty.stdout.strip() == "Nothing noticed for owner. (iotlm run watches the home.)"
    missing = run_cli("notifications", "--mute", "7", env=env)
    assert missing.returncode != 0 and "there is no notification 7 for owner" in missing.stderr
    bad = run_cli("notifications", "--limit", "0", env=env)
    assert bad.returncode != 0 and "--limit 0: give 1 or more" in bad.stderr
    none = run_cli("routines", "--devices-from", str(EXAMPLE_HOME), env=env)
    assert none.returncode == 0 and "No routine in the last 28 days" in none.stderr
