"""The ``iotlm`` command line, run as a user would, against a real broker."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.transport import Transport
from tests.conftest import ROOT, CliResult, homebench_homes, run_cli


def _iotlm(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> CliResult:
    """In process; the subprocess tests here (one per command group at least) run ``python -m iotlm.cli``."""
    return run_cli(*args, env=env)


def test_devices_json_lists_every_device_with_attributes_and_values(broker: EmbeddedBroker, home: Home,
                                                                    sim_transport: Transport, tmp_path: Path) -> None:
    # the default base topic, as a user's Zigbee2MQTT would use: this test owns it on this broker
    from iotlm.device_drivers.simulator import Simulator

    sim = Simulator(home, sim_transport, dialect="z2m").start()
    try:
        result = _iotlm("devices", "--json", "--broker", broker.url, "--home-dir", str(tmp_path))
    finally:
        sim.clear_discovery()
    assert result.returncode == 0, result.stderr
    listed = {d["id"]: d for d in json.loads(result.stdout)}
    assert set(listed) == {d.id for d in home.devices}
    for device in home.devices:
        got = listed[device.id]
        assert (got["room"], got["type"], got["risky"], got["driver"]) == (device.room, device.type, device.risky, "zigbee2mqtt")
        assert {k: v.get("value") for k, v in got["attributes"].items()} == device.state()


def test_demo_lists_the_simulated_home_with_no_broker_configured(tmp_path: Path) -> None:
    env = {"IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": ""}
    result = _iotlm("demo", "--list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert "embedded" in result.stderr
    devices = json.loads(result.stdout)
    assert len(devices) == len(json.loads((ROOT / "examples/homes/flat.json").read_text())["devices"])


def test_demo_chat_answers_and_asks_before_risky_actions(tmp_path: Path) -> None:
    lines = "dim the living room to 30% and unlock the front door\nyes\nis the front door locked?\nturn it off\nexit\n"
    result = subprocess.run([sys.executable, "-m", "iotlm.cli", "demo"], input=lines, capture_output=True, text=True,
                            timeout=90, cwd=ROOT, env={**os.environ, "IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "iotlm> Do you want me to unlock the front door lock? (yes/no)",
        "iotlm> The ceiling light is now at brightness 30%; the front door lock is now unlocked.",
        "iotlm> The front door lock is unlocked.",
        "iotlm> I can't do that: the front door lock can't be turned off; it can be: locked, unlocked.",
    ]
    # the demo keeps its history, threads and rules apart from the real home's data
    assert (tmp_path / "demo" / "iotlm.db").exists() and (tmp_path / "demo" / "threads.db").exists()
    assert not (tmp_path / "iotlm.db").exists() and not (tmp_path / "threads.db").exists()
    assert f"demo data in {tmp_path / 'demo'}" in result.stderr


def test_ask_json_has_the_documented_shape(broker: EmbeddedBroker, home: Home, sim_transport: Transport, tmp_path: Path) -> None:
    from iotlm.device_drivers.simulator import Simulator

    sim = Simulator(home, sim_transport, dialect="z2m").start()
    env = {"IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": broker.url}
    (tmp_path / "policies.toml").write_text('[users]\nalice = "member"\n', encoding="utf-8")  # unknown: a guest
    try:
        plain = _iotlm("ask", "set the kitchen light to 25% and open the garage", "--json", env=env)
        confirmed = _iotlm("ask", "open the garage", "--yes", "--json", "--user", "alice", env=env)
    finally:
        sim.clear_discovery()
    assert plain.returncode == 3, plain.stderr  # waiting for a yes: documented, not 0
    assert "Run the request again with --yes, or answer yes in `iotlm chat`" in plain.stderr
    result = json.loads(plain.stdout)
    assert set(result) == {"reply", "actions", "refused", "needs_confirmation", "tier", "latency_ms", "scheduled", "reading"}
    assert (result["needs_confirmation"], result["tier"]) == (True, "fast")
    assert result["reply"] == "Do you want me to open the garage door? (yes/no)"
    done = json.loads(confirmed.stdout)
    assert done["actions"] == [{"device_id": "garage.door", "attribute": "state", "value": "open", "status": "done"}]
    assert isinstance(done["latency_ms"], float) and done["latency_ms"] > 0
    assert [(c.device_id, json.loads(c.payload)) for c in sim.commands] == [("garage.door", {"state": "OPEN"})]


def test_ask_refuses_text_that_is_not_utf8_before_anything_acts(broker: EmbeddedBroker, home: Home,
                                                                 sim_transport: Transport, tmp_path: Path) -> None:
    from iotlm.device_drivers.simulator import Simulator

    sim = Simulator(home, sim_transport, dialect="z2m").start()
    try:
        result = subprocess.run([sys.executable.encode(), b"-m", b"iotlm.cli", b"ask", b"turn on the kitchen light \xff"],
                                capture_output=True, timeout=90, cwd=ROOT,
                                env={**os.environ, "IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": broker.url})
    finally:
        sim.clear_discovery()
    assert result.returncode == 2
    assert result.stderr.decode() == ("iotlm: error: the request is not valid UTF-8 text (byte 'ff' at character 26); "
                                      "check your terminal's encoding (e.g. LANG=C.UTF-8)\n")
    assert sim.commands == []


def test_demo_answers_a_line_that_is_not_utf8_and_goes_on(tmp_path: Path) -> None:
    lines = b"turn on the kitchen light \xff\nis the kitchen light on?\nexit\n"
    result = subprocess.run([sys.executable, "-m", "iotlm.cli", "demo"], input=lines, capture_output=True, timeout=90,
                            cwd=ROOT, env={**os.environ, "IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": ""})
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    assert result.stdout.decode().splitlines() == [
        "iotlm> Sorry, that line is not valid UTF-8 text (byte 'ff' at character 26); check your terminal's encoding "
        "(e.g. LANG=C.UTF-8). Nothing was changed.",
        "iotlm> The kitchen light is off."]


def test_sigterm_stops_the_demo_and_its_broker(tmp_path: Path) -> None:
    """A service manager's SIGTERM ends the demo as Ctrl-C does: its embedded Mosquitto stops with it."""
    demo = subprocess.Popen([sys.executable, "-m", "iotlm.cli", "demo", "--web", "127.0.0.1:0"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": ""})
    said = ""
    try:
        while demo.stderr is not None and "Try:" not in said:  # the chat loop is waiting for a line
            line = demo.stderr.readline()
            assert line, f"the demo ended before it was ready: {said}"
            said += line
        port = int(re.search(r"broker on mqtt://127\.0\.0\.1:(\d+)", said).group(1))  # type: ignore[union-attr]
        demo.send_signal(signal.SIGTERM)
        demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.communicate()
    assert demo.returncode == 143
    with socket.socket() as probe:  # nothing listens on the broker's port any more
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_wheel_runs_the_demo_on_its_own_default_home(tmp_path: Path) -> None:
    """The default home is package data: iotlm installed from a wheel, with no source tree beside it, lists the example
    flat with `iotlm demo --list`."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True,
                    ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "tests", "docs"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "wheels"),
                    str(source)], check=True, capture_output=True, timeout=180)
    site = tmp_path / "site"
    with zipfile.ZipFile(next((tmp_path / "wheels").glob("iotlm-*.whl"))) as wheel:
        wheel.extractall(site)
    code = "import sys, iotlm.cli; print(iotlm.cli.__file__, file=sys.stderr); sys.exit(iotlm.cli.main(['demo', '--list', '--json']))"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(site), "IOTLM_HOME": str(tmp_path / "data"), "IOTLM_BROKER": ""})
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(str(site / "iotlm" / "cli"))  # the wheel's code ran, not the source tree's
    assert len(json.loads(result.stdout)) == len(json.loads((ROOT / "examples/homes/flat.json").read_text())["devices"])


def test_bad_broker_url_is_a_clear_error(tmp_path: Path) -> None:
    result = _iotlm("devices", "--broker", "http://example", "--home-dir", str(tmp_path))
    assert result.returncode == 2
    assert "scheme must be mqtt:// or mqtts://" in result.stderr


def test_unreachable_broker_says_so(tmp_path: Path) -> None:
    from iotlm.device_drivers.broker import free_port

    result = _iotlm("devices", "--broker", f"mqtt://127.0.0.1:{free_port()}", "--home-dir", str(tmp_path), timeout=60)
    assert result.returncode == 2
    assert "no MQTT broker answered" in result.stderr


def test_broken_home_file_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "home.json"
    bad.write_text('{"name": "x", "devices": [{"id": "a", "name": "a", "attributes": {"b": {"min": 5, "max": 1}}}]}')
    result = _iotlm("demo", "--home", str(bad), env={"IOTLM_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "devices.0.attributes.b" in result.stderr and "min 5.0 is above max 1.0" in result.stderr


def test_simulate_serves_a_homebench_home(broker: EmbeddedBroker, transport: Transport, tmp_path: Path) -> None:
    from iotlm.device_drivers.connection import Connection

    proc = subprocess.Popen([sys.executable, "-m", "iotlm.cli", "simulate", "--homebench", "3", "--homebench-file",
                             str(homebench_homes()), "--broker", broker.url, "--home-dir", str(tmp_path)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = Connection(transport)  # the default base topic, as `iotlm simulate` uses
        for driver in conn.drivers.values():
            driver.start()
        assert conn.registry.wait_for(lambda r: len(r) > 20 and "ding_room.light" in r, timeout=30)
        assert conn.registry.get("ding_room.light").room == "dining room"  # type: ignore[union-attr]
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_call_and_audit_from_the_command_line(broker: EmbeddedBroker, home: Home, sim_transport: Transport,
                                              tmp_path: Path) -> None:
    from iotlm.device_drivers.simulator import Simulator

    sim = Simulator(home, sim_transport, dialect="z2m").start()
    env = {"IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": broker.url}
    try:
        done = _iotlm("call", "kitchen.light.set_brightness", "value=40", "--json", env=env)
        asked = _iotlm("call", "hallway.front_door.unlock", env=env)
        bad = _iotlm("call", "kitchen.light.set_brightness", "value=400", env=env)
    finally:
        sim.clear_discovery()
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert (outcome["status"], outcome["reported"]) == ("done", 40)
    assert asked.returncode == 1
    assert asked.stdout.splitlines() == ["needs_confirmation: changing the front door lock needs your confirmation",
                                         "run again with --yes to confirm"]
    assert bad.returncode == 2
    assert bad.stderr.strip() == "iotlm: error: kitchen.light.set_brightness: argument 'value' got 400; allowed: a number in 0..100 %"
    assert [(c.device_id, json.loads(c.payload)) for c in sim.commands] == [("kitchen.light", {"brightness": 102, "state": "ON"})]  # 40 % of 254

    audit = _iotlm("audit", "--json", env=env)
    assert audit.returncode == 0, audit.stderr
    entries = json.loads(audit.stdout)
    assert [(e["device_id"], e["verdict"], e["policy"], e["origin"]) for e in entries] == [
        ("kitchen.light", "allow", "default", "cli"), ("hallway.front_door", "ask", "confirmation", "cli")]


def test_simulate_in_shelly_says_what_it_left_out_and_devices_lists_the_rest(broker: EmbeddedBroker, tmp_path: Path) -> None:
    prefix = f"t{os.getpid()}sim"
    (tmp_path / "config.toml").write_text(  # this test's own topics on the shared broker
        f'z2m_base = "{prefix}/z2m"\nha_prefix = "{prefix}/ha"\ntasmota_discovery = "{prefix}/tasmota/discovery"\n'
        f'shelly_root = "{prefix}"\nesphome_root = "{prefix}"\n')
    env = {**os.environ, "IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": broker.url}
    with subprocess.Popen([sys.executable, "-m", "iotlm.cli", "simulate", "--dialect", "shelly", "--speed", "0"],
                          stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env) as sim:
        try:
            assert sim.stderr is not None
            said = [sim.stderr.readline()]
            while said[-1] and not said[-1].startswith("simulating") and len(said) < 30:
                said.append(sim.stderr.readline())
            assert "left out hallway.front_door: no Shelly is a lock: iotlm reads Shelly switches, lights, covers and H&T sensors\n" in said
            assert len(said) == 9 and said[-1].startswith("simulating 15 devices of 'flat' (shelly) on "), said
            listed = _iotlm("devices", "--json", "--wait", "5", env={"IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": broker.url})
            assert listed.returncode == 0, listed.stderr
            drivers = {d["id"]: d["driver"] for d in json.loads(listed.stdout)}
            assert len(drivers) == 15 and set(drivers.values()) == {"shelly"}
        finally:
            sim.terminate()
            sim.wait(timeout=30)


def test_a_home_file_with_an_unknown_dialect_is_refused_with_the_ones_there_are(tmp_path: Path) -> None:
    bad = tmp_path / "home.json"
    bad.write_text(json.dumps({"devices": [{"id": "kitchen.light", "name": "light", "dialect": "zwave"}]}))
    result = _iotlm("simulate", "--home", str(bad), env={"IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": ""})
    assert result.returncode != 0
    assert "devices.0.dialect: 'zwave' is not a dialect iotlm simulates; use one of z2m, ha, tasmota, shelly, esphome" in result.stderr


def test_iotlm_version_says_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from iotlm.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0 and capsys.readouterr().out.strip() == f"iotlm {version('iotlm')}"
