"""Helpers of bench/compare.py: corpus preparation, per-framework adapters, worker processes, machine facts."""
