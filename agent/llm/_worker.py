"""The model child process: llama.cpp behind JSON lines on stdin/stdout.

Run as a script (``python _worker.py MODEL N_CTX THREADS SAFE``); it imports nothing from
iotlm, so a crash here (native code) only ends this process.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any


def main() -> int:
    model_path, n_ctx, threads, safe = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
    out = sys.stdout
    sys.stdout = sys.stderr  # llama.cpp and friends must not write into the protocol stream
    import llama_cpp
    import llama_cpp.llama_cpp as low
    import numpy as np

    if safe:  # the AMX extra buffer types crash source builds on some CPUs: load without them
        original = low.llama_model_default_params

        def patched() -> Any:
            params = original()
            params.use_extra_bufts = False
            return params

        low.llama_model_default_params = patched

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    try:
        llm = llama_cpp.Llama(model_path=model_path, n_ctx=n_ctx, n_threads=threads, verbose=False)
    except Exception as exc:  # reported to the parent, which explains it to the person
        send({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    send({"ready": True, "safe": safe})

    for line in sys.stdin:
        request = json.loads(line)
        chosen: list[float] = []
        last: list[Any] = [None]

        def record(input_ids: Any, scores: Any, chosen: list[float] = chosen, last: list[Any] = last) -> Any:
            # the log-probability the unconstrained model gave the token chosen at the previous step
            if last[0] is not None and len(input_ids):
                prev = last[0]
                top = float(np.max(prev))
                logsum = top + math.log(float(np.sum(np.exp(prev - top))))
                chosen.append(float(prev[int(input_ids[-1])]) - logsum)
            last[0] = np.array(scores, copy=True)
            return scores

        try:
            grammar = llama_cpp.LlamaGrammar.from_string(request["grammar"], verbose=False) if request.get("grammar") else None  # type: ignore[attr-defined]
            result: Any = llm(request["prompt"], max_tokens=int(request["max_tokens"]), temperature=0.0, grammar=grammar,
                         logits_processor=llama_cpp.LogitsProcessorList([record]))
            confidence = math.exp(sum(chosen) / len(chosen)) if chosen else None
            send({"text": result["choices"][0]["text"], "confidence": confidence,
                  "prompt_tokens": result["usage"]["prompt_tokens"], "completion_tokens": result["usage"]["completion_tokens"]})
        except Exception as exc:
            send({"error": f"{type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
