"""query: answers from the built files or a remote SPARQL endpoint.

Owns the SQL and SPARQL engines on dist/ (:mod:`.engine`), the remote SPARQL client (:mod:`.remote`),
:class:`~hkgraph.query.kg.KnowledgeGraph` with its typed helpers (:mod:`.kg`) and result rendering for the
command line (:mod:`.output`). May import :mod:`hkgraph.records` and :mod:`hkgraph.compile`.
"""
