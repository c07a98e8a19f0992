"""The ``hkgraph`` command line. It only wires the library's functions together."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from . import __version__
from .query.output import FORMATS, render

# The entity kinds (kept here so that --help does not import the models).
ENTITY_KIND_NAMES = ("node", "parameter", "repo", "model", "file", "hardware", "person", "concept", "page", "workflow")
CONTEXT = {"help_option_names": ["-h", "--help"]}


def _root_option(fn):  # type: ignore[no-untyped-def]
    return click.option(
        "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
        help="The project folder holding data/ and schema/.",
    )(fn)


def _format_option(fn):  # type: ignore[no-untyped-def]
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="Output format (json is a list of row objects).")(fn)


def _endpoint_option(fn):  # type: ignore[no-untyped-def]
    return click.option("--endpoint", metavar="URL",
                        help="Ask this SPARQL 1.1 endpoint instead of the files built from --root.")(fn)


@contextlib.contextmanager
def _knowledge_graph(root: Path, endpoint: str | None):  # type: ignore[no-untyped-def]
    """A KnowledgeGraph on the endpoint, or on --root (built first when stale); errors as messages.

    Only what answering needs is imported: the build, the models and the HTTP client load when used."""
    from .query.errors import QueryError
    from .query.kg import KnowledgeGraph

    try:
        kg = KnowledgeGraph.open(endpoint) if endpoint else KnowledgeGraph.open(root=root)
    except QueryError as exc:
        raise click.ClickException(str(exc))
    except Exception as exc:
        from .compile.build import BuildError, ShaclError
        from .records.problems import DataError

        if isinstance(exc, BuildError | ShaclError):
            raise click.ClickException(str(exc))
        if isinstance(exc, DataError):
            for p in exc.problems:
                if p.severity == "error":
                    click.echo(str(p), err=True)
            raise click.ClickException("the data does not validate; fix it or use --endpoint")
        raise
    try:
        yield kg
    except QueryError as exc:
        raise click.ClickException(str(exc))
    finally:
        kg.close()


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="hkgraph")
def cli() -> None:
    """hkgraph: curated ComfyUI video-generation know-how as YAML records, RDF and SQLite."""


@cli.command()
@_root_option
@click.option("--warnings/--no-warnings", default=True, show_default=True, help="Also list warnings.")
def validate(root: Path, warnings: bool) -> None:
    """Check every record and entity; exit 1 listing every error."""
    from .records.checks import check_dataset
    from .records.load import load_dataset

    dataset = load_dataset(root)
    problems = check_dataset(dataset)
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        if p.severity == "error" or warnings:
            click.echo(str(p), err=True)
    entities = sum(len(t) for t in dataset.entities.values())
    summary = f"{len(dataset.tips)} tips, {entities} entities: {len(errors)} error(s), {len(problems) - len(errors)} warning(s)"
    if errors:
        click.echo(summary, err=True)
        sys.exit(1)
    click.echo(summary)


@cli.command()
@_root_option
@click.option("--check", is_flag=True, help="Only report files that are not canonical; exit 1 if any.")
def fmt(root: Path, check: bool) -> None:
    """Rewrite records in canonical form (key order, quoting, wrapping)."""
    from .records.fmt import format_tree

    changed, problems = format_tree(root.resolve(), check=check)
    for p in problems:
        click.echo(str(p), err=True)
    for path in changed:
        click.echo(f"{'not canonical' if check else 'reformatted'}: {path.relative_to(root.resolve())}")
    if check and changed:
        click.echo("run `hkgraph fmt` to rewrite them", err=True)
    if problems or (check and changed):
        sys.exit(1)


@cli.command()
@_root_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("dist"), show_default=True)
@click.option("--shacl/--no-shacl", default=True, show_default=True, help="Check the graph against the SHACL shapes.")
@click.option("--full", is_flag=True, help="Ignore the build cache (.cache/hkgraph-<out>/) and build everything anew.")
def build(root: Path, out: Path, shacl: bool, full: bool) -> None:
    """Validate data/ and write hkgraph.db, .ttl, .nt and .jsonld into --out (atomically)."""
    from .compile.fresh import freshness, resolve

    fingerprint = None
    if not full:  # answered from file metadata, before the compiler is imported
        where, out_dir = resolve(root, out)
        info, fingerprint = freshness(where, out_dir, shacl=shacl)
        if info is not None:
            click.echo(f"{out_dir} is up to date: {info.get('tips', '?')} tips, {info.get('triples', '?')} triples "
                       "(nothing changed since the last build; --full builds anew)")
            return
    from .compile.build import BuildError, ShaclError
    from .compile.build import build as run_build
    from .records.problems import DataError

    try:
        result = run_build(root, out, shacl=shacl, incremental=not full, fingerprint=fingerprint)
    except BuildError as exc:
        raise click.ClickException(str(exc))
    except DataError as exc:
        for p in exc.problems:
            if p.severity == "error":
                click.echo(str(p), err=True)
        raise click.ClickException(f"build refused: {len(exc.problems)} problem(s); the previous build is untouched")
    except ShaclError as exc:
        raise click.ClickException(str(exc))
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
    how = f"rebuilt from the cache, {result.parsed} file(s) parsed; " if result.incremental else ""
    click.echo(f"built {result.out_dir}: {len(result.dataset.tips)} tips, {result.triples} triples ({how}{timings})")


@cli.command()
@_root_option
@click.option("--check", is_flag=True, help="Only report drift; exit 1 if any file differs.")
def schema(root: Path, check: bool) -> None:
    """Write schema/ (JSON Schema, vocabulary, SHACL shapes, JSON-LD context) and the package's field map from the models."""
    from .compile.schema import drifted, write_schema
    from .query import fieldmap

    if check:
        stale = [f"schema/{name}" for name in drifted(root / "schema")]
        if fieldmap.drifted():
            stale.append(str(fieldmap.MAP_FILE))
        for name in stale:
            click.echo(f"out of date: {name}")
        if stale:
            raise click.ClickException("run `hkgraph schema` to regenerate them")
        return
    for path in [*write_schema(root / "schema"), fieldmap.write()]:
        click.echo(f"wrote {path}")


