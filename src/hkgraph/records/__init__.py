"""records: the record contract and everything about reading records.

Owns the pydantic models (:mod:`.model`), safe YAML reading and canonical writing (:mod:`.yamlio`),
loading files into validated records with every problem collected (:mod:`.load`, :mod:`.problems`),
cross-record integrity (:mod:`.checks`), canonical form (:mod:`.fmt`) and source-page coverage
(:mod:`.coverage`). The first stage: it imports nothing else of hkgraph.
"""
