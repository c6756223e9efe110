"""docs/plugins.md shows the example plugins as they are, and its command plugin runs; docs/design.md names modules that
exist."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

from iotlm.cli import main
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.transport import Transport
from iotlm.tools.plugins import plugin_manager
from tests.conftest import ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8"), re.S)


def test_the_page_shows_the_example_plugins_as_they_are() -> None:
    assert len(BLOCKS) == 3
    assert BLOCKS[0] == (ROOT / "examples/plugins/iotlm-notify/iotlm_notify/__init__.py").read_text(encoding="utf-8")
    assert BLOCKS[1] == (ROOT / "examples/plugins/iotlm-plainjson/iotlm_plainjson/__init__.py").read_text(encoding="utf-8")


def test_the_command_plugin_on_the_page_runs(broker: EmbeddedBroker, home: Home, sim_transport: Transport, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from iotlm.device_drivers.simulator import Simulator

    module = types.ModuleType("rooms_plugin")
    exec(compile(BLOCKS[2], "docs/plugins.md", "exec"), module.__dict__)
    pm = plugin_manager(entry_points=[])
    pm.register(module, name="rooms")
    sim = Simulator(home, sim_transport, dialect="z2m").start()  # the default base topic, as a user's bridge
    try:
        assert main(["rooms", "--broker", broker.url, "--home-dir", str(tmp_path)], pm=pm) == 0
    finally:
        sim.clear_discovery()
    assert capsys.readouterr().out.splitlines() == sorted({d.room for d in home.devices if d.room})


def test_the_design_page_names_modules_that_exist_and_every_package() -> None:
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    named = set(re.findall(r"(?<![\w./])((?:iotlm|agent|automations|tools|policies|memory|device_drivers|tests)/(?:[\w/]*(?:\.py|\.json|/))?)", text))
    assert len(named) >= 60
    assert sorted(p for p in named if not (ROOT / p).exists()) == []
    packages = {str(p.parent.relative_to(ROOT)) + "/" for p in ROOT.glob("*/**/__init__.py")
                if p.parts[len(ROOT.parts)] not in ("tests", "examples", "build") and ".venv" not in p.parts}
    assert sorted(packages - named) == []