@cli.command()
@_root_option
@click.option("--check", is_flag=True, help="Only report drift; exit 1 if metadata.yml differs.")
def metadata(root: Path, check: bool) -> None:
    """Write metadata.yml for Datasette (descriptions, facets, canned queries) from the models."""
    from .web.metadata import METADATA_FILE, metadata_drifted, write_metadata

    if check:
        if metadata_drifted(root):
            raise click.ClickException(f"{METADATA_FILE} is out of date: run `hkgraph metadata` to regenerate it")
        return
    click.echo(f"wrote {write_metadata(root)}")


@cli.group()
def query() -> None:
    """Ask the built dataset a SQL or SPARQL question."""


@query.command("sql")
@click.argument("sql")
@_root_option
@_format_option
def query_sql(sql: str, root: Path, fmt: str) -> None:
    """Run a read-only SQL query on dist/hkgraph.db."""
    from .compile.fresh import ensure_built
    from .query.sql import QueryError, run_sql

    dist = ensure_built(root)
    try:
        rows = run_sql(dist / "hkgraph.db", sql)
    except QueryError as exc:
        raise click.ClickException(str(exc))
    click.echo(render(rows, fmt))


@query.command("sparql")
@click.argument("sparql")
@_root_option
@_format_option
@_endpoint_option
def query_sparql(sparql: str, root: Path, fmt: str, endpoint: str | None) -> None:
    """Run a SPARQL query on the graph (the hkgraph prefixes are predeclared)."""
    with _knowledge_graph(root, endpoint) as kg:
        result = kg.sparql(sparql)
    if isinstance(result, bool):
        click.echo("true" if result else "false")
        return
    click.echo(render(result, fmt))


