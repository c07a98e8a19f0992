"""hkgraph: a curated knowledge graph of practical know-how for ComfyUI video generation."""

__version__ = "0.1.0"
