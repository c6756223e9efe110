"""The people who sign in to the web app and call the HTTP API: names, roles, password hashes, API tokens, sessions.

A role here is a role of the policy file (``policies.toml``): the gate sees the same role whichever way a person comes
in. Passwords are kept as scrypt hashes, API tokens and session ids as SHA-256 digests: the database never holds a
secret that lets anyone in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from pathlib import Path
from typing import Any

import sqlite_utils

from iotlm.errors import UserError
from iotlm.memory.migrations import SqliteStore, transaction
from iotlm.policies.config import PolicyConfig
from iotlm.policies.model import User

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
MIN_PASSWORD = 8
SESSION_DAYS = 30
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class UsersError(UserError):
    """A users command or sign-in that cannot be done; says what was wrong and what would be right."""


def _v1(db: sqlite_utils.Database) -> None:
    db.table("users").create({"name": str, "role": str, "hash": str, "created": float}, pk="name", not_null={"role", "hash"})
    db.table("user_tokens").create({"digest": str, "user": str, "created": float}, pk="digest", not_null={"user"},
                                   foreign_keys=[("user", "users", "name")])
    db.table("user_sessions").create({"digest": str, "user": str, "csrf": str, "created": float, "expires": float},
                                     pk="digest", not_null={"user", "csrf", "expires"}, foreign_keys=[("user", "users", "name")])


MIGRATIONS = [_v1]


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


_DUMMY = hash_password(secrets.token_hex(8))
"""Checked against when the name is unknown, so a wrong name takes as long as a wrong password."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise UsersError(f"user name {name!r} is not usable: use 1-32 letters, digits, '.', '_' or '-', starting with a "
                         "letter or digit (e.g. alice)")
    return name


class UserStore(SqliteStore):
    """Users, API tokens and sign-in sessions, in the home's SQLite file."""

    component = "users"
    migrations = MIGRATIONS
    what = "users"

    def __init__(self, path: str | Path, *, clock: Any = time.time) -> None:
        super().__init__(path)
        self._clock = clock

    # ------------------------------------------------------------ users

    def add(self, name: str, role: str, password: str) -> None:
        check_name(name)
        _check_password(password)
        if self.role(name) is not None:
            raise UsersError(f"there is a user {name!r} already; `iotlm users password {name}` sets a new password, "
                             f"`iotlm users remove {name}` removes them")
        self._exec("INSERT INTO users (name, role, hash, created) VALUES (?, ?, ?, ?)",
                   [name, role, hash_password(password), self._clock()])

    def set_password(self, name: str, password: str) -> None:
        _check_password(password)
        self._need(name)
        with self._lock, transaction(self.db):  # a new password ends every session signed in with the old one
            self.db.execute("UPDATE users SET hash = ? WHERE name = ?", [hash_password(password), name])
            self.db.execute("DELETE FROM user_sessions WHERE user = ?", [name])

    def set_role(self, name: str, role: str) -> None:
        self._need(name)
        self._exec("UPDATE users SET role = ? WHERE name = ?", [role, name])

    def remove(self, name: str) -> None:
        self._need(name)
        with self._lock, transaction(self.db):
            self.db.execute("DELETE FROM user_tokens WHERE user = ?", [name])
            self.db.execute("DELETE FROM user_sessions WHERE user = ?", [name])
            self.db.execute("DELETE FROM users WHERE name = ?", [name])

    def role(self, name: str) -> str | None:
        rows = self._exec("SELECT role FROM users WHERE name = ?", [name])
        return str(rows[0][0]) if rows else None

    def users(self) -> list[dict[str, Any]]:
        rows = self._exec("SELECT u.name, u.role, u.created, (SELECT count(*) FROM user_tokens t WHERE t.user = u.name) "
                          "FROM users u ORDER BY u.name", [])
        return [{"name": n, "role": r, "created": c, "tokens": t} for n, r, c, t in rows]

    def roles(self) -> dict[str, str]:
        return {str(n): str(r) for n, r in self._exec("SELECT name, role FROM users", [])}

    def __len__(self) -> int:
        return int(self._exec("SELECT count(*) FROM users", [])[0][0])

    def _need(self, name: str) -> None:
        if self.role(name) is None:
            known = ", ".join(u["name"] for u in self.users()) or "none yet"
            raise UsersError(f"there is no user {name!r}; users: {known} (add one with `iotlm users add NAME --role member`)")

    def verify(self, name: str, password: str) -> bool:
        rows = self._exec("SELECT hash FROM users WHERE name = ?", [name])
        ok = check_password(password, rows[0][0] if rows else _DUMMY)
        return ok and bool(rows)

    # ------------------------------------------------------------ API tokens

    def new_token(self, name: str) -> str:
        """A new API token for ``name`` (shown once: only its digest is kept)."""
        self._need(name)
        token = "iotlm_" + secrets.token_urlsafe(32)
        self._exec("INSERT INTO user_tokens (digest, user, created) VALUES (?, ?, ?)", [_digest(token), name, self._clock()])
        return token

    def revoke_tokens(self, name: str) -> int:
        self._need(name)
        count = len(self._exec("SELECT digest FROM user_tokens WHERE user = ?", [name]))
        self._exec("DELETE FROM user_tokens WHERE user = ?", [name])
        return count

    def user_for_token(self, token: str) -> str | None:
        if not token:
            return None
        rows = self._exec("SELECT user FROM user_tokens WHERE digest = ?", [_digest(token)])
        return str(rows[0][0]) if rows else None

    # ------------------------------------------------------------ sessions

    def new_session(self, name: str) -> tuple[str, str]:
        """(session id, CSRF token) for a signed-in ``name``."""
        self._need(name)
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = self._clock()
        self._exec("DELETE FROM user_sessions WHERE expires < ?", [now])
        self._exec("INSERT INTO user_sessions (digest, user, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
                   [_digest(sid), name, csrf, now, now + SESSION_DAYS * 86400])
        return sid, csrf

    def session(self, sid: str) -> tuple[str, str] | None:
        """(user, CSRF token) of a live session, or None."""
        if not sid:
            return None
        rows = self._exec("SELECT user, csrf FROM user_sessions WHERE digest = ? AND expires >= ?", [_digest(sid), self._clock()])
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def end_session(self, sid: str) -> None:
        self._exec("DELETE FROM user_sessions WHERE digest = ?", [_digest(sid)])


def person(config: PolicyConfig, users: UserStore | None, name: str | None) -> User:
    """Whom the gate sees: the policy file's role for ``name``, else the role they were added with (``iotlm users
    add``), else the policy file's default role (guest unless it says otherwise)."""
    name = name or "owner"
    if users is not None and name not in config.users:
        role = users.role(name)
        if role is not None and role in config.roles:
            return User(name=name, role=role)
    return config.user(name)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsersError(f"the password has {len(password)} characters; use at least {MIN_PASSWORD}")
    if password != password.strip() or "\n" in password:
        raise UsersError("the password starts or ends with a space or holds a line break; leave those out")


__all__ = ["MIGRATIONS", "MIN_PASSWORD", "NAME", "SESSION_DAYS", "UserStore", "UsersError", "check_name",
    "check_password", "hash_password", "person"]
