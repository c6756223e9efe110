"""The policy gate: allow / ask for confirmation / deny, with reasons; and the audit log."""

from iotlm.policies.audit import AuditLog
from iotlm.policies.config import PolicyConfig, PolicyConfigError, load_policy_config
from iotlm.policies.defaults import default_policies
from iotlm.policies.gate import Gate, compose
from iotlm.policies.model import Decision, Policy, PolicyContext, Step, User

__all__ = [
    "AuditLog", "Decision", "Gate", "Policy", "PolicyConfig", "PolicyConfigError", "PolicyContext", "Step", "User",
    "compose", "default_policies", "load_policy_config",
]
