"""The pages: Home (rooms, devices, conditions, live), Chat, Rules & schedules, Memory, Audit, sign-in, and /docs.

Server-rendered (Jinja2, autoescaped: a device named ``<script>`` is shown as text), with htmx for the forms and one
small script for live updates. Every change goes through :class:`~iotlm.web.home.WebHome`, as the signed-in
person, with the session's CSRF token.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from iotlm.device_drivers.capabilities import shown
from iotlm.errors import IotlmError, UserError
from iotlm.tools.device_tools import STATE_VERBS
from iotlm.web.auth import LOGIN_COOKIE, SESSION_COOKIE, Auth, cookie_args
from iotlm.web.home import Person, WebHome

TEMPLATES = Path(__file__).parent / "templates"
PAGES = (("/", "Home"), ("/chat", "Chat"), ("/rules", "Rules"), ("/notifications", "Notices"), ("/memory", "Memory"),
         ("/audit", "Audit"))


def sparkline(points: list[tuple[float, float]], width: int = 120, height: int = 28) -> Markup:
    """24 hours of a reading as an inline SVG polyline (numbers only: nothing a device sends reaches the markup)."""
    if len(points) < 2:
        return Markup("")
    t0, t1 = points[0][0], points[-1][0]
    values = [v for _, v in points]
    low, high = min(values), max(values)
    span_t, span_v = (t1 - t0) or 1.0, (high - low) or 1.0
    xy = " ".join(f"{(t - t0) / span_t * width:.1f},{height - 2 - (v - low) / span_v * (height - 4):.1f}" for t, v in points)
    return Markup(f'<svg class="spark" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
                  f'aria-label="last 24 hours: {low:g} to {high:g}"><polyline points="{xy}"/></svg>')


def _when(stamp: Any) -> str:
    if stamp is None:
        return ""
    try:
        moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else datetime.fromtimestamp(float(stamp))
    except (TypeError, ValueError):
        return str(stamp)
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["sparkline"] = sparkline
    env.filters["when"] = _when
    env.filters["shown"] = lambda value, name: shown(name, value)  # {{ attr.value | shown(name) }}
    env.filters["verb"] = lambda option: STATE_VERBS.get(str(option), f"set_{option}").replace("_", " ").capitalize()
    return env


pages = APIRouter(include_in_schema=False)
_env = environment()


def _parts(request: Request) -> tuple[WebHome, Auth]:
    return request.app.state.home, request.app.state.auth



def render(request: Request, name: str, person: Person | None, status: int = 200, **context: Any) -> HTMLResponse:
    auth = request.app.state.auth
    if person is not None and "bell" not in context:  # the open notices meant for this person
        context["bell"] = sum(1 for n in request.app.state.home.notifications(person) if n["status"] == "open")
    html = _env.get_template(name).render(request=request, person=person, pages=PAGES, path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status)
    if person is not None and person.via == "local" and request.cookies.get(SESSION_COOKIE) != auth.local[0]:
        response.set_cookie(SESSION_COOKIE, auth.local[0], **cookie_args(request))
    return response

def viewer(request: Request) -> Person:
    auth: Auth = request.app.state.auth
    person = auth.person(request) or auth.local_person(request)
    if person is None:
        raise _SignIn
    return person

async def changer(request: Request) -> tuple[Person, dict[str, Any]]:
    auth = request.app.state.auth
    person = viewer(request)
    form = dict(await request.form())
    if not auth.csrf_ok(person, request, form):
        raise HTTPException(403, "the form's CSRF token is missing or wrong; reload the page and try again")
    return person, form

# ------------------------------------------------------------ sign-in

@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request, error: str = "") -> HTMLResponse:
    auth = _parts(request)[1]
    token = auth.login_forms.issue()
    response = render(request, "login.html", None, login_csrf=token, error=error[:200], open=auth.open())
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, **cookie_args(request))
    return response

@pages.post("/login")
async def login(request: Request) -> Response:
    home, auth = _parts(request)
    form = dict(await request.form())
    sent, expected = str(form.get("csrf") or ""), request.cookies.get(LOGIN_COOKIE, "")
    # the form's token is good for one try: a script that replays one token cannot guess on
    if not sent or not secrets.compare_digest(sent, expected) or not auth.login_forms.use(sent):
        return RedirectResponse("/login?error=The+form+expired%3B+try+again", status_code=303)
    name, password = str(form.get("name") or "")[:64], str(form.get("password") or "")[:1024]
    address = request.client.host if request.client else "?"
    wait = auth.throttle.wait(address, name)
    if wait > 0:
        return RedirectResponse(f"/login?error=Too+many+wrong+passwords%3B+try+again+in+{math.ceil(wait)}+s", status_code=303)
    # scrypt takes ~50 ms of CPU: off the event loop, so a flood of guesses does not hold up every other request
    if not await run_in_threadpool(home.users.verify, name, password):
        auth.throttle.failed(address, name)
        return RedirectResponse("/login?error=Wrong+name+or+password", status_code=303)
    auth.throttle.succeeded(address, name)
    sid, _ = home.users.new_session(name)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, sid, max_age=30 * 86400, **cookie_args(request))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response

@pages.post("/logout")
async def logout(request: Request) -> Response:
    home = _parts(request)[0]
    await changer(request)
    home.users.end_session(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

# ------------------------------------------------------------ home

@pages.get("/", response_class=HTMLResponse)
def home_page(request: Request) -> HTMLResponse:
    home = _parts(request)[0]
    person = viewer(request)
    devices = {d.id: d for d in home.devices()}
    return render(request, "home.html", person, rooms=home.rooms(history=True), devices=devices,
                  loose=[d for d in devices.values() if not d.room])

@pages.post("/devices/control", response_class=HTMLResponse)
async def control(request: Request) -> HTMLResponse:
    """A control on the Home page: the device id is a form field, never a part of the URL (see ``_device.html``)."""
    home = _parts(request)[0]
    person, form = await changer(request)
    device_id = str(form.get("device_id") or "")
    value: Any = form.get("value")
    attribute = str(form.get("attribute") or "")
    device = home.device(device_id)
    attr = device.attributes.get(attribute)
    if attr is not None and attr.kind == "numeric" and value is not None:
        try:
            value = float(str(value))
            value = int(value) if value.is_integer() else value
        except ValueError:
            pass
    try:
        result = home.control(person, device_id, attribute, value, yes=form.get("yes") == "1")
    except UserError as exc:
        result = {"status": "refused", "reason": str(exc), "attribute": attribute, "needs_confirmation": False}
    result["value"] = value
    return render(request, "_device.html", person, device=home.device(device_id), result=result)

# ------------------------------------------------------------ chat

@pages.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request, thread: str = "main") -> HTMLResponse:
    home = _parts(request)[0]
    person = viewer(request)
    home.thread_id(person, thread)  # a bad name is refused here
    threads = home.chat.threads(person.name)
    return render(request, "chat.html", person, thread=thread, threads=threads,
                  messages=home.chat.messages(person.name, thread), rooms=home.room_names(),
                  waiting=home.agent.pending(home.thread_id(person, thread)))

@pages.post("/chat/ask", response_class=HTMLResponse)
async def chat_ask(request: Request) -> HTMLResponse:
    home = _parts(request)[0]
    person, form = await changer(request)
    text, thread = str(form.get("text") or ""), str(form.get("thread") or "main")
    room = str(form.get("room") or "") or None
    try:
        body = home.ask(person, text, room=room, thread=thread)
    except UserError as exc:
        body = {"reply": str(exc), "actions": [], "refused": [], "needs_confirmation": False, "rooms": [], "text": text}
    return render(request, "_message.html", person, m={**body, "text": text}, thread=thread)

@pages.post("/chat/confirm", response_class=HTMLResponse)
async def chat_confirm(request: Request) -> HTMLResponse:
    home = _parts(request)[0]
    person, form = await changer(request)
    thread, answer = str(form.get("thread") or "main"), str(form.get("answer") or "")
    try:
        body = home.confirm(person, thread, answer)
    except UserError as exc:
        body = {"reply": str(exc), "actions": [], "refused": [], "needs_confirmation": False, "rooms": []}
    return render(request, "_message.html", person, m={**body, "text": answer}, thread=thread)

# ------------------------------------------------------------ rules

@pages.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request) -> HTMLResponse:
    home = _parts(request)[0]
    person = viewer(request)
    return render(request, "rules.html", person, rules=home.rule_list(person), saved=False)

@pages.post("/rules/preview", response_class=HTMLResponse)
async def rule_preview(request: Request) -> HTMLResponse:
    home = _parts(request)[0]
    person, form = await changer(request)
    text = str(form.get("text") or "")
    try:
        shown, error = home.compile_rule(person, text), ""
    except UserError as exc:
        shown, error = None, str(exc)
    return render(request, "_rule_preview.html", person, shown=shown, error=error, text=text)

@pages.post("/rules/save", response_class=HTMLResponse)
async def rule_save(request: Request) -> Response:
    home = _parts(request)[0]
    person, form = await changer(request)
    try:
        home.save_rule(person, str(form.get("text") or ""), approve=form.get("approve") == "1")
    except UserError as exc:
        return render(request, "_rule_preview.html", person, shown=None, error=str(exc), text=str(form.get("text") or ""))
    return render(request, "_rules.html", person, rules=home.rule_list(person), saved=True)

@pages.post("/rules/{rule_id}/{action}", response_class=HTMLResponse)
async def rule_change(request: Request, rule_id: str, action: str) -> HTMLResponse:
    home = _parts(request)[0]
    person, _ = await changer(request)
    if action not in ("enable", "disable", "remove"):
        raise HTTPException(404, f"no action {action!r}: enable, disable or remove")
    home.change_rule(person, rule_id, enabled=action == "enable" if action != "remove" else None, remove=action == "remove")
    return render(request, "_rules.html", person, rules=home.rule_list(person), saved=False)

# ------------------------------------------------------------ notices

@pages.get("/notifications", response_class=HTMLResponse)
def notices_page(request: Request) -> HTMLResponse:
    home = _parts(request)[0]
    person = viewer(request)
    return render(request, "notices.html", person, notices=home.notifications(person, 100), routines=home.routines(person))

@pages.post("/notifications/{notice_id}/{action}", response_class=HTMLResponse)
async def notice_action(request: Request, notice_id: int, action: str) -> HTMLResponse:
    home = _parts(request)[0]
    person, _ = await changer(request)
    if action not in ("act", "mute"):
        raise HTTPException(404, f"no action {action!r}: act or mute")
    try:
        said = (home.act_on(person, notice_id) if action == "act" else home.mute(person, notice_id))["said"]
    except UserError as exc:
        said = str(exc)
    return HTMLResponse(f'<p class="said" role="status">{escape(said)}</p>')

@pages.post("/routines/accept", response_class=HTMLResponse)
async def routine_accept(request: Request) -> HTMLResponse:
    home = _parts(request)[0]
    person, form = await changer(request)
    try:
        saved = home.save_rule(person, str(form.get("text") or ""))
        said = f"Saved as rule {saved['rule']['id']}: {saved['description']}"
    except UserError as exc:
        said = str(exc)
    return HTMLResponse(f'<p class="said" role="status">{escape(said)}</p>')

# ------------------------------------------------------------ memory and audit

@pages.get("/memory", response_class=HTMLResponse)
def memory_page(request: Request, q: str = "") -> HTMLResponse:
    home = _parts(request)[0]
    person = viewer(request)
    return render(request, "memory.html", person, q=q, memories=home.memories(person, q[:500] or None))

@pages.post("/memory/{memory_id}/forget", response_class=HTMLResponse)
async def memory_forget(request: Request, memory_id: int) -> HTMLResponse:
    home = _parts(request)[0]
    person, _ = await changer(request)
    home.forget(person, memory_id)
    return HTMLResponse("")

@pages.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: str = "", device: str = "", verdict: str = "", hours: str = "24") -> HTMLResponse:
    home = _parts(request)[0]
    person = viewer(request)
    try:
        since = home.runtime.executor.now() - timedelta(hours=float(hours)) if hours else None
    except (ValueError, OverflowError):  # "inf", "1e300", "nan": no window, the whole log
        since = None
    if not home.may(person, "audit"):
        user = person.name  # a person who may read only their own entries sees only those, whatever the link says
    entries = home.audit(person, user=user or None, device=device or None, verdict=verdict or None, since=since, limit=300)
    return render(request, "audit.html", person, entries=entries[::-1], user=user, device=device, verdict=verdict,
                  hours=hours, users=sorted({e["user"] for e in entries} | {person.name}))

@pages.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    auth = _parts(request)[1]
    spec = request.app.openapi()
    return render(request, "docs.html", auth.person(request) or auth.local_person(request), spec=spec)




class _SignIn(IotlmError):
    """Raised by a page that needs a signed-in person; answered with a redirect to /login."""


async def _sign_in(request: Request, exc: Exception) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    return RedirectResponse("/login", status_code=303)


def install(app: FastAPI) -> None:
    app.add_exception_handler(_SignIn, _sign_in)


__all__ = [
    "PAGES",
    "TEMPLATES",
    "audit_page",
    "changer",
    "chat_ask",
    "chat_confirm",
    "chat_page",
    "control",
    "docs",
    "environment",
    "home_page",
    "install",
    "login",
    "login_page",
    "logout",
    "memory_forget",
    "memory_page",
    "notice_action",
    "notices_page",
    "pages",
    "render",
    "routine_accept",
    "rule_change",
    "rule_preview",
    "rule_save",
    "rules_page",
    "sparkline",
    "viewer",
]
