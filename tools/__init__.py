"""The tool registry, plugin hooks and built-in tools (issue 3)."""