@cli.command()
@_root_option
@_format_option
@_endpoint_option
@click.option("--node", help="A node: display name, class name, id or alias.")
@click.option("--parameter", help="A parameter (narrowed to --node's inputs when both are given).")
@click.option("--value", help="A parameter value, e.g. fp16 or quantization=fp8_e5m2.")
@click.option("--model", help="A model.")
@click.option("--file", help="A model file, by its file name.")
@click.option("--repo", help="A repository: name, owner/name or id.")
@click.option("--hardware", help="A piece of hardware.")
@click.option("--person", help="A person named or quoted.")
@click.option("--concept", help="A concept.")
@click.option("--workflow", help="An example workflow of the site (its file name or path).")
@click.option("--page", help="A source page (its path, e.g. hidden-knowledge.md, or title).")
@click.option("--goal", help="What the tip helps to do, e.g. lower-vram, faster, fix-error.")
@click.option("--tag", help="A topic, e.g. vram.")
@click.option("--kind", help="A kind of tip, e.g. setting or warning.")
@click.option("--text", help="Words that must all appear in the title, summary or excerpt.")
@click.option("--about", is_flag=True,
              help="Also tips about a part of the entity (derived links: its parameters, nodes, files, "
                   "variants, narrower concepts); without it, tips that name it.")
@click.option("--include-superseded", is_flag=True, help="Also tips that a newer tip supersedes.")
@click.option("--limit", type=click.IntRange(min=0), help="At most this many tips.")
def tips(root: Path, fmt: str, endpoint: str | None, limit: int | None, about: bool, include_superseded: bool,
         **filters: str | None) -> None:
    """List the tips that match every filter given (names resolve as everywhere: aliases, class names…)."""
    with _knowledge_graph(root, endpoint) as kg:
        if fmt == "json":  # the records themselves
            found = kg.tips(limit=limit, about=about, include_superseded=include_superseded, **filters)  # type: ignore[arg-type]
            click.echo(render([t.model_dump(mode="json") for t in found], fmt))
            return
        rows = kg.tip_rows(limit=limit, about=about, include_superseded=include_superseded, **filters)
    if fmt == "table":
        rows = [{k: row[k] for k in ("id", "kind", "title", "goals")} for row in rows]
    click.echo(render(rows, fmt))


@cli.command()
@click.argument("name")
@click.option("--kind", type=click.Choice(list(ENTITY_KIND_NAMES)), help="Only look among entities of this kind.")
@_root_option
@_format_option
@_endpoint_option
def entity(name: str, kind: str | None, root: Path, fmt: str, endpoint: str | None) -> None:
    """Show the entity NAME names (id, display name, alias, class name, owner/name, file name or path)."""
    with _knowledge_graph(root, endpoint) as kg:
        if fmt == "json":  # the record itself
            found = kg.entity(name, kind)
            click.echo(render([{"kind": found.kind_name, **found.model_dump(mode="json")}], fmt))
            return
        rows = kg.entity_rows(name, kind)
    click.echo(render(rows, fmt))


@cli.command()
@_root_option
@_format_option
@_endpoint_option
@click.option("--node", help="A node (settings of its inputs, or that apply to it).")
@click.option("--parameter", help="A parameter.")
@click.option("--model", help="Settings that apply to this model.")
@click.option("--hardware", help="Settings that apply to this hardware.")
@click.option("--advice", help="prefer, avoid, default, use-when or required.")
def settings(root: Path, fmt: str, endpoint: str | None, **filters: str | None) -> None:
    """Structured advice: what a parameter should (or should not) be set to, and when."""
    with _knowledge_graph(root, endpoint) as kg:
        if fmt == "json":
            click.echo(render([s.as_dict() for s in kg.settings(**filters)], fmt))  # type: ignore[arg-type]
            return
        rows = kg.setting_rows(**filters)
    click.echo(render(rows, fmt))


