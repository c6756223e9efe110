"""``iotlm bench suite | context | homebench | latency | ...``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iotlm.bench import report
from iotlm.bench.harness import models_dir, open_home, scratch
from iotlm.bench.suite import MISTAKES, Case, load_cases, run_suite, totals
from iotlm.cli.shared import Commands, usage
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import load_home
from iotlm.device_drivers.simulator import Environment
from iotlm.device_drivers.simulator.sim import DIALECTS
from iotlm.errors import SetupError, UserError
from iotlm.tools.hookspecs import hookimpl


@hookimpl
def register_commands(commands: Commands) -> None:
    bench = commands.add("bench", help="benchmarks: your own cases, HomeBench, latency and memory")
    kinds = bench.add_subparsers(title="benchmarks", dest="bench")

    p = kinds.add_parser("suite", help="state-based cases (the format in docs/design.md) against a simulated home")
    p.add_argument("--home", type=Path, required=True, help="home file")
    p.add_argument("--cases", type=Path, required=True, help="cases, one JSON object per line")
    p.add_argument("--json", type=Path, help="write per-case results and totals here")
    p.add_argument("--report", type=Path, help="write a Markdown report here")
    p.add_argument("--model", type=Path, help="GGUF for the LLM tier (default: the packaged model)")
    p.add_argument("--no-llm", action="store_true", help="fast path only")
    p.add_argument("--dialect", choices=list(DIALECTS), default="z2m",
                   help="the dialect the simulated devices speak (mixed: device by device, all five); what a dialect "
                        "cannot be is left out, and said")
    p.set_defaults(func=outputs_first(cmd_suite))

    p = kinds.add_parser("context", help="sensor context: questions about conditions, implicit requests and situations, "
                                         "each feasible and infeasible, on five homes with room sensors")
    p.add_argument("--cases", type=Path, default=Path("tests/bench/context/cases.jsonl"),
                   help="cases with their home files (default: tests/bench/context/cases.jsonl)")
    p.add_argument("--json", type=Path, help="write per-case results and totals here")
    p.add_argument("--model", type=Path, help="GGUF for the LLM tier (default: the packaged model)")
    p.add_argument("--no-llm", action="store_true", help="fast path only")
    p.set_defaults(func=outputs_first(cmd_context))

    p = kinds.add_parser("ha-sentences", help="Home Assistant's intent templates expanded over a home: the rules alone "
                                              "and with the templates tier")
    p.add_argument("--home", type=Path, default=Path("tests/bench/devicemodel/ha_home.json"), help="home file")
    p.add_argument("--per-template", type=int, default=2, help="expansions drawn from each template (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="write per-sentence results and totals here")
    p.set_defaults(func=outputs_first(cmd_ha_sentences))

    p = kinds.add_parser("homebench", help="the HomeBench test split end to end (../shared/benchmarks/homebench)")
    p.add_argument("--sample", type=int, help="a random sample of this many cases (default: all 17,366)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--homes", help="only these home ids, e.g. 0,5,7")
    p.add_argument("--data", type=Path, help="the HomeBench folder (default: ../shared/benchmarks/homebench)")
    p.add_argument("--json", type=Path)
    p.add_argument("--report", type=Path, help="Markdown report")
    p.add_argument("--chart", type=Path, help="PNG chart (default: next to --report)")
    p.add_argument("--model", type=Path)
    p.add_argument("--no-llm", action="store_true", help="fast path only")
    p.set_defaults(func=outputs_first(cmd_homebench))

    p = kinds.add_parser("memory", help="retrieval latency at 1k/10k/100k memories; state history ingest rate")
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=outputs_first(cmd_memory))

    p = kinds.add_parser("schedule", help="jobs said in chat (time, event, finishing together; feasible and not) on an "
                                          "accelerated clock against a simulated home with appliances")
    p.add_argument("--cases", type=Path, default=Path("tests/bench/schedule/cases.jsonl"),
                   help="cases (default: tests/bench/schedule/cases.jsonl; their home is home.json beside them)")
    p.add_argument("--home", type=Path, help="the home file (default: home.json beside the cases)")
    p.add_argument("--speed", type=float, default=1200.0, help="simulated seconds per real second (default 1200)")
    p.add_argument("--model", type=Path, help="GGUF for a step the words alone do not give (default: the packaged model)")
    p.add_argument("--no-llm", action="store_true", help="the words alone: a step they do not give is asked about")
    p.add_argument("--json", type=Path, help="write per-case results and totals here")
    p.set_defaults(func=outputs_first(cmd_schedule))

    p = kinds.add_parser("planning", help="LLM planning accuracy and latency on a 500+ device home, with and without retrieval")
    p.add_argument("--cases", type=int, default=40)
    p.add_argument("--whole-home-cases", type=int, default=10, help="cases for the no-retrieval run (0: skip it; slow)")
    p.add_argument("--model", type=Path)
    p.add_argument("--json", type=Path)
    p.set_defaults(func=outputs_first(cmd_planning))

    p = kinds.add_parser("rules", help="sensor event -> device command at 1 and 1,000 events/s; a 10,000-message flood")
    p.add_argument("--slow-events", type=int, default=20)
    p.add_argument("--fast-events", type=int, default=5000)
    p.add_argument("--flood", type=int, default=10_000)
    p.add_argument("--json", type=Path)
    p.set_defaults(func=outputs_first(cmd_rules))

    p = kinds.add_parser("crash", help="iotlm run killed mid-flood and mid-timer, the broker restarted: lost and duplicated actions")
    p.add_argument("--events", type=int, default=1000)
    p.add_argument("--rate", type=float, default=500.0, help="events per second")
    p.add_argument("--restart-events", type=int, default=500, help="events around the broker's restart")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=outputs_first(cmd_crash))

    p = kinds.add_parser("web", help="web app: Home page load with 50 devices, device report to card in the page, /api/ask")
    p.add_argument("--devices", type=int, default=50)
    p.add_argument("--json", type=Path)
    p.set_defaults(func=outputs_first(cmd_web))

    p = kinds.add_parser("watch", help="a simulated month of the watched flat with anomalies planted: found, missed, false "
                                       "alarms, delay per watcher; routines mined; the watchers' cost per report")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-cost", dest="no_cost", action="store_true", help="skip the live cost measurement (a broker)")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=outputs_first(cmd_watch))

    p = kinds.add_parser("latency", help="fast and LLM path latency, cold start, peak memory, broker round trip")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", type=Path)
    p.set_defaults(func=outputs_first(cmd_latency))
    bench.set_defaults(func=usage(bench))


def outputs_first(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Make the folders of --json/--report/--chart before the run, so a bad path fails at once, not after it."""
    def run(args: argparse.Namespace) -> int:
        for name in ("json", "report", "chart"):
            path = getattr(args, name, None)
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise UserError(f"--{name} {path}: cannot create its folder: {exc.strerror or exc}") from exc
        return command(args)
    return run


