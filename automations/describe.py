"""A rule in plain words, as it is shown back before it is saved and in ``iotlm rules list``."""

from __future__ import annotations

from typing import Any

from iotlm.automations.model import Rule
from iotlm.device_drivers.model import Device, Value, describe_device


def join(words: list[str], last: str) -> str:
    """"a, b or c": how every reply and description lists things."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def describe(rule: Rule, devices: dict[str, Device] | None = None) -> str:
    """The rule in plain words, as it is shown back before it is saved."""
    def name(device_id: str | None) -> str:
        return describe_device((devices or {}).get(device_id or ""), str(device_id), room="always")

    t = rule.trigger
    if t.due is not None:
        return _job(rule, f"Once, at {t.due.astimezone():%Y-%m-%d %H:%M}", name)
    if t.at:
        when = f"At {t.at}" + (f" on {', '.join(t.days)}" if t.days and len(t.days) < 7 else " every day")
    else:
        if t.above is not None or t.below is not None:
            what = " and ".join(x for x in (f"above {t.above:g}" if t.above is not None else "",
                                             f"below {t.below:g}" if t.below is not None else "") if x)
            when = f"When {name(t.device)}'s {t.attribute} goes {what}"
        elif t.to is not None:
            when = f"When {name(t.device)}'s {t.attribute} becomes {_say(t.to)}"
        else:
            when = f"Whenever {name(t.device)} reports its {t.attribute}"
        if t.for_s:
            when += f" and stays so for {_duration(t.for_s)}"
    parts = []
    for c in rule.conditions:
        bits = []
        if c.after or c.before:
            bits.append(f"between {c.after or '00:00'} and {c.before or '24:00'}" if c.after and c.before else
                        f"after {c.after}" if c.after else f"before {c.before}")
        if c.days:
            bits.append(f"on {', '.join(c.days)}")
        if c.device:
            test = f"is {_say(c.is_)}" if c.is_ is not None else " and ".join(
                x for x in (f"is above {c.above:g}" if c.above is not None else "",
                            f"is below {c.below:g}" if c.below is not None else "") if x)
            bits.append(f"{name(c.device)}'s {c.attribute or 'state'} {test}")
        parts.append(" ".join(bits))
    return _job(rule, when + (", only " + " and ".join(parts) if parts else ""), name)


def _job(rule: Rule, when: str, name: Any) -> str:
    """The rest of the sentence: what it does, its cooldown, and for a job, once and what became of it."""
    doing = []
    for a in rule.actions:
        sets = ", ".join(f"{k} {_say(v)}" for k, v in a.set.items())
        text = f"set {name(a.device)} to {sets}"
        if a.delay_s:
            text = f"after {_duration(a.delay_s)}, {text}"
        if a.revert_s:
            text += f", then after {_duration(a.revert_s)} put it back as it was"
        doing.append(text)
    out = when + ": " + "; ".join(doing) + "."
    if rule.cooldown_s:
        out += f" At most once every {_duration(rule.cooldown_s)}."
    if rule.kind == "job" and not when.startswith("Once"):
        out = "Once: " + out[0].lower() + out[1:]
    if rule.note:
        out += f" ({rule.note})"
    return out


def as_json(rule: Rule) -> dict[str, Any]:
    """The rule as ``iotlm rules list --json`` shows it; a job has ``kind: "job"``, ``due`` (ISO 8601, local time
    with its offset) or the ``event`` it waits for, and its ``actions`` (device id and values)."""
    data: dict[str, Any] = rule.model_dump(mode="json", by_alias=True)
    if rule.kind == "job":
        t = rule.trigger
        data["due"] = t.due.astimezone().isoformat() if t.due is not None else None
        data["event"] = None if t.due is not None else t.model_dump(mode="json", by_alias=True, exclude_none=True,
                                                                      exclude_defaults=True)
        data["actions"] = [{"device": a.device, "values": a.set, "after_s": a.delay_s, "for_s": a.revert_s}
                           for a in rule.actions]
        data["status"] = "scheduled" if rule.enabled else ("dropped" if rule.note.startswith("dropped") else "done")
    return data


def _say(value: Value) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _duration(s: float) -> str:
    if s >= 3600 and s % 3600 == 0:
        return f"{s / 3600:g} hour{'s' if s != 3600 else ''}"
    if s >= 60 and s % 60 == 0:
        return f"{s / 60:g} minute{'s' if s != 60 else ''}"
    return f"{s:g} seconds"


__all__ = ["as_json", "describe", "join"]
