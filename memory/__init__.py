"""Local memory: the SQLite file and its migrations (store, embeddings and index: issue 6)."""

from memory.migrations import DatabaseError, migrate, open_database

__all__ = ["DatabaseError", "migrate", "open_database"]
