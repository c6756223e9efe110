"""The rule engine: device reports in, actions out through the same gate and executor as chat.

No model is called here. A report is matched against an index of triggers on the transport's
dispatcher thread (microseconds); a rule that fires is queued to an action thread, so a slow
device never holds up the evaluation of the next report. Delayed actions, "put it back after
N minutes" and "for N minutes" checks are timers in SQLite, so they survive a restart.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from iotlm.automations.model import DAYS, Action, Rule, gate_view, problems, step_for
from iotlm.automations.store import RuleStore
from iotlm.device_drivers.clock import WALL, real_seconds
from iotlm.device_drivers.model import Device, Value
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.policies.model import User
from iotlm.tools.executor import Executor, Outcome

log = logging.getLogger(__name__)
UNKNOWN_DEVICE_GRACE_S = 600.0
"""How long a due action or put-back waits for its device to be discovered before it is dropped (and said)."""


@dataclass
class Stats:
    reports: int = 0
    evaluated: int = 0
    fired: int = 0
    suppressed: int = 0
    """Matches that did not fire: not re-armed yet, in cooldown, or another worker fired first."""
    conditions_false: int = 0
    actions: int = 0
    dropped: int = 0
    """Firings not run because the action queue was full (logged, never silent)."""
    errors: int = 0
    unconfirmed: int = 0
    """Actions whose device did not report the new value within the confirmation time."""
    rejected: dict[str, list[str]] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    """Action steps by outcome: unconfirmed (sent; confirmation checked later), already, denied, failed..."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Firing:
    rule: Rule
    reason: str
    event_time: float
    """perf_counter() when the report that fired it was decoded."""


