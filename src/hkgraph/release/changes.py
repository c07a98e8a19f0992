"""What changed in the data between two releases, and the version bump that data SemVer requires.

Records are compared by kind and id, as parsed from their YAML sources (so reformatting a file is no
change). Tables and columns are compared through the Table Schemas of the two data packages.

Data SemVer: anything removed or renamed (a record, a table, a column) needs a major bump; anything
added needs a minor bump; corrections to existing records need a patch bump.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..records import model as m
from ..records.load import ENTITIES_DIR, ENTRIES_DIR
from ..records.yamlio import read_yaml

BUMPS = ("none", "patch", "minor", "major")
_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")

Version = tuple[int, int, int]
RecordKey = tuple[str, str]  # (kind, id)


class VersionError(ValueError):
    """A version string is not X.Y.Z, or is lower than the changes require."""


def parse_version(text: str) -> Version:
    match = _VERSION.match(text.strip())
    if not match:
        raise VersionError(f"'{text}' is not a version of the form MAJOR.MINOR.PATCH (e.g. 1.2.0)")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def format_version(version: Version) -> str:
    return ".".join(str(n) for n in version)


def bump(version: Version, level: str) -> Version:
    """The lowest version that ``level`` of change allows after ``version``."""
    major, minor, patch = version
    if level == "major":
        return major + 1, 0, 0
    if level == "minor":
        return major, minor + 1, 0
    return major, minor, patch + 1  # a patch, or a re-release without data changes


@dataclass
class Changes:
    """The differences between the previous release and the new one."""

    added: list[RecordKey] = field(default_factory=list)
    removed: list[RecordKey] = field(default_factory=list)
    changed: dict[RecordKey, list[str]] = field(default_factory=dict)  # key → changed top-level fields
    renamed: list[tuple[RecordKey, RecordKey]] = field(default_factory=list)  # (old, new)
    titles: dict[RecordKey, str] = field(default_factory=dict)
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)  # "table.column"
    columns_removed: list[str] = field(default_factory=list)
    columns_retyped: list[str] = field(default_factory=list)  # "table.column: old → new"

    @property
    def level(self) -> str:
        """The bump the changes require: major, minor, patch or none."""
        if self.removed or self.renamed or self.tables_removed or self.columns_removed or self.columns_retyped:
            return "major"
        if self.added or self.tables_added or self.columns_added:
            return "minor"
        if self.changed:
            return "patch"
        return "none"

    @property
    def reasons(self) -> list[str]:
        """Why the bump is what it is, in words."""
        out = []
        for items, words in (
            (self.removed, "record(s) removed"), (self.renamed, "record(s) renamed"),
            (self.tables_removed, "table(s) removed"), (self.columns_removed, "column(s) removed"),
            (self.columns_retyped, "column(s) changed type"), (self.added, "record(s) added"),
            (self.tables_added, "table(s) added"), (self.columns_added, "column(s) added"),
            (self.changed, "record(s) changed"),
        ):
            if items:
                out.append(f"{len(items)} {words}")
        return out


def record_kind(rel: Path) -> str | None:
    """The kind of the record at ``rel`` (relative to the project root), or None for other files."""
    parts = rel.parts
    if rel.suffix != ".yaml":
        return None
    if parts[:2] == ENTRIES_DIR.parts and len(parts) == 3:
        return "tip"
    if parts[:2] == ENTITIES_DIR.parts and len(parts) == 4:
        model_cls = m.FOLDER_KINDS.get(parts[2])
        return model_cls.kind_name if model_cls else parts[2]
    return None


def source_files(root: Path) -> list[Path]:
    """Every YAML record file under ``root``/data, relative to ``root``, sorted."""
    found = []
    for folder in (root / ENTRIES_DIR, root / ENTITIES_DIR):
        if folder.is_dir():
            found += [p.relative_to(root) for p in folder.rglob("*.yaml") if p.is_file()]
    return sorted(p for p in found if record_kind(p) is not None)


def read_records(root: Path) -> dict[RecordKey, Any]:
    """(kind, id) → the record's parsed YAML, for every record file under ``root``/data.

    The id is the file name (the loader refuses records whose id differs from it).
    """
    records: dict[RecordKey, Any] = {}
    for rel in source_files(root):
        kind = record_kind(rel)
        assert kind is not None
        records[(kind, rel.stem)] = read_yaml(root / rel).data
    return records


def _title(data: Any) -> str:
    if isinstance(data, dict):
        return str(data.get("title") or data.get("name") or "")
    return ""


def _without_id(data: Any) -> Any:
    return {k: v for k, v in data.items() if k != "id"} if isinstance(data, dict) else data


def diff_records(old: dict[RecordKey, Any], new: dict[RecordKey, Any]) -> Changes:
    """Records added, removed, renamed (same content under a new id) and changed."""
    changes = Changes()
    removed = sorted(old.keys() - new.keys())
    added = sorted(new.keys() - old.keys())
    for key in removed:
        changes.titles[key] = _title(old[key])
    for key in added:
        changes.titles[key] = _title(new[key])
    # A removed record whose whole content reappears under another id of the same kind was renamed.
    unmatched = list(added)
    for old_key in removed:
        twin = next(
            (k for k in unmatched if k[0] == old_key[0] and _without_id(new[k]) == _without_id(old[old_key])), None
        )
        if twin is None:
            changes.removed.append(old_key)
        else:
            unmatched.remove(twin)
            changes.renamed.append((old_key, twin))
    changes.added = unmatched
    for key in sorted(old.keys() & new.keys()):
        before, after = old[key], new[key]
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            fields = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        else:
            fields = []
        changes.changed[key] = fields
        changes.titles[key] = _title(after)
    return changes


def _table_fields(package: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """table → column → Table Schema type, from a data package's tabular resources."""
    out: dict[str, dict[str, str]] = {}
    for resource in (package or {}).get("resources", []):
        schema = resource.get("schema")
        if isinstance(schema, dict):
            out[resource["name"]] = {f["name"]: f.get("type", "any") for f in schema.get("fields", [])}
    return out


