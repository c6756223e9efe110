"""The policy gate: allow / ask for confirmation / deny, with reasons; and the audit log."""

from policies.audit import AuditLog
from policies.config import PolicyConfig, PolicyConfigError, load_policy_config
from policies.defaults import default_policies
from policies.gate import Gate, compose
from policies.model import Decision, Policy, PolicyContext, Step, User

__all__ = [
    "AuditLog", "Decision", "Gate", "Policy", "PolicyConfig", "PolicyConfigError", "PolicyContext", "Step", "User",
    "compose", "default_policies", "load_policy_config",
]
