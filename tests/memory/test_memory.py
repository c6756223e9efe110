"""The memory: SQLite rows, cached embeddings, a faiss cache that is rebuilt, forgetting that is real."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import pytest

from iotlm.memory.embeddings import MiniLMEmbedder
from iotlm.memory.memory import Memory
from iotlm.memory.migrations import DatabaseError
from iotlm.memory.store import MemoryStore
from tests.fakes import WordEmbedder


def open_memory(home: Path, embedder: object | None = None) -> Memory:
    return Memory(MemoryStore(home / "iotlm.db"), embedder or WordEmbedder(), home)  # type: ignore[arg-type]


def test_add_and_search(tmp_path: Path) -> None:
    mem = open_memory(tmp_path)
    mem.add("the bins go out on tuesday")
    mem.add("i like the bedroom cool at night", kind="preference")
    hits = mem.search("which night do the bins go out")
    assert next(h["text"] for h in hits) == "the bins go out on tuesday"
    assert [h["kind"] for h in mem.search("bedroom at night", kind="preference")] == ["preference"]


def test_unchanged_text_is_embedded_once(tmp_path: Path) -> None:
    embedder = WordEmbedder()
    mem = open_memory(tmp_path, embedder)
    mem.add("the cat is called miso")
    mem.add("the cat is called miso")
    assert embedder.calls == 1
    mem.store.close()
    again = open_memory(tmp_path, embedder)  # restart: the index is rebuilt from cached vectors
    again.rebuild()
    assert embedder.calls == 1


def test_a_forgotten_memory_is_gone_after_restart_and_from_the_file(tmp_path: Path) -> None:
    mem = open_memory(tmp_path)
    secret = mem.add("the spare key is under the blue flowerpot")
    mem.add("the bins go out on tuesday")
    assert mem.forget(secret)
    assert all("flowerpot" not in h["text"] for h in mem.search("where is the spare key flowerpot"))
    mem.store.close()
    restarted = open_memory(tmp_path)
    assert all("flowerpot" not in h["text"] for h in restarted.search("where is the spare key flowerpot"))
    assert secret not in restarted.index.ids()
    restarted.store.close()
    for path in tmp_path.iterdir():
        assert b"flowerpot" not in path.read_bytes(), path


def test_forget_unknown_is_false(tmp_path: Path) -> None:
    assert open_memory(tmp_path).forget(99) is False


@pytest.mark.parametrize("damage", ["corrupt", "missing", "stale"])
def test_a_broken_index_is_rebuilt_from_sqlite_with_a_log_line(tmp_path: Path, damage: str,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    mem = open_memory(tmp_path)
    mem.add("the bins go out on tuesday")
    mem.store.close()
    index = tmp_path / "memories.faiss"
    if damage == "corrupt":
        index.write_bytes(b"not a faiss index")
    elif damage == "missing":
        index.unlink()
    else:  # a memory added by another process after the cache was written
        store = MemoryStore(tmp_path / "iotlm.db")
        store.add_memory("the cat is called miso")
        store.close()
    caplog.set_level(logging.INFO)
    again = open_memory(tmp_path)
    assert "rebuilt from SQLite" in caplog.text
    assert again.search("bins tuesday")[0]["text"] == "the bins go out on tuesday"


def test_history_and_retention(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "iotlm.db")
    now = time.time()
    store.record_states([(now - 10 * 86400, "hallway.front_door", "state", "unlocked"),
                         (now - 3600, "hallway.front_door", "state", "unlocked"),
                         (now - 60, "hallway.front_door", "state", "locked")])
    assert store.last_change("hallway.front_door", "state", "unlocked") == pytest.approx(now - 3600)
    assert [h["value"] for h in store.history("hallway.front_door", "state")] == ["locked", "unlocked", "unlocked"]
    assert store.purge(keep_history_days=7) == 1
    assert len(store.history("hallway.front_door")) == 2
    store.close()


def test_a_locked_database_is_a_clear_error(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "iotlm.db", busy_timeout=0.2)
    other = sqlite3.connect(tmp_path / "iotlm.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseError, match=r"cannot write to the memory database .*: database is locked"):
            store.add_memory("anything")
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.close()


def test_bad_memories_are_refused(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "iotlm.db")
    with pytest.raises(ValueError, match="memory kind 'secret': use one of fact, preference, note"):
        store.add_memory("x", kind="secret")
    with pytest.raises(ValueError, match="a memory needs some text"):
        store.add_memory("   ")
    store.close()


# ---------------------------------------------------------------- the real embedder

FACTS = ["I like the bedroom at 19 degrees at night", "The bins go out on Tuesday evening", "The cat is called Miso",
         "Grandma visits every Sunday and uses the guest room", "The router password is on the fridge"]
QUESTIONS = [("how warm should the bedroom be for sleeping", 0), ("when is the rubbish collected", 1),
             ("what's our pet's name", 2), ("who comes on the weekend", 3), ("where can I find the wifi password", 4)]


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_retrieval_quality_with_the_real_embedder(tmp_path: Path, minilm: MiniLMEmbedder) -> None:
    mem = open_memory(tmp_path, minilm)
    ids = [mem.add(text) for text in FACTS]
    ranks = []
    for question, expected in QUESTIONS:
        found = [h["id"] for h in mem.search(question, 3)]
        ranks.append(found.index(ids[expected]) if ids[expected] in found else 99)
    # measured here: 4 of 5 first ("who comes on the weekend" does not reach "Sunday" first), all 5 in the top 3
    assert sum(r == 0 for r in ranks) >= 4 and all(r < 3 for r in ranks), ranks


DEVICE_QUERIES = [("I need an espresso", "kitchen.coffee_machine"), ("put the telly on", "living_room.tv"),
                  ("I want to watch a film", "living_room.tv"), ("let some daylight into the bedroom", "bedroom.curtains"),
                  ("is someone at the door", "hallway.door_contact"), ("how much power is my monitor using", "office.plug"),
                  ("it is stuffy in the bathroom", "bathroom.fan"), ("is the garage shut", "garage.door"),
                  ("bake a cake", "kitchen.oven"), ("reading light", "living_room.floor_lamp")]


def test_device_retrieval_with_the_real_embedder(tmp_path: Path, minilm: MiniLMEmbedder) -> None:
    from iotlm.device_drivers.home import load_home
    from tests.conftest import EXAMPLE_HOME

    devices = load_home(EXAMPLE_HOME).devices
    mem = open_memory(tmp_path, minilm)
    hits = [want in [d.id for d in mem.relevant_devices(q, devices, k=3)] for q, want in DEVICE_QUERIES]
    assert sum(hits) >= 8, hits  # measured: 8 of 10 in the top 3 ("telly" and "daylight" miss)


def test_a_preference_is_applied_to_a_vague_request_with_the_real_embedder(tmp_path: Path, minilm: MiniLMEmbedder) -> None:
    from iotlm.agent.memory_requests import apply_preferences
    from iotlm.agent.understand.parser import Parser
    from iotlm.device_drivers.home import load_home
    from tests.conftest import EXAMPLE_HOME

    parser = Parser(load_home(EXAMPLE_HOME).devices)
    mem = open_memory(tmp_path, minilm)
    for text in ("I like the bedroom at 19 degrees at night", "I like the living room at 22 degrees in the evening",
                 "the spare key is under the blue pot"):
        mem.add(text, kind="preference" if "like" in text else "fact")
    for request in ("make the bedroom comfortable for sleeping", "get the bedroom ready for bed", "make the bedroom cosy"):
        found = apply_preferences(request, mem, parser, "owner", None)
        assert found is not None, request
        assert [(s.device_id, s.attribute, s.value) for s in found[0]] == [("bedroom.radiator", "target_temperature", 19)]
    # the living room preference is for the living room, and nothing is about the kitchen
    living = apply_preferences("make the living room comfortable", mem, parser, "owner", None)
    assert living is not None and [(s.device_id, s.value) for s in living[0]] == [("living_room.thermostat", 22)]
    assert apply_preferences("make the kitchen comfortable", mem, parser, "owner", None) is None
    assert apply_preferences("make the bedroom comfortable for sleeping", mem, parser, "bob", None) is None


def test_memory_purge_from_the_command_line_deletes_old_history(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    store = MemoryStore(tmp_path / "iotlm.db")
    now = time.time()
    store.record_states([(now - 40 * 86400, "hallway.front_door", "state", "unlocked"),
                         (now - 86400, "hallway.front_door", "state", "locked")])
    store.close()
    env = {**os.environ, "IOTLM_HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "iotlm.cli", "memory", "purge", "--days", "30", "--json"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"deleted": 1, "kept_days": 30}
    bad = subprocess.run([sys.executable, "-m", "iotlm.cli", "memory", "purge", "--days", "0"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert bad.returncode == 2 and "keep at least a fraction of a day" in bad.stderr
    assert b"unlocked" not in (tmp_path / "iotlm.db").read_bytes()  # gone from the file, not only unlinked
    store = MemoryStore(tmp_path / "iotlm.db")
    assert [h["value"] for h in store.history("hallway.front_door")] == ["locked"]
    store.close()
