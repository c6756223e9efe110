"""Trust II (issue 25) on the web app and the API: threads, device ids in URLs, who reads what, sign-in, bad bodies.

A real server over a real agent, gate and simulated home on a real Mosquitto; the thread collision and what
``/api/health`` says also against a real ``iotlm run``.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from iotlm.automations.model import Rule
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.model import Device
from iotlm.device_drivers.transport import Transport
from iotlm.policies.users import UserStore
from iotlm.web.auth import LoginForms, SignInThrottle
from tests.cli.test_rules_and_run import _start_run, _stop
from tests.conftest import ROOT, FakeClock, Stack, eventually
from tests.web.conftest import ODD_IDS, PASSWORD, Web
from tests.web.test_pages import page_csrf, sign_in

# ------------------------------------------------------------ 2. threads


def test_a_guest_cannot_reach_an_admins_thread_by_its_name(web: Web) -> None:
    """Guest anna's thread "admin-main" was admin anna-admin's thread "main": anna confirmed the unlock."""
    victim, guest = web.token("anna-admin", "admin"), web.token("anna", "guest")
    with web.client(victim) as c:
        assert c.post("/api/ask", json={"text": "unlock the front door", "thread": "main"}).json()["needs_confirmation"]
    with web.client(guest) as c:
        r = c.post("/api/confirm", json={"thread": "admin-main", "answer": "yes"})
        assert r.status_code == 404 and "nothing is waiting" in r.json()["error"]
    with web.client() as c:
        sign_in(c, "anna")
        page = c.get("/chat", params={"thread": "admin-main"}).text
    assert "front door" not in page and "button class=\"confirm\"" not in page
    assert web.sent() == []


def test_against_a_real_run_threads_are_per_person_and_health_says_nothing_of_the_home(
        broker: EmbeddedBroker, home: Home, sim_transport: Transport, tmp_path: Path) -> None:
    from iotlm.device_drivers.simulator import Simulator

    users = UserStore(tmp_path / "iotlm.db")
    users.add("anna-admin", "admin", PASSWORD)
    users.add("anna", "guest", PASSWORD)
    victim, guest = users.new_token("anna-admin"), users.new_token("anna")
    users.close()
    sim = Simulator(home, sim_transport, dialect="z2m").start()
    service = _start_run(broker, tmp_path)
    try:
        url = json.loads((tmp_path / "service.json").read_text())["url"]
        assert httpx.get(url + "/api/health").json() == {"service": "iotlm"}
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {victim}"}) as c:
            assert c.post("/api/ask", json={"text": "unlock the front door", "thread": "main"}).json()["needs_confirmation"]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {guest}"}) as c:
            assert c.post("/api/confirm", json={"thread": "admin-main", "answer": "yes"}).status_code == 404
        assert sim.state("hallway.front_door")["state"] == "locked"
        assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700  # 10: the data directory is its owner's alone
        for name in ("iotlm.db", "rules.db", "threads.db", "service.json", "stores.json"):
            if (tmp_path / name).exists():
                assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    finally:
        _stop(service)
        sim.clear_discovery()


# ------------------------------------------------------------ 4. device ids in URLs


@pytest.mark.parametrize("device_id", ODD_IDS)
def test_an_odd_device_id_is_one_path_segment_in_the_api(odd_web: Web, device_id: str) -> None:
    with odd_web.client(odd_web.token("alice", "admin")) as c:
        path = "/api/devices/" + quote(device_id, safe="")
        assert c.get(path).json()["id"] == device_id
        done = c.post(path, json={"attribute": "state", "value": "on"}).json()
    assert (done["device_id"], done["status"]) == (device_id, "done")
    assert odd_web.sent() == [(device_id, {"state": "ON"})]


def test_a_device_id_with_dot_dots_cannot_reach_another_route_from_the_page(odd_web: Web) -> None:
    """A Home Assistant discovery identifier ``../rules/victim-rule/remove``: a "Turn on" click removed a rule."""
    odd_web.server.home.rules.save(Rule.model_validate({"id": "victim-rule", "owner": "alice", "when": {"at": "07:00"},
                                                        "do": [{"device": "kitchen.light", "set": {"state": "on"}}]}))
    odd_web.token("alice", "admin")
    with odd_web.client() as c:
        sign_in(c, "alice")
        home = c.get("/").text
        assert "../rules" not in re.findall(r'hx-post="([^"]*)"', home)[0]
        assert set(re.findall(r'hx-post="([^"]*)"', home)) <= {"/devices/control", "/logout"}
        r = c.post("/devices/control", data={"device_id": "../rules/victim-rule/remove", "attribute": "state",
                                             "value": "on", "csrf": page_csrf(c)})
    assert r.status_code == 200 and odd_web.server.home.rules.get("victim-rule") is not None
    assert odd_web.sent() == [("../rules/victim-rule/remove", {"state": "ON"})]


def test_a_hash_in_a_device_id_is_refused_when_announced_and_answered_cleanly_when_asked(odd_web: Web) -> None:
    with pytest.raises(ValueError, match="'#'"):
        Device(id="plug#2", name="plug")
    with odd_web.client(odd_web.token("alice", "admin")) as c:
        r = c.get("/api/devices/plug%232")
    assert r.status_code == 404 and r.json()["error"].startswith("there is no device 'plug#2'")


# ------------------------------------------------------------ 6. who reads what


@pytest.fixture
def household(web: Web) -> dict[str, str]:
    """alice (admin) has a secret, a job and decisions; gus is a guest."""
    alice, gus = web.token("alice", "admin"), web.token("gus", "guest")
    web.runtime.memory().add("the alarm code is 4711 and the spare key is under the blue pot", user="alice")
    web.runtime.memory().add("gus likes jazz", user="gus")
    with web.client(alice) as c:
        c.post("/api/ask", json={"text": "unlock the front door", "yes": True})
        c.post("/api/ask", json={"text": "in 10 minutes turn off the kitchen light"})
    return {"alice": alice, "gus": gus}


def test_a_guest_reads_only_their_own_memories_audit_and_jobs(web: Web, household: dict[str, str]) -> None:
    with web.client(household["gus"]) as c:
        assert [m["text"] for m in c.get("/api/memory").json()] == ["gus likes jazz"]
        assert [m["text"] for m in c.get("/api/memory", params={"q": "alarm code spare key"}).json()] == ["gus likes jazz"]
        exported = c.get("/api/memory/export").json()
        assert [m["text"] for m in exported["memories"]] == ["gus likes jazz"] and exported["episodes"] == []
        r = c.get("/api/audit", params={"user": "alice"})
        assert r.status_code == 403 and "for admins" in r.json()["error"]
        assert c.get("/api/audit").json() == []
        assert [r for r in c.get("/api/rules").json() if r.get("kind") == "job"] == []
        listed = c.post("/api/ask", json={"text": "what is scheduled?"}).json()
        assert listed["reply"] == "Nothing is scheduled."
        cancel = c.post("/api/ask", json={"text": "cancel the kitchen light job"}).json()
        assert cancel["refused"][0]["reason"] == "no scheduled job of yours is about 'kitchen light' (Nothing is scheduled.)"
        page = c.get("/audit", params={"user": "alice"}).text
        assert "hallway.front_door" not in page
        assert "4711" not in c.get("/memory").text
    with web.client(household["alice"]) as c:
        assert len(c.get("/api/audit", params={"user": "alice"}).json()) >= 1
        assert [r["kind"] for r in c.get("/api/rules").json()] == ["job"]


def test_the_live_stream_shows_a_guest_state_but_not_others_decisions(web: Web) -> None:
    alice, gus = web.token("alice", "admin"), web.token("gus", "guest")
    lines: list[str] = []

    def read() -> None:
        with httpx.Client(base_url=web.url, headers={"Authorization": f"Bearer {gus}"}, timeout=10) as c, \
                c.stream("GET", "/api/events") as r:
            for line in r.iter_lines():
                lines.append(line)
                if '"kitchen.light"' in line and '"changed"' in line:
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert eventually(lambda: lines[:1] == [": connected"], 5)
    with web.client(alice) as c:
        c.post("/api/ask", json={"text": "unlock the front door", "yes": True})
        c.post("/api/ask", json={"text": "turn on the kitchen light"})
    reader.join(5)
    assert "event: state" in lines
    assert "event: decision" not in lines and not any("alice" in line for line in lines)


# ------------------------------------------------------------ 8. sign-in


def test_wrong_passwords_back_off_per_account_and_address() -> None:
    clock = FakeClock()
    throttle = SignInThrottle(clock=lambda: clock().timestamp())
    for _ in range(5):
        assert throttle.wait("10.0.0.9", "alice") == 0
        throttle.failed("10.0.0.9", "alice")
    assert throttle.wait("10.0.0.9", "alice") == pytest.approx(1.0)
    assert throttle.wait("10.0.0.7", "alice") == pytest.approx(1.0)  # another address, the same account
    assert throttle.wait("10.0.0.9", "bob") == pytest.approx(1.0)  # the same address, another account
    clock.advance(1.0)
    throttle.failed("10.0.0.9", "alice")
    assert throttle.wait("10.0.0.9", "alice") == pytest.approx(2.0)  # twice as long each time
    allowed, t = 0, 0.0
    while t < 60:  # a guesser who tries as soon as allowed, for a minute, from a fresh start
        clock.advance(0.01)
        t += 0.01
        if throttle.wait("10.0.0.5", "carol") == 0:
            throttle.failed("10.0.0.5", "carol")
            allowed += 1
    assert allowed <= 11
    throttle.succeeded("10.0.0.5", "carol")
    assert throttle.wait("10.0.0.5", "carol") == 0


def test_a_login_form_token_is_good_for_one_try() -> None:
    forms = LoginForms()
    token = forms.issue()
    assert forms.use(token) and not forms.use(token) and not forms.use("made-up")


def test_the_sixth_wrong_password_in_a_row_is_told_to_wait(web: Web) -> None:
    web.token("alice", "admin")
    with web.client() as c:
        said = []
        for _ in range(7):
            csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
            said.append(c.post("/login", data={"csrf": csrf, "name": "alice", "password": "guess"}).headers["location"])
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
        right = c.post("/login", data={"csrf": csrf, "name": "alice", "password": PASSWORD})
    assert ["Wrong" in s for s in said] == [True] * 5 + [False] * 2
    assert "Too+many+wrong+passwords" in said[5] and "Too+many" in right.headers["location"]


# ------------------------------------------------------------ 9, 10. bad input


def test_audit_hours_that_overflow_are_the_whole_log_not_a_500(web: Web) -> None:
    web.token("alice", "admin")
    with web.client() as c:
        sign_in(c, "alice")
        for hours in ("inf", "1e300", "-inf", "nan", "x"):
            assert c.get("/audit", params={"hours": hours}).status_code == 200, hours


# the 5000-deep body ends in a RecursionError inside the server's JSON parser (answered as a 400); when the collector
# happens to free those deep tracebacks during this test, formatting them recurses too deep to report (seen once in
# pytest -n 2): that says nothing about the answer, which is what this test checks
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_deeply_nested_body_gets_the_documented_error_shape(web: Web) -> None:
    with web.client(web.token("alice", "admin")) as c:
        r = c.post("/api/ask", content="[" * 5000 + "]" * 5000, headers={"content-type": "application/json"})
    assert r.status_code in (400, 413, 422) and set(r.json()) == {"error"}


def test_a_right_to_left_override_in_a_name_is_not_shown(stack: Stack) -> None:
    stack.conn.registry.upsert(Device(id="office.x", name="kcol\u202e front door", room="office", type="switch",
                                      aliases=["\u202edoor"]))
    device = stack.conn.registry.get("office.x")
    assert device is not None and (device.name, device.aliases) == ("kcol front door", ["door"])


def test_simulate_never_prints_the_broker_password(broker: EmbeddedBroker, tmp_path: Path) -> None:
    url = broker.url.replace("mqtt://", "mqtt://sim:s3cret-pass@")
    sim = subprocess.Popen([sys.executable, "-m", "iotlm.cli", "simulate", "--broker", url, "--home-dir", str(tmp_path),
                            "--speed", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = ""
    try:
        while sim.stderr is not None and "simulating " not in said:
            line = sim.stderr.readline()
            if not line:
                break
            said += line
    finally:
        sim.terminate()
        out, err = sim.communicate(timeout=60)  # it stops in about 1 s alone; under pytest -n 2 on 2 cores 15 s once ran out
    assert "simulating " in said and "mqtt://sim:***@127.0.0.1" in said, said
    assert "s3cret-pass" not in said + out + err


def test_health_needs_no_sign_in_and_names_no_path(web: Web) -> None:
    body = httpx.get(web.url + "/api/health").json()
    assert body == {"service": "iotlm"}


@pytest.mark.parametrize(("role", "sees"), [
    ("admin", {"memories": {"mine"}, "audit_users": {"alice", "zed"}, "jobs": {"alice", "zed"}, "others_audit": 200}),
    ("member", {"memories": {"mine"}, "audit_users": {"zed"}, "jobs": {"zed"}, "others_audit": 403}),
    ("guest", {"memories": {"mine"}, "audit_users": {"zed"}, "jobs": {"zed"}, "others_audit": 403}),
])
def test_every_read_endpoint_per_role(web: Web, role: str, sees: dict[str, object]) -> None:
    """zed (of each role) and alice (an admin) each have a memory, decisions and a scheduled job."""
    alice, zed = web.token("alice", "admin"), web.token("zed", role)
    web.runtime.memory().add("alice's secret", user="alice")
    web.runtime.memory().add("mine", user="zed")
    for token in (alice, zed):
        with web.client(token) as c:
            c.post("/api/ask", json={"text": "turn on the kitchen light"})
            c.post("/api/ask", json={"text": "in 10 minutes turn off the kitchen light"})
    with web.client(zed) as c:
        assert {m["text"] for m in c.get("/api/memory").json()} == sees["memories"]
        assert {m["text"] for m in c.get("/api/memory/export").json()["memories"]} == sees["memories"]
        assert {e["user"] for e in c.get("/api/audit").json()} == sees["audit_users"]
        assert c.get("/api/audit", params={"user": "alice"}).status_code == sees["others_audit"]
        assert {r["owner"] for r in c.get("/api/rules").json() if r["kind"] == "job"} == sees["jobs"]
        assert len(c.get("/api/devices").json()) == len(web.stack.conn.registry) and c.get("/api/rooms").status_code == 200
    web.runtime.memory().store.share(web.runtime.memory().store.memories(visible_to="alice")[-1]["id"])  # alice's, shared
    with web.client(zed) as c:
        assert {m["text"] for m in c.get("/api/memory").json()} == {*sees["memories"], "alice's secret"}  # type: ignore[misc]