@cli.command()
@_root_option
@_format_option
def stats(root: Path, fmt: str) -> None:
    """Counts of records, entities by kind, links and triples."""
    from .compile.fresh import ensure_built
    from .query.engine import dataset_stats

    rows = dataset_stats(ensure_built(root))
    click.echo(render(rows, fmt))


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--page-name", help="For one page: its path relative to the site (default: the file name).")
@click.option("--min", "minimum", type=float, default=None, help="Exit 1 when the covered fraction is below this.")
@click.option("--write", "write_to", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="For a folder: also write the per-page figures as TSV (data/coverage.tsv feeds the web site).")
@_format_option
@_root_option
def coverage(path: Path, page_name: str | None, minimum: float | None, write_to: Path | None, fmt: str,
             root: Path) -> None:
    """How much of the source pages the records cover.

    PATH is one page (its uncovered content lines are listed, then the covered fraction) or a folder
    holding a copy of the site (one row per page: content lines, covered lines, records; then a total).
    """
    from .records.coverage import folder_coverage, page_coverage, total, write_table
    from .records.load import load_dataset

    dataset = load_dataset(root)
    if path.is_dir():
        results = folder_coverage(path, dataset)
        overall = total(results)
        if fmt == "json":
            click.echo(json.dumps({"pages": [r.as_row() for r in results], "total": overall.as_row()}, indent=2))
        else:
            rows = [r.as_row() for r in [*results, overall]]
            for row in rows:
                row["covered_fraction"] = f"{row['covered_fraction']:.1%}"
            click.echo(render(rows, fmt))
        if write_to is not None and write_table(results, write_to):
            click.echo(f"wrote {write_to}", err=True)
    else:
        overall = page_coverage(path, dataset, page_name)
        if fmt == "json":
            click.echo(json.dumps({**overall.as_row(), "uncovered": [
                {"line": n, "text": line} for n, line in overall.uncovered]}, indent=2))
        else:
            for number, line in overall.uncovered:
                click.echo(f"{path}:{number}: {line.strip()}")
            click.echo(f"{overall.page}: {overall.covered}/{overall.content} content lines covered "
                       f"({overall.fraction:.1%})")
    if minimum is not None and overall.fraction < minimum:
        sys.exit(1)


@cli.command()
@_root_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--release", "release_path", type=click.Path(exists=True, path_type=Path),
              help="Serve a downloaded release (.zip, .tar.gz or folder) instead of building data/.")
def serve(root: Path, host: str, port: int, release_path: Path | None) -> None:
    """Build if stale, then serve dist/hkgraph.db with Datasette (immutable mode, metadata.yml)."""
    import os

    from .compile.fresh import ensure_built

    root = root.resolve()
    metadata = root / "metadata.yml"
    if release_path is not None:
        from .release.archive import ReleaseError, open_release
        from .web.metadata import render_metadata

        try:
            dist = open_release(release_path)
        except ReleaseError as exc:
            raise click.ClickException(str(exc))
        # A release supplies data, never configuration: its metadata.yml (which could carry scripts,
        # plugin settings or another graph's path) is ignored; the descriptions come from this hkgraph.
        metadata = dist.parent / f"{dist.name}.metadata.yml"
        metadata.write_text(render_metadata(), encoding="utf-8")
    else:
        dist = ensure_built(root)
    # Facet suggestions probe every column of a table on every page (over a second at 100,000 tips); the
    # tables have their facets configured in metadata.yml instead.
    args = [sys.executable, "-m", "datasette", "serve", "-i", str(dist / "hkgraph.db"),
            "--host", host, "--port", str(port), "--setting", "suggest_facets", "off"]
    if metadata.exists():
        args += ["--metadata", str(metadata)]
    # /-/downloads lists (and /downloads/ serves) the latest release under dist/release/, looked up per
    # request; with --release, the plugin offers that release's own files.
    if release_path is not None:
        os.environ["HKGRAPH_RELEASE"] = str(release_path.resolve())
    else:
        os.environ.pop("HKGRAPH_RELEASE", None)
    click.echo(f"serving {dist / 'hkgraph.db'} at http://{host}:{port}/")
    os.execv(sys.executable, args)


