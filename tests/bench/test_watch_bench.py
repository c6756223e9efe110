"""``iotlm bench watch``: the month it simulates, and a scorer that can fail."""

from __future__ import annotations

from pathlib import Path

from iotlm.automations.watchers import builtin_watchers, parse_watchers
from iotlm.bench.watch import START, run_month, score, score_routines
from iotlm.bench.watch_month import PLANTED, Truth, month


def test_a_seed_is_a_month_and_every_anomaly_lies_within_it() -> None:
    a, b = month(START, 30, seed=4), month(START, 30, seed=4)
    assert [(e.t, e.device, e.values) for e in a.events] == [(e.t, e.device, e.values) for e in b.events]
    end = START.timestamp() + 30 * 86400
    assert all(START.timestamp() < t.start < t.end < end for t in a.truths)
    watchers = builtin_watchers()
    assert {t.watcher for t in a.truths} <= set(watchers)
    assert len({t.watcher for t in a.truths}) == 19  # every built-in watcher this home can show but cooling


def _notice(i: int, watcher: str, device: str, at: float) -> dict[str, object]:
    return {"id": i, "watcher": watcher, "device_id": device, "at": at, "about": "x", "text": f"notice {i}"}


def test_the_scorer_counts_a_notice_only_for_its_watcher_its_device_and_its_time() -> None:
    watchers = builtin_watchers()
    truths = [Truth("fridge_open", "kitchen.fridge_door", 1000.0, 2000.0), Truth("leak", "bathroom.leak_sensor", 5000.0, 5600.0)]
    right = score(truths, [_notice(1, "fridge_open", "kitchen.fridge_door", 1310.0), _notice(2, "leak", "bathroom.leak_sensor", 5000.0)],
                  watchers)
    assert (right["found"], right["false_alarms"], right["median_delay_s"]) == (2, 0, 5.0)
    wrong = score(truths, [_notice(1, "fridge_open", "bedroom.window", 1310.0),  # another device
                           _notice(2, "leak", "bathroom.leak_sensor", 9000.0)], watchers)  # long after
    assert (wrong["found"], wrong["false_alarms"]) == (0, 2)
    assert wrong["by_watcher"]["fridge_open"] == {"about": "open too long", "planted": 1, "found": 0, "missed": 1,
                                                  "false_alarms": 1, "median_delay_s": None, "false_examples": ["notice 1"]}


def test_routine_suggestions_are_matched_to_the_planted_ones_by_device_value_days_and_time() -> None:
    planted = [{"device_id": d, "attribute": a, "value": v, "days": days, "at": at, "say": "s", "rule": "r"}
               for d, a, v, days, at in PLANTED]
    assert score_routines(planted)["found"] == 5
    off = [{**planted[0], "at": "19:40"}, {**planted[1], "days": "weekends"}, {**planted[2], "value": "closed"}]
    assert (score_routines(off)["found"], score_routines(off)["not_planted"]) == (0, 3)


def test_a_simulated_month_finds_what_was_planted_with_few_false_alarms(tmp_path: Path) -> None:
    result = run_month(days=20, seed=3, data=tmp_path)
    assert result["found_pct"] >= 95 and result["false_alarms"] <= result["days"], result["by_watcher"]
    assert result["routines"]["found"] >= 4 and result["routines"]["not_planted"] <= 1, result["routines"]
    # the same month with a watcher that waits too long: the benchmark sees what it misses
    slow = parse_watchers({"fridge_open": {"about": "open too long", "devices": {"has": "contact", "name": ["fridge"]},
                                           "is": {"contact": False}, "for": "30m", "say": "open"}}, "test")
    watchers = [*(w for k, w in builtin_watchers().items() if k != "fridge_open"), *(w for w in slow.values() if w)]
    worse = run_month(days=20, seed=3, data=tmp_path / "slow", watchers=watchers)
    assert worse["by_watcher"]["fridge_open"]["found"] == 0 and worse["found"] < result["found"]
