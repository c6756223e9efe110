"""Settings: flags over environment over the config file over defaults, and errors that name their real source."""

from __future__ import annotations

from pathlib import Path

import pytest

from iotlm.config import ConfigError, load_settings


def test_precedence_flag_environment_file_default(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('broker = "mqtt://file:1883"\nz2m_base = "z2m-file"\n', encoding="utf-8")
    env = {"IOTLM_HOME": str(tmp_path), "IOTLM_BROKER": "mqtt://env:1883"}
    assert load_settings(environ=env).broker == "mqtt://env:1883"
    assert load_settings({"broker": "mqtt://flag:1883"}, environ=env).broker == "mqtt://flag:1883"
    settings = load_settings(environ={"IOTLM_HOME": str(tmp_path)})
    assert (settings.broker, settings.z2m_base, settings.confirm_timeout_s) == ("mqtt://file:1883", "z2m-file", 120.0)


@pytest.mark.parametrize(("flags", "env", "source"), [
    ({"broker": "http://x"}, {}, "from --broker"),
    ({}, {"IOTLM_BROKER": "http://x"}, "from environment variable IOTLM_BROKER"),
])
def test_a_bad_setting_names_where_it_came_from(tmp_path: Path, flags: dict[str, str], env: dict[str, str],
                                                source: str) -> None:
    """Found by review: a bad broker URL from a flag named a config file that does not exist as its source."""
    with pytest.raises(ConfigError, match=source) as info:
        load_settings(flags, environ={"IOTLM_HOME": str(tmp_path), **env})
    assert "config.toml" not in str(info.value)


def test_a_bad_setting_in_the_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('broker = "http://x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=f"from config file {tmp_path / 'config.toml'}"):
        load_settings(environ={"IOTLM_HOME": str(tmp_path)})


def test_the_dialects_topics_come_from_the_config_file(tmp_path: Path) -> None:
    """Where Tasmota announces itself, and a level above Shelly's and ESPHome's own prefixes, reach the runtime."""
    from iotlm.device_drivers.broker import EmbeddedBroker
    from iotlm.runtime import build_runtime

    (tmp_path / "config.toml").write_text('tasmota_discovery = "house/tasmota/discovery"\nshelly_root = "house"\n'
                                          'esphome_root = "nodes"\n', encoding="utf-8")
    settings = load_settings(environ={"IOTLM_HOME": str(tmp_path)})
    assert (settings.tasmota_discovery, settings.shelly_root, settings.esphome_root) == (
        "house/tasmota/discovery", "house", "nodes")
    with EmbeddedBroker() as broker:
        runtime = build_runtime(settings, broker.url)
        try:
            drivers = runtime.connection.drivers
            assert drivers["tasmota"].discovery == "house/tasmota/discovery"  # type: ignore[attr-defined]
            assert (drivers["shelly"].root, drivers["esphome"].root) == ("house/", "nodes/")  # type: ignore[attr-defined]
        finally:
            runtime.stop()
