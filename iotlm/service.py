"""``iotlm run``: the long-running service. Rules fire on device reports; chat is served over MQTT.

Who asks is the topic, never the message: ``iotlm/<home>/ask/<user>``, a topic the broker lets
only that user write (a Mosquitto ACL ``pattern write iotlm/+/ask/%u``; see
``examples/mosquitto/``). Requests there are JSON — ``{"id": "abc", "text": "turn on the
kitchen light", "room": "kitchen", "thread": "..."}`` (only ``text`` is required; a plain-text
payload is the text) — and are answered, with the ``iotlm ask --json`` object plus ``id``, on
``iotlm/<home>/reply/<user>/<id>``. ``iotlm/<home>/ask`` itself is anonymous (the policy file's
``mqtt.anonymous_role``, guest by default), answered on ``iotlm/<home>/anonymous/reply/<id>``.

A risky action is confirmed by a second message on the same topic that answers the question's
id: ``{"confirm": "abc", "answer": "yes"}``, answered on that id's reply topic. Retained requests are never
answered. ``"yes": true`` in a request confirms up front only
for the users listed in ``mqtt.allow_yes``. A malformed request is answered with ``{"id", "error"}``.
With ``--share-group``, several workers split the device reports and the requests between them.
"""

from __future__ import annotations

import collections
import json
import logging
import queue
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from iotlm.agent.session import Agent, thread_key
from iotlm.automations.engine import RuleEngine
from iotlm.automations.model import Rule
from iotlm.automations.store import RuleStore, load_yaml
from iotlm.automations.watch import WatchEngine
from iotlm.automations.watchers import load_watchers
from iotlm.device_drivers.overrides import OverrideFileError, load_overrides
from iotlm.policies.config import ANONYMOUS
from iotlm.runtime import Runtime
from iotlm.tools.plugins import plugin_manager

log = logging.getLogger(__name__)

MAX_QUESTION = 2000
HABIT_DAYS = 28
"""How much of the state history the watchers learn the devices' habits from at start."""


