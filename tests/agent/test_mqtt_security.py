"""MQTT security against a real Mosquitto configured that way: passwords, the example ACL, TLS, and who may confirm."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iotlm.agent.session import Agent
from iotlm.automations.store import RuleStore
from iotlm.config import load_settings
from iotlm.device_drivers.broker import EmbeddedBroker, free_port
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.simulator import Simulator
from iotlm.device_drivers.transport import Transport
from iotlm.runtime import build_runtime
from iotlm.service import Service
from tests.conftest import ROOT, FakeClock, eventually
from tests.fakes import ScriptedModel

PASSWORDS = {"iotlm": "svc-pass", "zigbee2mqtt": "z2m-pass", "alice": "alice-pass", "bob": "bob-pass", "mallory": "m-pass"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A broker like examples/mosquitto/mosquitto.conf: everyone signs in, the example ACL decides who reads what."""
    folder = tmp_path_factory.mktemp("secured")
    passwd = folder / "passwd"
    passwd.touch(mode=0o600)
    for user, password in PASSWORDS.items():
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, password], check=True, capture_output=True)
    with EmbeddedBroker(anonymous=False, extra_config=[f"password_file {passwd}",
                                                       f"acl_file {ROOT / 'examples' / 'mosquitto' / 'acl'}"]) as b:
        yield b


def client(broker: EmbeddedBroker, user: str, password: str | None = None) -> Transport:
    return Transport(broker.url, username=user, password=password or PASSWORDS[user]).start()


def test_a_wrong_password_is_refused_with_a_clear_error(secured: EmbeddedBroker) -> None:
    with pytest.raises(ConnectionError, match=r"refused the connection: Not authorized; check the username and password"):
        Transport(secured.url, username="alice", password="wrong").start(timeout=3)
    with pytest.raises(ConnectionError, match=r"refused the connection"):
        Transport(secured.url).start(timeout=3)  # anonymous


def test_a_user_the_acl_does_not_let_read_the_devices_is_told_where_to_look(secured: EmbeddedBroker, home: Home,
                                                                              tmp_path: Path) -> None:
    z2m = client(secured, "zigbee2mqtt")
    sim = Simulator(home, z2m, dialect="z2m").start()
    try:
        result = subprocess.run([sys.executable, "-m", "iotlm.cli", "devices", "--broker",
                                 f"mqtt://bob:{PASSWORDS['bob']}@127.0.0.1:{secured.port}", "--home-dir", str(tmp_path)],
                                capture_output=True, text=True, timeout=60, cwd=ROOT)
    finally:
        sim.clear_discovery()
        z2m.stop()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "no devices found (is Zigbee2MQTT or Home Assistant discovery publishing on this broker? If the broker has an ACL, "
        "this user needs read access to zigbee2mqtt/# and homeassistant/#: see examples/mosquitto/acl)")


@pytest.fixture
def service(secured: EmbeddedBroker, home: Home, tmp_path: Path) -> Iterator[Service]:
    (tmp_path / "policies.toml").write_text('[users]\nowner = "admin"\nalice = "admin"\nbob = "member"\n'
                                            '[mqtt]\nallow_yes = ["bob"]\n', encoding="utf-8")
    z2m = client(secured, "zigbee2mqtt")
    sim = Simulator(home, z2m, dialect="z2m").start()
    settings = load_settings({"home": str(tmp_path), "broker": secured.url, "username": "iotlm",
                              "password": PASSWORDS["iotlm"]}, environ={})
    runtime = build_runtime(settings, secured.url, clock=FakeClock())
    runtime.connection.start()
    assert runtime.connection.registry.wait_for_devices([d.id for d in home.devices], timeout=10)
    runtime.connection.transport.drain()
    agent = Agent(runtime, model=ScriptedModel(lambda prompt: ("none", 0.9)))
    svc = Service(agent, RuleStore(tmp_path / "rules.db")).start()
    svc.sim = sim  # type: ignore[attr-defined]
    yield svc
    svc.stop()
    agent.close()
    runtime.stop()
    sim.clear_discovery()
    z2m.stop()


class Person:
    """Someone with their own broker account, asking on their own topic and reading their own replies."""

    def __init__(self, broker: EmbeddedBroker, name: str) -> None:
        self.name = name
        self.replies: list[dict[str, Any]] = []
        self.got = threading.Event()
        self.t = client(broker, name)
        self.t.subscribe(f"iotlm/home/reply/{name}/#", self._on_reply, wait=5)

    def _on_reply(self, topic: str, payload: bytes) -> None:
        self.replies.append({"topic": topic, **json.loads(payload)})
        self.got.set()

    def say(self, body: dict[str, Any], as_user: str | None = None) -> None:
        self.t.publish(f"iotlm/home/ask/{as_user or self.name}", body, wait=5)

    def reply(self, request_id: str) -> dict[str, Any]:
        assert eventually(lambda: any(r.get("id") == request_id for r in self.replies), timeout=10), self.replies
        return next(r for r in self.replies if r.get("id") == request_id)


def door(service: Service) -> str:
    return str(service.sim.state("hallway.front_door")["state"])  # type: ignore[attr-defined]


