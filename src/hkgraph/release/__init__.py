"""release: versioned, reproducible, checksummed downloads of the dataset.

Owns the archives and their verification (:mod:`.archive`), the data changelog and version rule
(:mod:`.changes`), and the descriptions shipped inside a release (:mod:`.describe`: data dictionary,
datapackage.json, VoID, CITATION.cff). May import :mod:`hkgraph.records`, :mod:`hkgraph.compile` and
:mod:`hkgraph.query`.
"""
