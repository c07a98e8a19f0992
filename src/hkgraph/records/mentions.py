"""Does a tip's excerpt name an entity? The rule behind "a record lists what its excerpt names".

An entity is named when one of its labels stands in the source text (the section heading and the
excerpt) as a whole word or phrase, compared without regard to case, with punctuation other than
`. / + & #` taken as a separator (so `fp8_e5m2`, `fp8-e5m2` and `"fp8" e5m2` agree), and digits allowed
right before a word (`24fps`). The labels are the display name, the aliases, and for nodes the class
name, for repos `owner/name` and the name part, for pages and workflows their path, for values the value
itself (a boolean also as enabled/disabled, on/off). A curator links a thing the excerpt refers to
unambiguously in other words too; the check that uses this (:func:`hkgraph.records.checks.check_named_links`)
therefore only warns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from . import model as m
from .spelling import normalise

BOOLEAN_LABELS = {
    "true": ("true", "enabled", "enable", "on"),
    "false": ("false", "disabled", "disable", "off"),
}


def value_labels(value: str) -> list[str]:
    """The ways a text may name a parameter value."""
    return [value, *BOOLEAN_LABELS.get(value.casefold(), ())]


def labels(entity: m.Entity) -> list[str]:
    """Every label under which a text may name ``entity``."""
    found = [entity.name, *entity.aliases]
    if isinstance(entity, m.Node) and entity.class_name:
        found.append(entity.class_name)
    elif isinstance(entity, m.Repo):
        found += [entity.path, entity.path.rsplit("/", 1)[-1]]
    elif isinstance(entity, m.Page):
        found.append(entity.path)
    elif isinstance(entity, m.Workflow):
        found += [entity.path, entity.path.rsplit("/", 1)[-1]]
    return [label for label in found if label]


@lru_cache(maxsize=65536)
def _pattern(label: str) -> re.Pattern[str] | None:
    """The pattern that finds ``label`` in a normalised text; None for a label that is only punctuation."""
    norm = normalise(label)
    if not norm:
        return None
    text = re.escape(norm).replace(r"\ ", " ")
    before = "(?<![a-z])" if norm[:1].isalpha() else "(?<![0-9a-z])"  # 24fps names fps
    return re.compile(rf"{before}{text}(?![0-9a-z])")


def names_any(text: str, candidates: Iterable[str], *, normalised: bool = False) -> bool:
    """True when ``text`` names one of ``candidates`` (see the module docstring).

    :param normalised: ``text`` is already :func:`normalise` d (a caller testing many candidates against
        one text normalises it once).
    """
    haystack = text if normalised else normalise(text)
    for label in candidates:
        pattern = _pattern(label)
        if pattern is not None and pattern.search(haystack):
            return True
    return False


def resolver_labels(entity: m.Entity) -> list[tuple[str, str]]:
    """(label, source) for every name a user may type for ``entity``: its id, display name, aliases, a
    node's class name, a repo's `owner/name` and name, a page's or workflow's path, a file's name."""
    out = [(entity.id, "id"), (entity.name, "name"), *((a, "alias") for a in entity.aliases)]
    if isinstance(entity, m.Node) and entity.class_name:
        out.append((entity.class_name, "class_name"))
    elif isinstance(entity, m.Repo):
        out += [(entity.path, "path"), (entity.path.rsplit("/", 1)[-1], "path")]
    elif isinstance(entity, m.Page | m.Workflow):
        out.append((entity.path, "path"))
    return out
