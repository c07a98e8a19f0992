"""advise: reading ComfyUI workflows and judging them against the built knowledge.

Owns the workflow reader (:mod:`.workflow`: editor and API formats, subgraphs) and the advisor
(:mod:`.advisor`), with the small derived map of which pack provides which node class
(``node_packs.json``, written by scripts/node_packs.py). May import :mod:`hkgraph.records`,
:mod:`hkgraph.compile` and :mod:`hkgraph.query`; reads the built SQLite database, never data/.
"""
