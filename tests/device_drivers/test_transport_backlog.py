"""A flood faster than the handlers: the backlog is bounded and what is dropped is counted and logged."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.transport import Transport


def test_a_flood_past_the_backlog_limit_is_counted_and_logged(broker: EmbeddedBroker, prefix: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    receiver = Transport(broker.url).start()
    receiver.max_backlog = 50
    release = threading.Event()
    handled: list[str] = []

    def slow(topic: str, payload: bytes) -> None:
        release.wait(10)  # the handler is stuck while the flood arrives
        handled.append(topic)

    assert receiver.subscribe(f"{prefix}/flood/#", slow, wait=5)
    sender = Transport(broker.url).start()
    with caplog.at_level(logging.WARNING, logger="iotlm.device_drivers.transport"):
        for i in range(500):
            sender.publish(f"{prefix}/flood/{i}", b"x", qos=0)
        # all 500 arrived: one in the stuck handler, the rest queued or dropped (waiting for fewer let the last ones
        # arrive after the count, which a loaded CI machine showed: 51 + 445)
        deadline = time.monotonic() + 20
        while receiver.dropped + receiver._inbox.qsize() < 499 and time.monotonic() < deadline:
            time.sleep(0.02)
        release.set()
        assert receiver.drain(10)
    assert receiver.dropped > 0 and receiver._inbox.qsize() == 0
    assert len(handled) + receiver.dropped == 500 and len(handled) <= 51
    assert "dropped so far" in caplog.text
    sender.stop()
    receiver.stop()
