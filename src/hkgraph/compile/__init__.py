"""compile: records → RDF graph and SQLite database, and the atomic build of dist/.

Owns the triples and their serialisations (:mod:`.rdf`), the SHACL check (:mod:`.shacl`), the SQLite
database (:mod:`.sqlite`), the files in schema/ generated from the models (:mod:`.schema`), and the build
(:mod:`.build`) with its cache, incremental RDF rewrite and SQLite patching (:mod:`.cache`,
:mod:`.incremental`, :mod:`.sqlpatch`). May import :mod:`hkgraph.records`; nothing later in the pipeline.
"""
