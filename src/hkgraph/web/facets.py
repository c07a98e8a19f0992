"""A facet of the tips table over its link tables: by node pack (``pack``).

Datasette facets count the values of a column of the table; a tip's node pack (the repo of a node it is
about) lives in other tables. This facet class counts through ``tip_nodes`` and ``nodes``, and the plugin's
``filters_from_request`` hook applies the ``?_pack=`` selection it links to. Declared in metadata.yml as
``{pack: nodes}``.
"""

from __future__ import annotations

from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import path_with_added_args, path_with_removed_args


class _LinkFacet(Facet):  # type: ignore[misc]
    type = ""
    param = ""
    title = ""
    needs: tuple[str, ...] = ()

    def count_sql(self) -> str:
        raise NotImplementedError

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        if not self.get_configs():
            return [], []
        tables = set(await self.ds.get_database(self.database).table_names())
        if not set(self.needs) <= tables:
            return [], []
        size = self.get_facet_size()
        sql = self.count_sql().format(sql=self.sql, limit=size + 1)
        try:
            rows = (await self.ds.execute(self.database, sql, self.params, truncate=False,
                                          custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows
        except QueryInterrupted:
            return [], [self.title]
        chosen = self.request.args.getlist(self.param)
        values = []
        for row in rows[:size]:
            value = str(row["value"])
            selected = value in chosen
            path = (path_with_removed_args(self.request, {self.param: value}) if selected
                    else path_with_added_args(self.request, {self.param: value}))
            values.append({"value": value, "label": row["label"] or value, "count": row["count"],
                           "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                           "selected": selected})
        result = {
            "name": self.title, "type": self.type, "hideable": False,
            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {f"_facet_{self.type}": self.title})),
            "results": values, "truncated": len(rows) > size,
        }
        return [result], []


class PackFacet(_LinkFacet):
    """Tips by the node pack (repo) of the nodes they are about."""

    type = "pack"
    param = "_pack"
    title = "node pack"
    needs = ("tip_nodes", "nodes", "repos")

    def count_sql(self) -> str:
        return (
            "SELECT nodes.repo AS value, repos.name AS label, count(DISTINCT t.id) AS count "
            "FROM ({sql}) AS t JOIN tip_nodes ON tip_nodes.tip_id = t.id JOIN nodes ON nodes.id = tip_nodes.node_id "
            "JOIN repos ON repos.id = nodes.repo GROUP BY nodes.repo ORDER BY count DESC, label LIMIT {limit}"
        )
