"""Floridify Desktop: enrich dictionary entries with an LLM, in batches or immediately."""

__version__ = "0.1.0"
