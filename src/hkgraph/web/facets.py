"""Facets of the tips table over its link tables: by node pack (``pack``) and by goal or topic (``links``).

Datasette facets count the values of a column of the table; a tip's node pack (the repo of a node it is
about) lives in other tables. :class:`PackFacet` counts through ``tip_nodes`` and ``nodes``, and the
plugin's ``filters_from_request`` hook applies the ``?_pack=`` selection it links to (``{pack: nodes}`` in
metadata.yml).

:class:`ListFacet` (``{links: tags}``) counts a JSON list column (``goals``, ``tags``) through its indexed
link table (``tip_goals``, ``tip_tags``) instead of Datasette's array facet, which unpacks the JSON of
every row (100 ms per facet at 100,000 tips); its links select with ``?_tag=`` and ``?_goal=``, which the
plugin's ``filters_from_request`` applies through the same link tables. On the whole tips table (no
filter) it counts the link table alone, through its index.

The database is immutable while it is served: the counts of these facets are remembered per database file
and query (the last 256).
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

# Query-string arguments that change how the rows are shown, not which rows are counted.
_DISPLAY_ARGS = {"_sort", "_sort_desc", "_size", "_next", "_facet", "_facet_size", "_hk_all", "_nocount", "_nofacet",
                 "_nosuggest", "_trace", "_col", "_nocol", "_labels", "_nolabels", "_shape", "_json"}
_REMEMBERED: dict[tuple[Any, ...], list[dict[str, Any]]] = {}


class _LinkFacet(Facet):  # type: ignore[misc]
    type = ""
    title = ""
    needs: tuple[str, ...] = ()

    def param(self, config: dict[str, Any]) -> str:
        raise NotImplementedError

    def label(self, config: dict[str, Any]) -> str:
        return self.title

    def count_sql(self, config: dict[str, Any], whole: bool) -> str:
        raise NotImplementedError

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    def whole_table(self) -> bool:
        """True when the request counts every row of the tips table (no filter, no search)."""
        if self.table != "tips" or self.params:
            return False
        return all(key in _DISPLAY_ARGS or key.startswith("_facet") for key in self.request.args)

    async def _rows(self, sql: str, whole: bool) -> list[dict[str, Any]]:
        db = self.ds.get_database(self.database)
        key = None
        if db.path and db.is_mutable is False:
            try:
                st = os.stat(db.path)
                key = (db.path, st.st_ino, st.st_mtime_ns, st.st_size, sql, repr(self.params))
            except OSError:
                key = None
        if key is not None and key in _REMEMBERED:
            return _REMEMBERED[key]
        limit = self.ds.setting("facet_time_limit_ms")
        if key is not None and whole:
            limit *= 10  # counted once for the whole table of this database file, then remembered
        rows = (await self.ds.execute(self.database, sql, self.params, truncate=False,
                                      custom_time_limit=limit)).rows
        found = [dict(row) for row in rows]
        if key is not None:
            if len(_REMEMBERED) > 256:
                _REMEMBERED.clear()
            _REMEMBERED[key] = found
        return found

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        configs = [c["config"] for c in self.get_configs()]
        if not configs:
            return [], []
        tables = set(await self.ds.get_database(self.database).table_names())
        if not set(self.needs) <= tables:
            return [], []
        size = self.get_facet_size()
        whole = self.whole_table()
        results, timed_out = [], []
        for config in configs:
            title = self.label(config)
            sql = self.count_sql(config, whole).format(sql=self.sql, limit=size + 1)
            try:
                rows = await self._rows(sql, whole)
            except QueryInterrupted:
                timed_out.append(title)
                continue
            param = self.param(config)
            chosen = self.request.args.getlist(param)
            values = []
            for row in rows[:size]:
                value = str(row["value"])
                selected = value in chosen
                path = (path_with_removed_args(self.request, {param: value}) if selected
                        else path_with_added_args(self.request, {param: value}))
                values.append({"value": value, "label": row["label"] or value, "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                               "selected": selected})
            results.append({
                "name": title, "type": self.type, "hideable": False,
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {f"_facet_{self.type}": title})),
                "results": values, "truncated": len(rows) > size,
            })
        return results, timed_out


class ListFacet(_LinkFacet):
    """Tips by the values of a JSON list column (goals, tags), counted through its link table."""

    type = "links"
    needs = ("tip_goals", "tip_tags")
    LINKS: ClassVar[dict[str, tuple[str, str]]] = {"goals": ("tip_goals", "goal"), "tags": ("tip_tags", "tag")}

    def column(self, config: dict[str, Any]) -> str:
        column = config.get("simple") or config.get("column")
        if column not in self.LINKS:
            raise ValueError(f"links facet: no link table for {column!r} (one of {', '.join(self.LINKS)})")
        return str(column)

    def label(self, config: dict[str, Any]) -> str:
        return self.column(config)

    def param(self, config: dict[str, Any]) -> str:
        return {"goals": "_goal", "tags": "_tag"}[self.column(config)]  # see the plugin's filters_from_request

    def count_sql(self, config: dict[str, Any], whole: bool) -> str:
        table, value = self.LINKS[self.column(config)]
        if whole:
            return (f"SELECT {value} AS value, NULL AS label, count(*) AS count FROM {table} GROUP BY {value} "
                    "ORDER BY count DESC, value LIMIT {limit}")
        return (f"SELECT l.{value} AS value, NULL AS label, count(*) AS count FROM ({{sql}}) AS t "
                f"JOIN {table} AS l ON l.tip_id = t.id GROUP BY l.{value} ORDER BY count DESC, value LIMIT {{limit}}")


class CountFacet(_LinkFacet):
    """Datasette's column facet (the rows by the value of one column), its counts remembered as the other
    facets' are: ``{counts: kind}``. Its links select with ``?kind=setting``, as the column facet's do."""

    type = "counts"
    needs = ()

    def column(self, config: dict[str, Any]) -> str:
        return str(config.get("simple") or config.get("column"))

    def label(self, config: dict[str, Any]) -> str:
        return self.column(config)

    def param(self, config: dict[str, Any]) -> str:
        return self.column(config)

    def count_sql(self, config: dict[str, Any], whole: bool) -> str:
        column = escape_sqlite(self.column(config))
        return (f"SELECT {column} AS value, NULL AS label, count(*) AS count FROM ({{sql}}) WHERE {column} IS NOT NULL "
                f"GROUP BY {column} ORDER BY count DESC, value LIMIT {{limit}}")


class PackFacet(_LinkFacet):
    """Tips by the node pack (repo) of the nodes they are about."""

    type = "pack"
    title = "node pack"
    needs = ("tip_nodes", "nodes", "repos")

    def param(self, config: dict[str, Any]) -> str:
        return "_pack"

    def count_sql(self, config: dict[str, Any], whole: bool) -> str:
        return (
            "SELECT nodes.repo AS value, repos.name AS label, count(DISTINCT t.id) AS count "
            "FROM ({sql}) AS t JOIN tip_nodes ON tip_nodes.tip_id = t.id JOIN nodes ON nodes.id = tip_nodes.node_id "
            "JOIN repos ON repos.id = nodes.repo GROUP BY nodes.repo ORDER BY count DESC, label LIMIT {limit}"
        )