def _emit(results: Any, path: Path | None) -> int:
    """Print a benchmark's results as JSON, and write them to ``path`` when given."""
    text = json.dumps(results, indent=2)
    print(text)
    if path:
        path.write_text(text, encoding="utf-8")
    return 0


def _progress(total_label: str) -> Any:
    """A progress bar on a terminal, when tqdm (the bench extra) is installed."""
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:
        return lambda items: items

    def wrap(items: Any) -> Any:
        return tqdm(items, desc=total_label, file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)
    return wrap


def _model(args: argparse.Namespace) -> Any:
    if args.no_llm:
        return None
    from iotlm.agent.llm.backend import LocalModel, default_model_path

    return LocalModel(args.model or default_model_path(models_dir()))


def _load_cases(path: Path) -> tuple[list[Case], list[Any]]:
    """The valid cases of a file; each line that is not one is reported and skipped."""
    cases, errors = load_cases(path)
    for error in errors:
        print(f"iotlm: {path}:{error.line}: {error.message}; skipped", file=sys.stderr)
    return cases, errors


def cmd_suite(args: argparse.Namespace) -> int:
    home = load_home(args.home)
    cases, errors = _load_cases(args.cases)
    data = scratch("iotlm-suite-")
    model = _model(args)
    with EmbeddedBroker() as broker:
        bench = open_home(home, broker.url, data_dir=data, model=model, dialect=args.dialect)
        for device_id, reason in bench.sim.left_out.items():
            print(f"iotlm: {device_id} is left out in {args.dialect}: {reason}", file=sys.stderr)
        try:
            results = run_suite(bench, cases, progress=_progress("cases"))
        finally:
            bench.close()
            if model is not None:
                model.close()
    tot = totals(results)
    for r in results:
        mark = "PASS" if r.passed else "FAIL"
        print(f"{mark} {r.id:10} {r.category:5} {r.tier:4} {r.latency_ms:8.1f} ms  {'; '.join(r.differences)}")
    for cat, t in tot.items():
        print(f"{cat:6} {t['passed']}/{t['cases']}  {t['success']:.1f} %")
    print_mistakes(tot)
    meta = {"date": report.now(), "machine": report.machine(), "cases_file": str(args.cases), "home": str(args.home),
            "file_errors": [{"line": e.line, "message": e.message} for e in errors]}
    if args.json:
        report.write_json(args.json, {**meta, "totals": tot, "cases": [r.to_json() for r in results]})
    if args.report:
        args.report.write_text(report.suite_markdown(tot, [r.to_json() for r in results], meta), encoding="utf-8")
    return 0 if results and all(r.passed for r in results) and not errors else 1