class Service:
    def __init__(self, agent: Agent[Runtime], rules: RuleStore, *, home_name: str = "home", rules_file: Path | None = None,
                 share_group: str | None = None, max_pending: int = 1000) -> None:
        self.agent = agent
        self.runtime = agent.runtime
        self.rules = rules
        self.home_name = home_name
        self.rules_file = rules_file
        self.share_group = share_group
        state = None
        if share_group and self.runtime.store is not None:
            store = self.runtime.store

            def state(device_id: str, attribute: str) -> Any:  # the group's latest report, not only this worker's
                return store.latest(device_id, attribute)
        # one worker: actions run before each report is acknowledged (crash-safe); shared workers keep action threads
        self.engine = RuleEngine(self.runtime.connection.registry, self.runtime.executor, rules, user_for=self.runtime.user,
                                 state=state, inline=share_group is None, clock=self.runtime.executor.clock,
                                 late_grace_s=self.runtime.settings.schedule.late_grace)
        self.watch: WatchEngine | None = None
        """What the home notices by itself (the watchers): one worker's job, so none with --share-group (each worker
        sees only a share of the reports)."""
        notices = self.runtime.notices
        if notices is not None and share_group is None:
            self.watch = WatchEngine(self.runtime.connection.registry, load_watchers(self.runtime.settings.home, plugin_manager()),
                                     notices, clock=self.runtime.executor.clock)
            notices.listeners.append(self._notify)
        self.problems: list[str] = []
        self.answered = 0
        self._questions: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=max_pending)
        self._asked: collections.OrderedDict[tuple[str | None, str], tuple[str, str]] = collections.OrderedDict()
        """(user, question id) -> (thread, question), for the confirmations that answer them (the latest 1,000)."""
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._prepared = False
        self._version: Any = None
        self._file_mtime = 0.0

    @property
    def ask_topic(self) -> str:
        return f"iotlm/{self.home_name}/ask"

    def reply_topic(self, user: str | None, request_id: str) -> str:
        safe = _topic_safe(request_id) or "error"
        # an anonymous request's reply has a branch of its own: on iotlm/<home>/reply/<id> an id "alice" would be
        # answered where alice reads her replies (reply/alice/#), and so spoof them
        return f"iotlm/{self.home_name}/reply/{user}/{safe}" if user else f"iotlm/{self.home_name}/anonymous/reply/{safe}"

    # ------------------------------------------------------------ life cycle

    def prepare(self) -> Service:
        """Before the connection starts: the rules listen already, so reports the broker kept for this service while
        it was down fire them as they are replayed (checked for real by start(), once the devices are known)."""
        self.engine.load(self._all_rules()[0], provisional=True)
        self.engine.start()
        self._prepared = True
        return self

    def start(self) -> Service:
        self.reload()
        if not self._prepared:
            self.engine.start()
        share = f"$share/{self.share_group}/" if self.share_group else ""
        # QoS 0: a question asked while the service was down is not kept for it (acting on it minutes later would
        # surprise whoever asked); device reports are QoS 1 and are kept
        # retained requests are never answered: one left on the broker would act again at every restart
        self.runtime.connection.transport.subscribe(f"{share}{self.ask_topic}", self._on_ask, qos=0, wait=5.0, retained=False)
        self.runtime.connection.transport.subscribe(f"{share}{self.ask_topic}/+", self._on_ask, qos=0, wait=5.0,
                                                    retained=False)
        if self.watch is not None:
            self.watch.index()
            if self.runtime.store is not None:  # the devices' habits, from the history kept
                since = self.runtime.executor.now().timestamp() - HABIT_DAYS * 86400
                learned = self.watch.learn(self.runtime.store.changes(since=since, attributes=("state", "power")))
                log.info("watching %d device conditions; habits from %d past changes", self.watch.watched(), learned)
            self.watch.start()
        threading.Thread(target=self._answer_loop, name="iotlm-mqtt-chat", daemon=True).start()
        threading.Thread(target=self._watch_loop, name="iotlm-rule-reload", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.engine.stop()
        if self.watch is not None:
            self.watch.stop()
        try:
            self._questions.put_nowait(None)
        except queue.Full:
            pass

    def run_forever(self) -> int:
        """Until SIGTERM or SIGINT; rule state is in SQLite all along, so a stop loses nothing."""
        done = threading.Event()

        def on_signal(signum: int, frame: Any) -> None:
            log.info("stopping on signal %d", signum)
            done.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            done.wait()
        finally:
            self.stop()
            for s, handler in previous.items():
                signal.signal(s, handler)
        return 0

    def _all_rules(self) -> tuple[list[Rule], list[str]]:
        """The rules in SQLite and in the YAML file (the file's win), and what could not be read."""
        rules: dict[str, Rule] = {r.id: r for r in self.rules.rules()}
        problems: list[str] = []
        if self.rules_file is not None:
            loaded, bad = load_yaml(self.rules_file)
            problems += [f"{self.rules_file}: {p}" for p in bad]
            for rule, line in loaded:
                if rule.id in rules:
                    problems.append(f"{self.rules_file}: line {line} (rule {rule.id}): also saved with `iotlm rules add`; "
                                    "the file's rule is used")
                rules[rule.id] = rule
            self._file_mtime = _mtime(self.rules_file)
        return list(rules.values()), problems

    def reload(self) -> list[str]:
        """(Re)load the rules from SQLite and the YAML file; a bad rule is reported and the others run."""
        rules, problems = self._all_rules()
        rejected = self.engine.load(rules)
        problems += [f"rule {rule_id}: {'; '.join(reasons)}" for rule_id, reasons in rejected.items()]
        for problem in problems:
            log.warning("%s", problem)
        self.problems = problems
        self._version = self.rules.version()
        log.info("%d rules running, %d not", len(self.engine.rules()), len(rejected))
        return problems

    def _watch_loop(self) -> None:
        """Pick up `iotlm rules add/enable/disable/remove` and edits of the YAML file while running."""
        last_structure = self.runtime.connection.registry.structure_version
        last_purge = time.monotonic()
        devices_file = self.runtime.settings.devices_file or self.runtime.settings.home / "devices.toml"
        devices_mtime = _mtime(devices_file)
        registry = self.runtime.connection.registry
        pins = registry.pins.version()
        while not self._stop.wait(1.0):
            try:
                if registry.pins.version() != pins:  # `iotlm devices accept`: a held re-announcement may now come in
                    pins = registry.pins.version()
                    registry.recheck()
                if _mtime(devices_file) != devices_mtime:  # `iotlm devices set`, or an edit: applied at once
                    devices_mtime = _mtime(devices_file)
                    self._reload_devices_file(devices_file)
                if self.runtime.store is not None and time.monotonic() - last_purge > 6 * 3600:
                    last_purge = time.monotonic()
                    self.runtime.store.purge(keep_history_days=self.runtime.settings.keep_history_days)
                structure = self.runtime.connection.registry.structure_version
                if (self.rules.version() != self._version or structure != last_structure or
                        (self.rules_file is not None and _mtime(self.rules_file) != self._file_mtime)):
                    last_structure = structure
                    self.reload()
                    if self.watch is not None:
                        self.watch.index()
            except Exception:
                log.exception("reloading rules failed")

    def _reload_devices_file(self, path: Path) -> None:
        try:
            overrides = load_overrides(path)
        except OverrideFileError as exc:
            log.warning("%s; the devices keep what the file said before", exc)
            return
        changed = self.runtime.connection.registry.set_overrides(overrides)
        log.info("devices file %s: %d devices changed", path, len(changed))

    def _notify(self, notice: dict[str, Any], told: list[str]) -> None:
        """A new notice, on ``iotlm/<home>/notify/<user>`` for each person told (Node-RED, Home Assistant, a phone
        push bridge)."""
        if "text" not in notice:
            return
        body = {k: notice.get(k) for k in ("id", "watcher", "about", "level", "device_id", "room", "text", "since", "at",
                                           "suggest")}
        for user in told:
            if _topic_safe(user) == user:
                self.runtime.executor.notify(f"iotlm/{self.home_name}/notify/{user}", body)

    # ------------------------------------------------------------ chat over MQTT

    def _on_ask(self, topic: str, payload: bytes) -> None:
        user = (topic[len(self.ask_topic) + 1:] or None) if topic.startswith(self.ask_topic + "/") else None
        if user is not None and _topic_safe(user) != user:
            log.warning("a request on %s: the user part of the topic is not a plain name; ignored", topic)
            return
        if user == ANONYMOUS:  # the name of the anonymous channel's asker: nobody may speak as them, nor be them
            log.warning("a request on %s: %r is the anonymous channel's name, not a user's; ignored", topic, ANONYMOUS)
            return
        request, error = parse_request(payload)
        request["user"] = user
        if error:
            self._reply(user, request.get("id") or "error", {"id": request.get("id"), "error": error})
            return
        try:
            self._questions.put_nowait((request["id"], request))
        except queue.Full:
            self._reply(user, request["id"], {"id": request["id"], "error": "too many questions waiting; ask again shortly"})

    def _answer_loop(self) -> None:
        while True:
            item = self._questions.get()
            if item is None:
                return
            request_id, request = item
            user = request.get("user")
            if "confirm" in request:  # the answer to a question is said on the question's id, where its asker listens
                request_id = request["confirm"]
            try:
                body = self._confirm(request) if "confirm" in request else self._ask(request)
                self._reply(user, request_id, {"id": request_id, **body})
                self.answered += 1
            except Exception as exc:  # one bad turn must not stop the service
                log.exception("answering %s failed", request_id)
                self._reply(user, request_id, {"id": request_id, "error": f"the request failed: {exc}"})

    def _thread(self, user: str | None, request: dict[str, Any]) -> str:
        # a client names threads only within its own user's space: nobody reaches another person's conversation
        return thread_key("mqtt", user or ANONYMOUS, str(request.get("thread") or request["id"]))

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        user = request.get("user")
        name = user or ANONYMOUS
        allowed = user is not None and user in self.runtime.policy_config.mqtt.allow_yes
        yes = bool(request.get("yes")) and allowed
        thread = self._thread(user, request)
        result = self.agent.turn(request["text"], thread=thread, user=name, room=request.get("room"), yes=yes,
                                 origin="api", answers=False)
        body = result.to_json()
        if request.get("yes") and not allowed:
            body["notes"] = [f"\"yes\": true confirms nothing for {name} over MQTT (not in the policy file's "
                             "mqtt.allow_yes); answer the question instead"]
        if result.needs_confirmation:
            with self._lock:
                self._asked[(user, request["id"])] = (thread, self.agent.pending(thread) or "")
                while len(self._asked) > 1000:
                    self._asked.popitem(last=False)
            body["confirm_with"] = {"confirm": request["id"], "answer": "yes"}
        return body

    def _confirm(self, request: dict[str, Any]) -> dict[str, Any]:
        user, question_id = request.get("user"), request["confirm"]
        with self._lock:
            asked = self._asked.get((user, question_id))
        if asked is None:
            return {"error": f"there is no question {question_id!r} waiting for {user or ANONYMOUS}; a confirmation "
                             "answers the id of a question put to the same user"}
        thread, question = asked
        if self.agent.pending(thread) != question:
            with self._lock:
                self._asked.pop((user, question_id), None)
            return {"error": f"question {question_id!r} is no longer waiting (answered, replaced or expired)"}
        result = self.agent.turn(request["answer"], thread=thread, user=user or ANONYMOUS, origin="api", answers=True)
        with self._lock:
            self._asked.pop((user, question_id), None)
        return result.to_json()

    def _reply(self, user: str | None, request_id: str, body: dict[str, Any]) -> None:
        self.runtime.executor.reply(self.reply_topic(user, str(request_id)), body)


def parse_request(payload: bytes) -> tuple[dict[str, Any], str | None]:
    """(request, None) or (what could be read, the reason it cannot be answered)."""
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return {}, "the request is not UTF-8 text"
    request: dict[str, Any]
    if text.startswith("{"):
        try:
            request = json.loads(text)
        except json.JSONDecodeError as exc:
            return {}, f"the request is not valid JSON ({exc.msg} at character {exc.pos}); send {{\"text\": \"...\"}} or plain text"
        if not isinstance(request, dict):
            return {}, "send a JSON object such as {\"id\": \"1\", \"text\": \"turn on the kitchen light\"}"
    else:
        request = {"text": text}
    request.setdefault("id", uuid.uuid4().hex[:12])
    if not isinstance(request.get("id"), (str, int)) or isinstance(request.get("id"), bool) or not str(request["id"]):
        return {}, "id must be a string"
    request["id"] = str(request["id"])
    if request.get("user") is not None:
        return request, ("user is not taken from the message: who asks is the topic, iotlm/<home>/ask/<user>, "
                         "which the broker lets only that user write; drop the field")
    if "confirm" in request:
        if not isinstance(request["confirm"], str | int) or isinstance(request["confirm"], bool):
            return request, "confirm must be the id of the question you answer"
        request["confirm"] = str(request["confirm"])
        if request.get("answer") not in ("yes", "no"):
            return request, "answer must be \"yes\" or \"no\": {\"confirm\": \"<question id>\", \"answer\": \"yes\"}"
        return request, None
    if not isinstance(request.get("text"), str) or not request["text"].strip():
        return request, "text is missing: send {\"id\": \"1\", \"text\": \"turn on the kitchen light\"}"
    if len(request["text"]) > MAX_QUESTION:
        return request, f"text is {len(request['text'])} characters; keep it under {MAX_QUESTION}"
    for key in ("room", "thread"):
        if request.get(key) is not None and not isinstance(request[key], str):
            return request, f"{key} must be a string"
    if request.get("yes") is not None and not isinstance(request["yes"], bool):
        return request, "yes must be true or false"
    return request, None


def _topic_safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(text))[:64]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0



