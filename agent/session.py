"""The agent as the CLI and the service use it: one call per turn, threads that persist."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, get_args

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from iotlm.agent.context.conditions import Bands
from iotlm.agent.context.effects import Effect, load_effects
from iotlm.agent.context.situations import load_situations
from iotlm.agent.graph import build_graph
from iotlm.agent.llm.backend import Model, ModelUnavailable
from iotlm.agent.llm.goal_head import GoalHead
from iotlm.agent.llm.planner import LLMPlanner
from iotlm.agent.nodes import YES, Deps
from iotlm.agent.talk import load_talk
from iotlm.agent.understand.learned import LearnedReader
from iotlm.agent.understand.parser import Parser
from iotlm.automations.model import ScheduleSettings
from iotlm.device_drivers.connection import Connection
from iotlm.memory.migrations import DatabaseError
from iotlm.memory.store import MemoryStore
from iotlm.policies.config import PolicyConfig
from iotlm.policies.model import Origin, Step, User
from iotlm.tools.executor import Executor
from iotlm.tools.plugins import plugin_manager

log = logging.getLogger(__name__)
NO = {"no", "n", "nope", "cancel", "stop", "don't", "dont", "never mind", "nevermind", "no thanks", "abort"}
_FILLER = {"please", "the", "a", "it", "that", "go", "ahead", "do", "you", "can", "yes", "no", "ok", "okay", "thanks",
           "now", "leave", "don't", "dont", "as", "is", "and", "to"}


def thread_key(channel: str, user: str, thread: str) -> str:
    """The agent's key for a person's thread on a channel (``web``, ``mqtt``): each part percent-encoded and joined by
    ``/``, so no two (channel, user, thread) ever share a key, whatever ``-`` or ``/`` the names hold ("web-anna-admin-main"
    was both anna's thread "admin-main" and anna-admin's "main")."""
    return "/".join(urllib.parse.quote(part, safe="") for part in (channel, user, thread))


@dataclass(frozen=True)
class Waiting:
    """A confirmation question a thread is waiting on, when it was put (executor clock, epoch seconds), and to whom."""

    question: str
    asked_at: float | None
    user: str | None = None


def answer_to(utterance: str, question: str) -> bool | None:
    """True or False when ``utterance`` answers ``question`` (a yes or no, alone or naming what was asked:
    "yes, preheat the oven"); None when it is something else, which never confirms anything."""
    text = re.sub(r"[^\w\s']", " ", utterance.lower()).split()
    if not text:
        return None
    asked = set(re.sub(r"[^\w\s']", " ", question.lower()).split())
    for words, verdict in ((YES, True), (NO, False)):
        for phrase in sorted(words, key=len, reverse=True):
            head = phrase.split()
            if text[:len(head)] == head and all(w in asked or w in _FILLER for w in text[len(head):]):
                return verdict
    return None


def _ago(seconds: float) -> str:
    return f"{seconds / 60:.0f} minutes" if seconds >= 120 else f"{seconds:.0f} seconds"


def _origin(origin: str) -> Any:
    return origin if origin in get_args(Origin) else "chat"


@dataclass
class TurnResult:
    reply: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    needs_confirmation: bool = False
    tier: str = "fast"
    latency_ms: float = 0.0
    scheduled: list[dict[str, Any]] = field(default_factory=list)
    """Jobs this turn scheduled: id, kind "job", due (ISO 8601) or the event it waits for, and its actions."""
    clarify: list[str] = field(default_factory=list)
    """The questions the reply puts back ("Which light do you mean: bedroom or office?"): a page offers the choices."""
    reading: list[dict[str, Any]] = field(default_factory=list)
    """How each clause was read: speech act, the words used, the words left over (a clause with any did not act)."""

    def to_json(self) -> dict[str, Any]:
        return {"reply": self.reply, "actions": self.actions, "refused": self.refused,
                "needs_confirmation": self.needs_confirmation, "tier": self.tier, "latency_ms": round(self.latency_ms, 2),
                "scheduled": self.scheduled, "reading": self.reading}


class AgentSettings(Protocol):
    """The settings the conversation reads (``iotlm.config.Settings`` has them)."""

    @property
    def home(self) -> Path: ...
    @property
    def comfort(self) -> dict[str, list[float | None]]: ...
    @property
    def schedule(self) -> ScheduleSettings: ...
    @property
    def confirm_timeout_s(self) -> float: ...


class AgentRuntime(Protocol):
    """What the conversation needs of a running iotlm: the app shell builds one (``iotlm.runtime.Runtime``), a test
    may build its own. The agent package never imports the shell."""

    @property
    def settings(self) -> AgentSettings: ...
    @property
    def connection(self) -> Connection: ...
    @property
    def executor(self) -> Executor: ...
    @property
    def policy_config(self) -> PolicyConfig: ...
    @property
    def store(self) -> MemoryStore | None: ...

    def memory(self) -> Any: ...

    def user(self, name: str | None) -> User: ...


R = TypeVar("R", bound=AgentRuntime)


class Agent(Generic[R]):
    """One household's conversation over a runtime ``R`` (the shell's ``Agent[Runtime]`` keeps its runtime's type)."""

    def __init__(self, runtime: R, *, model: Model | None = None, model_factory: Any = None,
                 threads_db: Path | None = None, floors: dict[str, str] | None = None,
                 effects: tuple[Effect, ...] | None = None, ranker: Any = None,
                 reader: bool = True) -> None:
        """``ranker``: what chooses the goal of a request about a room the fast path cannot read (default: the goal
        head over the memory's embedder; False: none). ``reader``: whether the learned reader reads what the rules and
        the templates could not, before the model (:mod:`iotlm.agent.understand.learned`)."""
        self.runtime = runtime
        self.floors = floors or {}
        self._model = model
        self._owns_model = model is None  # a model passed in belongs to the caller
        self._model_factory = model_factory
        self._model_error: str | None = None
        self._planner: LLMPlanner | None = None
        self._parser: Parser | None = None
        self._parser_version = -1
        self._states_version = -1
        self._ranker = ranker
        self._reader = reader
        self._embedder: Any = None
        self._jobs: Any = None
        self._lock = threading.Lock()
        self.confirm_timeout_s = runtime.settings.confirm_timeout_s
        path = threads_db or runtime.settings.home / "threads.db"
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            os.chmod(path, 0o600)
            self._db.execute("PRAGMA journal_mode=WAL")
        except (sqlite3.DatabaseError, OSError) as exc:  # a damaged threads.db says so, never with a traceback
            raise DatabaseError(f"cannot open the conversations database {path}: {exc}; restore it from a backup, or "
                                "start afresh with --fresh (it is kept beside as threads.db.damaged-<time>)") from exc
        self._db.execute("PRAGMA synchronous=NORMAL")
        self.checkpointer = SqliteSaver(self._db)
        deps = Deps(executor=runtime.executor, parser=self.parser, planner=self.planner, user=runtime.user,
                    store=lambda: runtime.store, memory=runtime.memory, bands=Bands(runtime.settings.comfort),
                    effects=effects if effects is not None else load_effects(),
                    situations=load_situations(runtime.settings.home, plugin_manager()), ranker=self.ranker,
                    jobs=self.jobs, schedule=runtime.settings.schedule, read=runtime.policy_config.read,
                    talk=load_talk(runtime.settings.home), news=self._news if getattr(runtime, "notices", None) is not None else None)
        self.graph = build_graph(deps, self.checkpointer)

    # ------------------------------------------------------------ parts, built lazily

    def _news(self, user: str, kind: str) -> str:
        """What the watchers noticed for ``user``: today's (``today``), or the last 12 hours' and whatever is still
        going on (``news``: "anything I should know?")."""
        notices = self.runtime.notices  # type: ignore[attr-defined]
        now = self.runtime.executor.now()
        if kind == "today":
            return str(notices.digest(user, now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()))
        return str(notices.digest(user, now.timestamp() - 12 * 3600, still_going=True))

    def parser(self) -> Parser:
        """The reader over the devices as they are now: rebuilt when a device comes, goes or is redescribed, given the
        latest states when one reported, and as it was otherwise (a turn asks for it many times)."""
        registry = self.runtime.connection.registry
        version = registry.version  # read before the states: a report meanwhile only makes the next call refresh again
        if self._parser is None or self._parser_version != registry.structure_version:
            self._parser_version = registry.structure_version
            self._parser = Parser(registry.all(), self.floors)
            if self._reader:
                self._parser.readers.append(LearnedReader(self._parser.index))
        elif self._states_version != version:
            self._parser.refresh(registry.states())
        self._states_version = version
        return self._parser

    def jobs(self) -> Any:
        """The rules store (``rules.db`` in the home directory) where jobs said in chat are kept; ``iotlm run``,
        chat and the demo fire them."""
        if self._jobs is None and (self.runtime.store is not None or self.runtime.settings.home.is_dir()):
            from iotlm.automations.store import RuleStore

            self._jobs = RuleStore(self.runtime.settings.home / "rules.db")
        return self._jobs

    def ranker(self) -> Any:
        if self._ranker is None:
            self._ranker = GoalHead(self.embedder)
        return self._ranker or None

    def embedder(self) -> Any:
        """The memory's sentence embedder (loaded on first use), or one of our own when there is no memory store."""
        memory = self.runtime.memory()
        if memory is not None:
            return memory.embedder
        if self._embedder is None:
            from iotlm.memory.embeddings import MiniLMEmbedder

            self._embedder = MiniLMEmbedder()
        return self._embedder

    def warm_up(self) -> threading.Thread:
        """Load what a request beyond the fast path needs (the model with its static prefix in the KV cache, and the
        sentence embedder) on a background thread, so that the first such request in a long-lived session (chat, the
        demo, ``iotlm run``) does not pay seconds for it. ``iotlm ask`` does not warm up: it would only slow it."""
        def work() -> None:
            try:
                planner = self.planner()
                if planner is not None:
                    planner.model.complete(planner.prompt("turn on the light", []), max_tokens=1)
                ranker = self.ranker()
                if ranker is not None and hasattr(ranker, "rank"):
                    ranker.rank("warm up")
            except Exception:  # a warm-up that fails leaves the first request to pay; it never stops the agent
                log.exception("warming up the model and the embedder failed")

        thread = threading.Thread(target=work, name="iotlm-warm-up", daemon=True)
        thread.start()
        return thread

    def planner(self) -> LLMPlanner | None:
        if self._planner is None and self._model_error is None:
            try:
                model = self._model or (self._model_factory() if self._model_factory else None)
            except ModelUnavailable as exc:
                self._model_error = str(exc)
                log.warning("no language model: %s", exc)
                return None
            if model is None:
                return None
            self._model = model
            self._planner = LLMPlanner(model, retriever=self._retrieve, examples=self._examples)
        return self._planner

    def _retrieve(self, text: str, devices: list[Any]) -> list[Any]:
        memory = self.runtime.memory()
        return memory.relevant_devices(text, devices, k=4) if memory is not None else []

    def _examples(self, text: str) -> list[tuple[str, list[dict[str, Any]]]]:
        memory = self.runtime.memory()
        if memory is None:
            return []
        return [(e["utterance"], e["plan"]) for e in memory.similar_episodes(text, k=2)]

    # ------------------------------------------------------------ turns

    def pending(self, thread: str) -> str | None:
        """The confirmation question waiting on this thread, if any."""
        waiting = self._waiting(thread)
        return waiting.question if waiting is not None else None

    def _waiting(self, thread: str) -> Waiting | None:
        snapshot = self.graph.get_state({"configurable": {"thread_id": thread}})
        for task in snapshot.tasks:
            for intr in task.interrupts:
                value = intr.value
                return Waiting(str(value.get("question", "Shall I go ahead?")), value.get("asked_at"), value.get("user"))
        return None

    def turn(self, utterance: str, *, thread: str = "default", user: str | None = None, room: str | None = None,
             yes: bool = False, origin: str = "chat", answers: bool = True) -> TurnResult:
        """One turn. A waiting question is answered only by a yes or no to it (``answers=False``: never by text, as
        over MQTT, where a confirmation names the question's id); ``yes`` confirms this request, never an older one."""
        started = time.perf_counter()
        if any(0xD800 <= ord(c) <= 0xDFFF for c in utterance):  # bytes that were not UTF-8: refused before anything
            shown = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in utterance.strip())[:60]
            return TurnResult(reply="I can't do that: that request is not valid UTF-8 text, so I did nothing.",
                              refused=[{"text": shown, "reason": "that request is not valid UTF-8 text, so I did nothing"}],
                              latency_ms=(time.perf_counter() - started) * 1000)
        config = {"configurable": {"thread_id": thread}}
        note = ""
        with self._lock:
            waiting = self._waiting(thread)
            verdict = answer_to(utterance, waiting.question if waiting is not None else "")
            if verdict is not None and (waiting is None or not answers):
                # a yes or no is never a request, and here it answers nothing: nothing runs, nothing is dropped
                reply = ("OK, nothing to do." if waiting is None and verdict is False else
                         "There is no question waiting for a yes or no." if waiting is None else
                         "A plain yes or no does not answer a question here; answer the question by its id.")
                return TurnResult(reply=reply, latency_ms=(time.perf_counter() - started) * 1000)
            if waiting is not None and verdict is not None and waiting.user is not None and waiting.user != (user or "owner"):
                # only the person the question was put to answers it, whichever thread the answer comes in on
                log.warning("%s answered a question put to %s; refused", user or "owner", waiting.user)
                return TurnResult(reply=f"That question was put to {waiting.user}; only they can answer it, so I did nothing.",
                                  refused=[{"text": utterance[:60], "reason": f"the question was put to {waiting.user}"}],
                                  latency_ms=(time.perf_counter() - started) * 1000)
            if waiting is not None and verdict is not None:
                age = self.runtime.executor.now().timestamp() - (waiting.asked_at or 0.0)
                if waiting.asked_at is not None and age > self.confirm_timeout_s:
                    self.graph.invoke(Command(resume=False), config, durability="exit")
                    return TurnResult(reply=f"That question expired ({_ago(age)} ago, after {_ago(self.confirm_timeout_s)}), "
                                            "so I did nothing. Ask again if you still want it.",
                                      latency_ms=(time.perf_counter() - started) * 1000)
                result = self.graph.invoke(Command(resume=verdict), config, durability="exit")
            else:
                if waiting is not None:
                    note = f"(I dropped the earlier question, \"{waiting.question}\", as you asked something else.) "
                # the thread is saved when the turn ends or stops for a confirmation, not after every node
                result = self.graph.invoke({"utterance": utterance, "user": user or "owner", "room": room, "yes": yes,
                                            "origin": origin}, config, durability="exit")
        latency = (time.perf_counter() - started) * 1000
        if "__interrupt__" in result:
            asked = result["__interrupt__"][0].value
            # the question is a decision of the gate too: audited as "ask", once, when it is put
            self.runtime.executor.record_asked([Step(**s) for s in asked["steps"]], user=self.runtime.user(user),
                                               origin=_origin(origin))
            return TurnResult(reply=note + asked["question"], needs_confirmation=True, tier=result.get("tier", "fast"), latency_ms=latency,
                              refused=[{"text": r["text"], "reason": r["reason"]} for r in result.get("refused", [])])
        actions = []
        for o in result.get("outcomes", []):
            step = o["step"]
            if not step.get("device_id") or o["status"] in ("denied", "ok"):
                continue
            value = o.get("reported") if o["status"] in ("done", "already", "unconfirmed") else step.get("value")
            actions.append({"device_id": step["device_id"], "attribute": step.get("attribute"), "value": value,
                            "status": o["status"]})
        reply = result.get("reply", "")
        if self._model_error and result.get("unparsed"):
            reply += f" (The language model is not available: {self._model_error}.)"
        return TurnResult(reply=note + reply, actions=actions,
                          refused=[{"text": r["text"], "reason": r["reason"]} for r in result.get("refused", [])],
                          needs_confirmation=bool(result.get("needs_confirmation")), tier=result.get("tier", "fast"),
                          latency_ms=latency, scheduled=list(result.get("scheduled") or []),
                          clarify=[str(c) for c in result.get("clarify") or []], reading=list(result.get("reading") or []))

    def close(self) -> None:
        if self._owns_model and self._model is not None and hasattr(self._model, "close"):
            self._model.close()
        self._db.close()
        if self._jobs is not None:
            self._jobs.close()


__all__ = ["NO", "Agent", "AgentRuntime", "AgentSettings", "TurnResult", "Waiting", "answer_to", "thread_key"]
