"""Checks, one module per course module (mirrored names). Each registers with ``@check``."""