def print_mistakes(tot: dict[str, dict[str, Any]]) -> None:
    """The counts of wrong readings, each of which should be 0, and the two counts every suite had before."""
    every = tot.get("all")
    if not every:
        return
    print(f"questions that changed a device: {every['questions_that_changed_a_device']}; "
          f"actions on devices not pointed at: {every['actions_on_devices_not_pointed_at']}")
    print("; ".join(f"{MISTAKES[kind]}: {n}" for kind, n in every["mistakes"].items()))


def cmd_context(args: argparse.Namespace) -> int:
    """Every case against its own home, each home simulated once; totals by group (3 query types x feasible or not)."""
    cases, errors = _load_cases(args.cases)
    homeless = [c.id for c in cases if not c.home]
    if homeless:
        raise UserError(f"{args.cases}: cases {', '.join(homeless[:5])} name no \"home\"; each case needs the home file it is about")
    by_home: dict[str, list[Case]] = {}
    for case in cases:
        by_home.setdefault(case.home or "", []).append(case)
    model = _model(args)
    results = []
    with EmbeddedBroker() as broker:
        for name, group in by_home.items():
            bench = open_home(load_home(args.cases.parent / name), broker.url, data_dir=scratch("iotlm-context-"), model=model)
            environment = Environment(bench.sim)  # stepped by the cases only: a plan is checked by its effect too
            try:
                results += run_suite(bench, group, progress=_progress(f"cases in {name}"), environment=environment)
            finally:
                bench.close()
    if model is not None:
        model.close()
    tot = totals(results)
    for r in results:
        if not r.passed:
            print(f"FAIL {r.id:6} {r.category:6} {r.tier:4} {'; '.join(r.differences)}\n     reply: {r.reply}")
    for cat, t in tot.items():
        print(f"{cat:7} {t['passed']}/{t['cases']}  {t['success']:.1f} %")
    print_mistakes(tot)
    latencies = sorted(r.latency_ms for r in results)
    meta = {"date": report.now(), "machine": report.machine(), "cases_file": str(args.cases),
            "p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
            "file_errors": [{"line": e.line, "message": e.message} for e in errors]}
    if args.json:
        report.write_json(args.json, {**meta, "totals": tot, "cases": [r.to_json() for r in results]})
    return 0 if results and all(r.passed for r in results) and not errors else 1


def cmd_schedule(args: argparse.Namespace) -> int:
    from iotlm.bench import schedule

    if args.speed <= 0:
        raise UserError(f"--speed {args.speed}: give simulated seconds per real second, more than 0 (e.g. 1200)")
    try:
        cases = schedule.load_cases(args.cases)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    home = args.home or args.cases.parent / "home.json"
    model = _model(args)
    try:
        with EmbeddedBroker() as broker:
            results = schedule.run(cases, home, broker.url, speed=args.speed, model=model,
                                   progress=lambda line: print(line, file=sys.stderr))
    finally:
        if model is not None:
            model.close()
    for group, t in results["totals"].items():
        print(f"{group:8} {t['passed']}/{t['cases']}  {t['success']:.1f} %")
    print(f"wall time {results['wall_s']} s at {args.speed:g}x; request to job p50 {results['turn_p50_ms']} ms")
    if args.json:
        report.write_json(args.json, {"date": report.now(), "machine": report.machine(), "cases_file": str(args.cases),
                                      **results})
    return 0 if all(c["passed"] for c in results["cases"]) else 1


def cmd_ha_sentences(args: argparse.Namespace) -> int:
    from iotlm.agent.understand.parser import Parser
    from iotlm.bench import ha_sentences
    from iotlm.device_drivers.home import load_home

    if args.per_template < 1:
        raise UserError(f"--per-template {args.per_template}: give 1 or more expansions per template")
    home = load_home(args.home)
    floors = {a.name: a.floor for a in home.areas if a.floor}
    results = ha_sentences.run(Parser(home.devices, floors), per_template=args.per_template, seed=args.seed)
    by: dict[str, list[int]] = {}
    for row in results["cases"]:
        counts = by.setdefault(row["intent"], [0, 0, 0])
        counts[0] += 1
        counts[1] += row["rules"]
        counts[2] += row["with_readers"]
    print(f"{'intent':28} {'cases':>5} {'rules':>6} {'+templates':>10}")
    for intent, (n, rules, both) in sorted(by.items()):
        print(f"{intent:28} {n:5} {rules:6} {both:10}")
    total = results["total"]
    print(f"{'all':28} {total:5} {results['rules']:6} {results['with_readers']:10}   "
          f"({100 * results['rules'] / max(total, 1):.1f} % -> {100 * results['with_readers'] / max(total, 1):.1f} %)")
    if args.json:
        report.write_json(args.json, {"date": report.now(), "machine": report.machine(), "home": str(args.home), **results})
    return 0


