from __future__ import annotations

import sqlite3
from datetime import datetime, time
from pathlib import Path

import pytest

from iotlm.memory.migrations import DatabaseError
from iotlm.policies.audit import AuditLog
from iotlm.policies.config import PolicyConfigError, load_policy_config
from iotlm.policies.model import Decision, PolicyContext, Step, User

TOML = """
confirm = ["risky", "type:lock"]
default_role = "member"

[users]
alice = "admin"
sam = "guest"

[quiet_hours]
start = "21:30"
end = "06:00"
max_value = 20

[rate_limit]
max_commands = 5
per_seconds = 30

[roles.admin]
[roles.member]
[[roles.guest.deny]]
devices = "type:lock"
operations = ["unlock"]
"""

YAML = """
confirm: [risky]
users: {alice: admin}
roles:
  admin: {}
  member:
    ask:
      - devices: "name:*oven*"
"""


def test_toml_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policies.toml"
    path.write_text(TOML)
    config = load_policy_config(path)
    assert config.role_of("sam") == "guest" and config.role_of("stranger") == "member"
    assert (config.quiet_hours.start, config.quiet_hours.end, config.quiet_hours.max_value) == (time(21, 30), time(6), 20)
    assert (config.rate_limit.max_commands, config.rate_limit.per_seconds) == (5, 30)
    assert config.roles["guest"].deny[0].operations == ["unlock"]


def test_yaml_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text(YAML)
    config = load_policy_config(path)
    assert config.confirm == ["risky"]
    assert config.roles["member"].ask[0].devices == "name:*oven*"


@pytest.mark.parametrize(("name", "text", "message"), [
    ("p.toml", "confirm = ['kind:lock']",
     r"confirm: Value error, selector 'kind:lock' is not understood; use '\*', 'risky' or one of 'type:PATTERN'"),
    ("p.toml", "[users]\nbob = 'superuser'", "'bob' has role 'superuser', which is not defined"),
    ("p.toml", "[rate_limit]\nmax_commands = 0", r"rate_limit\.max_commands: Input should be greater than or equal to 1"),
    ("p.toml", "confirm = [", "not valid TOML"),
    ("p.yaml", "users: [unclosed", "not valid YAML"),
    ("p.json", "{}", "use a .toml or .yaml file"),
    ("p.toml", "colour = 'red'", "colour: Extra inputs are not permitted"),
])
def test_bad_policy_files_name_file_place_and_fix(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(PolicyConfigError, match=message) as info:
        load_policy_config(path)
    assert str(path) in str(info.value)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyConfigError, match="cannot read policy file"):
        load_policy_config(tmp_path / "nope.toml")


def _record(audit: AuditLog, verdict: str, device: str | None = "kitchen.light") -> None:
    step = Step(tool=f"{device}.turn_on" if device else "notify", device_id=device, operation="turn_on" if device else None,
                attribute="state" if device else None, value="on" if device else None,
                args={} if device else {"message": "hi"})
    ctx = PolicyContext(user=User(name="alice", role="admin"), origin="chat", now=datetime(2026, 11, 22, 20, 0))
    audit.record(step, ctx, Decision(verdict=verdict, reason=f"because {verdict}", policy="p", code=verdict))  # type: ignore[arg-type]


def test_audit_records_every_field_and_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "iotlm.db"
    audit = AuditLog(db)
    _record(audit, "allow")
    _record(audit, "deny")
    _record(audit, "allow", device=None)
    audit.close()
    reopened = AuditLog(db)
    entries = reopened.entries()
    assert [e["verdict"] for e in entries] == ["allow", "deny", "allow"]
    first = entries[0]
    assert {k: first[k] for k in ("time", "user", "role", "origin", "tool", "device_id", "operation", "attribute", "value",
                                  "verdict", "policy", "code", "reason")} == {
        "time": "2026-11-22T20:00:00.000", "user": "alice", "role": "admin", "origin": "chat", "tool": "kitchen.light.turn_on",
        "device_id": "kitchen.light", "operation": "turn_on", "attribute": "state", "value": "on", "verdict": "allow",
        "policy": "p", "code": "allow", "reason": "because allow"}
    assert entries[2]["value"] == {"message": "hi"}
    assert reopened.count() == 3 and reopened.count("deny") == 1
    assert [e["verdict"] for e in reopened.entries(verdict="deny")] == ["deny"]
    assert [e["id"] for e in reopened.entries(limit=2)] == [entries[1]["id"], entries[2]["id"]]
    reopened.close()


def test_audit_on_a_locked_database_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "iotlm.db"
    audit = AuditLog(db, busy_timeout=0.2)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseError, match=f"cannot write the audit log {db}: database is locked"):
            _record(audit, "allow")
    finally:
        other.execute("ROLLBACK")
        other.close()
    _record(audit, "allow")  # and it works again once the lock is gone
    assert audit.count() == 1
    audit.close()
