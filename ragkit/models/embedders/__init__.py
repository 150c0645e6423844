"""Embedders: local sentence-transformers (default) and OpenAI embeddings."""
