"""What a SPARQL query given by someone else may do, decided from a parse of the query.

The query is parsed with rdflib's SPARQL 1.1 parser and translated to its algebra; the decision is
taken by walking that tree, never by reading the text: a ``SERVICE`` anywhere in the algebra, an update
(``INSERT``, ``LOAD``, ``CLEAR`` …), a ``FROM``/``FROM NAMED`` naming a graph the store does not hold,
or nesting deeper than :data:`MAX_DEPTH` is refused. What rdflib cannot parse is refused too (fail
closed): the engine then never sees a query the policy could not read.

The parse is not the only guard: the processes that run such queries cannot open network sockets
(:mod:`hkgraph.query.sandbox`), so even a query the policy misjudged cannot reach another machine.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from typing import Any

from ..compile.rdf import PREFIXES
from .engine import QueryError

# Nesting of the parse tree (groups, sub-queries, expressions, lists): about 6 levels per nested
# function call and 2 per nested group. pyoxigraph overflows its stack and kills the process near
# 1,000 nested calls (6,000 levels); 600 allows some 100 nested calls or 300 nested groups.
MAX_DEPTH = 600
MAX_LENGTH = 1_000_000  # characters of query text the parser is given
_PARSER_STACK = 64 << 20  # the parser recurses per nesting level: parse in a thread with a deep stack
_PARSER_RECURSION = 12_000
_stack_lock = threading.Lock()


_UPDATE_NAMES = {
    "Load": "LOAD", "Clear": "CLEAR", "Drop": "DROP", "Create": "CREATE", "Add": "ADD", "Move": "MOVE",
    "Copy": "COPY", "InsertData": "INSERT DATA", "DeleteData": "DELETE DATA", "DeleteWhere": "DELETE WHERE",
    "Modify": "INSERT/DELETE",
}


class PolicyError(QueryError):
    """A query this endpoint does not run: ``status`` 400 when it cannot be read, 403 when refused.

    ``syntax`` is true when the query is not valid SPARQL 1.1 as the parser reads it (``line`` and
    ``column`` say where, when the parser knows)."""

    def __init__(self, message: str, status: int = 403, *, syntax: bool = False, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.syntax = syntax
        self.line = line
        self.column = column


def _in_deep_thread(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` in a thread with a large stack and recursion limit; re-raises what it raised."""
    out: dict[str, Any] = {}

    def run() -> None:
        old = sys.getrecursionlimit()
        try:
            sys.setrecursionlimit(max(old, _PARSER_RECURSION))
            out["value"] = fn(*args)
        except BaseException as exc:  # handed to the caller
            out["error"] = exc
        finally:
            sys.setrecursionlimit(old)

    with _stack_lock:  # stack_size() is process-wide: set it only for the thread started here
        previous = threading.stack_size(_PARSER_STACK)
        try:
            thread = threading.Thread(target=run, name="hkgraph-sparql-parse", daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
    thread.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


def _depth(tree: Any) -> int:
    """How deeply the parse tree nests (iteratively: the tree may be deeper than Python's stack)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    best, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, CompValue | dict):
            children: Iterable[Any] = list(node.values())
        elif isinstance(node, list | tuple | ParseResults):
            children = list(node)
        else:
            continue
        depth += 1
        if depth > best:
            best = depth
            if best > MAX_DEPTH:
                return best
        stack.extend((child, depth) for child in children)
    return best


def _names(tree: Any) -> Iterable[tuple[str, Any]]:
    """(name, node) of every node of rdflib's parse tree or algebra (CompValue names)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [tree]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, CompValue):
            yield node.name, node
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple | ParseResults):
            stack.extend(node)


def _parse(query: str) -> tuple[Any, Any]:
    """(parse tree, algebra) of a query; raises PolicyError for an update or text that is no query."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        tree = parseQuery(query)
    except ParseException as query_error:
        try:
            update = parseUpdate(query)
        except (ParseException, RecursionError, ValueError, TypeError):
            raise PolicyError(
                f"SPARQL syntax error at line {query_error.lineno}, column {query_error.col}: "
                f"{query_error.msg[0].lower() + query_error.msg[1:]} (a query the policy check cannot read is not run)",
                status=400, syntax=True, line=query_error.lineno, column=query_error.col,
            ) from None
        operations = [_UPDATE_NAMES.get(name, name.upper()) for name, _ in _names(update)
                      if name in _UPDATE_NAMES]
        what = f" ({operations[0]})" if operations else ""
        raise PolicyError(
            f"SPARQL Update is refused{what}: this endpoint is read-only and answers SELECT, ASK, CONSTRUCT "
            "and DESCRIBE queries"
        ) from None
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise PolicyError(f"the query nests deeper than this endpoint allows (limit {MAX_DEPTH} levels "
                          "of its parse tree)", status=400)
    algebra = translateQuery(tree, initNs=PREFIXES)
    return tree, algebra


def check_query(query: str, graphs: Iterable[str] = ()) -> None:
    """Refuse what a read-only query over one dataset must not do; return quietly for a plain query.

    :param graphs: the named graphs the store holds (FROM and FROM NAMED may name those, nothing else).
    :raises PolicyError: status 400 when the query cannot be parsed or nests too deeply, 403 for
        updates, LOAD, SERVICE and FROM/FROM NAMED outside the dataset.
    """
    if not isinstance(query, str):
        raise PolicyError("a SPARQL query is text", status=400)
    if len(query) > MAX_LENGTH:
        raise PolicyError(f"the query is longer than {MAX_LENGTH:,} characters", status=400)
    try:
        tree, algebra = _in_deep_thread(_parse, query)
    except PolicyError:
        raise
    except RecursionError:
        raise PolicyError("the query nests too deeply to be checked; it is not run", status=400) from None
    except Exception as exc:  # rdflib raises many kinds for queries it parses but cannot translate
        raise PolicyError(f"the query cannot be read as SPARQL 1.1 ({type(exc).__name__}: {exc}); "
                          "queries this endpoint cannot read are not run", status=400, syntax=True) from None
    for source in (tree, algebra.algebra):
        for name, _node in _names(source):
            if name == "ServiceGraphPattern":
                raise PolicyError("SERVICE is refused: this endpoint answers from its own dataset and never "
                                  "queries another")
            if name in _UPDATE_NAMES:
                raise PolicyError("SPARQL Update is refused: this endpoint is read-only")
    known = set(graphs)
    for name, node in _names(algebra.algebra):  # prefixed names are resolved in the algebra
        if name != "DatasetClause":
            continue
        named = "named" in node
        clause = "FROM NAMED" if named else "FROM"
        target = node["named"] if named else node["default"] if "default" in node else None
        if target is None or str(target) not in known:
            raise PolicyError(f"{clause} <{target}> is refused: this endpoint queries its own dataset only "
                              "(leave out FROM to query it)")
