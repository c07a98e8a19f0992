"""Links a tip does not name but is about all the same, derived along the vocabulary.

A record lists what its excerpt names. The compiler adds what follows from the vocabulary: a value's
parameter, a parameter's node, a node's pack (value → parameter → node → repo); a model file's model
and that model's parents up to its family; a LoRA's base models (and their parents). Each derived link
remembers the named entity it was reached from (``via``, as ``kind:id``), so "tips that name X" and "tips
about X or any part of X" are both one question. Links that depend on other records in the same way —
which tips another tip supersedes — are here too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import model as m
from .load import Dataset

# Tip link field → entity kind of its targets.
FIELD_KINDS: dict[str, str] = {
    "nodes": "node", "parameters": "parameter", "values": "value", "repos": "repo", "models": "model",
    "files": "file", "hardware": "hardware", "people": "person", "concepts": "concept", "workflows": "workflow",
}
KIND_FIELDS = {kind: name for name, kind in FIELD_KINDS.items()}


@dataclass
class Vocabulary:
    """The edges derivation follows, and the page of every source path; built once per build."""

    up: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # source path → page id

    @classmethod
    def of(cls, dataset: Dataset) -> Vocabulary:
        vocab = cls()
        ents = dataset.entities
        for pid, p in ents["parameter"].items():
            if p.node:  # type: ignore[attr-defined]
                vocab.up[("parameter", pid)] = [("node", p.node)]  # type: ignore[attr-defined]
        for nid, n in ents["node"].items():
            vocab.up[("node", nid)] = [("repo", n.repo)]  # type: ignore[attr-defined]
        for fid, f in ents["file"].items():
            if f.model:  # type: ignore[attr-defined]
                vocab.up[("file", fid)] = [("model", f.model)]  # type: ignore[attr-defined]
        for mid, mod in ents["model"].items():
            targets = [("model", mod.parent)] if mod.parent else []  # type: ignore[attr-defined]
            targets += [("model", b) for b in mod.base_models]  # type: ignore[attr-defined]
            if targets:
                vocab.up[("model", mid)] = targets
        vocab.pages = {p.path: pid for pid, p in ents["page"].items()}  # type: ignore[attr-defined]
        return vocab

    def fingerprint(self) -> str:
        """Changes when any edge changes: a rebuild then recompiles every tip."""
        h = hashlib.sha256()
        for key in sorted(self.up):
            h.update(repr((key, self.up[key])).encode())
        for path in sorted(self.pages):
            h.update(f"{path}\0{self.pages[path]}\n".encode())
        return h.hexdigest()

    def _parents(self, kind: str, ident: str) -> list[tuple[str, str]]:
        if kind == "value":
            parameter, _, _value = ident.partition("=")
            return [("parameter", parameter)]
        return self.up.get((kind, ident), [])

    def derived(self, tip: m.Tip) -> list[tuple[str, str, str]]:
        """(kind, id, via) for every entity ``tip`` is about without naming it, in a stable order.

        ``via`` is ``kind:id`` of the named entity the link was first reached from (fields in contract
        order, then list order; breadth first), or ``setting:<setting id>`` for what a setting is about.
        """
        named = {(kind, ident) for name, kind in FIELD_KINDS.items() for ident in getattr(tip, name)}
        seen = set(named)
        out: list[tuple[str, str, str]] = []
        starts = [(kind, ident, f"{kind}:{ident}") for name, kind in FIELD_KINDS.items()
                  for ident in getattr(tip, name)]
        for n, setting in enumerate(tip.settings, 1):
            # advice is about its parameter (and the node, model or hardware it applies to) named or not
            targets = [("parameter", setting.parameter)]
            targets += [(k, i) for k, i in (("node", setting.node), ("model", setting.model),
                                            ("hardware", setting.hardware)) if i]
            for k, i in targets:
                if (k, i) not in seen:
                    seen.add((k, i))
                    out.append((k, i, f"setting:{tip.id}-{n}"))
                starts.append((k, i, f"setting:{tip.id}-{n}"))
        for kind, ident, origin in starts:
            frontier = [(kind, ident)]
            while frontier:
                nxt: list[tuple[str, str]] = []
                for k, i in frontier:
                    for parent in self._parents(k, i):
                        if parent not in seen:
                            seen.add(parent)
                            out.append((*parent, origin))
                            nxt.append(parent)
                frontier = nxt
        return out


def superseded(dataset: Dataset) -> dict[str, str]:
    """tip id → the id of a tip that supersedes it (the first in id order)."""
    out: dict[str, str] = {}
    for ident in sorted(dataset.tips):
        for rel in dataset.tips[ident].relations:
            if rel.type == "supersedes":
                out.setdefault(rel.tip, ident)
    return out


def iter_links(tip: m.Tip, vocab: Vocabulary) -> Iterator[tuple[str, str, str | None]]:
    """Every link of a tip as (field, target id, via): the named ones (via None), then the derived ones."""
    for name in FIELD_KINDS:
        for ident in getattr(tip, name):
            yield name, ident, None
    for kind, ident, via in vocab.derived(tip):
        yield KIND_FIELDS[kind], ident, via
