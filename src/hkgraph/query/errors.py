"""The error every query path raises (importing nothing)."""

from __future__ import annotations


class QueryError(Exception):
    """A query could not be run; the message is the engine's, with the position where it gives one."""
