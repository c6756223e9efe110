"""Confirmations: only an answer to the question confirms it; --yes is for its own request; questions expire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from iotlm.agent.session import Agent, answer_to
from tests.agent.test_agent import answer_with, runtime_for
from tests.conftest import Stack

OVEN = "Do you want me to set temperature the oven? (yes/no)"


@pytest.fixture
def agent(stack: Stack, tmp_path: Path) -> Iterator[Agent]:
    a = Agent(runtime_for(stack, tmp_path), model=answer_with("none"))
    yield a
    a.close()


def received(stack: Stack) -> list[tuple[str, dict[str, object]]]:
    return [(c.device_id or "", json.loads(c.payload)) for c in stack.sim.commands]


def test_yes_for_a_new_request_never_confirms_the_old_question(agent: Agent, stack: Stack) -> None:
    """Found by review: a pending "preheat the oven" was confirmed by `ask "unlock the front door" --yes`."""
    asked = agent.turn("set the oven to 180 degrees", thread="t")
    assert asked.needs_confirmation and received(stack) == []
    result = agent.turn("unlock the front door", thread="t", yes=True)
    assert result.actions == [{"device_id": "hallway.front_door", "attribute": "state", "value": "unlocked", "status": "done"}]
    assert result.reply.startswith("(I dropped the earlier question, \"Do you want me to")
    assert received(stack) == [("hallway.front_door", {"state": "UNLOCK"})]  # the oven was never touched
    assert agent.pending("t") is None


def test_another_request_drops_the_question_and_a_later_yes_confirms_nothing(agent: Agent, stack: Stack) -> None:
    assert agent.turn("unlock the front door", thread="t").needs_confirmation
    other = agent.turn("turn on the kitchen light", thread="t")
    assert "I dropped the earlier question" in other.reply and agent.pending("t") is None
    agent.turn("yes", thread="t")
    assert received(stack) == [("kitchen.light", {"state": "ON"})]


def test_a_question_expires(agent: Agent, stack: Stack) -> None:
    assert agent.turn("unlock the front door", thread="t").needs_confirmation
    stack.clock.advance(agent.confirm_timeout_s + 1)
    late = agent.turn("yes", thread="t")
    assert late.reply.startswith("That question expired (2 minutes ago, after 2 minutes), so I did nothing.")
    assert late.actions == [] and received(stack) == [] and agent.pending("t") is None


def test_an_answer_that_names_the_question_confirms_it(agent: Agent, stack: Stack) -> None:
    assert agent.turn("unlock the front door", thread="t").needs_confirmation
    stack.clock.advance(agent.confirm_timeout_s - 5)  # still in time
    done = agent.turn("Yes, unlock the front door please.", thread="t")
    assert done.actions[0]["status"] == "done"
    assert received(stack) == [("hallway.front_door", {"state": "UNLOCK"})]


@pytest.mark.parametrize(("utterance", "verdict"), [
    ("yes", True), ("Yes!", True), ("go ahead", True), ("yes, unlock the front door", True), ("yes please do", True),
    ("no", False), ("no, leave the front door", False), ("cancel", False),
    ("yes turn on the kitchen light", None), ("unlock the front door", None), ("yesterday", None), ("", None),
    ("no idea what the garage is doing", None),
])
def test_what_counts_as_an_answer(utterance: str, verdict: bool | None) -> None:
    assert answer_to(utterance, "Do you want me to unlock the front door lock? (yes/no)") is verdict


def test_a_question_is_audited_as_ask(agent: Agent, stack: Stack) -> None:
    agent.turn("unlock the front door", thread="t", user="owner")  # a name with no role is a guest, who may not unlock
    entries = stack.audit.entries(10)
    assert [(e["verdict"], e["user"], e["device_id"], e["operation"]) for e in entries] == [
        ("ask", "owner", "hallway.front_door", "unlock")]


def test_text_that_is_not_utf8_changes_nothing(agent: Agent, stack: Stack) -> None:
    bad = b"turn on the kitchen light \xff".decode("utf-8", "surrogateescape")
    result = agent.turn(bad, thread="t")
    assert result.refused == [{"text": "turn on the kitchen light \ufffd", "reason": "that request is not valid UTF-8 text, so I did nothing"}]
    assert result.actions == [] and received(stack) == []
