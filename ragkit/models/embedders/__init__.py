"""Embedders: local (all-MiniLM-L6-v2 by default, on ONNX Runtime or sentence-transformers) and OpenAI embeddings."""
