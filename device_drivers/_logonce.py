"""Log a problem once per (topic, message): a bad retained payload must not flood the log."""

from __future__ import annotations

import logging
import threading


class OnceLogger:
    def __init__(self, logger: logging.Logger, limit: int = 10_000) -> None:
        self._logger = logger
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._limit = limit

    def warning(self, topic: str, message: str) -> bool:
        """Log ``message`` about ``topic`` unless it was logged before; return whether it was."""
        key = (topic, message)
        with self._lock:
            if key in self._seen:
                return False
            if len(self._seen) >= self._limit:
                self._seen.clear()
            self._seen.add(key)
        self._logger.warning("%s: %s", topic, message)
        return True
