"""Local memory: SQLite store, embeddings, faiss index, retrieval. Nothing leaves the machine."""

from memory.migrations import DatabaseError, migrate, open_database

__all__ = ["DatabaseError", "migrate", "open_database"]
