"""`iotlm run` serves the web app and the API, and `iotlm ask` of the same data directory goes through it."""

from __future__ import annotations

import json
import re
import stat
import time
from pathlib import Path

import httpx

from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.transport import Transport
from iotlm.policies.audit import AuditLog
from tests.cli.test_rules_and_run import _start_run, _stop
from tests.conftest import run_cli


def test_run_serves_the_api_and_ask_goes_through_it(broker: EmbeddedBroker, home: Home, sim_transport: Transport,
                                                     tmp_path: Path) -> None:
    from iotlm.device_drivers.simulator import Simulator

    sim = Simulator(home, sim_transport, dialect="z2m").start()
    service = _start_run(broker, tmp_path)
    try:
        info = tmp_path / "service.json"
        deadline = time.monotonic() + 10
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stat.S_IMODE(info.stat().st_mode) == 0o600  # the service token: for the data directory's owner only
        url = json.loads(info.read_text())["url"]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert httpx.get(url + "/api/devices").status_code == 401
        asked = run_cli("ask", "turn on the kitchen light", "--json", env={"IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": ""})
        assert asked.returncode == 0, asked.stderr
        result = json.loads(asked.stdout)
        assert result["actions"] == [{"device_id": "kitchen.light", "attribute": "state", "value": "on", "status": "done"}]
        assert set(result) == {"reply", "actions", "refused", "needs_confirmation", "tier", "latency_ms", "scheduled", "reading"}
        assert sim.state("kitchen.light")["state"] == "on"
        local = run_cli("ask", "turn off the kitchen light", "--in-process", "--broker", broker.url,
                        env={"IOTLM_HOME": str(tmp_path)})
        assert local.returncode == 0 and "started an embedded" not in local.stderr
    finally:
        _stop(service)
        sim.clear_discovery()
    assert not (tmp_path / "service.json").exists()
    audit = AuditLog(tmp_path / "iotlm.db")
    try:  # the first request went through the service's API, the second was answered in its own process
        assert [(e["origin"], e["value"]) for e in audit.entries() if e["device_id"] == "kitchen.light"] == [
            ("api", "on"), ("cli", "off")]
    finally:
        audit.close()
