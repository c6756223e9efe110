"""``iotlm rules add|list|show|enable|disable|remove|test`` and ``iotlm run``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from iotlm.automations.model import approvable, gate_view, problems
from iotlm.cli.shared import Commands, discover, model_factory, settings_for, usage
from iotlm.errors import UserError
from iotlm.tools.hookspecs import hookimpl


class RulesError(UserError):
    """A rules command that cannot be done; the message says why and what to do."""


@hookimpl
def register_commands(commands: Commands) -> None:
    rules = commands.add("rules", help="automations: add in plain words, list, show, enable, disable, remove, test")
    verbs = rules.add_subparsers(title="actions", dest="rules")

    p = verbs.add_parser("add", help='compile a sentence ("when ..., ...") into a rule, show it, save it once accepted')
    commands.common(p)
    p.add_argument("sentence")
    p.add_argument("--id", dest="rule_id", help="the rule's id (default: from the sentence)")
    p.add_argument("--yes", action="store_true", help="accept without asking (and approve its risky actions)")
    p.add_argument("--devices-from", dest="devices_from", type=Path,
                   help="a home file to read devices from, instead of discovering them on the broker")
    p.add_argument("--user", default="owner", help="the rule's owner (its actions run with this person's permissions)")
    p.add_argument("--model", type=Path, help="GGUF for the parts the fast path cannot read (default: the packaged model)")
    p.add_argument("--no-llm", dest="no_llm", action="store_true", help="fast path only")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_add)

    for name, text in (("list", "every saved rule"), ("show", "one rule: in words, as YAML, and its state"),
                       ("enable", "run a rule again"), ("disable", "stop a rule without removing it"),
                       ("remove", "delete a rule and its state")):
        p = verbs.add_parser(name, help=text)
        commands.common(p)
        if name != "list":
            p.add_argument("rule_id")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=cmd_simple)

    p = verbs.add_parser("test", help="would the rule fire for this value at this time, and are its risky "
                                      "actions approved (nothing is sent); or check a YAML rule file")
    commands.common(p)
    p.add_argument("rule_id", help="a saved rule's id, or a YAML file to check")
    p.add_argument("--value", help="the reported value to try (JSON: true, 25, \"open\"); default: the device's own")
    p.add_argument("--at", help="the time to try (HH:MM; default: now)")
    p.add_argument("--devices-from", dest="devices_from", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_test)
    rules.set_defaults(func=usage(rules))



def _store(args: argparse.Namespace) -> Any:
    from iotlm.automations.store import RuleStore

    return RuleStore(settings_for(args).home / "rules.db")


def devices_for(args: argparse.Namespace) -> list[Any]:
    """The devices a command reads: from ``--devices-from HOME.json``, else discovered on the broker."""
    from iotlm.device_drivers.home import load_home

    if getattr(args, "devices_from", None):
        return load_home(args.devices_from).devices
    settings = settings_for(args)
    if not settings.broker:
        raise RulesError("rules name devices, so I need to see them: pass --broker mqtt://host:port (or set IOTLM_BROKER), "
                         "or --devices-from HOME.json")
    devices = discover(settings, settings.broker, wait=3.0)
    if not devices:
        raise RulesError(f"no devices found on {settings.broker}; is Zigbee2MQTT or Home Assistant discovery running?")
    return devices


def cmd_add(args: argparse.Namespace) -> int:
    from iotlm.agent.llm.backend import ModelUnavailable
    from iotlm.agent.llm.planner import LLMPlanner
    from iotlm.agent.understand.parser import Parser
    from iotlm.automations.compile import RuleSyntaxError, compile_rule
    from iotlm.automations.describe import describe

    devices = devices_for(args)
    parser = Parser(devices)
    planner = None
    model = None
    if not args.no_llm:
        try:
            model = model_factory(settings_for(args))()
            planner = LLMPlanner(model)
        except ModelUnavailable as exc:
            print(f"iotlm: no language model ({exc}); the fast path alone will read the rule", file=sys.stderr)
    try:
        compiled = compile_rule(args.sentence, parser, rule_id=args.rule_id, owner=args.user, planner=planner)
    except RuleSyntaxError as exc:
        raise RulesError(f"I couldn't make a rule of that: {exc}") from exc
    finally:
        if model is not None:
            model.close()
    by_id = {d.id: d for d in devices}
    rule = compiled.rule
    found = problems(rule, by_id)
    if found:
        raise RulesError("the rule would not run: " + "; ".join(found))
    words = describe(rule, by_id)
    store = _store(args)
    if store.get(rule.id) is not None:
        raise RulesError(f"a rule {rule.id!r} exists already; pass --id NEW_ID or `iotlm rules remove {rule.id}` first")
    # approval is whatever the gate itself would ask about when the rule fires, for this owner (locks, garage doors,
    # the policy file's own selectors), not a guess from the device's "risky" flag
    dangerous, denied = gate_view(rule, by_id, _owner_preview(args, rule.owner))
    if not args.json:
        print(f"Rule {rule.id}: {words}")
        for note in compiled.notes:
            print(f"  note: {note}")
    for line in denied:
        print(f"iotlm: warning: when it fires, the gate will refuse {line}", file=sys.stderr)
    if args.yes:
        accepted, approved = True, True
    else:
        accepted = _confirm("Save this rule?")
        approved = accepted and (not dangerous or _confirm(
            f"When it fires it will {'; '.join(dangerous)}. Let this rule do that without asking?"))
    if not accepted:
        print("Not saved.")
        return 1
    keys = approvable(rule, by_id, _owner_preview(args, rule.owner)) if approved else []
    rule = rule.model_copy(update={"approved_risky": bool(keys), "approved": keys})
    store.save(rule)
    if args.json:
        print(json.dumps({"rule": rule.model_dump(by_alias=True), "description": words, "notes": compiled.notes,
                          "risky": dangerous, "denied": denied, "saved": True}, ensure_ascii=False))
    else:
        print(f"Saved. It runs in `iotlm run` (and `iotlm demo`){' (risky actions approved)' if rule.approved_risky else ''}.")
    return 0


def _owner_preview(args: argparse.Namespace, owner: str) -> Callable[[Any, Any], Any]:
    """The gate's preview for the rule's owner, from the policy file in force (nothing audited, nothing sent)."""
    from iotlm.policies.config import load_policy_config
    from iotlm.policies.defaults import default_policies
    from iotlm.policies.gate import preview
    from iotlm.policies.users import UserStore, person
    from iotlm.runtime import policy_file

    settings = settings_for(args)
    config = load_policy_config(policy_file(settings))
    policies = default_policies(config)
    store = UserStore(settings.home / "iotlm.db")
    try:  # the owner's role as the gate will see it when the rule fires: the policy file's, else the users store's
        user = person(config, store, owner)
    finally:
        store.close()
    return lambda step, device: preview(policies, step, user=user, device=device, now=datetime.now())


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise RulesError(f"{question} needs an answer: run it in a terminal, or pass --yes to accept")
    return input(f"{question} (yes/no) ").strip().lower() in ("y", "yes")


def cmd_simple(args: argparse.Namespace) -> int:
    from iotlm.automations.describe import as_json, describe
    from iotlm.automations.store import dump_yaml

    store = _store(args)
    verb = args.rules
    if verb == "list":
        rules = store.rules()
        if args.json:
            print(json.dumps([{**as_json(r), "state": store.state(r.id)} for r in rules], ensure_ascii=False))
        elif not rules:
            print('No rules yet. Add one: iotlm rules add "when the hallway motion sensor sees someone, turn on the hallway light"')
        for r in rules if not args.json else []:
            print(f"{r.id:<32} {'on ' if r.enabled else 'off'} {describe(r)}")
        return 0
    rule = store.get(args.rule_id)
    if rule is None:
        known = ", ".join(r.id for r in store.rules()) or "none yet"
        raise RulesError(f"no rule {args.rule_id!r}; rules: {known}")
    if verb == "show":
        state = store.state(rule.id)
        if args.json:
            print(json.dumps({**as_json(rule), "state": state, "timers": [
                t for t in store.timers() if t["rule_id"] == rule.id]}, ensure_ascii=False))
        else:
            print(describe(rule))
            fired = datetime.fromtimestamp(state["last_fired"]).strftime("%Y-%m-%d %H:%M:%S") if state["last_fired"] else "never"
            print(f"enabled: {rule.enabled}; fired {state['fired']} times, last {fired}; armed: {state['armed']}")
            print(dump_yaml([rule]), end="")
        return 0
    if verb in ("enable", "disable"):
        store.set_enabled(rule.id, verb == "enable")
    elif verb == "remove":
        store.remove(rule.id)
    if args.json:
        print(json.dumps({"id": rule.id, "done": verb}))
    else:
        print(f"{rule.id}: {verb}d.")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from iotlm.automations.describe import describe
    from iotlm.automations.store import load_yaml

    candidate = Path(args.rule_id)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        loaded, bad = load_yaml(candidate)
        devices = {d.id: d for d in devices_for(args)} if (args.devices_from or _has_broker(args)) else {}
        report: dict[str, Any] = {"rules": [{"id": r.id, "line": line, "problems": problems(r, devices) if devices else []}
                                            for r, line in loaded],
                  "unreadable": [str(p) for p in bad]}
        if args.json:
            print(json.dumps(report, ensure_ascii=False))
        else:
            for item in report["rules"]:
                print(f"line {item['line']}: {item['id']}: " + ("; ".join(item["problems"]) or "ok"))
            for line in report["unreadable"]:
                print(line)
        return 1 if bad or any(i["problems"] for i in report["rules"]) else 0
    rule = _store(args).get(args.rule_id)
    if rule is None:
        raise RulesError(f"no rule {args.rule_id!r} (and no YAML file by that name)")
    devices = {d.id: d for d in devices_for(args)}
    found = problems(rule, devices)
    result: dict[str, Any] = {"id": rule.id, "description": describe(rule, devices), "problems": found}
    now = datetime.now()
    if args.at:
        from iotlm.automations.model import clock

        hour, minute = map(int, clock(args.at).split(":"))
        now = now.replace(hour=hour, minute=minute)
    t = rule.trigger
    if t.device and t.device in devices and t.attribute in devices[t.device].attributes:
        value = json.loads(args.value) if args.value is not None else devices[t.device].attributes[t.attribute or ""].value
        result["trigger"] = {"value": value, "matches": t.matches(value)}
    result["conditions"] = [c.holds(now, devices[c.device].attributes[c.attribute or "state"].value
                                    if c.device and c.device in devices else None) for c in rule.conditions]
    result["would_fire"] = not found and result.get("trigger", {"matches": True})["matches"] and all(result["conditions"])
    asks, denied = gate_view(rule, devices, _owner_preview(args, rule.owner))
    result["risky"] = asks
    result["denied"] = denied
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        print(result["description"])
        for problem in found:
            print(f"  problem: {problem}")
        if "trigger" in result:
            print(f"  trigger with {result['trigger']['value']!r}: {'matches' if result['trigger']['matches'] else 'does not match'}")
        for i, ok in enumerate(result["conditions"], 1):
            print(f"  condition {i} at {now:%H:%M}: {'holds' if ok else 'does not hold'}")
        print(f"  would fire: {'yes' if result['would_fire'] else 'no'}" +
              (f"; it asks to {'; '.join(result['risky'])} ({'approved' if rule.approved_risky else 'NOT approved: refused'})"
               if result["risky"] else ""))
        for line in denied:
            print(f"  the gate refuses {line}")
    return 0


def _has_broker(args: argparse.Namespace) -> bool:

    return bool(settings_for(args).broker)


__all__ = ["RulesError", "cmd_add", "cmd_simple", "cmd_test", "devices_for", "register_commands"]
