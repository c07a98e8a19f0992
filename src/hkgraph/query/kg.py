"""``KnowledgeGraph``: ask the dataset questions from Python, from the built files or a SPARQL endpoint.

>>> kg = KnowledgeGraph.open()                       # build ./data if dist/ is stale, then open dist/
>>> kg.tips(node="WanVideo Model Loader", tag="vram")  # typed records, filters combine with AND

Every helper (:meth:`~KnowledgeGraph.tips`, :meth:`~KnowledgeGraph.entity`,
:meth:`~KnowledgeGraph.settings`) is written in SPARQL, so it gives the same answers on the embedded
pyoxigraph store and on any SPARQL 1.1 endpoint that holds the same N-Triples. Names are resolved
through ids, display names, aliases, node class names, a repo's ``owner/name`` (or name), page and
workflow paths and model file names, case-insensitively (the same names as the ``names`` table of
hkgraph.db); an unknown name raises :class:`UnknownNameError` with the closest matches.

Entity filters of :meth:`~KnowledgeGraph.tips` match the tips that *name* the entity; with
``about=True`` they match the tips about it or any part of it (its parameters and values, its nodes, its
files, its experts and variants, its narrower concepts), that is named or derived links. Superseded tips
are left out unless ``include_superseded=True``.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..compile.iris import BASE, RELATION_PREDICATES, expand
from ..records.spelling import normalise
from . import fieldmap
from .engine import QueryError, open_store, run_sparql
from .policy import PolicyError, check_query
from .remote import RemoteSparql, is_endpoint
from .sql import connect_sql, sql_rows

if TYPE_CHECKING:  # the models are imported when typed records are asked for, not to print a table
    from pydantic import BaseModel

    from ..records import model as m

DATASET_FILES = ("hkgraph.nt", "hkgraph.db")
ENTITY_KINDS: tuple[str, ...] = fieldmap.vocabulary("entity_kinds")
# The predicates whose values name an entity (besides its id): display name, aliases, node class name,
# repo owner/name, page and workflow paths (see hkgraph.records.mentions.resolver_labels).
LABEL_PREDICATES = ("skos:prefLabel", "skos:altLabel", "hkv:className", "hkv:repoPath", "hkv:pagePath",
                    "hkv:workflowPath")
_REPO_PATH = expand("hkv:repoPath")

_RDF_TYPE = expand("rdf:type")
_HAS_SETTING = expand("hkv:hasSetting")
_HAS_QUOTE = expand("hkv:hasQuote")
_IN_TIP = expand("hkv:inTip")
_TITLE = expand("dcterms:title")
_MIN = expand("hkv:minValue")
_MAX = expand("hkv:maxValue")
_RELATIONS = {expand(curie): name for name, curie in RELATION_PREDICATES.items()}


class UnknownNameError(QueryError, LookupError):
    """A name that no entity has (``matches`` holds the closest names, best first)."""

    def __init__(self, message: str, matches: list[str] | None = None):
        super().__init__(message)
        self.matches = matches or []


class AmbiguousNameError(QueryError, LookupError):
    """A name that several entities share (``candidates`` holds ``(kind, id)`` pairs)."""

    def __init__(self, message: str, candidates: list[tuple[str, str]]):
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class SettingAdvice:
    """One piece of structured advice, with the names a reader needs to act on it."""

    id: str
    tip: str
    tip_title: str
    parameter: str
    parameter_name: str
    advice: str
    value: str | None = None
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    direction: str | None = None
    condition: str | None = None
    node: str | None = None
    node_name: str | None = None
    model: str | None = None
    hardware: str | None = None
    unit: str | None = None
    schedule: m.Schedule | None = None
    steps: m.Steps | None = None
    advised: str | None = None  # the value, values, range, direction, schedule or steps, as one text

    def as_dict(self) -> dict[str, Any]:
        return {
            name: list(v) if isinstance(v, tuple) else v.model_dump(mode="json") if hasattr(v, "model_dump") else v
            for name, v in self.__dict__.items()
        }


def iri_of(kind: str, ident: str) -> str:
    return f"{BASE}{kind}/{ident}"


def split_iri(iri: str) -> tuple[str, str]:
    """``https://w3id.org/hkgraph/node/x`` → ``("node", "x")``; ``("", iri)`` for other IRIs."""
    if not iri.startswith(BASE):
        return "", iri
    kind, _, ident = iri[len(BASE):].partition("/")
    return kind, ident


def _lit(text: str) -> str:
    """A SPARQL string literal (JSON escaping is valid SPARQL escaping)."""
    return json.dumps(text, ensure_ascii=False)


def _closest(word: str, labels: Iterable[str], n: int = 3) -> list[str]:
    by_key: dict[str, str] = {}
    for label in labels:
        by_key.setdefault(label.casefold(), label)
    keys = difflib.get_close_matches(word.casefold(), list(by_key), n=n, cutoff=0.6)
    return [by_key[k] for k in keys]


