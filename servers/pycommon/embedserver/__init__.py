"""Shared HTTP contract for the Python framework servers (see servers/contract/)."""
