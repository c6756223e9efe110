"""Benchmark reports: JSON for machines, Markdown for people, one PNG chart."""

from __future__ import annotations

import importlib.util
import json
import platform
from datetime import datetime
from pathlib import Path
from typing import Any

from iotlm.bench.homebench import CATEGORY_NAMES, PUBLISHED
from iotlm.bench.suite import MISTAKES
from iotlm.errors import SetupError


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


def homebench_markdown(scores: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [f"# HomeBench, end to end ({meta['date']})", "",
             f"Command: `{meta['command']}`  ", f"Machine: {meta['machine']}  ",
             f"Cases: {meta['cases']} (seed {meta['seed']}), wall time {meta['wall_s']:.0f} s", "",
             "| category | cases | SUCC % | F1 % | fast path % | o3-mini | GPT-4o | Qwen2.5-7B |", "|---|---|---|---|---|---|---|---|"]
    order = ["VS", "IS", "VM", "IM", "MM", "all"]
    for i, cat in enumerate(order):
        s = scores[cat]
        pub = " | ".join(f"{PUBLISHED[m][i]:.2f}" for m in ("o3-mini", "GPT-4o", "Qwen2.5-7B"))
        lines.append(f"| {CATEGORY_NAMES.get(cat, 'all')} | {s['cases']} | {s['succ']:.2f} | {s['f1']:.2f} | {s['fast_path']:.1f} | {pub} |")
    q = scores["range_quirk_cases"]
    lines += ["", f"Not counted above: {q['cases']} cases whose gold sets a value outside the range the home itself declares "
              f"(heating 30-100 with gold 16-30, see the data's README); on those SUCC {q['succ']:.2f} %, since an honest "
              "validator refuses them.", ""]
    g = scores.get("gold_refuses_supported")
    if g:
        lines += [f"Counted above as failures: {g['cases']} cases that fail only because the gold refuses an action whose "
                  "device and attribute the home itself declares (e.g. 'set the brightness of the light in the corridor "
                  "to 60' labelled unexist_attribute for a corridor light with brightness 0-100). Without them SUCC all "
                  f"would be {g['succ_without_them']:.2f} %; the table keeps them in.", ""]
    return "\n".join(lines)


def suite_markdown(totals: dict[str, dict[str, Any]], results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [f"# Suite {meta['cases_file']} on {meta['home']} ({meta['date']})", "", f"Machine: {meta['machine']}", "",
             "| category | cases | passed | success % |", "|---|---|---|---|"]
    for cat, t in totals.items():
        lines.append(f"| {cat} | {t['cases']} | {t['passed']} | {t['success']:.1f} |")
    if "all" in totals:
        every = totals["all"]
        lines += ["", f"Questions that changed a device: {every['questions_that_changed_a_device']}. "
                      f"Actions on devices the request did not point at: {every['actions_on_devices_not_pointed_at']}."]
        if "mistakes" in every:
            lines += ["", " ".join(f"{MISTAKES[k].capitalize()}: {n}." for k, n in every["mistakes"].items())]
    failed = [r for r in results if not r["pass"]]
    if failed:
        lines += ["", "## Failed cases", ""]
        for r in failed:
            lines.append(f"- `{r['id']}` ({r['category']}): {'; '.join(r['differences'])}")
    if meta.get("file_errors"):
        lines += ["", "## Lines that are not cases", ""] + [f"- line {e['line']}: {e['message']}" for e in meta["file_errors"]]
    return "\n".join(lines) + "\n"


def can_chart() -> bool:
    """Charts need matplotlib, from the bench extra (pip install 'iotlm[bench]')."""
    return importlib.util.find_spec("matplotlib") is not None


def homebench_chart(path: Path, scores: dict[str, dict[str, Any]], latencies: dict[str, list[float]]) -> None:
    if not can_chart():
        raise SetupError(f"cannot draw {path}: charts need matplotlib; install it with pip install 'iotlm[bench]'")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = ["VS", "IS", "VM", "IM", "MM", "all"]
    fig, (bars, hist) = plt.subplots(1, 2, figsize=(13, 5.4), gridspec_kw={"width_ratios": [3, 2]})
    width = 0.2
    series = [("iotlm (Gemma 3 270M + fast path)", [scores[c]["succ"] for c in order])]
    series += [(f"{name} 4-shot (paper)", list(values)) for name, values in PUBLISHED.items()]
    for i, (name, values) in enumerate(series):
        bars.bar([x + (i - 1.5) * width for x in range(len(order))], values, width, label=name)
    bars.set_xticks(range(len(order)), [CATEGORY_NAMES.get(c, "all") for c in order], rotation=15)
    bars.set_ylabel("SUCC %")
    bars.set_ylim(0, 105)
    bars.set_title("HomeBench success per category")
    bars.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    every = [v for values in latencies.values() for v in values if v > 0]
    if every:
        import numpy as np

        edges = np.logspace(np.log10(min(every)), np.log10(max(every) * 1.01), 40)
        for tier, values in latencies.items():
            if values:
                hist.hist(values, bins=edges, alpha=0.7, label=f"{tier} path ({len(values)} turns)")
    hist.set_xscale("log")
    hist.set_xlabel("turn latency, ms (log scale)")
    hist.set_ylabel("turns")
    hist.set_title("latency distribution")
    hist.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M")


__all__ = ["can_chart", "homebench_chart", "homebench_markdown", "machine", "now", "suite_markdown", "write_json"]
