"""The shipped policies. Each is pure: (step, context) -> Decision or None (no opinion)."""

from __future__ import annotations

from iotlm.device_drivers.model import InvalidValue
from iotlm.policies.config import PolicyConfig, selector_matches
from iotlm.policies.model import Decision, Policy, PolicyContext, Step


def capability(step: Step, ctx: PolicyContext) -> Decision | None:
    """A device step must name a device that exists and an attribute it has."""
    if step.device_id is None:
        return None
    device = ctx.device
    if device is None:
        return Decision(verdict="deny", policy="capability", code="unknown_device",
                        reason=f"there is no device {step.device_id!r}")
    if step.attribute is not None and step.attribute not in device.attributes:
        has = ", ".join(device.attributes) or "nothing"
        return Decision(verdict="deny", policy="capability", code="unsupported_attribute",
                        reason=f"the {device.name} has no {step.attribute}; it has: {has}")
    return None


def read_only(step: Step, ctx: PolicyContext) -> Decision | None:
    """A read-only device or attribute is never written."""
    device = ctx.device
    if device is None or step.attribute is None:
        return None
    attr = device.attributes.get(step.attribute)
    if device.read_only or (attr is not None and not attr.writable):
        return Decision(verdict="deny", policy="read_only", code="read_only",
                        reason=f"the {device.name}'s {step.attribute} can only be read, not set")
    return None


def value_range(step: Step, ctx: PolicyContext) -> Decision | None:
    """A value outside the declared range or options is denied, never clamped."""
    device = ctx.device
    if device is None or step.attribute is None or step.attribute not in device.attributes:
        return None
    try:
        device.attributes[step.attribute].check(step.value, name=f"{device.name} {step.attribute}")
    except InvalidValue as exc:
        return Decision(verdict="deny", policy="value_range", code="out_of_range", reason=str(exc))
    return None


def permissions(config: PolicyConfig) -> Policy:
    def permissions(step: Step, ctx: PolicyContext) -> Decision | None:
        """What the user's role may not do (deny) or must confirm (ask)."""
        role_name = ctx.user.role if ctx.user.role in config.roles else config.role_of(ctx.user.name)
        role = config.roles[role_name]
        for rule in role.deny:
            if rule.matches(ctx.device, step.tool, step.operation):
                return Decision(verdict="deny", policy="permissions", code="not_permitted",
                                reason=f"{ctx.user.name} ({role_name}) may not do that: {rule.text()}")
        for rule in role.ask:
            if rule.matches(ctx.device, step.tool, step.operation):
                return Decision(verdict="ask", policy="permissions", code="needs_confirmation",
                                reason=f"{role_name} needs confirmation for {rule.text()}")
        return None
    return permissions


def quiet_hours(config: PolicyConfig) -> Policy:
    quiet = config.quiet_hours

    def quiet_hours(step: Step, ctx: PolicyContext) -> Decision | None:
        """No loud media at night."""
        if not quiet.enabled or step.attribute != quiet.attribute or not quiet.active(ctx.now.time()):
            return None
        if not selector_matches(quiet.devices, ctx.device, step.tool):
            return None
        if isinstance(step.value, int | float) and not isinstance(step.value, bool) and step.value > quiet.max_value:
            return Decision(verdict="deny", policy="quiet_hours", code="quiet_hours",
                            reason=f"it is quiet hours ({quiet.start:%H:%M}-{quiet.end:%H:%M}): "
                                   f"{quiet.attribute} above {quiet.max_value:g} is not allowed")
        return None
    return quiet_hours


def rate_limit(config: PolicyConfig) -> Policy:
    limit = config.rate_limit

    def rate_limit(step: Step, ctx: PolicyContext) -> Decision | None:
        """At most N commands to one device per window: a runaway rule must not hammer it."""
        if step.device_id is None or ctx.recent_commands < limit.max_commands:
            return None
        return Decision(verdict="deny", policy="rate_limit", code="rate_limited",
                        reason=f"{step.device_id} already had {ctx.recent_commands} commands in the last "
                               f"{limit.per_seconds:g} s (limit {limit.max_commands})")
    return rate_limit


def confirmation(config: PolicyConfig) -> Policy:
    def confirmation(step: Step, ctx: PolicyContext) -> Decision | None:
        """Risky devices (locks, garage doors, ovens, anything marked risky) need a yes first."""
        if step.device_id is not None and step.attribute is None:
            return None  # reading a state changes nothing
        if ctx.tool_requires_confirmation:
            return Decision(verdict="ask", policy="confirmation", code="needs_confirmation",
                            reason=f"{step.tool} asks for confirmation before it runs")
        if ctx.device is not None and any(selector_matches(s, ctx.device, step.tool) for s in config.confirm):
            return Decision(verdict="ask", policy="confirmation", code="needs_confirmation",
                            reason=f"changing the {ctx.device.name} needs your confirmation")
        return None
    return confirmation


def default_policies(config: PolicyConfig | None = None) -> list[Policy]:
    config = config or PolicyConfig()
    return [capability, read_only, value_range, permissions(config), quiet_hours(config), rate_limit(config),
            confirmation(config)]


__all__ = ["capability", "confirmation", "default_policies", "permissions", "quiet_hours", "rate_limit", "read_only",
    "value_range"]
