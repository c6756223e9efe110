"""The agent: configuration and command line (the LangGraph planner comes with issue 4)."""

from iotlm.agent.config import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
