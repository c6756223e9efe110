"""Notices over the API: listed for whom they are meant, acted on through the gate, muted; "on for 20 minutes" puts
the device back by a job."""

from __future__ import annotations

import yaml

from iotlm.automations.watch import Alert
from iotlm.automations.watchers import parse_watchers
from tests.web.conftest import Web

FAN = """
steamy:
  about: comfort and waste
  devices: {type: fan, name: [bath]}
  is: {state: "off"}
  say: "The {device} is off while the {room} is steamy."
  suggest: {say: "Turn the {device} on for 20 minutes", set: {state: "on"}, for: 20m}
"""


def _raise(web: Web) -> int:
    [watcher] = [w for w in parse_watchers(yaml.safe_load(FAN), "watchers.yaml").values() if w is not None]
    fan = web.stack.conn.registry.get("bathroom.fan")
    assert fan is not None and web.runtime.notices is not None
    now = web.stack.clock().timestamp()
    notice_id = web.runtime.notices.raised(Alert(watcher, fan, now - 600, now))
    assert notice_id is not None
    return notice_id


def test_a_notice_is_listed_for_whom_it_is_meant_and_its_action_runs_as_the_tapper_then_puts_back(web: Web) -> None:
    alice, gus = web.token("alice", "admin"), web.token("gus", "guest")
    notice_id = _raise(web)
    with web.client(alice) as client:
        [listed] = client.get("/api/notifications").json()
        assert (listed["id"], listed["text"], listed["told"]) == (
            notice_id, "The bathroom extractor fan is off while the bathroom is steamy.", ["alice", "owner"])
        assert listed["suggest"] == {"say": "Turn the bathroom extractor fan on for 20 minutes", "device_id": "bathroom.fan",
                                     "attribute": "state", "value": "on", "for_s": 1200.0}
        done = client.post(f"/api/notifications/{notice_id}/act").json()
        assert (done["status"], done["done"], done["said"]) == ("done", True, "Turn the bathroom extractor fan on for 20 minutes: done")
        [job] = [r for r in web.server.rules.rules() if r.kind == "job"]
        assert (job.owner, job.actions[0].device, job.actions[0].set) == ("alice", "bathroom.fan", {"state": "off"})
        assert job.trigger.due is not None and job.trigger.due.timestamp() == web.stack.clock().timestamp() + 1200
        assert client.get("/api/notifications").json()[0]["status"] == "acted"
    assert web.sent() == [("bathroom.fan", {"state": "ON"})]
    with web.client(gus) as client:  # not meant for a guest: not theirs to see nor to act on
        assert client.get("/api/notifications").json() == []
        refused = client.post(f"/api/notifications/{notice_id}/act")
        assert refused.status_code == 400 and "no notification" in refused.json()["error"]


def test_a_person_mutes_a_notice_and_bad_ids_are_explained(web: Web) -> None:
    alice = web.token("alice", "admin")
    notice_id = _raise(web)
    with web.client(alice) as client:
        muted = client.post(f"/api/notifications/{notice_id}/mute").json()
        assert muted["said"] == "Muted comfort and waste notices (steamy) about bathroom.fan for alice."
        missing = client.post("/api/notifications/999/act")
        assert missing.status_code == 400 and "there is no notification 999 for alice" in missing.json()["error"]
        assert client.post("/api/notifications/abc/act").status_code == 422
        assert client.get("/api/routines").json() == []
    assert web.sent() == []
