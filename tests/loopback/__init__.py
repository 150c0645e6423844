"""Loopback HTTP server speaking the OpenAI and Anthropic wire formats (test infrastructure)."""