class RuleEngine:
    def __init__(self, registry: DeviceRegistry, executor: Executor, store: RuleStore, *,
                 user_for: Callable[[str], User], clock: Callable[[], datetime] = WALL, max_pending: int = 10_000,
                 on_fired: Callable[[Firing, list[Outcome]], None] | None = None,
                 state: Callable[[str, str], Value] | None = None, workers: int = 4, inline: bool = False,
                 late_grace_s: float = 1800.0) -> None:
        """``user_for(owner)`` is the rule's owner as the gate sees them when an action runs (their configured role;
        nothing here acts as an implicit admin). ``state(device, attribute)`` answers conditions (default: this
        process's registry)."""
        self.registry = registry
        self.user_for = user_for
        self.inline = inline
        """Act on the thread that evaluated the report, before the report is acknowledged to the broker (iotlm run):
        a crash then never leaves a firing acknowledged but not acted on, and actions keep the reports' order."""
        self.executor = executor
        self.store = store
        self.clock = clock
        self.late_grace_s = late_grace_s
        """A job whose moment passed while iotlm was down still runs (with a note) if it is at most this late;
        later than that it is dropped, with a note (setting ``[schedule] late_grace``)."""
        self.on_fired = on_fired
        self._state_of = state
        self.stats = Stats()
        self._rules: dict[str, Rule] = {}
        self._index: dict[tuple[str, str], list[Rule]] = {}
        self._armed: dict[str, bool] = {}
        self._holding: set[str] = set()
        self._schedule: dict[str, float] = {}
        # a few action threads, so one device's command does not wait behind another's; the actions for one
        # device always go to the same thread, so they stay in order
        self._queues: list[queue.Queue[Firing | None]] = [queue.Queue(maxsize=max(1, max_pending // workers))
                                                           for _ in range(max(1, workers))]
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._checks: list[tuple[float, str, Any]] = []
        self._firing = 0
        """Jobs between leaving the running set and their firing being queued."""
        self.confirm_timeout = 3.0

    # ------------------------------------------------------------ rules

    def load(self, rules: list[Rule], *, provisional: bool = False) -> dict[str, list[str]]:
        """Check every rule against the devices there are; run the good ones, return why the others cannot run.

        ``provisional``: before discovery (a service starting), a rule whose devices are not known yet is kept too,
        so the reports the broker kept for us while we were down fire rules as they are replayed; a second load,
        once the devices are known, checks every rule for real."""
        devices = {d.id: d for d in self.registry.all()}
        rejected: dict[str, list[str]] = {}
        good: dict[str, Rule] = {}
        for rule in rules:
            if not rule.enabled:
                continue
            named = {rule.trigger.device, *(a.device for a in rule.actions), *(c.device for c in rule.conditions)}
            if provisional and not {d for d in named if d} <= set(devices):
                good[rule.id] = rule
                continue
            found = problems(rule, devices)
            if found:
                rejected[rule.id] = found
                log.warning("rule %s is not running: %s", rule.id, "; ".join(found))
                continue
            good[rule.id] = rule
            if not provisional:
                self._warn_if_gated(rule, devices)
        index: dict[tuple[str, str], list[Rule]] = {}
        for rule in good.values():
            t = rule.trigger
            if t.device is not None and t.attribute is not None:
                index.setdefault((t.device, t.attribute), []).append(rule)
        with self._lock:
            self._rules, self._index = good, index
            self.stats.rejected = rejected
            for rule in good.values():  # a rule whose trigger already holds waits for it to stop holding
                if rule.id not in self._armed and rule.trigger.device and rule.trigger.attribute and not rule.trigger.each:
                    if rule.trigger.device not in devices:
                        self._armed[rule.id] = self.store.state(rule.id)["armed"]
                        continue
                    current = devices[rule.trigger.device].attributes[rule.trigger.attribute].value
                    if current is not None and rule.trigger.matches(current) and self.store.state(rule.id)["last_fired"] is None:
                        self.store.arm(rule.id, False)
                    self._armed[rule.id] = self.store.state(rule.id)["armed"]
            self._schedule = {r.id: self._next_time(r) for r in good.values() if r.trigger.at or r.trigger.due}
        self._wake.set()
        return rejected

    def _warn_if_gated(self, rule: Rule, devices: dict[str, Device]) -> None:
        """A rule the gate will stop when it fires is said now, loudly, not discovered later in an INFO line."""
        user = self.user_for(rule.owner)
        asks, denies = gate_view(rule, devices, lambda step, device: self.executor.preview(
            [step], user=user, origin="rule")[0])
        for line in denies:
            log.warning("rule %s (owner %s, %s) will not act: the gate refuses %s", rule.id, user.name, user.role, line)
        if asks and not rule.approved_risky:
            log.warning("rule %s will not act: it needs a confirmation nobody can give when it fires (%s); approve it "
                        "with `iotlm rules add ... --yes` or in rules.yaml (approved_risky: true)", rule.id, "; ".join(asks))

    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self._rules.values())

    # ------------------------------------------------------------ running

    def start(self) -> RuleEngine:
        self.registry.add_report_listener(self.on_report)
        for i, jobs in enumerate(self._queues):
            thread = threading.Thread(target=self._action_loop, args=(jobs,), name=f"iotlm-rule-actions-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        thread = threading.Thread(target=self._timer_loop, name="iotlm-rule-timers", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening and let the action threads finish; calling it again does nothing."""
        if self._stop.is_set():
            return
        self.registry.remove_report_listener(self.on_report)
        self._stop.set()
        self._wake.set()
        for jobs in self._queues:
            try:
                jobs.put_nowait(None)
            except queue.Full:
                pass
        for thread in self._threads:
            thread.join(timeout)

    def idle(self) -> bool:
        return self._firing == 0 and all(jobs.unfinished_tasks == 0 for jobs in self._queues)

    def pending(self) -> int:
        return sum(jobs.qsize() for jobs in self._queues)

    def on_report(self, device_id: str, values: dict[str, Value]) -> None:
        """A device reported: evaluate the rules it triggers (dispatcher thread; must never raise)."""
        stamp = time.perf_counter()
        self.stats.reports += 1
        try:
            for attribute, value in values.items():
                for rule in list(self._index.get((device_id, attribute), ())):  # a job leaves it as it fires
                    self._evaluate(rule, value, stamp)
        except Exception:  # a bug in one rule must not stop the others or the driver
            self.stats.errors += 1
            log.exception("evaluating rules for %s failed", device_id)

    def _evaluate(self, rule: Rule, value: Value, stamp: float) -> None:
        self.stats.evaluated += 1
        t = rule.trigger
        if not t.matches(value):
            if not self._armed.get(rule.id, True):
                self.store.arm(rule.id, True)
                self._armed[rule.id] = True
            if rule.id in self._holding:
                self._holding.discard(rule.id)
                self.store.cancel(rule.id, "hold")
            return
        if t.for_s:
            if rule.id not in self._holding and (t.each or self._armed.get(rule.id, True)):
                self._holding.add(rule.id)
                self.store.add_timer(rule.id, self.now() + t.for_s, "hold", {})
                self._wake.set()
            return
        self._fire(rule, f"{t.device}.{t.attribute} = {value!r}", stamp)

    def now(self) -> float:
        """The engine's clock as seconds since the epoch (timers and cooldowns are kept on it)."""
        return self.clock().timestamp()

    def _fire(self, rule: Rule, reason: str, stamp: float, note: str = "") -> bool:
        now = self.clock()
        for condition in rule.conditions:
            state = self._state(condition.device, condition.attribute or "state") if condition.device else None
            if not condition.holds(now, state):
                self.stats.conditions_false += 1
                return False
        # a schedule fires once per minute it names, whichever worker gets there first
        cooldown = max(rule.cooldown_s, 60.0) if rule.trigger.at else rule.cooldown_s
        if not self.store.try_fire(rule.id, now.timestamp(), cooldown, each=rule.trigger.each or bool(rule.trigger.at)):
            self._armed[rule.id] = False
            self.stats.suppressed += 1
            return False
        self._armed[rule.id] = False
        if rule.kind == "job":  # once: done before it acts, so a restart never runs it twice
            self._finish_job(rule, note or f"ran at {now:%Y-%m-%d %H:%M}")
        self.stats.fired += 1
        try:
            if self.inline:
                self._act(Firing(rule, reason, stamp))
                return True
            # by device: two rules acting on one light run in the order they fired ("on" then "off", never reversed)
            self._queues[hash(rule.actions[0].device) % len(self._queues)].put_nowait(Firing(rule, reason, stamp))
        except queue.Full:
            self.stats.dropped += 1
            if self.stats.dropped in (1, 100, 10_000) or self.stats.dropped % 100_000 == 0:
                log.warning("rule actions are behind: %d firings dropped so far (latest: %s)", self.stats.dropped, rule.id)
        finally:
            if rule.kind == "job":
                with self._lock:
                    self._firing -= 1
        return True

    def _finish_job(self, rule: Rule, note: str) -> None:
        """The job leaves the running set; its delayed steps are timers, which still run. Counted as pending work
        until its firing is queued, so :meth:`idle` never says idle between the two."""
        with self._lock:
            self._firing += 1
        self.store.finish(rule.id, note)
        with self._lock:
            self._rules.pop(rule.id, None)
            self._schedule.pop(rule.id, None)
            for rules in self._index.values():
                if rule in rules:
                    rules.remove(rule)

    def _state(self, device_id: str, attribute: str) -> Value:
        if self._state_of is not None:
            value = self._state_of(device_id, attribute)
            if value is not None:
                return value
        device = self.registry.peek(device_id)
        attr = device.attributes.get(attribute) if device else None
        return attr.value if attr else None

    # ------------------------------------------------------------ actions

    def _action_loop(self, jobs: queue.Queue[Firing | None]) -> None:
        while True:
            job = jobs.get()
            try:
                if job is None:
                    return
                self._act(job)
            finally:
                jobs.task_done()

    def _act(self, job: Firing) -> None:
        try:
            outcomes: list[Outcome] = []
            for action in job.rule.actions:
                if action.delay_s:
                    self.store.add_timer(job.rule.id, self.now() + action.delay_s, "action",
                                         {"action": action.model_dump(by_alias=True)})
                    self._wake.set()
                    continue
                outcomes += self._run_action(job.rule, action)
            if self.on_fired is not None:
                self.on_fired(job, outcomes)
        except Exception:
            self.stats.errors += 1
            log.exception("running rule %s failed", job.rule.id)

    def _run_action(self, rule: Rule, action: Action, *, revert: bool = True) -> list[Outcome]:
        device = self.registry.peek(action.device)
        if device is None:
            log.warning("rule %s: %s is gone; action skipped", rule.id, action.device)
            return []
        steps, before = [], {}
        for attribute, value in action.set.items():
            steps.append(step_for(device, attribute, value))
            before[attribute] = device.attributes[attribute].value
        # sent without waiting for the device's confirmation (which would hold this thread for a round trip per
        # action); the confirmation is checked a little later, off this path, and a device that stays silent is logged
        outcomes = self.executor.run(steps, user=self.user_for(rule.owner), origin="rule", confirmed=rule.approves, wait=0)
        due = time.monotonic() + self.confirm_timeout
        with self._lock:
            self._checks += [(due, rule.id, o.step) for o in outcomes if o.status == "unconfirmed"]
        self.stats.actions += len(steps)
        for o in outcomes:
            self.stats.outcomes[o.status] = self.stats.outcomes.get(o.status, 0) + 1
        changed = {o.step.attribute: before[o.step.attribute] for o in outcomes
                   if o.status in ("done", "unconfirmed") and o.step.attribute and before.get(o.step.attribute) is not None}
        if revert and action.revert_s and changed:
            undo = {"device": action.device, "set": changed}
            self.store.add_timer(rule.id, self.now() + action.revert_s, "revert", {"action": undo})
            self._wake.set()
        for o in outcomes:
            if o.status in ("denied", "needs_confirmation", "failed"):
                log.warning("rule %s (owner %s) did not act: %s %s (%s)", rule.id, rule.owner, o.step.describe(),
                            o.status.replace("_", " "), o.reason)
        return outcomes

    def _check_confirmations(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = [c for c in self._checks if c[0] <= now]
            self._checks = [c for c in self._checks if c[0] > now]
        for _, rule_id, step in due:
            # still in flight: the device never reported the value (a later command for it supersedes this one)
            if self.executor.in_flight(step.device_id or "", step.attribute or "") == step.value:
                self.stats.unconfirmed += 1
                if self.stats.unconfirmed <= 10 or self.stats.unconfirmed % 1000 == 0:
                    reported = self.registry.value(step.device_id or "", step.attribute or "")
                    log.warning("rule %s: %s did not confirm %s = %r within %g s; it reports %r (%d unconfirmed so far)",
                                rule_id, step.device_id, step.attribute, step.value, self.confirm_timeout, reported,
                                self.stats.unconfirmed)

    # ------------------------------------------------------------ timers and schedules

    def _timer_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._run_timers()
                self._run_schedules()
                self._check_confirmations()
            except Exception:
                self.stats.errors += 1
                log.exception("rule timers failed")
            due = [d for d in (self.store.next_due(), min(self._schedule.values(), default=None)) if d is not None]
            wait = real_seconds(self.clock, min(due) - self.now()) if due else 1.0
            # at most a second, and at most a few simulated seconds on a fast clock (a job is never a minute late)
            self._wake.wait(min(wait, 1.0, real_seconds(self.clock, 2.0)))
            self._wake.clear()

    def _run_timers(self) -> None:
        now = self.now()
        for timer in self.store.take_due(now):
            rule = self._rules.get(timer["rule_id"])
            if rule is None and timer["kind"] == "action":  # a job's later steps: the job itself is done already
                saved = self.store.get(timer["rule_id"])
                rule = saved if saved is not None and saved.kind == "job" else None
            device = (timer["payload"].get("action") or {}).get("device")
            if timer["kind"] in ("revert", "action") and device and self.registry.peek(device) is None:
                # not discovered yet (a service starting up): wait for it rather than drop a put-back; give up late
                first_due = timer["payload"].get("first_due", timer["due"])
                if now - first_due < UNKNOWN_DEVICE_GRACE_S:
                    self.store.add_timer(timer["rule_id"], now + 1.0, timer["kind"], {**timer["payload"], "first_due": first_due})
                else:
                    log.warning("rule %s: %s is gone; its %s, due %.0f s ago, was dropped", timer["rule_id"], device,
                                timer["kind"], now - first_due)
                continue
            if timer["kind"] == "revert":
                # put back what the rule changed, even if the rule was since disabled
                action = Action.model_validate(timer["payload"]["action"])
                self._run_action(rule or _orphan(timer["rule_id"]), action, revert=False)
            elif rule is None:
                continue
            elif timer["kind"] == "action":
                self._run_action(rule, Action.model_validate(timer["payload"]["action"]))
            elif timer["kind"] == "hold":
                self._holding.discard(rule.id)
                t = rule.trigger
                value = self._state(t.device or "", t.attribute or "")
                if value is not None and t.matches(value):
                    self._fire(rule, f"{t.device}.{t.attribute} = {value!r} for {t.for_s:g} s", time.perf_counter())

    def _run_schedules(self) -> None:
        now = self.now()
        for rule_id, due in list(self._schedule.items()):
            if due > now:
                continue
            rule = self._rules.get(rule_id)
            if rule is None:
                continue
            if rule.trigger.due is not None:
                if any(self.registry.peek(a.device) is None for a in rule.actions) and now - due < UNKNOWN_DEVICE_GRACE_S:
                    continue  # a service starting: its devices are not discovered yet (a job runs once, so it waits)
                self._run_job(rule, now - due)
                continue
            self._schedule[rule_id] = self._next_time(rule, after=datetime.fromtimestamp(due) + timedelta(seconds=1))
            if now - due < 60:  # a time missed while the service was down is not made up late
                self._fire(rule, f"it is {rule.trigger.at}", time.perf_counter())

    def _run_job(self, rule: Rule, late: float) -> None:
        """A job's moment has come: run it, or say why not when it is far too late (iotlm was down)."""
        with self._lock:
            self._schedule.pop(rule.id, None)
        due = rule.trigger.due
        assert due is not None
        if late > self.late_grace_s:
            note = (f"dropped: its time ({due:%Y-%m-%d %H:%M}) passed {late / 60:.0f} min ago while iotlm was not "
                    f"running, more than the {self.late_grace_s / 60:g} min a late job may still run")
            log.warning("job %s %s", rule.id, note)
            self.store.finish(rule.id, note)
            with self._lock:
                self._rules.pop(rule.id, None)
            return
        note = f"ran {late / 60:.0f} min late (iotlm was not running at {due:%H:%M})" if late > 60 else ""
        if note:
            log.warning("job %s %s", rule.id, note)
        self._fire(rule, f"it is {due:%H:%M}", time.perf_counter(), note=note)

    def _next_time(self, rule: Rule, after: datetime | None = None) -> float:
        if rule.trigger.due is not None:
            return rule.trigger.due.timestamp()
        at = rule.trigger.at or "00:00"
        start = after or self.clock()
        hour, minute = map(int, at.split(":"))
        for day in range(8):
            moment = (start + timedelta(days=day)).replace(hour=hour, minute=minute, second=0, microsecond=0)
            if moment >= start and (not rule.trigger.days or DAYS[moment.weekday()] in rule.trigger.days):
                return moment.timestamp()
        return (start + timedelta(days=7)).timestamp()


def _orphan(rule_id: str) -> Rule:
    return Rule.model_validate({"id": rule_id, "when": {"at": "00:00"}, "do": [{"device": "-", "set": {"state": "off"}}]})


__all__ = ["UNKNOWN_DEVICE_GRACE_S", "Firing", "RuleEngine", "Stats"]
