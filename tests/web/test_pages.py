"""Signing in, sessions and CSRF, the owner on this machine while no users exist, and serving beyond loopback."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from iotlm.errors import SetupError, UserError
from iotlm.policies.users import UserStore
from iotlm.web.server import WebServer, parse_bind
from tests.web.conftest import PASSWORD, Web


def sign_in(c: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Client:
    form = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    c.post("/login", data={"csrf": csrf, "name": name, "password": password})
    return c


def page_csrf(c: httpx.Client) -> str:
    return re.search(r'"X-CSRF-Token": "([^"]+)"', c.get("/").text).group(1)  # type: ignore[union-attr]


def test_sign_in_sets_a_strict_httponly_cookie_and_the_gate_sees_the_role(web: Web) -> None:
    web.token("gus", "guest")
    with web.client() as c:
        form = c.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        wrong = c.post("/login", data={"csrf": csrf, "name": "gus", "password": "not his password"})
        assert wrong.status_code == 303 and "Wrong+name+or+password" in wrong.headers["location"]
        again = c.post("/login", data={"csrf": csrf, "name": "gus", "password": PASSWORD})  # a form's token is good once
        assert again.status_code == 303 and "form+expired" in again.headers["location"] and "set-cookie" not in again.headers
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
        ok = c.post("/login", data={"csrf": csrf, "name": "gus", "password": PASSWORD})
    cookie = ok.headers["set-cookie"]
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert "iotlm_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    with web.client() as c:
        sign_in(c, "gus")
        token = page_csrf(c)
        r = c.post("/api/ask", json={"text": "unlock the front door", "yes": True}, headers={"X-CSRF-Token": token})
        assert r.json()["refused"] and "guest" in r.json()["refused"][0]["reason"]
        page = c.post("/devices/control", data={"device_id": "hallway.front_door", "attribute": "state", "value": "unlocked",
                                                "yes": "1", "csrf": token})
        assert "guest" in page.text and page.status_code == 200
    assert web.sent() == []


def test_a_change_without_the_csrf_token_is_refused(web: Web) -> None:
    web.token("alice", "admin")
    with web.client() as c:
        sign_in(c, "alice")
        api = c.post("/api/ask", json={"text": "turn on the kitchen light"})
        form = c.post("/devices/control", data={"device_id": "kitchen.light", "attribute": "state", "value": "on"})
        chat = c.post("/chat/ask", data={"text": "turn on the kitchen light", "csrf": "forged"})
        login = c.post("/login", data={"csrf": "forged", "name": "alice", "password": PASSWORD})
    assert api.status_code == 403 and "X-CSRF-Token" in api.json()["error"]
    assert form.status_code == 403 and chat.status_code == 403
    assert login.status_code == 303 and "expired" in login.headers["location"]
    assert web.sent() == []


def test_signing_out_ends_the_session(web: Web) -> None:
    web.token("alice", "admin")
    with web.client() as c:
        sign_in(c, "alice")
        token = page_csrf(c)
        assert c.get("/api/devices").status_code == 200
        sid = c.cookies["iotlm_session"]
        c.post("/logout", data={"csrf": token})
        with web.client() as other:
            other.cookies.set("iotlm_session", sid)
            assert other.get("/api/devices").status_code == 401
            assert other.get("/").headers["location"] == "/login"


def test_with_no_users_this_machine_is_the_owner_and_a_foreign_host_is_not(web: Web) -> None:
    with web.client() as c:
        home = c.get("/")
        assert home.status_code == 200 and "owner" in home.text and "iotlm_session" in c.cookies
        token = page_csrf(c)
        r = c.post("/api/ask", json={"text": "turn on the kitchen light"}, headers={"X-CSRF-Token": token})
        assert r.json()["actions"][0]["status"] == "done"
    with web.client() as rebound:  # a page elsewhere reaching us by a name that resolves to 127.0.0.1
        r = rebound.get("/", headers={"Host": "evil.example:8321"})
        assert r.status_code == 303 and r.headers["location"] == "/login"
    web.token("alice", "admin")  # once there are users, the owner's open door closes
    with web.client() as c:
        assert c.get("/").status_code == 303


def test_nothing_beyond_loopback_without_a_user(web: Web) -> None:
    with pytest.raises(SetupError, match="add a user first"):
        WebServer(web.agent, bind="0.0.0.0:0", service_file=False).start()
    with pytest.raises(UserError, match="give HOST:PORT"):
        parse_bind("8321")
    assert parse_bind("[::1]:8321") == ("::1", 8321) and parse_bind(":80") == ("127.0.0.1", 80)


def test_a_taken_port_is_a_clear_error(web: Web) -> None:
    with pytest.raises(SetupError, match=f"cannot serve the web app on 127.0.0.1:{web.server.port}"):
        WebServer(web.agent, bind=f"127.0.0.1:{web.server.port}", service_file=False).start()


def test_the_api_is_documented_at_docs(web: Web) -> None:
    with web.client(web.token("alice", "admin")) as c:
        spec = c.get("/openapi.json").json()
        docs = c.get("/docs").text
    assert {"/api/ask", "/api/confirm", "/api/devices", "/api/rooms", "/api/rules", "/api/memory", "/api/audit",
            "/api/events"} <= set(spec["paths"])
    assert "POST /api/ask" in docs and "cdn" not in docs.lower()


def test_users_cli_reads_the_password_from_stdin_and_prints_a_token_last(tmp_path: object) -> None:
    home = str(tmp_path)

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "iotlm", "users", *args, "--home-dir", home], input=stdin,
                              capture_output=True, text=True, timeout=60)

    added = cli("add", "alice", "--role", "member", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert cli("add", "bob", "--role", "wizard", stdin=PASSWORD + "\n").stderr.startswith(
        "iotlm: error: role 'wizard' is not defined; roles: admin, member, guest")
    assert "at least 8" in cli("add", "bob", "--role", "guest", stdin="short\n").stderr
    assert "the policy file gives owner the role 'admin'" in cli("add", "owner", "--role", "guest", stdin=PASSWORD + "\n").stderr
    token = cli("token", "alice").stdout.strip().splitlines()[-1]
    store = UserStore(f"{home}/iotlm.db")
    try:
        assert store.user_for_token(token) == "alice" and store.verify("alice", PASSWORD) and store.role("alice") == "member"
        assert store.role("bob") is None
    finally:
        store.close()
    assert "alice" in cli("list").stdout and cli("remove", "alice").returncode == 0
