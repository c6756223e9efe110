"""The HTTP API against a real server, agent, gate and simulated flat: each endpoint, who may do what, and bad input
answered with a 4xx that says what was wrong while nothing changes."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from iotlm.policies.users import check_password
from tests.conftest import eventually
from tests.web.conftest import PASSWORD, Web


def test_no_token_and_a_wrong_token_get_401_and_change_nothing(web: Web) -> None:
    web.token("alice", "admin")
    for client in (web.client(), web.client("iotlm_not-a-token")):
        with client as c:
            for method, path, body in (("POST", "/api/ask", {"text": "turn on the kitchen light"}), ("GET", "/api/devices", None),
                                       ("GET", "/api/rooms", None), ("GET", "/api/audit", None), ("GET", "/api/events", None)):
                r = c.request(method, path, json=body)
                assert r.status_code == 401, path
                assert "Authorization: Bearer TOKEN" in r.json()["error"]
    assert web.sent() == []


def test_ask_acts_through_the_gate_and_reports_the_device_state(web: Web) -> None:
    with web.client(web.token("alice", "member")) as c:
        r = c.post("/api/ask", json={"text": "turn on the kitchen light", "thread": "k"})
    assert r.status_code == 200
    body = r.json()
    assert body["actions"] == [{"device_id": "kitchen.light", "attribute": "state", "value": "on", "status": "done",
                                "device": "the kitchen light"}]
    assert body["reply"] == "The kitchen light is now on." and body["thread"] == "k" and body["tier"] == "fast"
    assert web.sent() == [("kitchen.light", {"state": "ON"})]
    last = web.stack.audit.entries(limit=1)[0]
    assert (last["user"], last["role"], last["origin"], last["verdict"]) == ("alice", "member", "api", "allow")


def test_a_guest_cannot_unlock_and_is_told_why(web: Web) -> None:
    with web.client(web.token("gus", "guest")) as c:
        body = c.post("/api/ask", json={"text": "unlock the front door", "yes": True}).json()
        control = c.post("/api/devices/hallway.front_door", json={"attribute": "state", "value": "unlocked", "yes": True}).json()
    assert body["actions"] == [] and body["refused"] and "guest" in body["refused"][0]["reason"]
    assert control["status"] == "denied" and "guest" in control["reason"]
    assert web.sent() == []


def test_a_risky_request_waits_for_confirm_in_its_own_thread(web: Web) -> None:
    alice, bob = web.token("alice", "admin"), web.token("bob", "admin")
    with web.client(alice) as c:
        asked = c.post("/api/ask", json={"text": "unlock the front door", "thread": "door"}).json()
        assert asked["needs_confirmation"] and asked["question"] and web.sent() == []
        with web.client(bob) as other:  # bob's thread "door" is his own: nothing waits there
            r = other.post("/api/confirm", json={"thread": "door", "answer": "yes"})
            assert r.status_code == 404 and "nothing is waiting" in r.json()["error"]
        assert web.sent() == []
        done = c.post("/api/confirm", json={"thread": "door", "answer": "yes"}).json()
    assert done["actions"] == [{"device_id": "hallway.front_door", "attribute": "state", "value": "unlocked", "status": "done",
                                "device": "the hallway front door lock"}]
    assert web.sent() == [("hallway.front_door", {"state": "UNLOCK"})]


@pytest.mark.parametrize(("method", "path", "body", "status", "says"), [
    ("POST", "/api/ask", {}, 422, "text is missing"),
    ("POST", "/api/ask", {"text": "turn on the kitchen light", "yes": "true"}, 422, "yes: input should be a valid boolean"),
    ("POST", "/api/ask", {"text": 42}, 422, "text: input should be a valid string"),
    ("POST", "/api/ask", {"text": "turn on the kitchen light", "colour": "red"}, 422, "colour is not a field here"),
    ("POST", "/api/ask", {"text": "turn on the light", "room": "attic"}, 400, "there is no room 'attic'"),
    ("POST", "/api/ask", {"text": "turn on the kitchen light", "user": "owner"}, 403, "user is taken from your token"),
    ("POST", "/api/ask", {"text": "turn on the kitchen light", "thread": "../x"}, 400, "thread '../x'"),
    ("POST", "/api/confirm", {"answer": "maybe"}, 422, "answer: input should be 'yes' or 'no'"),
    ("GET", "/api/devices/kitchen.toaster", None, 404, "there is no device 'kitchen.toaster'"),
    ("POST", "/api/devices/kitchen.toaster", {"attribute": "state", "value": "on"}, 404, "there is no device"),
    ("POST", "/api/devices/kitchen.light", {"attribute": "brightness", "value": 400}, 400, "allowed: a number in 0..100"),
    ("POST", "/api/devices/kitchen.light", {"attribute": "colour", "value": 4}, 400, "has no 'colour'; it has: state, brightness"),
    ("POST", "/api/devices/kitchen.temperature", {"attribute": "temperature", "value": 4}, 400, "is a reading"),
    ("GET", "/api/rules/nope", None, 404, "there is no rule 'nope'"),
    ("PATCH", "/api/rules/nope", {"enabled": False}, 404, "there is no rule 'nope'"),
    ("DELETE", "/api/rules/nope", None, 404, "there is no rule 'nope'"),
    ("DELETE", "/api/memory/999", None, 404, "there is no memory #999"),
    ("GET", "/api/audit?verdict=maybe", None, 422, "verdict: input should be 'allow', 'ask' or 'deny'"),
    ("GET", "/api/audit?since=yesterday", None, 422, "since: input should be a valid datetime"),
    ("POST", "/api/rules", {"text": "when pigs fly, sing"}, 400, "I couldn't make a rule of that"),
])
def test_bad_input_gets_a_4xx_that_says_what_was_wrong_and_nothing_changes(
        web: Web, method: str, path: str, body: object, status: int, says: str) -> None:
    before = web.stack.conn.registry.states()
    with web.client(web.token("alice", "admin")) as c:
        r = c.request(method, path, json=body)
    assert r.status_code == status, r.text
    assert says.lower() in r.json()["error"].lower()
    assert web.sent() == [] and web.stack.conn.registry.states() == before and web.server.rules.rules() == []


def test_a_body_over_the_limit_and_broken_json_are_refused(web: Web) -> None:
    with web.client(web.token("alice", "admin")) as c:
        big = c.post("/api/ask", json={"text": "x" * 20_000})
        broken = c.post("/api/ask", content=b'{"text": ', headers={"Content-Type": "application/json"})

        def chunks() -> object:
            yield b'{"text": "'
            for _ in range(40):
                yield b"x" * 1024
            yield b'"}'
        streamed = c.post("/api/ask", content=chunks(), headers={"Content-Type": "application/json"})  # type: ignore[arg-type]
    assert big.status_code == 413 and "the limit is 16384 bytes" in big.json()["error"]
    assert streamed.status_code == 413
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["error"]
    assert web.sent() == []


def test_devices_rooms_and_control(web: Web) -> None:
    with web.client(web.token("alice", "admin")) as c:
        devices = c.get("/api/devices").json()
        rooms = c.get("/api/rooms").json()
        set_ = c.post("/api/devices/kitchen.light", json={"attribute": "brightness", "value": 40}).json()
        oven = c.post("/api/devices/kitchen.oven", json={"attribute": "state", "value": "on"}).json()
    assert len(devices) == 23 and {d["id"] for d in devices} >= {"kitchen.light", "hallway.front_door"}
    bedroom = next(r for r in rooms if r["room"] == "bedroom")
    temperature = next(c for c in bedroom["conditions"] if c["condition"] == "temperature")
    assert (temperature["value"], temperature["unit"], temperature["judgement"], temperature["band"]) == (19.5, "°C", "low", [20.0, 24.0])
    assert "bedroom.light" in bedroom["devices"]
    assert set_ == {"device_id": "kitchen.light", "attribute": "brightness", "status": "done", "reason": "", "reported": 40,
                    "needs_confirmation": False} or set_["reported"] == 40
    assert oven["needs_confirmation"] and oven["status"] == "needs_confirmation"
    assert web.sent() == [("kitchen.light", {"brightness": 102, "state": "ON"})]  # 40 % of 254


def test_rules_preview_save_list_disable_remove(web: Web) -> None:
    text = "when the hallway motion sensor sees someone, turn on the hallway light"
    with web.client(web.token("alice", "member")) as c:
        shown = c.post("/api/rules/preview", json={"text": text}).json()
        assert shown["description"].startswith("When the hallway motion sensor's occupancy becomes true") and web.server.rules.rules() == []
        saved = c.post("/api/rules", json={"text": text, "id": "hall"})
        assert saved.status_code == 201 and saved.json()["saved"]
        listed = c.get("/api/rules").json()
        assert [(r["id"], r["enabled"], r["owner"]) for r in listed] == [("hall", True, "alice")]
        assert c.patch("/api/rules/hall", json={"enabled": False}).json() == {"id": "hall", "enabled": False}
        assert c.get("/api/rules/hall").json()["state"]["fired"] == 0
        risky = c.post("/api/rules", json={"text": "when the hallway motion sensor sees someone, unlock the front door"})
        assert risky.status_code == 400 and "approve" in risky.json()["error"]
        with web.client(web.token("gus", "guest")) as guest:
            r = guest.delete("/api/rules/hall")
            assert r.status_code == 403 and "alice's" in r.json()["error"]
        assert c.delete("/api/rules/hall").json() == {"id": "hall", "removed": True}
    assert web.server.rules.rules() == []


def test_memory_list_search_forget_export(web: Web) -> None:
    memory = web.runtime.memory()
    kept = memory.add("the cat sleeps in the office", user="alice")
    gone = memory.add("bob likes the bedroom at 19 degrees", kind="preference", user="bob")
    with web.client(web.token("alice", "member")) as c:
        assert [m["id"] for m in c.get("/api/memory").json()] == [kept]  # bob's are bob's
        assert c.get("/api/memory", params={"q": "where does the cat sleep"}).json()[0]["id"] == kept
        r = c.delete(f"/api/memory/{gone}")
        assert r.status_code == 403 and "bob's" in r.json()["error"]
        exported = c.get("/api/memory/export")
    assert [m["id"] for m in exported.json()["memories"]] == [kept]
    assert "attachment" in exported.headers["content-disposition"]
    with web.client(web.token("boss", "admin")) as c:
        assert c.delete(f"/api/memory/{gone}").json() == {"id": gone, "forgotten": True}
        assert c.get("/api/memory/export").json()["memories"] == []  # an admin manages memories, and reads only shared ones
    assert web.runtime.store.memory(gone) is None  # type: ignore[union-attr]


def test_audit_filters(web: Web) -> None:
    with web.client(web.token("alice", "admin")) as c:
        c.post("/api/ask", json={"text": "turn on the kitchen light"})
        c.post("/api/ask", json={"text": "unlock the front door"})
        every = c.get("/api/audit").json()
        asked = c.get("/api/audit", params={"verdict": "ask"}).json()
        kitchen = c.get("/api/audit", params={"device": "kitchen.light", "user": "alice"}).json()
        nobody = c.get("/api/audit", params={"user": "zoe"}).json()
    assert len(every) == 2 and [e["device_id"] for e in asked] == ["hallway.front_door"]
    assert [(e["device_id"], e["verdict"]) for e in kitchen] == [("kitchen.light", "allow")] and nobody == []


def test_events_stream_state_changes_and_decisions(web: Web) -> None:
    token = web.token("alice", "admin")
    lines: list[str] = []

    def read() -> None:
        with httpx.Client(base_url=web.url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as c, \
                c.stream("GET", "/api/events") as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            for line in r.iter_lines():
                lines.append(line)
                if line.startswith("data:") and "kitchen.light" in line and '"state"' in line and "event: state" in lines:
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert eventually(lambda: lines[:1] == [": connected"], 5)
    with web.client(token) as c:
        c.post("/api/ask", json={"text": "turn on the kitchen light"})
    reader.join(5)
    events = [json.loads(line[5:]) for line, kind in zip(lines[1:], lines, strict=False) if line.startswith("data:")]
    assert {"device_id": "kitchen.light", "changed": {"state": "on"}} in [
        {k: e[k] for k in ("device_id", "changed")} for e in events if "changed" in e]
    assert "event: decision" in lines and "event: state" in lines


def test_passwords_and_tokens_are_never_stored_in_plain_text(web: Web) -> None:
    token = web.token("alice", "admin")
    rows = web.server.users.db.execute("SELECT hash FROM users WHERE name = 'alice'").fetchall()
    assert rows[0][0].startswith("scrypt$16384$8$1$") and PASSWORD not in rows[0][0]
    assert check_password(PASSWORD, rows[0][0]) and not check_password("wrong horse battery", rows[0][0])
    dump = "\n".join(web.server.users.db.conn.iterdump())
    assert token not in dump and PASSWORD not in dump


def test_a_request_that_needs_a_room_offers_the_rooms(web: Web) -> None:
    with web.client(web.token("alice", "member")) as c:
        asked = c.post("/api/ask", json={"text": "turn on the light"}).json()
        picked = c.post("/api/ask", json={"text": "turn on the light", "room": "office"}).json()
    assert asked["actions"] == [] and asked["reply"].startswith("Which light do you mean:")
    assert asked["rooms"] == ["bathroom", "bedroom", "hallway", "kitchen", "living room", "office"]  # no light in the garage
    assert [a["device_id"] for a in picked["actions"]] == ["office.desk_lamp"] and picked["rooms"] == []
    assert web.sent() == [("office.desk_lamp", {"state": "ON"})]


def test_room_history_is_a_day_of_readings_at_most_240_points(web: Web) -> None:
    now = web.stack.clock().timestamp()
    rows = [(now - 86_000 + k * 28, "bedroom.climate", "temperature", 20.0 + (k % 2)) for k in range(3000)]
    rows.append((now - 90_000, "bedroom.climate", "temperature", 99.0))  # older than a day: not shown
    web.runtime.store.record_states(rows)  # type: ignore[union-attr]
    with web.client(web.token("alice", "member")) as c:
        rooms = c.get("/api/rooms", params={"history": "true"}).json()
    bedroom = next(r for r in rooms if r["room"] == "bedroom")
    history = next(c for c in bedroom["conditions"] if c["condition"] == "temperature")["history"]
    assert len(history) == 240 and all(20.0 <= v <= 21.0 for _, v in history)
    assert history[-1][0] == rows[2999][0]
