"""advise: reading ComfyUI workflows and judging them against the built knowledge.

Owns the workflow reader (:mod:`.workflow`: editor and API formats, nested subgraphs expanded per instance),
the reading of widget values (:mod:`.values`, by the node-input table ``node_inputs.json`` written by
scripts/node_inputs.py), model-file recognition (:mod:`.models`), condition judging (:mod:`.conditions`),
offline wiring checks (:mod:`.lint`) and the advisor that ranks the findings (:mod:`.advisor`), with the
small derived map of which pack provides which node class (``node_packs.json``, written by
scripts/node_packs.py). May import :mod:`hkgraph.records`, :mod:`hkgraph.compile` and :mod:`hkgraph.query`;
reads the built SQLite database, never data/.
"""
