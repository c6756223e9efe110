"""Who is asking: a session cookie (signed in on the web page), an API token, or nobody.

- A person signs in with a name and password (``iotlm users add``) and gets a session cookie: HttpOnly,
  SameSite=Strict. Every form and every request that changes something carries the session's CSRF token (a hidden
  field, or the ``X-CSRF-Token`` header that the pages send with each htmx request).
- Scripts send ``Authorization: Bearer TOKEN`` (``iotlm users token NAME``); no CSRF token is needed, as a browser
  never adds that header on its own.
- With no users yet, the app is served on loopback only, and a page opened from this machine signs in as the owner,
  as the CLI does. A request whose ``Host`` is not loopback gets nothing (a page elsewhere cannot reach it by a name
  that resolves to 127.0.0.1).
- ``iotlm ask`` and ``iotlm chat`` use the service token that ``iotlm run`` writes, readable only by the data
  directory's owner, who can run the CLI as anyone anyway.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from typing import Any

from starlette.requests import Request

from iotlm.web.home import Person, WebHome

SESSION_COOKIE = "iotlm_session"
LOGIN_COOKIE = "iotlm_login"
CSRF_HEADER = "x-csrf-token"
LOCAL_USER = "owner"


def is_loopback(host: str | None) -> bool:
    host = (host or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def request_is_local(request: Request) -> bool:
    """From this machine, addressed to this machine by a loopback name."""
    host = request.headers.get("host", "")
    hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return is_loopback(request.client.host if request.client else None) and is_loopback(hostname)


class Auth:
    def __init__(self, home: WebHome, *, service_token: str = "") -> None:
        self.home = home
        self.service_token = service_token
        self.local = (secrets.token_urlsafe(32), secrets.token_urlsafe(24))
        """The session id and CSRF token of the owner on this machine while no users exist."""
        self.throttle = SignInThrottle()
        self.login_forms = LoginForms()

    def open(self) -> bool:
        """No users yet: loopback only, as the owner."""
        return len(self.home.users) == 0

    def person(self, request: Request) -> Person | None:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                return None
            if self.service_token and hmac.compare_digest(token.encode(), self.service_token.encode()):
                return self.home.person(LOCAL_USER, "service")
            name = self.home.users.user_for_token(token)
            return self.home.person(name, "token") if name else None
        sid = request.cookies.get(SESSION_COOKIE, "")
        if not sid:
            return None
        if self.open():
            if request_is_local(request) and hmac.compare_digest(sid.encode(), self.local[0].encode()):
                return self.home.person(LOCAL_USER, "local", self.local[1])
            return None
        found = self.home.users.session(sid)
        return self.home.person(found[0], "session", found[1]) if found else None

    def local_person(self, request: Request) -> Person | None:
        """The owner, for a page opened on this machine while no users exist (the page then sets the cookie)."""
        if self.open() and request_is_local(request):
            return self.home.person(LOCAL_USER, "local", self.local[1])
        return None

    @staticmethod
    def csrf_ok(person: Person, request: Request, form: dict[str, Any] | None = None) -> bool:
        """A session's change carries its CSRF token; a token-authenticated script needs none."""
        if person.via in ("token", "service"):
            return True
        sent = request.headers.get(CSRF_HEADER) or str((form or {}).get("csrf") or "")
        return bool(sent) and hmac.compare_digest(sent.encode(), person.csrf.encode())


class SignInThrottle:
    """Wrong passwords cost time: after ``free`` failures in ``window`` seconds, from one address or for one account,
    each next try waits twice as long as the last (1 s, 2 s, 4 s ... up to ``cap``), whoever asks. A right password
    clears the account's and the address's count. Kept in memory: a restart forgets it, as it forgets sessions of
    nobody."""

    def __init__(self, *, free: int = 5, window: float = 900.0, cap: float = 900.0, clock: Any = time.monotonic) -> None:
        self.free, self.window, self.cap = free, window, cap
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self.refused = 0

    def _keys(self, address: str, name: str) -> tuple[str, str]:
        return f"address:{address}", f"account:{name.lower()}"

    def wait(self, address: str, name: str) -> float:
        """Seconds before this address may try this account again (0: now)."""
        now = self._clock()
        longest = 0.0
        with self._lock:
            for key in self._keys(address, name):
                recent = [t for t in self._failures.get(key, []) if now - t < self.window]
                self._failures[key] = recent
                if len(recent) >= self.free:
                    delay = min(2.0 ** (len(recent) - self.free), self.cap)
                    longest = max(longest, recent[-1] + delay - now)
            if longest > 0:
                self.refused += 1
        return max(longest, 0.0)

    def failed(self, address: str, name: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(address, name):
                self._failures.setdefault(key, []).append(now)
                if len(self._failures) > 100_000:  # a flood of names: forget the oldest keys, never grow without end
                    for old in list(self._failures)[:50_000]:
                        del self._failures[old]

    def succeeded(self, address: str, name: str) -> None:
        with self._lock:
            for key in self._keys(address, name):
                self._failures.pop(key, None)


class LoginForms:
    """The sign-in form's CSRF tokens: issued with the form, each good for one try within ``ttl`` seconds."""

    def __init__(self, ttl: float = 3600.0, clock: Any = time.monotonic, limit: int = 10_000) -> None:
        self.ttl, self.limit = ttl, limit
        self._clock = clock
        self._issued: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            if len(self._issued) >= self.limit:  # forget the expired, then the oldest
                self._issued = {t: e for t, e in self._issued.items() if e > now}
                while len(self._issued) >= self.limit:
                    self._issued.pop(next(iter(self._issued)))
            self._issued[token] = now + self.ttl
        return token

    def use(self, token: str) -> bool:
        """Whether ``token`` was issued and not used or expired; it cannot be used again either way."""
        with self._lock:
            expires = self._issued.pop(token, None)
        return expires is not None and expires > self._clock()


def cookie_args(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "strict", "secure": request.url.scheme == "https", "path": "/"}


__all__ = ["CSRF_HEADER", "LOCAL_USER", "LOGIN_COOKIE", "SESSION_COOKIE", "Auth", "LoginForms", "SignInThrottle",
    "cookie_args", "is_loopback", "request_is_local"]
