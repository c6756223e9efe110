"""The agent: understanding (agent.understand), the planner tiers (agent.llm), the LangGraph graph (graph, nodes),
replies and recall; and the app shell: configuration, runtime, the MQTT service and the command line (agent.cli)."""

from iotlm.agent.config import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