def test_identity_is_the_topic_and_a_confirmation_answers_the_question_id(secured: EmbeddedBroker, service: Service) -> None:
    """Found by review: an anonymous client published {"text": "unlock the front door", "user": "alice", "yes": true}
    and the door unlocked."""
    alice, bob, mallory = Person(secured, "alice"), Person(secured, "bob"), Person(secured, "mallory")
    snooped: list[str] = []
    mallory.t.subscribe("iotlm/home/reply/#", lambda topic, payload: snooped.append(topic), wait=5)
    try:
        # mallory may not write alice's topic: the broker drops it, nothing acts
        mallory.say({"id": "m1", "text": "unlock the front door", "yes": True}, as_user="alice")
        # naming someone in the message is refused, and changes nothing
        mallory.say({"id": "m2", "text": "unlock the front door", "user": "alice", "yes": True})
        assert mallory.reply("m2")["error"].startswith("user is not taken from the message")
        # alice asks; her "yes": true confirms nothing, since she is not in mqtt.allow_yes
        alice.say({"id": "a1", "text": "unlock the front door", "yes": True, "thread": "door"})
        asked = alice.reply("a1")
        assert asked["topic"] == "iotlm/home/reply/alice/a1" and asked["needs_confirmation"] is True
        assert asked["confirm_with"] == {"confirm": "a1", "answer": "yes"}
        assert "confirms nothing for alice over MQTT" in asked["notes"][0]
        assert door(service) == "locked"
        # someone else cannot answer her question: not on her topic (ACL), nor by its id on their own
        mallory.say({"id": "m3", "confirm": "a1", "answer": "yes"}, as_user="alice")
        bob.say({"id": "b1", "confirm": "a1", "answer": "yes"})  # answered on the id it answers, on bob's own topic
        assert bob.reply("a1")["error"].startswith("there is no question 'a1' waiting for bob")
        assert door(service) == "locked"
        # nor does a plain "yes" sent as a new request; it leaves the question waiting
        alice.say({"id": "a2", "text": "yes", "thread": "door"})
        assert alice.reply("a2")["reply"] == "A plain yes or no does not answer a question here; answer the question by its id."
        alice.say({"id": "a2b", "text": "yes"})
        assert alice.reply("a2b")["reply"] == "There is no question waiting for a yes or no."
        assert door(service) == "locked"
        # her answer to the question's id does it
        alice.say({"id": "a3", "text": "unlock the front door"})
        assert alice.reply("a3")["needs_confirmation"] is True
        alice.say({"id": "a4", "confirm": "a3", "answer": "yes"})  # answered on the question's id, a3
        assert eventually(lambda: sum(r.get("id") == "a3" for r in alice.replies) == 2, timeout=10), alice.replies
        done = [r for r in alice.replies if r.get("id") == "a3"][-1]
        assert done["topic"] == "iotlm/home/reply/alice/a3" and not any(r.get("id") == "a4" for r in alice.replies)
        assert done["actions"] == [{"device_id": "hallway.front_door", "attribute": "state", "value": "unlocked",
                                    "status": "done"}]
        assert door(service) == "unlocked"
        assert not any(r.get("id", "").startswith("m1") or r.get("id") == "m3" for r in alice.replies + mallory.replies)
        # bob is in mqtt.allow_yes: his "yes": true confirms his own request up front
        bob.say({"id": "b2", "text": "lock the front door", "yes": True})
        assert bob.reply("b2")["actions"][0]["status"] == "done" and door(service) == "locked"
        assert [t for t in snooped if not t.startswith("iotlm/home/reply/mallory/")] == []  # nobody reads others' replies
        entries = service.runtime.audit.entries(50)
        assert {e["user"] for e in entries} <= {"alice", "bob"}  # mallory never reached the gate as anyone
    finally:
        for person in (alice, bob, mallory):
            person.t.stop()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedBroker, Path, int]]:
    """A broker with a TLS listener whose certificate a CA made here signed (for 127.0.0.1)."""
    d = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=iotlm test CA", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1",
             cwd=d)
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n", encoding="utf-8")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
             "server.crt", "-days", "2", "-extfile", "san.ext", cwd=d)
    port = free_port()
    with EmbeddedBroker(extra_config=[f"listener {port} 127.0.0.1", f"cafile {d / 'ca.crt'}",
                                      f"certfile {d / 'server.crt'}", f"keyfile {d / 'server.key'}"]) as b:
        yield b, d / "ca.crt", port


# paho leaves the socket of a failed TLS handshake for the garbage collector (its retry loop, not our code)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_tls_with_the_households_ca(tls: tuple[EmbeddedBroker, Path, int], home: Home, prefix: str) -> None:
    broker, ca, port = tls
    url = f"mqtts://127.0.0.1:{port}"
    sim_t = Transport(broker.url).start()  # the devices on the plain listener, iotlm over TLS
    t = Transport(url, ca_certs=str(ca)).start(timeout=5)
    try:
        from tests.conftest import connect, start_sim

        sim = start_sim(home, sim_t, prefix)
        conn = connect(t, prefix)
        assert conn.registry.wait_for_devices(["kitchen.light"], timeout=10)
        conn.command("kitchen.light", {"state": "on"})
        assert eventually(lambda: sim.state("kitchen.light")["state"] == "on")
    finally:
        t.stop()
        sim_t.stop()
    with pytest.raises(ConnectionError):  # a server the system's CAs do not vouch for is not trusted
        Transport(url).start(timeout=2)