def diff_tables(changes: Changes, old_package: dict[str, Any] | None, new_package: dict[str, Any]) -> None:
    """Record tables and columns added, removed or retyped between two data packages."""
    if old_package is None:
        return
    old, new = _table_fields(old_package), _table_fields(new_package)
    changes.tables_removed = sorted(old.keys() - new.keys())
    changes.tables_added = sorted(new.keys() - old.keys())
    for table in sorted(old.keys() & new.keys()):
        before, after = old[table], new[table]
        changes.columns_removed += [f"{table}.{c}" for c in sorted(before.keys() - after.keys())]
        changes.columns_added += [f"{table}.{c}" for c in sorted(after.keys() - before.keys())]
        changes.columns_retyped += [
            f"{table}.{c}: {before[c]} → {after[c]}" for c in sorted(before.keys() & after.keys())
            if before[c] != after[c]
        ]


def required_version(previous: str | None, changes: Changes) -> str:
    """The lowest version the changes allow (1.0.0 for a first release)."""
    if previous is None:
        return "1.0.0"
    level = changes.level if changes.level != "none" else "patch"
    return format_version(bump(parse_version(previous), level))


def check_version(version: str, previous: str | None, changes: Changes) -> None:
    """Refuse a version lower than data SemVer requires for ``changes``.

    :raises VersionError: with the reason and the lowest acceptable version.
    """
    wanted = parse_version(version)
    if previous is None:
        return
    needed = parse_version(required_version(previous, changes))
    if wanted < needed:
        why = ", ".join(changes.reasons) or "no data changes"
        raise VersionError(
            f"version {version} is too low: since {previous} ({why}) data SemVer requires a "
            f"{changes.level if changes.level != 'none' else 'patch'} bump, at least {format_version(needed)}"
        )


# ------------------------------------------------------------------------------------------- changelog

CHANGELOG_TITLE = "# Changelog of the hkgraph data"
CHANGELOG_INTRO = (
    "Versions follow data SemVer: a major version removes or renames records, tables or columns; a minor\n"
    "version only adds; a patch version corrects existing records. Records are named `kind id`.\n"
)


def _item(key: RecordKey, title: str) -> str:
    kind, ident = key
    return f"- {kind} `{ident}`" + (f": {title}" if title else "")


def changelog_section(
    version: str, date: str, previous: str | None, changes: Changes, counts: dict[str, int]
) -> str:
    """The Markdown section of one release."""
    lines = [f"## {version} ({date})", ""]
    if previous is None:
        total = ", ".join(f"{kind} {n}" for kind, n in counts.items() if n)
        lines += [f"First release: {total or 'no records'}.", ""]
        return "\n".join(lines)
    level = changes.level
    why = "; ".join(changes.reasons) or "no data changes"
    bump_text = f"a {level} change" if level != "none" else "a re-release"
    lines += [f"Since {previous}: {why} ({bump_text}).", ""]
    if changes.removed:
        lines += ["### Removed", ""] + [_item(k, changes.titles.get(k, "")) for k in changes.removed] + [""]
    if changes.renamed:
        lines += ["### Renamed", ""]
        lines += [f"- {old[0]} `{old[1]}` → `{new[1]}`" for old, new in changes.renamed] + [""]
    if changes.added:
        lines += ["### Added", ""] + [_item(k, changes.titles.get(k, "")) for k in changes.added] + [""]
    if changes.changed:
        lines += ["### Changed", ""]
        for key, fields in changes.changed.items():
            what = f" ({', '.join(fields)})" if fields else ""
            lines.append(_item(key, changes.titles.get(key, "")) + what)
        lines.append("")
    table_lines = (
        [f"- removed table `{t}`" for t in changes.tables_removed]
        + [f"- removed column `{c}`" for c in changes.columns_removed]
        + [f"- changed column type `{c}`" for c in changes.columns_retyped]
        + [f"- added table `{t}`" for t in changes.tables_added]
        + [f"- added column `{c}`" for c in changes.columns_added]
    )
    if table_lines:
        lines += ["### Tables and columns", "", *table_lines, ""]
    return "\n".join(lines)


def changelog(section: str, previous_changelog: str | None) -> str:
    """The whole CHANGELOG.md: the title, the new section, then the previous release's sections."""
    older = ""
    if previous_changelog:
        start = previous_changelog.find("\n## ")
        older = previous_changelog[start + 1:] if start >= 0 else ""
    text = f"{CHANGELOG_TITLE}\n\n{CHANGELOG_INTRO}\n{section.rstrip()}\n"
    if older.strip():
        text += "\n" + older.rstrip() + "\n"
    return text
