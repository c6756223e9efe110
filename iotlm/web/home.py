"""What the web app and the API do, whichever of the two asks: one place for each action, so both go through the same
agent, gate and stores with the signed-in person's name and role."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from iotlm.agent.context.conditions import CONDITIONS, Bands, RoomConditions
from iotlm.agent.session import Agent, TurnResult, thread_key
from iotlm.automations.store import RuleStore
from iotlm.device_drivers.model import Device, describe_device
from iotlm.errors import UserError
from iotlm.policies.model import User
from iotlm.policies.users import UserStore
from iotlm.runtime import Runtime
from iotlm.tools.device_tools import device_operations
from iotlm.tools.registry import ToolInputError
from iotlm.web.chatlog import ChatLog
from iotlm.web.events import EventHub

SHOWN = ("temperature", "humidity", "illuminance", "pm25", "co2")
"""The conditions a room card shows (air: PM2.5 and CO2)."""
_WHICH = re.compile(r"\bwhich\b.*\bdo you mean\b", re.IGNORECASE)
_THREAD = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class NotFound(UserError):
    """A device, rule, memory or thread that does not exist; the message lists what does."""


@dataclass(frozen=True)
class Person:
    """Who is asking, as the gate sees them, and how they came in."""

    name: str
    role: str
    via: str
    """``session`` (signed in), ``token`` (API token), ``local`` (no users yet: loopback only) or ``service`` (the CLI)."""
    csrf: str = ""

    @property
    def user(self) -> User:
        return User(name=self.name, role=self.role)


@dataclass
class WebHome:
    agent: Agent[Runtime]
    users: UserStore
    rules: RuleStore
    hub: EventHub
    chat: ChatLog
    started: float = field(default_factory=time.time)

    @property
    def runtime(self) -> Any:
        return self.agent.runtime

    def person(self, name: str, via: str, csrf: str = "") -> Person:
        return Person(name, self.runtime.user(name).role, via, csrf)

    # ------------------------------------------------------------ chat

    def thread_id(self, person: Person, thread: str | None) -> str:
        thread = thread or "main"
        if not _THREAD.match(thread):
            raise UserError(f"thread {thread!r}: use 1-40 letters, digits, '.', '_' or '-'")
        # a person names threads only within their own space: nobody reaches another person's conversation
        return thread_key("web", person.name, thread)

    def ask(self, person: Person, text: str, *, room: str | None = None, thread: str | None = None,
            yes: bool = False) -> dict[str, Any]:
        if not text.strip():
            raise UserError("text is empty: send {\"text\": \"turn on the kitchen light\"}")
        if len(text) > 2000:
            raise UserError(f"text is {len(text)} characters; keep it under 2000")
        if room is not None and room.lower() not in self.room_names():
            raise UserError(f"there is no room {room!r}; rooms: {', '.join(self.room_names())}")
        tid = self.thread_id(person, thread)
        result = self.agent.turn(text, thread=tid, user=person.name, room=room, yes=yes, origin="api")
        return self._answered(person, thread or "main", text, result, room)

    def confirm(self, person: Person, thread: str | None, answer: str) -> dict[str, Any]:
        if answer not in ("yes", "no"):
            raise UserError(f"answer must be \"yes\" or \"no\", not {answer!r}")
        tid = self.thread_id(person, thread)
        if self.agent.pending(tid) is None:
            raise NotFound(f"nothing is waiting for a yes or no in thread {thread or 'main'!r}")
        result = self.agent.turn(answer, thread=tid, user=person.name, origin="api", answers=True)
        return self._answered(person, thread or "main", answer, result, None)

    def _answered(self, person: Person, thread: str, text: str, result: TurnResult, room: str | None) -> dict[str, Any]:
        body = result.to_json()
        body["thread"] = thread
        body["question"] = self.agent.pending(self.thread_id(person, thread)) if result.needs_confirmation else None
        body["actions"] = [{**a, "device": self._name(a["device_id"])} for a in body["actions"]]
        body["rooms"] = self._rooms_asked(result.clarify)
        self.chat.add(person.name, thread, text, body, room)
        return body

    def _rooms_asked(self, questions: list[str]) -> list[str]:
        """The rooms a "which ... do you mean" question offers (all of them for "Which room do you mean?")."""
        rooms: list[str] = []
        for question in questions:
            if not _WHICH.search(question):
                continue
            named = [r for r in self.room_names() if re.search(rf"\b{re.escape(r)}\b", question, re.IGNORECASE)]
            rooms += named or (self.room_names() if "which room" in question.lower() else [])
        return list(dict.fromkeys(rooms))

    def _name(self, device_id: str) -> str:
        device = self.runtime.connection.registry.get(device_id)
        return describe_device(device, device_id, room="always") if device else device_id

    # ------------------------------------------------------------ devices and rooms

    def devices(self) -> list[Device]:
        return sorted(self.runtime.connection.registry.all(), key=lambda d: ((d.room or "~").lower(), d.name.lower(), d.id))

    def device(self, device_id: str) -> Device:
        device: Device | None = self.runtime.connection.registry.get(device_id)
        if device is None:
            raise NotFound(f"there is no device {device_id!r}; GET /api/devices lists them")
        return device

    def control(self, person: Person, device_id: str, attribute: str, value: Any, *, yes: bool = False) -> dict[str, Any]:
        """Set one attribute through the gate, as ``person``; the reported state comes back."""
        device = self.device(device_id)
        attr = device.attributes.get(attribute)
        if attr is None:
            raise UserError(f"the {device.name} has no {attribute!r}; it has: {', '.join(device.attributes)}")
        if not attr.writable or device.read_only:
            raise UserError(f"the {device.name}'s {attribute} is a reading; it cannot be set")
        ops = [op for op in device_operations(device) if op.attribute == attribute]
        fixed = [op for op in ops if not op.takes_value and str(op.value) == str(value)]
        op = fixed[0] if fixed else next((o for o in ops if o.takes_value), None)
        if op is None:
            allowed = ", ".join(str(o.value) for o in ops if not o.takes_value)
            raise UserError(f"the {device.name}'s {attribute} cannot be {value!r}; allowed: {allowed}")
        try:
            step = op.step(device, {} if fixed else {"value": value})
        except ToolInputError as exc:
            raise UserError(str(exc)) from exc
        outcome = self.runtime.executor.run([step], user=person.user, origin="api", confirmed=yes)[0]
        return {"device_id": device.id, "attribute": attribute, "status": outcome.status, "reason": outcome.reason,
                "reported": outcome.reported, "needs_confirmation": outcome.status == "needs_confirmation"}

    def room_names(self) -> list[str]:
        return sorted({(d.room or "").lower() for d in self.runtime.connection.registry.all() if d.room})

    def conditions(self) -> RoomConditions:
        return RoomConditions(self.runtime.connection.registry.all(), bands=Bands(self.runtime.settings.comfort),
                              store=self.runtime.store, clock=self.runtime.executor.clock)

    def rooms(self, *, history: bool = False) -> list[dict[str, Any]]:
        """Each room: its conditions (value, unit, judgement, band, source, updated, trend; ``history``: 24 h of
        values) and its devices."""
        conditions = self.conditions()
        devices = self.devices()
        out = []
        for room in self.room_names():
            readings = []
            for name in SHOWN:
                reading = conditions.read(room, name)
                if reading is None:
                    continue
                item = {"condition": name, "label": CONDITIONS[name].label, "value": reading.value, "unit": reading.unit,
                        "shown": reading.shown(), "judgement": reading.judgement, "verdict": reading.verdict(),
                        "band": list(reading.band), "device_id": reading.device.id, "attribute": reading.attribute,
                        "updated": reading.updated, "trend": reading.trend}
                if history:
                    item["history"] = self.history(reading.device.id, reading.attribute)
                readings.append(item)
            out.append({"room": room, "conditions": readings,
                        "devices": [d.id for d in devices if (d.room or "").lower() == room]})
        return out

    def history(self, device_id: str, attribute: str, hours: float = 24) -> list[tuple[float, float]]:
        store = self.runtime.store
        if store is None:
            return []
        since = self.runtime.executor.now().timestamp() - hours * 3600
        rows = store.history(device_id, attribute, since=since, limit=20_000)
        points = [(float(r["time"]), float(r["value"])) for r in reversed(rows)
                  if isinstance(r["value"], int | float) and not isinstance(r["value"], bool)]
        if len(points) <= 240:
            return points
        step = len(points) / 240  # a sensor reporting every 30 s gives 2,880 a day; a sparkline needs a few hundred
        buckets = [points[int(i * step):int((i + 1) * step)] for i in range(240)]
        return [(b[-1][0], sum(v for _, v in b) / len(b)) for b in buckets if b]

    # ------------------------------------------------------------ rules

    def compile_rule(self, person: Person, sentence: str, rule_id: str | None = None) -> dict[str, Any]:
        """The rule a sentence makes, in words, with what the gate will ask about or refuse when it fires (nothing saved)."""
        from iotlm.automations.compile import RuleSyntaxError, compile_rule
        from iotlm.automations.describe import describe
        from iotlm.automations.model import gate_view, problems

        if not sentence.strip():
            raise UserError("the rule is empty; write it as \"when ..., ...\"")
        try:
            compiled = compile_rule(sentence, self.agent.parser(), rule_id=rule_id, owner=person.name,
                                    planner=self.agent.planner())
        except RuleSyntaxError as exc:
            raise UserError(f"I couldn't make a rule of that: {exc}") from exc
        by_id = {d.id: d for d in self.devices()}
        rule = compiled.rule
        found = problems(rule, by_id)
        if found:
            raise UserError("the rule would not run: " + "; ".join(found))
        risky, denied = gate_view(rule, by_id, self._preview(person))
        return {"rule": json.loads(rule.model_dump_json(by_alias=True)), "description": describe(rule, by_id),
                "notes": compiled.notes, "risky": risky, "denied": denied, "exists": self.rules.get(rule.id) is not None}

    def _preview(self, person: Person) -> Any:
        """The gate's preview for ``person`` (nothing audited, nothing sent)."""
        from iotlm.policies.gate import preview

        policies = self.runtime.executor.gate.policies
        return lambda step, device: preview(policies, step, user=person.user, device=device, now=self.runtime.executor.now())

    def save_rule(self, person: Person, sentence: str, *, rule_id: str | None = None, approve: bool = False) -> dict[str, Any]:
        shown = self.compile_rule(person, sentence, rule_id)
        if shown["exists"]:
            raise UserError(f"a rule {shown['rule']['id']!r} exists already; give this one another id or remove that one")
        from iotlm.automations.model import Rule, approvable

        if shown["risky"] and not approve:
            raise UserError(f"when it fires it will {'; '.join(shown['risky'])}: approve that (\"approve\": true) to save it")
        rule = Rule.model_validate(shown["rule"])
        keys = approvable(rule, {d.id: d for d in self.devices()}, self._preview(person)) if approve else []
        rule = rule.model_copy(update={"approved_risky": bool(keys), "approved": keys})
        self.rules.save(rule, source="web")
        return {**shown, "rule": json.loads(rule.model_dump_json(by_alias=True)), "saved": True}

    def rule_list(self, person: Person) -> list[dict[str, Any]]:
        """The household's rules, and the scheduled jobs ``person`` may see (their own; everyone's for [read] jobs)."""
        from iotlm.automations.describe import as_json, describe

        by_id = {d.id: d for d in self.devices()}
        return [{**as_json(r), "description": describe(r, by_id), "state": self.rules.state(r.id)} for r in self.rules.rules()
                if self._sees_rule(person, r)]

    def _sees_rule(self, person: Person, rule: Any) -> bool:
        return rule.kind != "job" or rule.owner == person.name or self.may(person, "jobs")

    def rule(self, rule_id: str, person: Person | None = None) -> Any:
        rule = self.rules.get(rule_id)
        if rule is not None and person is not None and not self._sees_rule(person, rule):
            rule = None  # someone else's job: as if it were not there
        if rule is None:
            known = ", ".join(r.id for r in self.rules.rules()) or "none yet"
            raise NotFound(f"there is no rule {rule_id!r}; rules: {known}")
        return rule

    def change_rule(self, person: Person, rule_id: str, *, enabled: bool | None = None, remove: bool = False) -> dict[str, Any]:
        rule = self.rule(rule_id, person)
        if person.role != "admin" and rule.owner != person.name:
            raise PermissionError(f"the rule {rule_id!r} is {rule.owner}'s; only its owner or an admin may change it")
        if remove:
            self.rules.remove(rule_id)
            return {"id": rule_id, "removed": True}
        if enabled is not None:
            self.rules.set_enabled(rule_id, enabled)
        return {"id": rule_id, "enabled": self.rule(rule_id, person).enabled}

    # ------------------------------------------------------------ notices and routines

    def _notices(self) -> Any:
        notices = self.runtime.notices
        if notices is None:
            raise NotFound("this process keeps no notifications; `iotlm run` does")
        return notices

    def notifications(self, person: Person, limit: int = 50) -> list[dict[str, Any]]:
        """The notices meant for ``person`` (told, or held for quiet hours, the rate limit or a mute), newest first."""
        notices = self.runtime.notices
        return list(notices.list(person.name, limit=limit)) if notices is not None else []

    def act_on(self, person: Person, notice_id: int) -> dict[str, Any]:
        """Carry out a notice's offered action as ``person``, through the gate: the tap is their confirmation, and
        the gate still refuses what their role may not do (a guest's "unlock")."""
        notices = self._notices()
        notice = notices.get(notice_id, person.name)
        offer = notice["suggest"]
        if not offer:
            raise UserError(f"notification {notice_id} offers no action")
        before = self.runtime.connection.registry.value(offer["device_id"], offer["attribute"])
        try:
            result = self.control(person, offer["device_id"], offer["attribute"], offer["value"], yes=True)
            if offer.get("for_s") and result["status"] == "done" and before is not None:
                self._put_back(person, notice_id, offer, before)
        except UserError as exc:
            result = {"device_id": offer["device_id"], "attribute": offer["attribute"], "status": "refused",
                      "reason": str(exc), "reported": None, "needs_confirmation": False}
        done = result["status"] in ("done", "already", "ok")
        said = f"{offer['say']}: " + ("done" if done else f"{result['status']}" + (f" ({result['reason']})" if result["reason"] else ""))
        notices.acted(notice_id, person.name, said, done)
        return {**result, "id": notice_id, "said": said, "done": done}

    def _put_back(self, person: Person, notice_id: int, offer: dict[str, Any], before: Any) -> None:
        """"On for 20 minutes": a job that puts it back, run by the rules as ``person`` (listed, cancellable)."""
        from iotlm.automations.model import Rule

        due = self.runtime.executor.now() + timedelta(seconds=float(offer["for_s"]))
        self.rules.save(Rule.model_validate({
            "id": f"notice-{notice_id}-back-{int(due.timestamp())}", "kind": "job", "owner": person.name,
            "text": f"put the {offer['device_id']} back ({offer['say']})", "when": {"due": due.isoformat()},
            "do": [{"device": offer["device_id"], "set": {offer["attribute"]: before}}]}), source="web")

    def mute(self, person: Person, notice_id: int, everywhere: bool = False) -> dict[str, Any]:
        return {"id": notice_id, "said": self._notices().mute(person.name, notice_id, everywhere=everywhere)}

    def routines(self, person: Person, days: float = 28) -> list[dict[str, Any]]:
        """Routines done by hand in the last ``days`` (not already done by iotlm), each with the rule it would be."""
        from iotlm.automations.routines import recent_routines

        store = self.runtime.store
        if store is None:
            return []
        devices = {d.id: d for d in self.devices()}
        return [r.as_json() for r in recent_routines(store, self.runtime.audit, devices, self.runtime.executor.now(), days)]

    # ------------------------------------------------------------ memory and audit

    def may(self, person: Person, what: str) -> bool:
        """Whether ``person`` reads everyone's ``what`` (memories, audit, events, jobs), as the policy file's [read]
        says; else only their own."""
        return bool(self.runtime.policy_config.read.may(what, person.role))

    def memories(self, person: Person, query: str | None = None, k: int = 20) -> list[dict[str, Any]]:
        """The memories ``person`` may read: their own and the shared ones (everyone's for the roles [read] allows)."""
        visible = None if self.may(person, "memories") else person.name
        if query:
            memory = self.runtime.memory()
            return list(memory.search(query, k, visible_to=visible)) if memory is not None else []
        store = self.runtime.store
        return store.memories(limit=500, visible_to=visible) if store is not None else []

    def export(self, person: Person) -> dict[str, Any]:
        memory = self.runtime.memory()
        if memory is None:
            return {"memories": [], "episodes": []}
        return dict(memory.export(visible_to=None if self.may(person, "memories") else person.name))

    def share(self, person: Person, memory_id: int, shared: bool = True) -> dict[str, Any]:
        """Share a memory (a taught phrase, a fact) with the household: an admin's decision."""
        if person.role != "admin":
            raise PermissionError("only an admin may share a memory with the household")
        store = self.runtime.store
        if store is None or not store.share(memory_id, shared):
            raise NotFound(f"there is no memory #{memory_id}")
        return {"id": memory_id, "shared": shared}

    def forget(self, person: Person, memory_id: int) -> dict[str, Any]:
        store = self.runtime.store
        found = store.memory(memory_id) if store is not None else None
        if found is None:
            raise NotFound(f"there is no memory #{memory_id}")
        if person.role != "admin" and found["user"] != person.name:
            raise PermissionError(f"memory #{memory_id} is {found['user']}'s; only they or an admin may forget it")
        self.runtime.memory().forget(memory_id)
        return {"id": memory_id, "forgotten": True}

    def audit(self, person: Person, *, user: str | None = None, device: str | None = None, verdict: str | None = None,
              since: datetime | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Gate decisions: the whole log for the roles [read] audit allows, else only the person's own."""
        if not self.may(person, "audit"):
            if user not in (None, person.name):
                raise PermissionError(f"the audit log of {user} is for admins; you may read your own (user={person.name})")
            user = person.name
        entries = self.runtime.audit.entries(limit=limit, verdict=verdict, since=since, user=user, device_id=device)
        return list(entries)

    def sees_event(self, person: Person, kind: str, data: dict[str, Any]) -> bool:
        """Whether a live event is for ``person``: device state is for everyone; decisions and rule firings are their
        own, or everyone's for the roles [read] events allows."""
        if kind == "notice":
            return person.name in (data.get("to") or [])
        return kind == "state" or data.get("user") == person.name or self.may(person, "events")


__all__ = ["SHOWN", "NotFound", "Person", "WebHome"]
