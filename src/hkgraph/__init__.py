"""hkgraph: a curated knowledge graph of practical know-how for ComfyUI video generation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .query.kg import KnowledgeGraph


def __getattr__(name: str) -> Any:
    # `from hkgraph import KnowledgeGraph` without importing pyoxigraph for every CLI command
    if name == "KnowledgeGraph":
        from .query.kg import KnowledgeGraph

        return KnowledgeGraph
    raise AttributeError(f"module 'hkgraph' has no attribute {name!r}")


__all__ = ["KnowledgeGraph", "__version__"]