def cmd_homebench(args: argparse.Namespace) -> int:
    from iotlm.bench import homebench
    from iotlm.device_drivers.home import default_homebench_path

    if args.chart and not report.can_chart():  # before the run, not after it
        raise SetupError(f"--chart {args.chart}: charts need matplotlib; install it with pip install 'iotlm[bench]'")
    data_dir = args.data or default_homebench_path().parent
    if not (data_dir / "test_data.jsonl").exists():
        print(f"iotlm: error: no HomeBench data in {data_dir}; pass --data DIR", file=sys.stderr)
        return 2
    homes = [int(h) for h in args.homes.split(",")] if args.homes else None
    model = _model(args)
    started = time.perf_counter()
    with EmbeddedBroker() as broker:
        try:
            results = homebench.run(data_dir, broker.url, sample=args.sample, seed=args.seed, homes=homes, model=model,
                                    progress=_progress("HomeBench"))
        finally:
            if model is not None:
                model.close()
    wall = time.perf_counter() - started
    scores = homebench.score(results)
    command = "iotlm bench homebench" + "".join(f" {a}" for a in sys.argv[3:])
    meta = {"date": report.now(), "machine": report.machine(), "command": command, "cases": len(results),
            "seed": args.seed, "wall_s": wall}
    print(report.homebench_markdown(scores, meta))
    if args.json:
        report.write_json(args.json, {**meta, "scores": scores, "cases": [r.to_json() for r in results]})
    if args.report:
        args.report.write_text(report.homebench_markdown(scores, meta), encoding="utf-8")
    chart = args.chart or (args.report.with_suffix(".png") if args.report and report.can_chart() else None)
    if chart:
        latencies = {tier: [r.latency_ms for r in results if r.tier == tier] for tier in ("fast", "llm")}
        report.homebench_chart(chart, scores, latencies)
    return 0


def cmd_crash(args: argparse.Namespace) -> int:
    from iotlm.bench import crash_bench

    results = crash_bench.run(args.events, args.rate, restart_events=args.restart_events)
    _emit(results, args.json)
    return 0 if results["lost"] == 0 and results["duplicated"] == 0 and results["put_back"]["put_back_after_restart"] else 1


def cmd_latency(args: argparse.Namespace) -> int:
    from iotlm.bench import latency

    results = latency.run(args.rounds)
    return _emit(results, args.json)


def cmd_web(args: argparse.Namespace) -> int:
    from iotlm.bench import web

    return _emit(web.run(args.devices), args.json)


def cmd_memory(args: argparse.Namespace) -> int:
    from iotlm.bench import memory_bench

    results = memory_bench.run([int(n) for n in args.sizes.split(",")])
    return _emit(results, args.json)


def cmd_planning(args: argparse.Namespace) -> int:
    from iotlm.agent.llm.backend import LocalModel, default_model_path
    from iotlm.bench import planning
    from iotlm.memory.embeddings import MiniLMEmbedder
    from iotlm.memory.memory import Memory
    from iotlm.memory.store import MemoryStore

    data = scratch("iotlm-planning-")
    path = args.model or default_model_path(models_dir())
    memory = Memory(store := MemoryStore(data / "iotlm.db"), MiniLMEmbedder(), data / "index")  # Memory caches vectors
    model = LocalModel(path)
    big = LocalModel(path, n_ctx=32768) if args.whole_home_cases else None
    try:
        from iotlm.agent.llm.goal_head import GoalHead

        results = planning.run(model, lambda text, devices: memory.relevant_devices(text, devices, k=4),
                               ranker=GoalHead(lambda: memory.embedder), whole_home_model=big,
                               n=args.cases, whole_home_n=args.whole_home_cases, progress=lambda line: print(line, file=sys.stderr))
    finally:
        model.close()
        if big is not None:
            big.close()
        store.close()
    return _emit(results, args.json)


def cmd_watch(args: argparse.Namespace) -> int:
    from iotlm.bench import watch

    if args.days < 20:
        raise UserError(f"--days {args.days}: the month needs 20 days at least (two weeks of habits, then anomalies)")
    results = {"date": report.now(), "machine": report.machine(), **watch.run(args.days, args.seed, cost=not args.no_cost)}
    return _emit(results, args.json)


def cmd_rules(args: argparse.Namespace) -> int:
    from iotlm.bench import rules_bench

    results = rules_bench.run(args.slow_events, args.fast_events, args.flood)
    return _emit(results, args.json)


__all__ = ["cmd_context", "cmd_crash", "cmd_ha_sentences", "cmd_homebench", "cmd_latency", "cmd_memory", "cmd_planning",
           "cmd_rules", "cmd_schedule", "cmd_suite", "cmd_watch", "cmd_web", "outputs_first", "print_mistakes", "register_commands"]
