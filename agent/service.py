"""``iotlm run``: the long-running service. Rules fire on device reports; chat is served over MQTT.

Requests: JSON on ``iotlm/<home>/ask`` — ``{"id": "abc", "text": "turn on the kitchen light",
"user": "alice", "room": "kitchen", "yes": false, "thread": "..."}`` (only ``text`` is required;
a plain-text payload is the text). The answer, the ``iotlm ask --json`` object plus ``id``, is
published on ``iotlm/<home>/reply/<id>``. A malformed request is answered with ``{"id", "error"}``.
With ``--share-group``, several workers split the device reports and the requests between them.
"""

from __future__ import annotations

import json
import logging
import queue
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from agent.rules.engine import RuleEngine
from agent.rules.model import Rule
from agent.rules.store import RuleStore, load_yaml
from agent.session import Agent

log = logging.getLogger(__name__)

MAX_QUESTION = 2000


class Service:
    def __init__(self, agent: Agent, rules: RuleStore, *, home_name: str = "home", rules_file: Path | None = None,
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
        self.engine = RuleEngine(self.runtime.connection.registry, self.runtime.executor, rules, state=state)
        self.problems: list[str] = []
        self.answered = 0
        self._questions: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=max_pending)
        self._stop = threading.Event()
        self._version: Any = None
        self._file_mtime = 0.0

    @property
    def ask_topic(self) -> str:
        return f"iotlm/{self.home_name}/ask"

    # ------------------------------------------------------------ life cycle

    def start(self) -> Service:
        self.reload()
        self.engine.start()
        share = f"$share/{self.share_group}/" if self.share_group else ""
        self.runtime.connection.transport.subscribe(f"{share}{self.ask_topic}", self._on_ask, wait=5.0)
        threading.Thread(target=self._answer_loop, name="iotlm-mqtt-chat", daemon=True).start()
        threading.Thread(target=self._watch_loop, name="iotlm-rule-reload", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.engine.stop()
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

    def reload(self) -> list[str]:
        """(Re)load the rules from SQLite and the YAML file; a bad rule is reported and the others run."""
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
        rejected = self.engine.load(list(rules.values()))
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
        while not self._stop.wait(1.0):
            try:
                if self.runtime.store is not None and time.monotonic() - last_purge > 6 * 3600:
                    last_purge = time.monotonic()
                    self.runtime.store.purge(keep_history_days=self.runtime.settings.keep_history_days)
                structure = self.runtime.connection.registry.structure_version
                if (self.rules.version() != self._version or structure != last_structure or
                        (self.rules_file is not None and _mtime(self.rules_file) != self._file_mtime)):
                    last_structure = structure
                    self.reload()
            except Exception:
                log.exception("reloading rules failed")

    # ------------------------------------------------------------ chat over MQTT

    def _on_ask(self, topic: str, payload: bytes) -> None:
        request, error = parse_request(payload)
        if error:
            self._reply(request.get("id") or "error", {"id": request.get("id"), "error": error})
            return
        try:
            self._questions.put_nowait((request["id"], request))
        except queue.Full:
            self._reply(request["id"], {"id": request["id"], "error": "too many questions waiting; ask again shortly"})

    def _answer_loop(self) -> None:
        while True:
            item = self._questions.get()
            if item is None:
                return
            request_id, request = item
            try:
                result = self.agent.turn(request["text"], thread=request.get("thread") or f"mqtt-{request.get('user') or 'owner'}",
                                         user=request.get("user"), room=request.get("room"), yes=bool(request.get("yes")),
                                         origin="api")
                self._reply(request_id, {"id": request_id, **result.to_json()})
                self.answered += 1
            except Exception as exc:  # one bad turn must not stop the service
                log.exception("answering %s failed", request_id)
                self._reply(request_id, {"id": request_id, "error": f"the request failed: {exc}"})

    def _reply(self, request_id: str, body: dict[str, Any]) -> None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(request_id))[:64] or "error"
        self.runtime.executor.reply(f"iotlm/{self.home_name}/reply/{safe}", body)


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
    if not isinstance(request.get("id"), (str, int)) or not str(request["id"]):
        return {}, "id must be a string"
    request["id"] = str(request["id"])
    if not isinstance(request.get("text"), str) or not request["text"].strip():
        return request, "text is missing: send {\"id\": \"1\", \"text\": \"turn on the kitchen light\"}"
    if len(request["text"]) > MAX_QUESTION:
        return request, f"text is {len(request['text'])} characters; keep it under {MAX_QUESTION}"
    for key in ("user", "room", "thread"):
        if request.get(key) is not None and not isinstance(request[key], str):
            return request, f"{key} must be a string"
    return request, None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0

