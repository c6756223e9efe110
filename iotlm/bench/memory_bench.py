"""Memory figures (iotlm bench memory): retrieval latency by size, state-history ingest rate."""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np

from iotlm.bench.harness import scratch
from iotlm.bench.latency import summary
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.home import Home, parse_home
from iotlm.device_drivers.transport import Transport
from iotlm.memory.embeddings import CachedEmbedder, MiniLMEmbedder
from iotlm.memory.history import HistoryRecorder
from iotlm.memory.index import VectorIndex
from iotlm.memory.store import MemoryStore

SUBJECTS = ["the bedroom", "the kitchen", "grandma", "the cat", "the bins", "the heating", "the garage", "the kids",
            "the plants", "the car", "the boiler", "the garden", "the guest room", "the front door", "the dishwasher"]
VERBS = ["likes", "needs", "is checked", "goes out", "is cleaned", "is set", "should stay", "gets watered", "is locked",
         "is serviced"]
WHEN = ["on Mondays", "at night", "every morning", "after dinner", "in winter", "on weekends", "at 7", "before school",
        "when it rains", "on the first of the month"]


def sentences(n: int, seed: int = 0) -> list[str]:
    rnd = random.Random(seed)
    return [f"{rnd.choice(SUBJECTS)} {rnd.choice(VERBS)} {rnd.choice(WHEN)} (note {i})" for i in range(n)]


def retrieval(sizes: list[int], queries: int = 200) -> dict[str, Any]:
    embedder = MiniLMEmbedder()
    texts = sentences(max(sizes))
    start = time.perf_counter()
    vectors = embedder.encode(texts)
    out: dict[str, Any] = {"embed_sentences_per_s": round(len(texts) / (time.perf_counter() - start), 1)}
    questions = [f"what about {random.Random(i).choice(SUBJECTS)} {random.Random(i + 1).choice(WHEN)}" for i in range(queries)]
    for n in sizes:
        index = VectorIndex(embedder.dim)
        build_start = time.perf_counter()
        index.build(list(range(n)), vectors[:n])
        build_ms = (time.perf_counter() - build_start) * 1000
        latencies = []
        for q in questions:
            t = time.perf_counter()
            index.search(embedder.encode([q])[0], 5)
            latencies.append((time.perf_counter() - t) * 1000)
        exact = VectorIndex(embedder.dim, approximate_over=10**12)
        exact.build(list(range(n)), vectors[:n])
        qv = embedder.encode(questions[:50])
        recall = np.mean([len({i for i, _ in index.search(v, 5)} & {i for i, _ in exact.search(v, 5)}) / 5 for v in qv])
        out[str(n)] = {"index": "IVF" if index.approximate else "exact", "build_ms": round(build_ms, 1),
                       "query_ms": summary(latencies), "recall_at_5_vs_exact": round(float(recall), 3)}
    return out


def ingest(messages: int = 20_000) -> dict[str, Any]:
    home: Home = parse_home({"name": "ingest", "devices": [
        {"id": f"room{i}.sensor", "name": "sensor", "room": f"room{i}", "type": "sensor", "read_only": True,
         "attributes": {"temperature": {"value": 20.0, "min": -40, "max": 80, "unit": "°C", "writable": False}}}
        for i in range(50)]})
    from iotlm.device_drivers.simulator import Simulator
    from iotlm.device_drivers.simulator.load import SensorLoad

    data = scratch("iotlm-ingest-")
    with EmbeddedBroker() as broker:
        sim_t = Transport(broker.url).start()
        Simulator(home, sim_t, base="ingest/z2m", ha_root="ingest/ha").start()
        conn = Connection(Transport(broker.url), z2m_base="ingest/z2m", ha_prefix="ingest/hadisc").start()
        conn.registry.wait_for_devices([d.id for d in home.devices], 10)
        time.sleep(0.5)
        store = MemoryStore(data / "iotlm.db")
        recorder = HistoryRecorder(store).attach(conn.registry)
        publisher = Transport(broker.url).start()
        load = SensorLoad(publisher, base="ingest/z2m")
        start = time.perf_counter()  # each a real Zigbee2MQTT state message with a new value
        load.flood((f"room{i % 50}.sensor", {"temperature": round(20 + (i % 997) / 100, 2)}) for i in range(messages))
        # Wait until the writer has been idle for a second (a report that repeats the current value is no change
        # and is not written, so "written == messages" is not the end condition), then time to the last commit.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            before = recorder.written
            time.sleep(1.0)
            if recorder.written == before and before > 0:
                break
        elapsed = recorder.last_write - start
        result = {"messages": messages, "written": recorder.written, "dropped": recorder.dropped,
                  "seconds": round(elapsed, 2), "messages_per_s": round(recorder.written / elapsed, 1)}
        recorder.stop()
        publisher.stop()
        conn.stop()
        sim_t.stop()
        store.close()
    return result


def run(sizes: list[int] | None = None) -> dict[str, Any]:
    return {"retrieval": retrieval(sizes or [1_000, 10_000, 100_000]), "history_ingest": ingest()}


__all__ = ["CachedEmbedder", "run"]
