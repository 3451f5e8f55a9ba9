"""Helpers that barely need Django."""
