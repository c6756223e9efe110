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
        if request.get("calls") is not None:
            try:
                send(decode_calls(llm, np, request["prompt"], request["calls"], int(request["max_tokens"])))
            except Exception as exc:
                send({"error": f"{type(exc).__name__}: {exc}"})
            continue
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


# ---------------------------------------------------------------- calls decoded from a trie of what the home allows

DIGITS = "0123456789"


def decode_calls(llm: Any, np: Any, prompt: str, spec: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    """Greedy decoding restricted to the calls the home makes possible, without a grammar sampler (see CallWalker)."""
    return CallWalker(llm, np, prompt, max_tokens).decode(spec)


class CallWalker:
    """The allowed texts are a trie of tokens: " none", and for each call its head ("kitchen.light.set_brightness(")
    and then its value (an option of a list, or digits). Where the trie leaves one token, the tokens are forced and
    evaluated together in one batch; the model is asked only where there is a choice, and picks the allowed token it
    rates highest. The confidence is the grammar path's: the geometric mean of the probability the unconstrained
    model gave each token of the text. (A llama.cpp grammar sampler looks at all 262,144 tokens of Gemma's vocabulary
    at every step, about 45 ms a token on 2 cores; this looks at a handful.)

    llama-cpp-python has no public call that decodes a batch and returns the logits of each of its tokens without
    keeping n_ctx rows of 262,144 logits, so this uses its context and batch objects as ``Llama.eval`` does.
    """

    def __init__(self, llm: Any, np: Any, prompt: str, max_tokens: int) -> None:
        self.llm, self.np, self.prompt, self.max_tokens = llm, np, prompt, max_tokens
        self.n_vocab = llm.n_vocab()
        self.eos = llm.token_eos()
        self.prompt_tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)
        if len(self.prompt_tokens) + max_tokens + 8 > llm.n_ctx():
            raise ValueError(f"the prompt is {len(self.prompt_tokens)} tokens; the context holds {llm.n_ctx()}")
        self.out: list[int] = []
        self.scores: list[float] = []
        self._single: dict[str, int | None] = {}
        self.logits: Any = None

    # ------------------------------------------------------------ the model

    def run(self, tokens: list[int], every: bool) -> Any:
        """Evaluate ``tokens`` after what the context holds; the logits of each (``every``) or of the last."""
        llm, np = self.llm, self.np
        llm._ctx.kv_cache_seq_rm(-1, llm.n_tokens, -1)  # noqa: SLF001  (as Llama.eval does)
        rows = []
        for i in range(0, len(tokens), llm.n_batch):
            batch = tokens[i:i + llm.n_batch]
            n_past = llm.n_tokens
            llm._batch.set_batch(batch=batch, n_past=n_past, logits_all=every)  # noqa: SLF001
            llm._ctx.decode(llm._batch)  # noqa: SLF001
            llm.input_ids[n_past:n_past + len(batch)] = batch
            outputs = len(batch) if every else 1
            rows.append(np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(outputs, self.n_vocab)).copy())  # noqa: SLF001
            llm.n_tokens += len(batch)
        return np.concatenate(rows) if every else rows[-1]

    def start(self) -> None:
        """The prompt; what the context already holds of it (the static prefix) is reused."""
        held = [int(t) for t in self.llm.input_ids[:self.llm.n_tokens]]
        same = 0
        while same < min(len(held), len(self.prompt_tokens)) and held[same] == self.prompt_tokens[same]:
            same += 1
        self.llm.n_tokens = min(same, len(self.prompt_tokens) - 1)
        self.logits = self.run(self.prompt_tokens[self.llm.n_tokens:], every=False)[-1]

    def logp(self, logits: Any, token: int) -> float:
        top = float(self.np.max(logits))
        return float(logits[token]) - (top + math.log(float(self.np.sum(self.np.exp(logits - top)))))

    def take(self, tokens: list[int]) -> None:
        """Force ``tokens``: each scored by the model, all evaluated in one batch."""
        if not tokens:
            return
        rows = self.run(tokens, every=True)
        previous = [self.logits, *rows[:-1]]
        self.scores.extend(self.logp(prev, t) for prev, t in zip(previous, tokens, strict=True))
        self.out.extend(tokens)
        self.logits = rows[-1]

    def choose(self, options: Any) -> int:
        """The allowed token the model rates highest now."""
        return int(max(options, key=lambda t: float(self.logits[t])))

    # ------------------------------------------------------------ tokens

    def tokens_of(self, text: str) -> list[int]:
        """``text`` as the model would read it right after the prompt."""
        joint = self.llm.tokenize((self.prompt + text).encode("utf-8"), add_bos=True, special=False)
        if joint[:len(self.prompt_tokens)] == self.prompt_tokens:
            return list(joint[len(self.prompt_tokens):])
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def token_of(self, char: str) -> int | None:
        if char not in self._single:
            found = self.llm.tokenize(char.encode("utf-8"), add_bos=False, special=False)
            self._single[char] = int(found[0]) if len(found) == 1 else None
        return self._single[char]

    # ------------------------------------------------------------ walking

    def walk(self, paths: list[tuple[list[int], Any]]) -> Any:
        """Follow the trie of ``paths`` (token lists, each with what it means) to one of them; its meaning."""
        depth = 0
        while True:
            alive = [(toks, meaning) for toks, meaning in paths if len(toks) > depth]
            ended = [meaning for toks, meaning in paths if len(toks) == depth]
            nexts = {toks[depth] for toks, _ in alive}
            if ended and not nexts:
                return ended[0]
            if len(nexts) == 1 and not ended:  # forced: run to the next fork in one batch
                fork = depth
                while len({toks[fork] for toks, _ in alive if len(toks) > fork}) == 1 and all(len(t) > fork for t, _ in alive):
                    fork += 1
                self.take(list(alive[0][0][depth:fork]))
                depth = fork
                continue
            token = self.choose(nexts | ({self.eos} if ended else set()))
            if token == self.eos:
                return ended[0]
            self.take([token])
            paths = [(toks, meaning) for toks, meaning in alive if toks[depth] == token]
            depth += 1

    def digits(self, kind: str) -> str:
        """A number (``-?d{1,4}(.d)?``) or a colour (``r,g,b``) up to ")": the model chooses each character."""
        text = ""
        while True:
            allowed = _allowed_chars(kind, text)
            options = {token: c for c in allowed if (token := self.token_of(c)) is not None}
            if not options:
                raise ValueError(f"no single token for any of {sorted(allowed)}")
            token = self.choose(options)
            self.take([token])
            if options[token] == ")":
                return text
            text += options[token]

    def paths(self, spec: dict[str, Any], first: bool) -> list[tuple[list[int], Any]]:
        found: list[tuple[list[int], Any]] = [(self.tokens_of(" none"), ("none", None))] if first else []
        for call in spec["calls"]:
            value = call.get("value")
            texts = ([(f"{call['head']}{option})", None) for option in value["options"]]
                     if value is not None and value.get("kind") == "enum" else [(call["head"], value)])
            for text, slot in texts:
                # the first call follows "Calls:" in the prompt; a second one follows "; " in the context
                tokens = self.tokens_of(" " + text) if first else list(
                    self.llm.tokenize((" " + text).encode("utf-8"), add_bos=False, special=False))
                found.append((tokens, (text, slot)))
        return found

    def decode(self, spec: dict[str, Any]) -> dict[str, Any]:
        self.start()
        calls: list[str] = []
        for index in range(int(spec.get("max_calls", 2))):
            if index > 0:  # after a call: "; " and another, or the end
                separator = self.token_of(";")
                if separator is None or self.choose({self.eos, separator}) == self.eos:
                    break
                self.take([separator])
            text, value = self.walk(self.paths(spec, index == 0))
            if text == "none":
                calls = []
                break
            if value is not None:
                text += self.digits(str(value.get("kind", "num"))) + ")"
            calls.append(text)
            if len(self.out) >= self.max_tokens:
                break
        confidence = math.exp(sum(self.scores) / len(self.scores)) if self.scores else None
        return {"text": " " + "; ".join(calls) if calls else " none", "confidence": confidence,
                "prompt_tokens": len(self.prompt_tokens), "completion_tokens": len(self.out)}


def _allowed_chars(kind: str, text: str) -> set[str]:
    """The characters that may follow ``text`` in a number or a colour, ")" where it may end."""
    allowed: set[str] = set()
    if kind == "rgb":
        parts = text.split(",")
        if len(parts[-1]) < 3:
            allowed |= set(DIGITS)
        if parts[-1]:
            allowed.add("," if len(parts) < 3 else ")")
        return allowed
    whole, dot, fraction = text.lstrip("-").partition(".")
    if dot:
        return set(DIGITS) if not fraction else {")"}
    if len(whole) < 4:
        allowed |= set(DIGITS)
    if not text:
        allowed.add("-")
    if whole:
        allowed |= {".", ")"}
    return allowed


if __name__ == "__main__":
    raise SystemExit(main())
