"""Which entries of the lexicon's word lists the other readers now cover: ``python scripts/lexicon_ablation.py``.

For each entry of the tables below, a forked process removes it before the parser is imported, parses every sentence
of our suites, SLURP's development set and HomeBench 500 (seed 0) that contains it, and compares with the parse with
the whole lexicon. An entry is *exercised* where the rules alone read some sentence differently without it, and
*covered* where, exercised, no sentence's outcome (steps, a room's goals or conditions, queries, refusal, question,
understood) changes: the templates or
the learned reader read it the same. An entry no sentence exercises is not measured either way. Writes
``docs/benchmarks/lexicon-ablation.json``. About 10 minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import hassil  # noqa: E402,F401  (the heavy third-party modules, loaded once before forking)
import home_assistant_intents  # noqa: E402,F401
import numpy  # noqa: E402,F401
import pydantic  # noqa: E402,F401

from iotlm.agent.understand import lexicon as lx  # noqa: E402

SHARED = ROOT.parent / "shared" / "benchmarks"
TABLES = ("VERBS", "IDIOMS", "COMPARATIVES", "OPTION_SYNONYMS", "ROOM_SYNONYMS", "DEVICE_KINDS", "GOALS", "ATTRIBUTES",
          "PLACE_WORDS", "NOT_PLACES", "AMBIGUOUS", "FILLER", "QUESTION_STARTS", "MAX_WORDS", "MIN_WORDS", "SMALL_WORDS",
          "ALL_WORDS")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def corpus() -> list[tuple[str, str, str | None]]:
    """(home, sentence, room) of every case we measure on."""
    found = [(str(SHARED / "slurp-iot" / c.get("home", "home.json")), c["command"], c.get("context_room"))
             for c in _lines(SHARED / "slurp-iot" / "devel.jsonl")]
    for cases, home in (("tests/bench/flat_cases.jsonl", "examples/homes/flat.json"),
                        ("tests/bench/partial/cases.jsonl", "examples/homes/flat.json"),
                        ("tests/bench/devicemodel/ha_home.jsonl", "tests/bench/devicemodel/ha_home.json"),
                        ("tests/bench/grounding/kinds.jsonl", "tests/bench/grounding/kinds.json")):
        found += [(home, c["command"], c.get("context_room")) for c in _lines(ROOT / cases)]
    for cases in ("tests/bench/context/cases.jsonl", "tests/bench/context/handwritten.jsonl"):
        found += [("tests/bench/context/" + c["home"], c["command"], c.get("context_room")) for c in _lines(ROOT / cases)]
    homebench = random.Random(0).sample(_lines(SHARED / "homebench" / "test_data.jsonl"), 500)
    return found + [(f"homebench:{c['home_id']}", c["input"], None) for c in homebench]


def entries() -> list[tuple[str, str, str]]:
    """(table, entry, the phrase a sentence must contain for it to matter)."""
    found: list[tuple[str, str, str]] = []
    for name in TABLES:
        table = getattr(lx, name)
        if name == "VERBS":
            found += [(name, phrase, phrase) for phrase, _ in table]
        elif name in ("IDIOMS", "COMPARATIVES"):
            found += [(name, key, key) for key in table]
        elif name == "ATTRIBUTES":
            found += [(name, f"{key}:{w}", w) for key, (_, words) in table.items() for w in words]
        elif isinstance(table, dict):
            found += [(name, f"{key}:{w}", w) for key, words in table.items() for w in words]
        else:
            found += [(name, w, w.strip()) for w in table]
    return found


def remove(name: str, entry: str) -> None:
    table = getattr(lx, name)
    if name == "VERBS":
        table[:] = [v for v in table if v[0] != entry]
    elif name in ("IDIOMS", "COMPARATIVES"):
        del table[entry]
    elif isinstance(table, dict):
        key, word = entry.split(":", 1)
        table[key] = (table[key][0], tuple(w for w in table[key][1] if w != word)) if name == "ATTRIBUTES" else tuple(
            w for w in table[key] if w != word)
    else:
        setattr(lx, name, type(table)(w for w in table if w != entry))


def readings(items: list[tuple[str, str, str | None]]) -> list[tuple[Any, Any]]:
    """Each sentence's outcome with every reader, and the rules' own reading."""
    from iotlm.agent.understand.learned import LearnedReader
    from iotlm.agent.understand.parser import Parser
    from iotlm.bench.homebench import load_homes
    from iotlm.device_drivers.home import load_home

    keys = sorted({k for k, _, _ in items})
    bench = load_homes(SHARED / "homebench", {int(k.split(":")[1]) for k in keys if k.startswith("homebench:")})
    parsers = {}
    for key in keys:
        parser = Parser((bench[int(key.split(":")[1])] if key.startswith("homebench:") else load_home(key)).devices)
        parser.readers.append(LearnedReader(parser.index))
        parsers[key] = parser

    def outcome(parse: Any) -> tuple[Any, ...]:
        return tuple((c.act, c.understood, tuple((s.device_id, s.attribute, str(s.value)) for s in c.steps),
                      c.refusal is not None, c.clarify is not None, str(c.goals), str(c.conditions),
                      str(c.queries)) for c in parse.clauses)

    # the rules alone: the parser's own reading before any other reader (private: this tool measures the parser)
    return [(outcome(parsers[k].parse(t, room=r)), outcome(parsers[k]._rules(t, r, []))) for k, t, r in items]  # noqa: SLF001


def forked(work: Any) -> Any:
    """``work()`` in a forked process (whose imports and table changes die with it); its pickled result."""
    with tempfile.NamedTemporaryFile(suffix=".pkl") as out:
        pid = os.fork()
        if pid == 0:
            try:
                with open(out.name, "wb") as f:
                    pickle.dump(work(), f)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        with open(out.name, "rb") as f:
            return pickle.load(f)


def main() -> int:
    from iotlm.agent.understand.text import normalise

    items = corpus()
    said = [normalise(t) for _, t, _ in items]
    base = forked(lambda: readings(items))
    rows = []
    for name, entry, phrase in entries():
        idx = [i for i, s in enumerate(said) if phrase in s]
        row: dict[str, Any] = {"table": name, "entry": entry, "sentences": len(idx)}
        if idx:
            def ablated(idx: list[int] = idx, name: str = name, entry: str = entry) -> list[tuple[Any, Any]]:
                remove(name, entry)
                return readings([items[i] for i in idx])
            found = forked(ablated)
            read_otherwise = [items[i][1] for i, f in zip(idx, found, strict=True) if f[1] != base[i][1]]
            changed = [items[i][1] for i, f in zip(idx, found, strict=True) if f[0] != base[i][0]]
            row.update(exercised=len(read_otherwise), changed=len(changed), examples=(changed or read_otherwise)[:3])
        rows.append(row)
        print(name, repr(entry), row["sentences"], row.get("exercised", 0), row.get("changed", 0), flush=True)
    exercised = [r for r in rows if r.get("exercised")]
    covered = [f"{r['table']}: {r['entry']}" for r in exercised if not r["changed"]]
    report = {"sentences": len(items), "entries": len(rows), "occurring": sum(1 for r in rows if r["sentences"]),
              "exercised": len(exercised), "covered": covered, "rows": rows}
    (ROOT / "docs" / "benchmarks" / "lexicon-ablation.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
