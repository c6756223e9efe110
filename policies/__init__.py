"""The policy gate: allow / ask / deny with reasons, and the audit log (issue 3)."""