def _tip_filters(filters: dict[str, Any], method: str) -> dict[str, Any]:
    """``filters`` when each is a keyword of :meth:`KnowledgeGraph._tip_data`, else a TypeError that names
    the method the caller used and the closest filter."""
    code = KnowledgeGraph._tip_data.__code__
    known = code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]
    for name in filters:
        if name not in known:
            raise TypeError(f"{method}() got an unknown filter '{name}'{_hint(_closest(name, known))}")
    return filters


def _hint(matches: list[str]) -> str:
    if not matches:
        return ""
    quoted = [f"'{x}'" for x in matches]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"; did you mean {listed}?"


class KnowledgeGraph:
    """The dataset, embedded (pyoxigraph + SQLite files) or behind a SPARQL 1.1 endpoint.

    Open one with :meth:`open`; use it as a context manager or call :meth:`close` when done.
    """

    def __init__(self, *, dist: Path | None = None, endpoint: str | None = None, timeout: float = 60.0,
                 confined: bool = False):
        if (dist is None) == (endpoint is None):
            raise ValueError("give either dist or endpoint")
        self.dist = dist
        self.endpoint = endpoint
        self._store: Any = RemoteSparql(endpoint, timeout=timeout) if endpoint else open_store(dist)  # type: ignore[arg-type]
        self._conn: sqlite3.Connection | None = None
        self._labels: dict[str, dict[str, set[str]]] | None = None
        self._spellings: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._names: dict[tuple[str, str], str] = {}
        self._parameter_nodes: dict[str, str] = {}
        self._values: list[tuple[str, str, str]] | None = None
        self._timeout = timeout
        self.confined = confined
        self._worker: Any = None  # hkgraph.query.sandbox.Worker, for confined queries

    # ------------------------------------------------------------------------------------ opening

    @classmethod
    def open(cls, source: str | Path | None = None, *, root: str | Path = ".", timeout: float = 60.0,
             confined: bool = False) -> KnowledgeGraph:
        """Open the dataset.

        :param source: ``None`` to build ``root``/data into ``root``/dist when it is stale and open
            that; a folder holding the built files (``dist/``); a project folder holding ``data/``
            (built first when stale); a release archive as ``hkgraph release`` writes it (checked
            against its checksums and prepared once into a cache: see
            :func:`hkgraph.query.releases.open_release`); or the URL of a SPARQL endpoint.
        :param timeout: seconds to wait for a remote endpoint, or for one query given to :meth:`sparql`
            when ``confined``.
        :param confined: run the queries given to :meth:`sparql` in a confined worker process (no network,
            bounded memory, the timeout enforced, an engine crash raised as :class:`QueryError`) instead of
            in this process. For a program that runs queries written by others; see docs/public.md.
        """
        if is_endpoint(source):
            return cls(endpoint=str(source), timeout=timeout)
        if source is None:
            dist = cls._from_project(Path(root))
        else:
            path = Path(source)
            if path.is_dir() and any((path / name).is_file() for name in DATASET_FILES):
                dist = path
            elif path.is_dir() and (path / "data").is_dir():
                dist = cls._from_project(path)
            elif path.is_file():
                dist = cls._from_release(path)
            elif not path.exists():
                raise QueryError(f"{path} does not exist")
            else:
                raise QueryError(f"{path} holds neither built files (hkgraph.nt, hkgraph.db) nor a data/ folder")
        return cls(dist=dist, timeout=timeout, confined=confined)

    @staticmethod
    def _from_release(path: Path) -> Path:
        """A release archive as `hkgraph release` wrote it, checked and prepared (:mod:`.releases`)."""
        from .releases import ReleaseError, open_release  # archives only: tarfile and zipfile load with it

        try:
            return open_release(path)
        except ReleaseError as exc:
            raise QueryError(f"{path} is not a dataset folder or a release archive that can be opened: {exc}")

    @staticmethod
    def _from_project(root: Path) -> Path:
        if (root / "data").is_dir():
            from ..compile.fresh import ensure_built

            return ensure_built(root)
        dist = root / "dist"
        if any((dist / name).is_file() for name in DATASET_FILES):
            return dist
        raise QueryError(f"{root.resolve()} has neither data/ to build nor a built dist/")

    def close(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
        if isinstance(self._store, RemoteSparql):
            self._store.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._store = None

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KnowledgeGraph({self.endpoint or str(self.dist)!r})"

    @property
    def embedded(self) -> bool:
        """True when the files are local (SQL works); False for a remote SPARQL endpoint."""
        return self.endpoint is None

    # ----------------------------------------------------------------------------------- raw queries

    def sparql(self, query: str) -> list[dict[str, Any]] | bool:
        """Run a SPARQL query (the hkgraph prefixes are predeclared).

        SELECT gives a list of row dicts of plain Python values (IRIs and strings as ``str``, numbers
        as ``int``/``float``, booleans as ``bool``, unbound as ``None``); ASK gives a ``bool``;
        CONSTRUCT and DESCRIBE give a list of ``{"subject", "predicate", "object"}`` dicts.

        On the embedded files the query is checked first (:mod:`hkgraph.query.policy`, decided from a parse
        and remembered by the query's text: no SERVICE, updates or outside FROM; nesting bounded, so the
        engine never sees a query deep enough to overflow its stack), then runs in this process. With
        ``confined=True`` (see :meth:`open`) it runs in a worker process (:mod:`hkgraph.query.sandbox`)
        that cannot reach the network and whose crash raises :class:`QueryError` here.
        """
        if self._store is None:
            raise QueryError("this KnowledgeGraph is closed")
        if self.endpoint is not None:
            return self._as_rows(run_sparql(self._store, query))
        try:
            check_query(query, self._named_graphs())
        except PolicyError as exc:
            raise QueryError(str(exc)) from None
        if self.confined:
            return self._as_rows(self._confined(query))
        return self._as_rows(run_sparql(self._store, query))

    @staticmethod
    def _as_rows(result: Any) -> list[dict[str, Any]] | bool:
        if isinstance(result, bool) or not result or isinstance(result[0], dict):
            return result  # type: ignore[no-any-return]
        return [dict(zip(("subject", "predicate", "object"), t, strict=True)) for t in result]

    def _named_graphs(self) -> list[str]:
        return [g.value for g in self._store.named_graphs() if hasattr(g, "value")]

    def _confined(self, query: str) -> Any:
        """Run a query given by the caller in the worker process (started on first use)."""
        from .sandbox import JobError, Worker, WorkerCrashError, WorkerStartError

        if self._worker is None or not self._worker.alive:
            worker = Worker("hkgraph.query.engine:open_store_job", str(self.dist))
            try:
                worker.wait_ready(max(self._timeout, 60.0))
            except WorkerStartError as exc:
                raise QueryError(f"cannot start the query worker: {exc}") from None
            self._worker = worker
        try:
            return self._worker.call("hkgraph.query.engine:sparql_job", (query,), self._timeout)
        except WorkerCrashError as exc:
            self._worker = None
            if exc.timed_out:
                raise QueryError(f"the query ran longer than {self._timeout:g} s (the timeout of "
                                 "KnowledgeGraph.open) and was stopped") from None
            raise QueryError(f"the query engine crashed on this query (worker exit code {exc.code}); "
                             "this process is unaffected and the next query starts a new worker") from None
        except JobError as exc:
            raise QueryError(str(exc)) from None

    def _select(self, query: str) -> list[dict[str, Any]]:
        """The helpers' own queries: trusted, run in this process."""
        if self._store is None:
            raise QueryError("this KnowledgeGraph is closed")
        rows = self._as_rows(run_sparql(self._store, query))
        assert isinstance(rows, list)
        return rows

    def sql(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        """Run a read-only SQL query on hkgraph.db; rows as dicts. Embedded only."""
        if self.dist is None:
            raise QueryError(
                f"SQL needs the built files; this KnowledgeGraph talks to the SPARQL endpoint {self.endpoint}"
            )
        if self._conn is None:
            self._conn = connect_sql(self.dist / "hkgraph.db")
        return sql_rows(self._conn, query, params)

    # ------------------------------------------------------------------------------------ names

    def _load_labels(self) -> dict[str, dict[str, set[str]]]:
        if self._labels is not None:
            return self._labels
        labels = self._labels_from_sql() if self.dist is not None else None
        if labels is not None:
            self._labels = labels
            return labels
        # one pattern per predicate: with the class or a VALUES of predicates in the pattern, the engine
        # scans every identifier in the graph (3 s at 100k tips instead of 0.3 s)
        rows = self._select(
            "SELECT ?e ?p ?label WHERE { "
            + " UNION ".join(f"{{ ?e {p} ?label BIND({p} AS ?p) }}" for p in LABEL_PREDICATES)
            + " }"
        )
        labels: dict[str, dict[str, set[str]]] = {kind: defaultdict(set) for kind in ENTITY_KINDS}
        pref = expand("skos:prefLabel")
        for row in rows:
            kind, ident = split_iri(row["e"])
            if kind not in labels:
                continue
            spellings = [str(row["label"])]
            if row["p"] == pref:
                spellings.append(ident)
            elif row["p"] == _REPO_PATH:
                spellings.append(str(row["label"]).rsplit("/", 1)[-1])  # ComfyUI-KJNodes for kijai/ComfyUI-KJNodes
            for label in spellings:
                labels[kind][label.casefold()].add(ident)
                self._spellings[label].add((kind, ident))
            if row["p"] == pref:
                self._names[(kind, ident)] = str(row["label"])
        for row in self._select("SELECT ?p ?n WHERE { ?p a hkv:Parameter ; hkv:ofNode ?n }"):
            self._parameter_nodes[split_iri(row["p"])[1]] = split_iri(row["n"])[1]
        self._labels = labels
        return labels

    def _labels_from_sql(self) -> dict[str, dict[str, set[str]]] | None:
        """The name index from hkgraph.db's ``names`` table, which the build writes from the same labels
        (:func:`hkgraph.records.mentions.resolver_labels`): on the files, reading it is ~20x quicker than
        asking the graph for every label. None when the database has no such table."""
        labels: dict[str, dict[str, set[str]]] = {kind: defaultdict(set) for kind in ENTITY_KINDS}
        try:
            if self._conn is None:
                assert self.dist is not None
                self._conn = connect_sql(self.dist / "hkgraph.db")
            names = self._conn.execute("SELECT kind, entity_id, name, source FROM names").fetchall()
            parameters = self._conn.execute("SELECT id, node FROM parameters WHERE node IS NOT NULL").fetchall()
        except (sqlite3.Error, QueryError):
            return None
        for kind, ident, name, source in names:
            if kind not in labels or not isinstance(name, str):
                continue
            labels[kind][name.casefold()].add(ident)
            self._spellings[name].add((kind, ident))
            if source == "name":
                self._names[(kind, ident)] = name
            elif source == "id":  # a display name spelled as the id is stored once, as the id
                self._names.setdefault((kind, ident), name)
        self._parameter_nodes.update(dict(parameters))
        return labels

    def name_of(self, kind: str, ident: str) -> str | None:
        """The display name of an entity."""
        self._load_labels()
        return self._names.get((kind, ident))

    def resolve(self, kind: str, name: str) -> list[str]:
        """The ids of the ``kind`` entities that ``name`` names (by id, name, alias or class name).

        :raises UnknownNameError: when none does, with the closest names.
        """
        found = self._lookup(kind, name)
        if found:
            return found
        matches = self._suggest(name, [kind])
        raise UnknownNameError(f"unknown {kind} '{name}'{_hint(matches)}", matches)

    def _lookup(self, kind: str, name: str) -> list[str]:
        if kind not in ENTITY_KINDS:
            raise QueryError(f"unknown entity kind '{kind}'; kinds are: {', '.join(ENTITY_KINDS)}{_hint(_closest(kind, ENTITY_KINDS))}")
        key = name.strip().casefold()
        ids = self._lookup_sql(kind, key) if self._labels is None else None
        if ids is None:
            ids = self._load_labels()[kind].get(key, set())
        exact = [i for i in ids if i == key]  # an id wins over another entity's alias spelled like it
        return exact or sorted(ids)

    def _lookup_sql(self, kind: str, key: str) -> set[str] | None:
        """The ``kind`` entities one of whose spellings case-folds to ``key``, from hkgraph.db's ``names``
        table through its index on the normal form (equal case folds have equal normal forms), without
        reading every name; None when not on the files or the database has no such table."""
        if self.dist is None:
            return None
        try:
            if self._conn is None:
                self._conn = connect_sql(self.dist / "hkgraph.db")
            rows = self._conn.execute(
                "SELECT entity_id, name FROM names WHERE normalized = ? AND kind = ?", (normalise(key), kind)
            ).fetchall()
        except (sqlite3.Error, QueryError):
            return None
        return {ident for ident, label in rows if isinstance(label, str) and label.casefold() == key}

    def _suggest(self, word: str, kinds: list[str]) -> list[str]:
        """Display names of the entities of ``kinds`` with a spelling close to ``word``."""
        self._load_labels()
        spellings = [sp for sp, owners in self._spellings.items() if any(k in kinds for k, _i in owners)]
        out: list[str] = []
        for spelling in _closest(word, sorted(spellings), n=10):
            for kind, ident in sorted(self._spellings[spelling]):
                name = self._names.get((kind, ident), ident)
                if kind in kinds and name not in out:
                    out.append(name)
        return out[:3]

    def _resolve_any(self, name: str, kind: str | None) -> tuple[str, str]:
        kinds = [kind] if kind else list(ENTITY_KINDS)
        found: list[tuple[str, str]] = []
        for k in kinds:
            found += [(k, i) for i in self._lookup(k, name)]
        if not found:
            matches = self._suggest(name, kinds)
            what = kind or "entity"
            raise UnknownNameError(f"unknown {what} '{name}'{_hint(matches)}", matches)
        if len(found) > 1:
            listed = ", ".join(f"{k} '{i}'" for k, i in found[:10]) + (" …" if len(found) > 10 else "")
            raise AmbiguousNameError(
                f"'{name}' names {len(found)} entities: {listed}; give the id or the kind", found
            )
        return found[0]

    def _resolve_values(self, value: str, parameters: list[str] | None) -> list[str]:
        """Value IRIs for ``value`` (``fp16``, ``quantization=fp16`` or ``<parameter-id>=fp16``)."""
        if self._values is None:
            rows = self._select("SELECT ?v ?label ?p WHERE { ?v a hkv:ParameterValue ; rdfs:label ?label ; hkv:ofParameter ?p }")
            self._values = [(r["v"], str(r["label"]), split_iri(r["p"])[1]) for r in rows]
        scope = set(parameters) if parameters else None
        text = value.strip()
        if "=" in text:
            left, _, text = text.partition("=")
            named = set(self.resolve("parameter", left))
            scope = named & scope if scope else named
        key = text.casefold()
        candidates = [v for v in self._values if scope is None or v[2] in scope]
        iris = sorted(v for v, label, _p in candidates if label.casefold() == key)
        if not iris:
            matches = _closest(text, {label for _v, label, _p in candidates})
            raise UnknownNameError(f"unknown value '{value}'{_hint(matches)}", matches)
        return iris

    # ------------------------------------------------------------------------------------ helpers

    def entity(self, name: str, kind: str | None = None) -> m.Entity:
        """The entity ``name`` names (id, display name, alias or node class name; any case).

        :raises UnknownNameError: with the closest names; :raises AmbiguousNameError: when several entities
            share the name (give ``kind`` or the id).
        """
        from ..records import model as m

        kind, data = self._entity_data(name, kind)
        return _validated(m.ENTITY_KINDS[kind], data)  # type: ignore[no-any-return]

    def entity_rows(self, name: str, kind: str | None = None) -> list[dict[str, Any]]:
        """:meth:`entity` as field/value rows for a table (what :func:`entity_rows` makes of the record),
        read without building the typed record."""
        kind, data = self._entity_data(name, kind)
        rows = [{"field": "kind", "value": kind}]
        for f in fieldmap.fields(kind):
            if f.name not in data or data[f.name] == f.default:
                continue
            value = data[f.name]
            if isinstance(value, list):
                value = "; ".join(json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v) for v in value)
            rows.append({"field": f.name, "value": value})
        return rows

    def _entity_data(self, name: str, kind: str | None) -> tuple[str, dict[str, Any]]:
        kind, ident = self._resolve_any(name, kind)
        rows = self._select(f"SELECT ?s ?p ?o WHERE {{ BIND(<{iri_of(kind, ident)}> AS ?s) ?s ?p ?o . }}")
        data = _entity_from_rows(kind, ident, rows)
        if kind == "parameter" and data.get("allowed_values"):
            # the graph keeps the node's order of a closed list as each value's hkv:position
            ranked = self._select(
                f"SELECT ?label ?position WHERE {{ ?v hkv:ofParameter <{iri_of(kind, ident)}> ; "
                "rdfs:label ?label ; hkv:position ?position . }"
            )
            position = {str(r["label"]): int(r["position"]) for r in ranked}
            data["allowed_values"].sort(key=lambda v: (position.get(v, len(position)), v))
        return kind, data

    def tips(self, **filters: Any) -> list[m.Tip]:
        """Tips matching every given filter, as :class:`hkgraph.records.model.Tip` records sorted by id.

        Entity filters take an id, a display name, an alias or another name a user would type (a node's
        class name, a repo's ``owner/name``, a model file's name, a page's path). By default they match
        the tips whose excerpt *names* the entity; with ``about=True`` also the tips about any part of it
        (derived links: a node's parameters and values, a repo's nodes, a model's files, experts and
        variants, a concept's narrower concepts). ``value`` is a value (``fp16``), optionally with its
        parameter (``quantization=fp16``), and matches tips that name it or advise on it; ``page`` is a
        source page; ``goal`` and ``tag`` are from their closed lists; ``text`` matches tips whose title,
        summary or excerpt contain every word (case-insensitive). Superseded tips come back only with
        ``include_superseded=True``. Link lists in the records come back sorted (the graph keeps no order).

        Filters (keywords; the signature is :meth:`_tip_data`'s): ``node``, ``parameter``, ``value``, ``model``,
        ``file``, ``repo``, ``hardware``, ``person``, ``concept``, ``workflow``, ``page``, ``goal``, ``tag``,
        ``kind``, ``text``, ``about``, ``include_superseded``, ``limit``.
        """
        from ..records import model as m

        return [_validated(m.Tip, d) for d in self._tip_data(**_tip_filters(filters, "tips"))]

    def tip_rows(self, **filters: Any) -> list[dict[str, Any]]:
        """:meth:`tips` (same filters) as flat rows for tables and CSV (what :func:`tip_row` makes of each
        record), read without building the typed records."""
        return [_tip_row_of(d) for d in self._tip_data(**_tip_filters(filters, "tip_rows"))]

    def _tip_data(
        self,
        *,
        node: str | None = None,
        parameter: str | None = None,
        value: str | None = None,
        model: str | None = None,
        file: str | None = None,
        repo: str | None = None,
        hardware: str | None = None,
        person: str | None = None,
        concept: str | None = None,
        workflow: str | None = None,
        page: str | None = None,
        goal: str | None = None,
        tag: str | None = None,
        kind: str | None = None,
        text: str | None = None,
        about: bool = False,
        include_superseded: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        where = ["?tip a hkv:Tip ."]
        if not include_superseded:
            where.append("FILTER NOT EXISTS { ?tip hkv:supersededBy ?newer }")
        param_ids: list[str] | None = None
        node_ids = self.resolve("node", node) if node else None
        if parameter:
            param_ids = self.resolve("parameter", parameter)
            if node_ids:  # a parameter name shared by many nodes: keep the ones of the node asked for
                self._load_labels()  # (with the nodes of the parameters)
                param_ids = [p for p in param_ids if self._parameter_nodes.get(p) in node_ids] or param_ids
        filters: list[tuple[str, list[str]]] = []

        def link(predicate: str) -> str:
            return f"{predicate}|hkv:derivedAbout" if about else predicate

        if node_ids:
            filters.append((link("hkv:aboutNode"), [iri_of("node", i) for i in node_ids]))
        if param_ids:
            filters.append((link("hkv:aboutParameter"), [iri_of("parameter", i) for i in param_ids]))
        if value:
            filters.append(("hkv:aboutValue|(hkv:hasSetting/hkv:valueRef)", self._resolve_values(value, param_ids)))
        for field, given, path in (
            ("model", model, link("hkv:aboutModel")),
            ("file", file, "hkv:aboutFile"),
            ("repo", repo, link("hkv:aboutRepo")),
            ("hardware", hardware, link("hkv:aboutHardware")),
            ("person", person, "hkv:mentionsPerson|prov:wasAttributedTo"),
            ("concept", concept, "hkv:aboutConcept/skos:broader*" if about else "hkv:aboutConcept"),
            ("workflow", workflow, "hkv:aboutWorkflow"),
            ("page", page, "dcterms:source"),
        ):
            if given:
                filters.append((path, [iri_of(field, i) for i in self.resolve(field, given)]))
        if goal:
            where.append(f"?tip hkv:goal {_lit(_closed(goal, fieldmap.vocabulary('goals'), 'goal'))} .")
        for n, (path, iris) in enumerate(filters):
            where.append(f"VALUES ?f{n} {{ {' '.join(f'<{i}>' for i in iris)} }} ?tip {path} ?f{n} .")
        if tag:
            where.append(f"?tip hkv:tag {_lit(_closed(tag, fieldmap.vocabulary('tags'), 'tag'))} .")
        if kind:
            where.append(f"?tip hkv:kind {_lit(_closed(kind, fieldmap.vocabulary('tip_kinds'), 'kind'))} .")
        # Each word must be in one of the fields (words hold no space: none can straddle two fields).
        # Alone, one scan per word is fastest; after other filters, a check of the few tips they leave.
        narrowed = len(where) > 1
        for n, word in enumerate((text or "").lower().split()):
            match = (f"?tip dcterms:title|dcterms:description|hkv:excerpt ?text{n} . "
                     f"FILTER(CONTAINS(LCASE(?text{n}), {_lit(word)}))")
            if narrowed:
                where.append(f"FILTER EXISTS {{ {match} }}")
            else:
                where.append(f"{{ SELECT DISTINCT ?tip WHERE {{ {match} }} }}")
        if limit is not None and limit < 0:
            raise QueryError("limit must be zero or more")
        limited = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = self._select(
            f"SELECT ?tip ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?tip WHERE {{ {' '.join(where)} }} "
            f"ORDER BY ?tip{limited} }} ?tip (hkv:hasSetting|hkv:hasQuote|(hkv:hasSetting/hkv:scheduleEntry))? ?s . "
            "?s ?p ?o . }"
        )
        return _tips_from_rows(rows)

    def settings(
        self,
        *,
        node: str | None = None,
        parameter: str | None = None,
        model: str | None = None,
        hardware: str | None = None,
        advice: str | None = None,
    ) -> list[SettingAdvice]:
        """Structured advice on parameter values, sorted by parameter, tip and position.

        ``node`` matches settings whose parameter is an input of the node or that name the node as
        the one they apply to; the other filters match the setting's own fields.
        """
        from ..compile.sqlite import advised_text
        from ..records import model as m

        out = []
        for data in self._setting_data(node=node, parameter=parameter, model=model, hardware=hardware, advice=advice):
            record = _validated(m.Setting, data["fields"])
            out.append(SettingAdvice(
                id=data["id"], tip=data["tip"], tip_title=data["tip_title"], parameter=record.parameter,
                parameter_name=data["parameter_name"], advice=record.advice, value=record.value,
                values=tuple(record.values), min=record.range.min if record.range else None,
                max=record.range.max if record.range else None, direction=record.direction,
                condition=record.condition, node=data["node"], node_name=data["node_name"], model=record.model,
                hardware=record.hardware, unit=record.unit, schedule=record.schedule, steps=record.steps,
                advised=advised_text(record),
            ))
        return out

    def setting_rows(self, **filters: Any) -> list[dict[str, Any]]:
        """:meth:`settings` (same filters) as flat rows for tables and CSV (what :func:`setting_row` makes
        of each), read without building the typed records."""
        rows = []
        for data in self._setting_data(**filters):
            f = data["fields"]
            rng = f.get("range") or {}
            rows.append(_setting_row(f.get("value"), tuple(f.get("values", ())), f.get("direction"), rng.get("min"),
                                     rng.get("max"), node=data["node_name"] or data["node"],
                                     parameter=data["parameter_name"], advice=f.get("advice"),
                                     condition=f.get("condition"), model=f.get("model"), hardware=f.get("hardware"),
                                     tip=data["tip"]))
        return rows

    def _setting_data(
        self,
        *,
        node: str | None = None,
        parameter: str | None = None,
        model: str | None = None,
        hardware: str | None = None,
        advice: str | None = None,
    ) -> list[dict[str, Any]]:
        where = ["?setting a hkv:Setting ."]
        node_ids = self.resolve("node", node) if node else None
        if node_ids:
            iris = " ".join(f"<{iri_of('node', i)}>" for i in node_ids)
            where.append(f"VALUES ?node {{ {iris} }} ?setting hkv:appliesToNode|(hkv:parameter/hkv:ofNode) ?node .")
        if parameter:
            ids = self.resolve("parameter", parameter)
            if node_ids:
                self._load_labels()  # (with the nodes of the parameters)
                ids = [p for p in ids if self._parameter_nodes.get(p) in node_ids] or ids
            iris = " ".join(f"<{iri_of('parameter', i)}>" for i in ids)
            where.append(f"VALUES ?parameter {{ {iris} }} ?setting hkv:parameter ?parameter .")
        for field, given, predicate in (("model", model, "hkv:appliesToModel"), ("hardware", hardware, "hkv:appliesToHardware")):
            if given:
                iris = " ".join(f"<{iri_of(field, i)}>" for i in self.resolve(field, given))
                where.append(f"VALUES ?{field} {{ {iris} }} ?setting {predicate} ?{field} .")
        if advice:
            choices = fieldmap.vocabulary("advice")
            where.append(f"?setting hkv:advice {_lit(_closed(advice, choices, 'advice'))} .")
        rows = self._select(
            f"SELECT ?setting ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?setting WHERE {{ {' '.join(where)} }} }} "
            "{ ?setting hkv:scheduleEntry? ?s . ?s ?p ?o } "
            "UNION { ?setting hkv:inTip/dcterms:title ?o . BIND(dcterms:title AS ?p) BIND(?setting AS ?s) } }"
        )
        self._load_labels()
        return _settings_from_rows(rows, self._names, self._parameter_nodes)


# ----------------------------------------------------------------------------- flat rows for output


def _joined(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def tip_row(tip: m.Tip) -> dict[str, Any]:
    """A tip as one flat row (lists joined with ", ") for tables and CSV."""
    return _tip_row_of(tip.model_dump(mode="json"))


def _tip_row_of(tip: dict[str, Any]) -> dict[str, Any]:
    """:func:`tip_row` of a tip given as data (a record's JSON form, or what the graph holds of it)."""
    defaults = {f.name: f.default for f in fieldmap.fields("tip")}
    tip = {**defaults, **tip}
    source = {**{f.name: f.default for f in fieldmap.fields("source")}, **tip["source"]}
    return {
        "id": tip["id"], "kind": tip["kind"], "title": tip["title"], "goals": _joined(tip["goals"]),
        "tags": _joined(tip["tags"]), "nodes": _joined(tip["nodes"]), "parameters": _joined(tip["parameters"]),
        "values": _joined(tip["values"]), "models": _joined(tip["models"]), "hardware": _joined(tip["hardware"]),
        "certainty": tip["certainty"], "page": source["page"], "section": source["section"],
        "date": source["date"] or None, "summary": tip["summary"],
    }


def entity_rows(entity: m.Entity) -> list[dict[str, Any]]:
    """An entity as field/value rows, for a table."""
    rows = [{"field": "kind", "value": entity.kind_name}]
    for name, value in entity.model_dump(mode="json", exclude_defaults=True).items():
        if isinstance(value, list):
            value = "; ".join(json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v) for v in value)
        rows.append({"field": name, "value": value})
    return rows


def setting_row(advice: SettingAdvice) -> dict[str, Any]:
    """A setting as one flat row, for tables and CSV."""
    return _setting_row(advice.value, advice.values, advice.direction, advice.min, advice.max,
                        node=advice.node_name or advice.node, parameter=advice.parameter_name, advice=advice.advice,
                        condition=advice.condition, model=advice.model, hardware=advice.hardware, tip=advice.tip)


def _setting_row(value: str | None, values: tuple[str, ...], direction: str | None, low: float | None,
                 high: float | None, **fields: Any) -> dict[str, Any]:
    if value is not None:
        shown = value
    elif values:
        shown = _joined(values)
    elif direction and low is None and high is None:
        shown = direction
    else:
        shown = f"{'' if low is None else f'{low:g}'}..{'' if high is None else f'{high:g}'}"
    return {"node": fields["node"], "parameter": fields["parameter"], "advice": fields["advice"], "value": shown,
            "condition": fields["condition"], "model": fields["model"], "hardware": fields["hardware"],
            "tip": fields["tip"]}


def _closed(given: str, choices: tuple[str, ...], what: str) -> str:
    key = given.strip().lower()
    if key in choices:
        return key
    raise UnknownNameError(
        f"unknown {what} '{given}'; {what}s are: {', '.join(choices)}{_hint(_closest(given, choices))}",
        _closest(given, choices),
    )


# ------------------------------------------------------------------------------ rows → records

def _value_of(obj: Any, ref: str | None) -> Any:
    if ref == "value":
        _kind, rest = split_iri(str(obj))
        parameter, _, raw = rest.partition("/")
        return f"{parameter}={unquote(raw)}"
    if ref:
        return split_iri(str(obj))[1]
    return obj


def _fill(model: str, props: dict[str, list[Any]], out: dict[str, Any]) -> dict[str, Any]:
    """Set the directly mapped fields of ``model`` (a :mod:`.fieldmap` name) in ``out`` from predicate → values."""
    for predicate, f in fieldmap.by_predicate(model).items():
        values = props.get(predicate)
        if not values:
            continue
        converted = sorted({_value_of(v, f.ref) for v in values}, key=str)
        out[f.name] = converted if f.is_list else converted[0]
    return out


def _props(rows: list[dict[str, Any]], subject_key: str = "s") -> dict[str, dict[str, list[Any]]]:
    by_subject: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_subject[row[subject_key]][row["p"]].append(row["o"])
    return by_subject


def _position(iri: str) -> int:
    tail = iri.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _bounds(props: dict[str, list[Any]], low: str, high: str) -> dict[str, float] | None:
    found = {k: float(props[expand(p)][0]) for k, p in (("min", low), ("max", high)) if props.get(expand(p))}
    return found or None


def _setting_fields(props: dict[str, list[Any]], subjects: dict[str, dict[str, list[Any]]] | None = None) -> dict[str, Any]:
    data = _fill("setting", props, {})
    values = sorted(str(v) for v in props.get(expand("hkv:value"), []))
    data.pop("value", None)
    data.pop("values", None)
    if len(values) == 1:
        data["value"] = values[0]
    elif values:
        data["values"] = values
    if bounds := _bounds(props, "hkv:minValue", "hkv:maxValue"):
        data["range"] = bounds
    if props.get(expand("hkv:schedulePer")) and subjects is not None:
        entries = []
        for entry in sorted((str(e) for e in props.get(expand("hkv:scheduleEntry"), [])), key=_position):
            ep = subjects.get(entry, {})
            fields = _fill("schedule_entry", ep, {})
            if rng := _bounds(ep, "hkv:minValue", "hkv:maxValue"):
                fields["range"] = rng
            entries.append(fields)
        data["schedule"] = {"per": str(props[expand("hkv:schedulePer")][0]), "entries": entries}
    if props.get(expand("hkv:whichSteps")):
        steps: dict[str, Any] = {"which": str(props[expand("hkv:whichSteps")][0])}
        if fraction := _bounds(props, "hkv:minStepFraction", "hkv:maxStepFraction"):
            steps["fraction"] = fraction
        if count := _bounds(props, "hkv:minStepCount", "hkv:maxStepCount"):
            steps["count"] = count
        data["steps"] = steps
    return data


def _validated(model_cls: type[BaseModel], data: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        raise QueryError(f"the graph holds a {model_cls.__name__} that is not a valid record: {exc}") from exc


def _tips_from_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    subjects = _props(rows)
    out = []
    for tip in sorted({row["tip"] for row in rows}):
        props = subjects[tip]
        data = _fill("tip", props, {"id": split_iri(tip)[1]})
        data["source"] = _fill("source", props, {})
        quotes = sorted({str(q) for q in props.get(_HAS_QUOTE, [])}, key=_position)
        if quotes:
            data["quotes"] = [_fill("quote", subjects[q], {}) for q in quotes]
        settings = sorted({str(s) for s in props.get(_HAS_SETTING, [])}, key=_position)
        if settings:
            data["settings"] = [_setting_fields(subjects[s], subjects) for s in settings]
        relations = [
            {"type": name, "tip": split_iri(str(other))[1]}
            for predicate, name in _RELATIONS.items() for other in props.get(predicate, [])
        ]
        if relations:
            data["relations"] = sorted(relations, key=lambda r: (r["type"], r["tip"]))
        out.append(data)
    return out


def _entity_from_rows(kind: str, ident: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    subjects = _props(rows)
    props = subjects.get(iri_of(kind, ident), {})
    data = _fill(kind, props, {"id": ident})
    if kind == "parameter":
        for name, predicate in (("min", _MIN), ("max", _MAX)):
            if props.get(predicate):
                data[name] = float(props[predicate][0])
    return data


def _settings_from_rows(
    rows: list[dict[str, Any]], names: dict[tuple[str, str], str], parameter_nodes: dict[str, str]
) -> list[dict[str, Any]]:
    """Each setting as ``{"id", "tip", "tip_title", "node", "node_name", "parameter_name", "fields"}``, with
    ``fields`` the setting record's data; sorted by parameter, tip and position."""
    subjects = _props(rows, "s")
    settings = {row["setting"] for row in rows}
    titles = {iri: str(subjects[iri].pop(_TITLE)[0]) for iri in settings}
    out = []
    for setting_iri in settings:
        props = subjects[setting_iri]
        fields = _setting_fields(props, subjects)
        tip = split_iri(str(props[_IN_TIP][0]))[1]
        parameter = fields.get("parameter", "")
        node = fields.get("node") or parameter_nodes.get(parameter)
        out.append({
            "id": split_iri(setting_iri)[1], "tip": tip, "tip_title": titles[setting_iri], "node": node,
            "node_name": names.get(("node", node)) if node else None,
            "parameter_name": names.get(("parameter", parameter), parameter), "fields": fields,
        })
    return sorted(out, key=lambda s: (s["fields"].get("parameter", ""), s["tip"], _position(s["id"])))


__all__ = ["AmbiguousNameError", "KnowledgeGraph", "QueryError", "SettingAdvice", "UnknownNameError"]
