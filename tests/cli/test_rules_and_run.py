"""``iotlm rules`` and ``iotlm run`` as a user runs them: in process, and as real processes (one smoke test per group),
with a real broker and the simulated flat."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.simulator.load import SensorLoad
from iotlm.device_drivers.transport import Transport
from tests.conftest import EXAMPLE_HOME, ROOT, CliResult, eventually, run_cli


def iotlm(*args: str, home: Path) -> CliResult:
    return run_cli(*args, env={"IOTLM_HOME": str(home), "IOTLM_BROKER": ""})


def test_rules_smoke_as_a_process(tmp_path: Path) -> None:
    env = {**os.environ, "IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": ""}
    listed = subprocess.run([sys.executable, "-m", "iotlm", "rules", "list"], capture_output=True, text=True, timeout=60,
                            cwd=ROOT, env=env)
    assert (listed.returncode, listed.stderr) == (0, "")
    assert listed.stdout.startswith("No rules yet. Add one: iotlm rules add")


SENTENCE = "when the hallway motion sensor sees someone, turn on the hallway light for 2 seconds"


def test_rules_are_added_from_a_sentence_listed_tested_disabled_and_removed(tmp_path: Path) -> None:
    devices = ["--devices-from", str(EXAMPLE_HOME)]
    added = iotlm("rules", "add", SENTENCE, "--yes", "--no-llm", "--json", "--id", "hall", *devices, home=tmp_path)
    assert added.returncode == 0, added.stderr
    out = json.loads(added.stdout)
    assert out["saved"] is True and out["rule"]["id"] == "hall"
    assert out["description"] == ("When the hallway motion sensor's occupancy becomes true: set the hallway light to state on, "
                                  "then after 2 seconds put it back as it was.")
    [listed] = json.loads(iotlm("rules", "list", "--json", home=tmp_path).stdout)
    assert (listed["id"], listed["enabled"], listed["state"]["fired"]) == ("hall", True, 0)
    tested = json.loads(iotlm("rules", "test", "hall", "--value", "true", "--json", *devices, home=tmp_path).stdout)
    assert (tested["trigger"], tested["would_fire"], tested["problems"]) == ({"value": True, "matches": True}, True, [])
    assert json.loads(iotlm("rules", "disable", "hall", "--json", home=tmp_path).stdout) == {"id": "hall", "done": "disable"}
    assert json.loads(iotlm("rules", "show", "hall", "--json", home=tmp_path).stdout)["enabled"] is False
    again = iotlm("rules", "add", SENTENCE, "--yes", "--no-llm", "--id", "hall", *devices, home=tmp_path)
    assert again.returncode == 2 and "a rule 'hall' exists already" in again.stderr
    assert iotlm("rules", "remove", "hall", home=tmp_path).returncode == 0
    assert json.loads(iotlm("rules", "list", "--json", home=tmp_path).stdout) == []


def test_a_sentence_that_is_not_a_rule_is_explained_and_nothing_is_saved(tmp_path: Path) -> None:
    bad = iotlm("rules", "add", "turn everything on", "--yes", "--no-llm", "--devices-from", str(EXAMPLE_HOME), home=tmp_path)
    assert bad.returncode == 2
    assert "I couldn't make a rule of that: I couldn't find the two halves of a rule" in bad.stderr
    missing = iotlm("rules", "show", "nope", home=tmp_path)
    assert missing.returncode == 2 and "no rule 'nope'; rules: none yet" in missing.stderr
    assert json.loads(iotlm("rules", "list", "--json", home=tmp_path).stdout) == []


def test_run_fires_rules_answers_over_mqtt_reports_bad_rules_and_stops_on_sigterm(
        broker: EmbeddedBroker, home: Home, sim_transport: Transport, tmp_path: Path) -> None:
    from iotlm.device_drivers.simulator import Simulator

    added = iotlm("rules", "add", SENTENCE, "--yes", "--no-llm", "--id", "hall", "--devices-from", str(EXAMPLE_HOME),
                  home=tmp_path)
    assert added.returncode == 0, added.stderr
    (tmp_path / "rules.yaml").write_text(
        "rules:\n"
        "  - id: ghost\n"
        "    when: {device: hallway.ghost, attribute: occupancy, to: true}\n"
        "    do: [{device: hallway.light, set: {state: 'on'}}]\n", encoding="utf-8")
    sim = Simulator(home, sim_transport, dialect="z2m").start()  # the default base topic, as a user's bridge
    env = {**os.environ, "IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": ""}
    service = subprocess.Popen([sys.executable, "-m", "iotlm.cli", "run", "--broker", broker.url, "--name", "cli-test",
                                "--wait", "1", "--web", "127.0.0.1:0"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    client = Transport(broker.url).start()
    replies: list[dict[str, Any]] = []
    try:
        started = ""
        deadline = time.monotonic() + 60
        while "rules running" not in started and time.monotonic() < deadline:
            line = service.stderr.readline() if service.stderr else ""
            if not line:
                break
            started += line
        assert "1 rules running, 1 not" in started and "questions on iotlm/cli-test/ask" in started, started
        assert "rule ghost: when: no device 'hallway.ghost'" in started
        SensorLoad(sim_transport).report("hallway.motion", {"occupancy": True})
        assert eventually(lambda: sim.state("hallway.light")["state"] == "on")
        assert eventually(lambda: sim.state("hallway.light")["state"] == "off", timeout=10)  # put back after 2 s
        client.subscribe("iotlm/cli-test/anonymous/reply/#", lambda t, p: replies.append(json.loads(p)), wait=5)
        client.publish("iotlm/cli-test/ask", {"id": "a1", "text": "is the hallway light on?"})
        assert eventually(lambda: bool(replies))
        assert replies[0]["id"] == "a1" and replies[0]["reply"] == "The hallway light is off."
        # a name given with `iotlm devices set` while the service runs: it answers to it within a second or two
        assert iotlm("devices", "set", "hallway.light", "--name", "porch lamp", home=tmp_path).returncode == 0

        asked = iter(range(2, 1000))

        def answers_to_the_new_name() -> bool:
            ask_id = f"a{next(asked)}"
            client.publish("iotlm/cli-test/ask", {"id": ask_id, "text": "is the porch lamp on?"})
            eventually(lambda: any(r["id"] == ask_id for r in replies), timeout=3)
            return any(r["id"] == ask_id and r["reply"] == "The porch lamp is off." for r in replies)

        assert eventually(answers_to_the_new_name, timeout=20), replies
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=15) == 0
    finally:
        if service.poll() is None:
            service.kill()
        service.communicate(timeout=10)  # closes the pipes
        client.stop()
        sim.clear_discovery()
    shown = json.loads(iotlm("rules", "show", "hall", "--json", home=tmp_path).stdout)
    assert shown["state"]["fired"] == 1 and shown["timers"] == []



def test_rules_add_asks_for_what_the_gate_would_ask_and_warns_of_what_it_would_refuse(tmp_path: Path) -> None:
    """Found by review: approval came from device.risky, which Home Assistant devices never set, so a lock rule was
    saved unapproved and then never acted, silently."""
    flat = json.loads(EXAMPLE_HOME.read_text(encoding="utf-8"))
    for device in flat["devices"]:
        device["risky"] = False  # as discovered from Home Assistant: only the gate's own selectors say "ask"
    home_file = tmp_path / "home.json"
    home_file.write_text(json.dumps(flat), encoding="utf-8")
    (tmp_path / "policies.toml").write_text('confirm = ["type:lock", "name:*lamp*"]\n[users]\nowner = "admin"\nsam = "guest"\n',
                                            encoding="utf-8")
    sentence = "when the hallway motion sensor sees someone, unlock the front door"
    added = iotlm("rules", "add", sentence, "--yes", "--no-llm", "--json", "--id", "door", "--devices-from", str(home_file),
                  home=tmp_path)
    assert added.returncode == 0, added.stderr
    out = json.loads(added.stdout)
    assert out["risky"] == ["hallway.front_door.state = 'unlocked' (changing the front door lock needs your confirmation)"]
    assert out["rule"]["approved_risky"] is True and out["denied"] == []
    lamp = iotlm("rules", "add", "when the hallway motion sensor sees someone, turn on the desk lamp", "--yes", "--no-llm",
                 "--json", "--id", "lamp", "--devices-from", str(home_file), home=tmp_path)
    assert json.loads(lamp.stdout)["risky"] == [
        "office.desk_lamp.state = 'on' (changing the desk lamp needs your confirmation)"]  # the file's own selector

    guest = iotlm("rules", "add", sentence, "--yes", "--no-llm", "--json", "--id", "sams-door", "--user", "sam",
                  "--devices-from", str(home_file), home=tmp_path)
    assert guest.returncode == 0, guest.stderr
    assert json.loads(guest.stdout)["denied"] == [
        "hallway.front_door.state = 'unlocked': sam (guest) may not do that: unlock on type:lock"]
    assert guest.stderr == ("iotlm: warning: when it fires, the gate will refuse hallway.front_door.state = 'unlocked': "
                            "sam (guest) may not do that: unlock on type:lock\n")


def _start_run(broker: EmbeddedBroker, home_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "IOTLM_HOME": str(home_dir), "IOTLM_BROKER": ""}
    service = subprocess.Popen([sys.executable, "-m", "iotlm.cli", "run", "--broker", broker.url, "--name", "job-test",
                                "--wait", "1", "--web", "127.0.0.1:0"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started, deadline = "", time.monotonic() + 60
    while "rules running" not in started and time.monotonic() < deadline:
        line = service.stderr.readline() if service.stderr else ""
        if not line:
            break
        started += line
    assert "rules running" in started, started
    return service


def _stop(service: subprocess.Popen[str]) -> None:
    if service.poll() is None:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(timeout=15)
        except subprocess.TimeoutExpired:
            service.kill()
    service.communicate(timeout=10)


def test_a_job_from_ask_survives_a_restart_of_run(broker: EmbeddedBroker, home: Home, sim_transport: Transport,
                                                  tmp_path: Path) -> None:
    from iotlm.device_drivers.simulator import Simulator

    sim = Simulator(home, sim_transport, dialect="z2m").start()
    env = {"IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": broker.url}
    first = _start_run(broker, tmp_path)
    try:
        asked = run_cli("ask", "in 8 seconds turn on the hallway light", "--json", env=env)
        assert asked.returncode == 0, asked.stderr
        [job] = json.loads(asked.stdout)["scheduled"]
        assert job["kind"] == "job" and job["actions"] == [{"device": "hallway.light", "set": {"state": "on"}}]
        _stop(first)  # iotlm run goes down before the job is due
        assert sim.state("hallway.light")["state"] == "off"
        due = time.time() + 8
        [listed] = json.loads(iotlm("rules", "list", "--json", home=tmp_path).stdout)
        assert (listed["kind"], listed["status"]) == ("job", "scheduled")
        time.sleep(max(0.0, due - time.time()) + 1)  # it is due while nothing runs
        second = _start_run(broker, tmp_path)
        try:
            assert eventually(lambda: sim.state("hallway.light")["state"] == "on", timeout=15)
        finally:
            _stop(second)
        [done] = json.loads(iotlm("rules", "list", "--json", home=tmp_path).stdout)
        assert done["status"] == "done" and done["enabled"] is False
    finally:
        _stop(first)
        sim.clear_discovery()
