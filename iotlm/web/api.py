"""The HTTP API (JSON; OpenAPI at ``/docs``): ask and confirm, devices, rooms, rules, memory, audit, live events.

Every call names a person (an API token, or a signed-in session with its CSRF token on changes); without one the
answer is 401. The person's role is the one the gate sees. Bad input gets a 4xx with ``{"error": "..."}`` saying what
was wrong and what would be right, and nothing changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from iotlm.cli.shared import device_json
from iotlm.web.auth import Auth
from iotlm.web.home import Person, WebHome


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class AskBody(Strict):
    text: str = Field(min_length=1, max_length=2000, description="what the person says")
    room: str | None = Field(None, description="the room the request comes from, used when the sentence names none")
    thread: str | None = Field(None, description="the conversation (default: main); threads are per person")
    yes: bool = Field(False, description="confirm risky actions up front")
    user: str | None = Field(None, description="who speaks: only with the service token (the CLI)")


class ConfirmBody(Strict):
    answer: Literal["yes", "no"]
    thread: str | None = None


class ControlBody(Strict):
    attribute: str = Field(min_length=1)
    value: str | int | float | bool | list[int]
    yes: bool = Field(False, description="the person confirms a risky change")


class RuleBody(Strict):
    text: str = Field(min_length=1, max_length=1000, description='the rule in plain words: "when ..., ..."')
    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    approve: bool = Field(False, description="let the rule do its risky actions without asking when it fires")


class RulePatch(Strict):
    enabled: bool


def person(request: Request) -> Person:
    """The person a request comes from, or 401."""
    auth: Auth = request.app.state.auth
    found = auth.person(request)
    if found is None:
        raise HTTPException(401, "sign in, or send Authorization: Bearer TOKEN (iotlm users token NAME prints one)",
                            headers={"WWW-Authenticate": "Bearer"})
    return found


def changer(request: Request, who: Annotated[Person, Depends(person)]) -> Person:
    """The person, for a request that changes something: a session must also send its CSRF token."""
    if not request.app.state.auth.csrf_ok(who, request):
        raise HTTPException(403, "the X-CSRF-Token header is missing or wrong; reload the page and try again")
    return who


Who = Annotated[Person, Depends(person)]
Changer = Annotated[Person, Depends(changer)]


def _home(request: Request) -> WebHome:
    home: WebHome = request.app.state.home
    return home


Home = Annotated[WebHome, Depends(_home)]
api = APIRouter(prefix="/api")


@api.get("/health", summary="whether this is a running iotlm service (no sign-in needed; says nothing about the home)")
def health(home: Home) -> dict[str, Any]:
    return {"service": "iotlm"}

@api.post("/ask", summary="one request; the `iotlm ask --json` object with the thread")
def ask(home: Home, body: AskBody, who: Changer) -> dict[str, Any]:
    if body.user is not None:
        if who.via != "service":
            raise HTTPException(403, "user is taken from your token or session, not from the request; drop the field")
        who = home.person(body.user, "service")
    return home.ask(who, body.text, room=body.room, thread=body.thread, yes=body.yes)

@api.post("/confirm", summary="answer the question a thread is waiting on")
def confirm(home: Home, body: ConfirmBody, who: Changer) -> dict[str, Any]:
    return home.confirm(who, body.thread, body.answer)

@api.get("/devices", summary="every device with its reported state")
def devices(home: Home, who: Who) -> list[dict[str, Any]]:
    return [device_json(d) for d in home.devices()]

# {device_id:path}: an id may hold "/" (Zigbee2MQTT's "Kitchen/Kettle"), sent percent-encoded as one segment
@api.get("/devices/{device_id:path}", summary="one device; its id percent-encoded as one path segment (/ as %2F)")
def device(home: Home, device_id: str, who: Who) -> dict[str, Any]:
    return device_json(home.device(device_id))

@api.post("/devices/{device_id:path}", summary="set one attribute, through the gate; the state the device reports")
def control(home: Home, device_id: str, body: ControlBody, who: Changer) -> dict[str, Any]:
    return home.control(who, device_id, body.attribute, body.value, yes=body.yes)

@api.get("/rooms", summary="each room with its conditions and devices")
def rooms(home: Home, who: Who, history: bool = False) -> list[dict[str, Any]]:
    return home.rooms(history=history)

@api.get("/rules", summary="the household's rules, and your scheduled jobs (everyone's for the roles [read] jobs names)")
def rules(home: Home, who: Who) -> list[dict[str, Any]]:
    return home.rule_list(who)

@api.post("/rules/preview", summary="the rule a sentence makes, in words, with its risky actions (nothing saved)")
def preview(home: Home, body: RuleBody, who: Changer) -> dict[str, Any]:
    return home.compile_rule(who, body.text, body.id)

@api.post("/rules", status_code=201, summary="compile and save a rule; risky actions need approve: true")
def add_rule(home: Home, body: RuleBody, who: Changer) -> dict[str, Any]:
    return home.save_rule(who, body.text, rule_id=body.id, approve=body.approve)

@api.get("/rules/{rule_id}")
def rule(home: Home, rule_id: str, who: Who) -> dict[str, Any]:
    from iotlm.automations.describe import as_json

    return {**as_json(home.rule(rule_id, who)), "state": home.rules.state(rule_id)}

@api.patch("/rules/{rule_id}", summary="enable or disable a rule")
def patch_rule(home: Home, rule_id: str, body: RulePatch, who: Changer) -> dict[str, Any]:
    return home.change_rule(who, rule_id, enabled=body.enabled)

@api.delete("/rules/{rule_id}")
def remove_rule(home: Home, rule_id: str, who: Changer) -> dict[str, Any]:
    return home.change_rule(who, rule_id, remove=True)

@api.get("/memory", summary="your memories and the shared ones, newest first; q: the nearest in meaning")
def memory(home: Home, who: Who, q: Annotated[str | None, Query(max_length=500)] = None,
           k: Annotated[int, Query(ge=1, le=100)] = 20) -> list[dict[str, Any]]:
    return home.memories(who, q, k)

@api.get("/memory/export", summary="what you may read of what is remembered (your own and the shared), as JSON")
def export(home: Home, who: Who) -> JSONResponse:
    return JSONResponse(home.export(who), headers={"Content-Disposition": 'attachment; filename="iotlm-memory.json"'})

@api.post("/memory/{memory_id}/share", summary="share a memory or taught phrase with the household (admins)")
def share(home: Home, memory_id: int, who: Changer, shared: bool = True) -> dict[str, Any]:
    return home.share(who, memory_id, shared)

@api.delete("/memory/{memory_id}", summary="forget a memory: the row, its embedding and its index entry")
def forget(home: Home, memory_id: int, who: Changer) -> dict[str, Any]:
    return home.forget(who, memory_id)

@api.get("/audit", summary="gate decisions, newest last: the whole log for admins, else your own")
def audit(home: Home, who: Who, user: str | None = None, device: str | None = None,
          verdict: Literal["allow", "ask", "deny"] | None = None, since: datetime | None = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    return home.audit(who, user=user, device=device, verdict=verdict, since=since, limit=limit)

@api.get("/notifications", summary="what the watchers noticed for you (told, or held: quiet hours, rate limit, muted)")
def notifications(home: Home, who: Who, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    return home.notifications(who, limit)

@api.post("/notifications/{notice_id}/act", summary="carry out a notification's offered action, as you, through the gate")
def act_on(home: Home, notice_id: int, who: Changer) -> dict[str, Any]:
    return home.act_on(who, notice_id)

@api.post("/notifications/{notice_id}/mute", summary="stop being pushed this kind of notice about this device (or any)")
def mute(home: Home, notice_id: int, who: Changer, everywhere: bool = False) -> dict[str, Any]:
    return home.mute(who, notice_id, everywhere)

@api.get("/routines", summary="what you do by hand at about the same time on most days, each with the rule it would be")
def routines(home: Home, who: Who) -> list[dict[str, Any]]:
    return home.routines(who)

@api.get("/events", summary="server-sent events: state, and your decisions and rules' actions (everyone's for admins)")
def events(home: Home, who: Who) -> StreamingResponse:
    return StreamingResponse(home.hub.stream(visible=lambda kind, data: home.sees_event(who, kind, data)),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


__all__ = ["AskBody", "Changer", "ConfirmBody", "ControlBody", "Home", "RuleBody", "RulePatch", "Strict", "Who",
    "act_on", "add_rule", "api", "ask", "audit", "changer", "confirm", "control", "device", "devices", "events", "export",
    "forget", "health", "memory", "mute", "notifications", "patch_rule", "person", "preview", "remove_rule", "rooms",
    "routines", "rule", "rules", "share"]
