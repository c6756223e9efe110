"""Local memory: SQLite store, embeddings, faiss index, retrieval (issue 6)."""
