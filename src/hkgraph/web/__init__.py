"""web: the dataset published through Datasette.

Owns the Datasette plugin (:mod:`.plugin`: pages, routes, downloads), the SPARQL 1.1 Protocol endpoint
(:mod:`.sparql_protocol`) and its worker processes (:mod:`.sparql_pool`), the advisor page
(:mod:`.advise_page`), metadata.yml generated from the models (:mod:`.metadata`), the templates and the
SPARQL examples. The last stage before the command line: it may import every other subpackage.
"""