class JobRunner:
    """The jobs said in chat ("in 10 minutes ..."), run while ``iotlm chat`` is open. ``iotlm run`` and the demo run
    them with every other rule; several processes on one home run each job once (the rules store decides)."""

    def __init__(self, agent: Agent[Runtime]) -> None:
        self.runtime = agent.runtime
        self.store = RuleStore(self.runtime.settings.home / "rules.db")
        self.engine = RuleEngine(self.runtime.connection.registry, self.runtime.executor, self.store,
                                 user_for=self.runtime.user, clock=self.runtime.executor.clock,
                                 late_grace_s=self.runtime.settings.schedule.late_grace)
        self._stop = threading.Event()
        self._version: Any = None

    def reload(self) -> None:
        self._version = self.store.version()
        self.engine.load([r for r in self.store.rules() if r.kind == "job"])

    def start(self) -> JobRunner:
        self.reload()
        self.engine.start()

        def watch() -> None:
            while not self._stop.wait(1.0):
                try:
                    if self.store.version() != self._version:
                        self.reload()
                except Exception:
                    log.exception("reloading jobs failed")

        threading.Thread(target=watch, name="iotlm-jobs", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.engine.stop()
        self.store.close()


__all__ = ["HABIT_DAYS", "MAX_QUESTION", "JobRunner", "Service", "parse_request"]
