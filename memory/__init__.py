"""Local memory: SQLite store, embeddings, faiss index, retrieval. Nothing leaves the machine."""

from iotlm.memory.migrations import DatabaseError, migrate, open_database

__all__ = ["DatabaseError", "migrate", "open_database"]