@cli.command()
@click.argument("workflow", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for a person, json for tools.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A built hkgraph.db to take the advice from (default: build data/ under --root when stale).")
@click.option("--max-bytes", type=int, default=32 * 1024 * 1024, show_default=True,
              help="Refuse workflow files larger than this.")
@click.option("--verbose", "-v", is_flag=True,
              help="Also list minor findings, advice the graph cannot confirm or rule out, values not read, every "
                   "model file, the tips about the nodes and every wiring finding.")
@_root_option
def advise(workflow: Path, fmt: str, db: Path | None, max_bytes: int, verbose: bool, root: Path) -> None:
    """What to change first in a ComfyUI workflow, judged against the knowledge graph."""
    import json

    from .advise.advisor import AdviseError, render_text
    from .advise.confined import AdvisorLimits, AdvisorRunner
    from .advise.workflow import WorkflowError, read_bytes
    from .records.problems import DataError

    try:
        if db is None:
            from .compile.fresh import ensure_built

            db = ensure_built(root) / "hkgraph.db"
        data = read_bytes(workflow, max_bytes=max_bytes)
        runner = AdvisorRunner(db, AdvisorLimits(max_bytes=max_bytes))
        try:
            report = runner.run(data, str(workflow))
        finally:
            runner.close()
    except (WorkflowError, AdviseError) as exc:
        raise click.ClickException(str(exc))
    except DataError as exc:
        raise click.ClickException(f"the data under {root} does not build: {len(exc.problems)} problem(s); "
                                   "run `hkgraph validate`")
    click.echo(json.dumps(report, indent=2, ensure_ascii=False) if fmt == "json"
               else render_text(report, verbose=verbose))


@cli.command()
@_root_option
@click.option("--version", "version", help="The release's version, X.Y.Z (default: the lowest data SemVer allows).")
@click.option("--previous", type=click.Path(exists=True, path_type=Path),
              help="The release to compare with (folder or archive; default: the latest in --out).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where releases are written  [default: ROOT/dist/release]")
@click.option("--force", is_flag=True, help="Replace an existing release of the same version.")
def release(root: Path, version: str | None, previous: Path | None, out: Path | None, force: bool) -> None:
    """Write a versioned, checksummed release: dist/release/hkgraph-X.Y.Z/, .zip and .tar.gz."""
    from .compile.build import ShaclError
    from .records.problems import DataError
    from .release.archive import ReleaseError, make_release
    from .release.changes import VersionError

    try:
        result = make_release(root, version=version, previous=previous, out_dir=out, force=force)
    except DataError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        for p in errors:
            click.echo(str(p), err=True)
        raise click.ClickException(f"release refused: `hkgraph validate` reports {len(errors)} error(s)")
    except (ReleaseError, VersionError, ShaclError) as exc:
        raise click.ClickException(f"release refused: {exc}")
    level = result.changes.level
    since = (f" (since {result.previous}: {'no data changes' if level == 'none' else level + ' change'})"
             if result.previous else " (first release)")
    here = Path.cwd()
    click.echo(f"release {result.version}{since}: {_shown(result.folder, here)} ({len(result.files)} files)")
    for archive in result.archives:
        click.echo(f"  {_shown(archive, here)} ({archive.stat().st_size:,} bytes)")


def _shown(path: Path, here: Path) -> Path:
    """``path`` relative to ``here`` when it lies inside it."""
    return path.relative_to(here) if path.is_relative_to(here) else path


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def verify(path: Path) -> None:
    """Check a release folder or archive against its SHA256SUMS and datapackage.json."""
    from .release.archive import verify_release

    result = verify_release(path)
    for problem in result.problems:
        click.echo(problem, err=True)
    if not result.ok:
        click.echo(f"{path}: {len(result.problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"{path}: release {result.version}, {result.files} files, checksums and data package match")


if __name__ == "__main__":  # pragma: no cover
    cli()
