"""Read the inputs of ComfyUI nodes from the node packs' own sources and write the advisor's node-input table.

Every fact in ``src/hkgraph/advise/node_inputs.json`` comes from a static reading (Python's ``ast``) of a pack's
source at a recorded commit: nothing is imported or run, nothing is guessed. Per node class the table gives its
pack, display name, every input in declaration order (name, type, required or optional, default, min, max,
step, the options of a COMBO when the source spells them out, whether the editor shows it as a widget), the
order in which ComfyUI's editor stores the widget values (``widgets_values``: a seed-like INT is followed by
its "control after generate" value, an upload COMBO by its upload button), and the types of the outputs. Both
ways of declaring a node are read: the classic ``INPUT_TYPES`` dict and the newer ``io.Schema`` (V3).
A node whose inputs cannot be read statically (inputs built at run time) is listed with ``static: false``
and no widget order, so that the advisor never reads values by a guessed order.

Sources are git directories (e.g. the snapshots the search tool's ``fetch`` brings under /work/.mirror/) read
at a commit with ``git show``, or plain folders; no network is needed::

    .venv/bin/python scripts/node_inputs.py \\
        --source comfyui=/work/.mirror/silveroxides+ComfyUI/repo@0ab8332bfa41c695b1c104a6535ff1fde81c7939 \\
        --source wanvideowrapper=/work/.mirror/rookiestar28+ComfyUI-WanVideoWrapper/repo@088128b224242e110d3906c6750e9a3a348a659b \\
        --source kjnodes=/work/.mirror/kijai+ComfyUI-KJNodes/repo@3f20054214fec9f9234fd3841ae6f1e4287948f6 \\
        --source videohelpersuite=/work/.mirror/Kosinkadink+ComfyUI-VideoHelperSuite/repo@4ee72c065db22c9d96c2427954dc69e7b908444b \\
        --source gguf=/work/.mirror/city96+ComfyUI-GGUF/repo@<commit> \\
        [--check] [--entities]

``--check`` compares the written table with a fresh reading instead of writing it. ``--entities`` also
writes the node and parameter entities the curation batches need (see :mod:`node_entities` below).
The ``comfyui`` source must come first: the V3 type names (``io.Int`` → ``INT``) and the constants other
packs import from ComfyUI (``nodes.MAX_RESOLUTION``, ``comfy.samplers.KSampler.SAMPLERS``) are read from it.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "hkgraph" / "advise" / "node_inputs.json"

# Which files of each pack hold nodes, and what the pack is called in the table.
PACKS: dict[str, dict[str, Any]] = {
    "comfyui": {"repo": "comfyanonymous/ComfyUI", "cnr_id": "comfy-core",
                "files": lambda p: p == "nodes.py" or (p.startswith("comfy_extras/") and p.count("/") == 1)},
    "wanvideowrapper": {"repo": "kijai/ComfyUI-WanVideoWrapper", "cnr_id": "ComfyUI-WanVideoWrapper",
                        "files": lambda p: True},
    "kjnodes": {"repo": "kijai/ComfyUI-KJNodes", "cnr_id": "comfyui-kjnodes", "files": lambda p: True},
    "videohelpersuite": {"repo": "Kosinkadink/ComfyUI-VideoHelperSuite", "cnr_id": "comfyui-videohelpersuite",
                         "files": lambda p: True},
    "gguf": {"repo": "city96/ComfyUI-GGUF", "cnr_id": "comfyui-gguf", "files": lambda p: True},
}
BASIC_WIDGETS = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}
# Upload buttons the editor adds after a COMBO, and how many values it stores for them (checked against the
# widgets_values of real workflows: LoadImage ["x.png", "image"], LoadAudio ["x.wav", null, null]).
UPLOAD_SLOTS = {"image": ["upload"], "video": ["upload"], "animated_image": ["upload"],
                "audio": ["audioUI", "upload"], "model": ["upload"]}
CONTROL = "control_after_generate"


class UnknownError(Exception):
    """An expression whose value cannot be known without running the code."""


@dataclass(frozen=True)
class Dynamic:
    """A value computed at run time (a folder listing, a function call): kept as its source text."""

    text: str


@dataclass(frozen=True)
class Symbol:
    """A name of the io module that is not a type (io.ControlAfterGenerate.fixed, io.UploadType.image)."""

    name: str


@dataclass(frozen=True)
class IoType:
    """A V3 type (io.Int, io.Image, io.Custom("X")); ``widget`` when its Input draws a widget."""

    io_type: str
    widget: bool
    dynamic: bool = False


@dataclass
class IoCall:
    kind: str  # Input, Output, Schema
    type: IoType | None
    args: list[Any]
    kwargs: dict[str, Any]


IO_MODULE = object()


# ------------------------------------------------------------------------------------------- sources


@dataclass
class Source:
    pack: str
    location: Path
    commit: str | None
    files: dict[str, str] = field(default_factory=dict)  # path → text
    date: str | None = None
    version: str | None = None

    @classmethod
    def open(cls, pack: str, spec: str) -> Source:
        path, _, commit = spec.partition("@")
        src = cls(pack, Path(path), commit or None)
        if (src.location / "HEAD").exists() and not (src.location / ".git").exists():
            commit = src.commit or "HEAD"
            names = _git(src.location, "ls-tree", "-r", "--name-only", commit).splitlines()
            src.commit = _git(src.location, "rev-parse", commit).strip()
            src.date = _git(src.location, "log", "-1", "--format=%cs", src.commit).strip()
            for name in names:
                if name.endswith(".py"):
                    src.files[name] = _git(src.location, "show", f"{src.commit}:{name}")
        else:
            for file in sorted(src.location.rglob("*.py")):
                src.files[file.relative_to(src.location).as_posix()] = file.read_text(encoding="utf-8")
        src.version = _version(src.files, pack)
        return src


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True,
                          text=True, encoding="utf-8", errors="replace").stdout


def _version(files: dict[str, str], pack: str) -> str | None:
    text = files.get("comfyui_version.py")
    if text:
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                return str(node.value.value)
    return None


# -------------------------------------------------------------------------------------------- modules


class Module:
    """One parsed source file: its top-level assignments, classes and imports, evaluated lazily."""

    def __init__(self, world: World, source: Source, path: str) -> None:
        self.world, self.source, self.path = world, source, path
        try:
            self.tree = ast.parse(source.files[path])
        except SyntaxError:
            self.tree = ast.Module(body=[], type_ignores=[])
        self.assigns: dict[str, ast.expr] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.imports: dict[str, tuple[str, str | None, int]] = {}  # local name → (module, attribute, level)
        self.star: list[tuple[str, int]] = []
        self.memo: dict[str, Any] = {}
        for node in self.tree.body:
            self._index(node)

    def _index(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.assigns[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            self.assigns[node.target.id] = node.value
        elif isinstance(node, ast.ClassDef):
            self.classes[node.name] = node
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports[alias.asname] = (alias.name, None, 0)
                else:
                    self.imports[alias.name.split(".")[0]] = (alias.name.split(".")[0], None, 0)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    self.star.append((node.module or "", node.level))
                else:
                    self.imports[alias.asname or alias.name] = (node.module or "", alias.name, node.level)
        elif isinstance(node, ast.Try | ast.If):
            for child in node.body:
                self._index(child)

    def global_value(self, name: str) -> Any:
        if name in self.memo:
            if self.memo[name] is _BUSY:
                raise UnknownError(name)
            return self.memo[name]
        self.memo[name] = _BUSY
        try:
            value = self._global(name)
        except UnknownError:
            del self.memo[name]
            raise
        self.memo[name] = value
        return value

    def _global(self, name: str) -> Any:
        if name in self.classes:
            return ClassRef(self, self.classes[name])
        if name in self.assigns:
            return evaluate(self.assigns[name], Scope(self))
        if name in self.imports:
            module, attr, level = self.imports[name]
            if _is_io_module(module, attr):
                return IO_MODULE
            target = self.world.module(self, module, level)
            if attr is None:
                return ModuleRef(target) if target is not None else PackageRef(self, module)
            if target is not None:
                try:
                    return target.global_value(attr)
                except UnknownError:
                    sub = self.world.module(self, f"{module}.{attr}" if module else attr, level)
                    if sub is not None:
                        return ModuleRef(sub)
                    raise
            sub = self.world.module(self, f"{module}.{attr}" if module else attr, level)
            if sub is not None:
                return ModuleRef(sub)
            raise UnknownError(name)
        for module, level in self.star:
            target = self.world.module(self, module, level)
            if target is not None and target is not self:
                try:
                    return target.global_value(name)
                except UnknownError:
                    continue
        if name in _BUILTINS:
            return _BUILTINS[name]
        raise UnknownError(name)


_BUSY = object()


def _is_io_module(module: str, attr: str | None) -> bool:
    return module.startswith("comfy_api") and attr in ("io", "IO")


@dataclass
class ModuleRef:
    module: Module


@dataclass
class PackageRef:
    """``import comfy.samplers`` binds ``comfy``, a folder without an ``__init__.py`` of its own."""

    origin: Module
    dotted: str


@dataclass
class ClassRef:
    module: Module
    node: ast.ClassDef

    def attribute(self, name: str) -> Any:
        for stmt in self.node.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                return evaluate(stmt.value, Scope(self.module, cls=self))
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name \
                    and stmt.value is not None:
                return evaluate(stmt.value, Scope(self.module, cls=self))
        for base in self.bases():
            try:
                return base.attribute(name)
            except UnknownError:
                continue
        raise UnknownError(f"{self.node.name}.{name}")

    def method(self, name: str) -> tuple[ClassRef, ast.FunctionDef] | None:
        for stmt in self.node.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
                return self, stmt
        for base in self.bases():
            found = base.method(name)
            if found:
                return found
        return None

    def bases(self) -> list[ClassRef]:
        out = []
        for base in self.node.bases:
            try:
                value = evaluate(base, Scope(self.module))
            except UnknownError:
                continue
            if isinstance(value, ClassRef) and value.node is not self.node:
                out.append(value)
        return out

    def is_str(self) -> bool:
        return any(isinstance(b, ast.Name) and b.id == "str" for b in self.node.bases) or any(
            b.is_str() for b in self.bases())

    def attr_names(self) -> dict[str, Any]:
        """Enum-like members: NAME = literal."""
        out = {}
        for stmt in self.node.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        out[t.id] = stmt.value.value
        return out


class World:
    """All sources, with module lookup by dotted name (a pack's own modules first, then ComfyUI's)."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.modules: dict[tuple[str, str], Module] = {}
        self.io_types: dict[str, IoType] = {}

    def get(self, source: Source, path: str) -> Module | None:
        key = (source.pack, path)
        if key not in self.modules:
            if path not in source.files:
                return None
            self.modules[key] = Module(self, source, path)
        return self.modules[key]

    def module(self, origin: Module, dotted: str, level: int) -> Module | None:
        if level:
            base = origin.path.split("/")[:-1]
            if level > 1:
                base = base[: len(base) - (level - 1)]
            parts = base + ([p for p in dotted.split(".") if p] if dotted else [])
            candidates = [(origin.source, "/".join(parts))]
        else:
            parts = dotted.split(".")
            candidates = [(origin.source, "/".join(parts))] + [(s, "/".join(parts)) for s in self.sources
                                                                 if s is not origin.source]
        for source, stem in candidates:
            for path in (f"{stem}.py", f"{stem}/__init__.py"):
                found = self.get(source, path)
                if found is not None:
                    return found
        return None


_BUILTINS: dict[str, Any] = {"True": True, "False": False, "None": None}


# ------------------------------------------------------------------------------------------ evaluate


@dataclass
class Scope:
    module: Module
    cls: ClassRef | None = None
    local: dict[str, Any] = field(default_factory=dict)
    self_names: tuple[str, ...] = ("s", "cls", "self")


def evaluate(node: ast.expr, scope: Scope) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        out: list[Any] = []
        for elt in node.elts:
            if isinstance(elt, ast.Starred):
                out.extend(_iterable(evaluate(elt.value, scope)))
            else:
                out.append(evaluate(elt, scope))
        return tuple(out) if isinstance(node, ast.Tuple) else out
    if isinstance(node, ast.Dict):
        result: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                merged = evaluate(value, scope)
                if not isinstance(merged, dict):
                    raise UnknownError("** of a non-dict")
                result.update(merged)
            else:
                result[evaluate(key, scope)] = evaluate(value, scope)
        return result
    if isinstance(node, ast.Name):
        if node.id in scope.local:
            value = scope.local[node.id]
            if isinstance(value, UnknownError):
                raise value
            return value
        if node.id in scope.self_names and scope.cls is not None:
            return scope.cls
        return scope.module.global_value(node.id)
    if isinstance(node, ast.Attribute):
        base = evaluate(node.value, scope)
        return _attribute(base, node.attr, scope)
    if isinstance(node, ast.UnaryOp):
        value = evaluate(node.operand, scope)
        if isinstance(node.op, ast.USub) and _number(value):
            return -value
        if isinstance(node.op, ast.UAdd) and _number(value):
            return value
        if isinstance(node.op, ast.Not):
            return not value
        raise UnknownError("unary")
    if isinstance(node, ast.BinOp):
        left, right = evaluate(node.left, scope), evaluate(node.right, scope)
        return _binop(node.op, left, right)
    if isinstance(node, ast.JoinedStr):
        raise UnknownError("f-string")
    if isinstance(node, ast.Subscript):
        base = evaluate(node.value, scope)
        key = evaluate(node.slice, scope)
        try:
            return base[key]
        except (KeyError, IndexError, TypeError):
            raise UnknownError("subscript")
    if isinstance(node, ast.Call):
        return _call(node, scope)
    if isinstance(node, ast.ListComp):
        return Dynamic(ast.unparse(node))  # a list computed at run time
    if isinstance(node, ast.IfExp | ast.DictComp | ast.GeneratorExp | ast.Lambda | ast.Compare
                  | ast.BoolOp):
        raise UnknownError(type(node).__name__)
    raise UnknownError(type(node).__name__)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _iterable(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, dict):
        return list(value)
    raise UnknownError("not iterable")


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    if isinstance(left, Dynamic) or isinstance(right, Dynamic):
        if isinstance(op, ast.Add) and all(isinstance(v, Dynamic | list | tuple) for v in (left, right)):
            return Dynamic("a list computed at run time")
        raise UnknownError("dynamic operand")
    try:
        if isinstance(op, ast.Add):
            if isinstance(left, list | tuple) and isinstance(right, list | tuple):
                return list(left) + list(right)
            if (_number(left) and _number(right)) or (isinstance(left, str) and isinstance(right, str)):
                return left + right
        if _number(left) and _number(right):
            if isinstance(op, ast.Sub):
                return left - right
            if isinstance(op, ast.Mult):
                return left * right
            if isinstance(op, ast.Div):
                return left / right
            if isinstance(op, ast.FloorDiv):
                return left // right
            if isinstance(op, ast.Pow) and abs(right) < 256:
                return left**right
            if isinstance(op, ast.LShift) and 0 <= right < 256:
                return left << right
        if isinstance(op, ast.BitOr) and isinstance(left, dict) and isinstance(right, dict):
            return left | right
    except (ArithmeticError, TypeError):
        pass
    raise UnknownError("binop")


def _attribute(base: Any, name: str, scope: Scope) -> Any:
    if base is IO_MODULE:
        return scope.module.world.io_types.get(name) or Symbol(name)
    if isinstance(base, Symbol):
        return Symbol(f"{base.name}.{name}")
    if isinstance(base, IoType):
        return (base, name)  # io.Int.Input, io.Autogrow.TemplatePrefix, io.MatchType.Template
    if isinstance(base, ModuleRef):
        try:
            return base.module.global_value(name)
        except UnknownError:
            sub = scope.module.world.module(base.module, name, 1) if base.module.path.endswith("__init__.py") \
                else None
            if sub is None:
                raise
            return ModuleRef(sub)
    if isinstance(base, PackageRef):
        dotted = f"{base.dotted}.{name}"
        found = scope.module.world.module(base.origin, dotted, 0)
        return ModuleRef(found) if found is not None else PackageRef(base.origin, dotted)
    if isinstance(base, ClassRef):
        return base.attribute(name)
    raise UnknownError(f".{name}")


def _call(node: ast.Call, scope: Scope) -> Any:
    func = node.func
    # list(x), sorted(x), tuple(x), dict(a=1), x.keys()
    if isinstance(func, ast.Name) and func.id in ("list", "sorted", "tuple") and len(node.args) == 1 \
            and not node.keywords and func.id not in scope.local:
        try:
            value = _iterable(evaluate(node.args[0], scope))
        except UnknownError:
            return Dynamic(ast.unparse(node))
        return sorted(value, key=str) if func.id == "sorted" else value
    if isinstance(func, ast.Name) and func.id == "dict" and not node.args:
        return {k.arg: evaluate(k.value, scope) for k in node.keywords if k.arg}
    if isinstance(func, ast.Attribute) and func.attr == "keys" and not node.args:
        value = evaluate(func.value, scope)
        if isinstance(value, dict):
            return list(value)
        raise UnknownError("keys")
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name) \
            and func.value.func.id == "super" and not func.value.args and scope.cls is not None:
        # super().define_schema(): a V3 node that derives from another one and changes its schema
        for base in scope.cls.bases():
            found = base.method(func.attr)
            if found is not None:
                return run_function(*found)
        raise UnknownError("super()")
    try:
        target = evaluate(func, scope)
    except UnknownError:
        return Dynamic(ast.unparse(node))
    if isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], IoType):
        args = [_soft(a, scope) for a in node.args]
        kwargs = {k.arg: _soft(k.value, scope) for k in node.keywords if k.arg}
        return IoCall(target[1], target[0], args, kwargs)
    if isinstance(target, Symbol):
        args = [_soft(a, scope) for a in node.args]
        kwargs = {k.arg: _soft(k.value, scope) for k in node.keywords if k.arg}
        if target.name == "Schema":
            return IoCall("Schema", None, args, kwargs)
        if target.name == "Custom" and args and isinstance(args[0], str):
            return IoType(args[0], widget=False)
        if target.name == "NodeOutput":
            return Dynamic("NodeOutput")
        return Dynamic(target.name)
    if isinstance(target, ClassRef) and target.is_str() and node.args:
        value = evaluate(node.args[0], scope)
        if isinstance(value, str):
            return value
    return Dynamic(ast.unparse(node))


def _soft(node: ast.expr, scope: Scope) -> Any:
    """An argument of an io call: its value, or a Dynamic when it is only known at run time."""
    try:
        return evaluate(node, scope)
    except UnknownError:
        return Dynamic(ast.unparse(node))


def run_function(ref: ClassRef, fn: ast.FunctionDef) -> Any:
    """The value a classmethod returns, from its straight-line body (assignments, updates, one return)."""
    scope = Scope(ref.module, cls=ref)
    args = [a.arg for a in fn.args.args]
    if args:
        scope.self_names = (args[0],)
    for stmt in fn.body:
        if isinstance(stmt, ast.Return):
            if stmt.value is None:
                raise UnknownError("empty return")
            return evaluate(stmt.value, scope)
        _statement(stmt, scope)
    raise UnknownError("no return")


def _statement(stmt: ast.stmt, scope: Scope) -> None:
    if isinstance(stmt, ast.Assign):
        try:
            value: Any = evaluate(stmt.value, scope)
        except UnknownError as exc:
            value = exc
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                scope.local[target.id] = value
            elif isinstance(target, ast.Subscript):
                container = evaluate(target.value, scope)
                key = evaluate(target.slice, scope)
                if isinstance(value, UnknownError) or not isinstance(container, dict):
                    raise UnknownError("assignment into a dict")
                container[key] = value
            elif isinstance(target, ast.Attribute):
                # schema.node_id = "X", schema.inputs = [...]: a derived node's changes to its base's schema
                container = evaluate(target.value, scope)
                if isinstance(value, UnknownError) or not (isinstance(container, IoCall) and container.kind == "Schema"):
                    raise UnknownError("attribute assignment")
                container.kwargs[target.attr] = value
            else:
                raise UnknownError("assignment")
    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        try:
            scope.local[stmt.target.id] = evaluate(stmt.value, scope)
        except UnknownError as exc:
            scope.local[stmt.target.id] = exc
    elif isinstance(stmt, ast.Expr):
        call = stmt.value
        if isinstance(call, ast.Constant):
            return  # docstring
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "update":
            container = evaluate(call.func.value, scope)
            update = evaluate(call.args[0], scope) if call.args else {}
            if not isinstance(container, dict) or not isinstance(update, dict):
                raise UnknownError("update")
            container.update(update)
        # other calls (os.makedirs, logging) change no declared input
    elif isinstance(stmt, ast.Pass | ast.Import | ast.ImportFrom):
        return
    else:
        raise UnknownError(type(stmt).__name__)


# ----------------------------------------------------------------------------------------- extraction


def _plain(value: Any) -> Any:
    """A JSON value for the table, or None for what is known only at run time."""
    if isinstance(value, Dynamic | Symbol | IoType | IoCall | ClassRef | ModuleRef | PackageRef) or value is IO_MODULE:
        return None
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, list | tuple):
        items = [_plain(v) for v in value]
        return None if any(i is None and v is not None for i, v in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        return None
    return value


def _options(value: Any) -> list[Any] | None:
    if isinstance(value, list | tuple):
        items = [_plain(v) for v in value]
        if all(isinstance(i, str | int | float) and not isinstance(i, bool) for i in items):
            return items
    return None


def classic_inputs(spec: Any) -> list[dict[str, Any]]:
    """Inputs from an INPUT_TYPES dict: {"required": {name: (type, opts)}, "optional": {...}}."""
    if not isinstance(spec, dict):
        raise UnknownError("INPUT_TYPES is not a dict")
    inputs = []
    for section in ("required", "optional"):
        block = spec.get(section) or {}
        if not isinstance(block, dict):
            raise UnknownError(f"{section} is not a dict")
        for name, entry in block.items():
            if not isinstance(name, str):
                raise UnknownError("input name")
            inputs.append(_classic_input(name, entry, section == "required"))
    return inputs


def _classic_input(name: str, entry: Any, required: bool) -> dict[str, Any]:
    if isinstance(entry, str | list) and not isinstance(entry, tuple):
        entry = (entry,)
    if not isinstance(entry, tuple | list) or not entry:
        raise UnknownError(f"input {name}")
    declared = entry[0]
    opts = entry[1] if len(entry) > 1 and isinstance(entry[1], dict) else {}
    item: dict[str, Any] = {"name": name, "required": required}
    if isinstance(declared, list | tuple):
        item["type"] = "COMBO"
        item["options"] = _options(declared)
    elif isinstance(declared, Dynamic):
        item["type"] = "COMBO"  # a list computed at run time (a folder listing)
        item["options"] = None
        item["options_from"] = declared.text
    elif isinstance(declared, str):
        item["type"] = declared
        if declared == "COMBO":
            item["options"] = _options(opts.get("options"))
    else:
        raise UnknownError(f"type of {name}")
    _common(item, opts)
    return item


def _common(item: dict[str, Any], opts: dict[str, Any]) -> None:
    for key in ("default", "min", "max", "step"):
        if key in opts:
            value = _plain(opts[key])
            if value is not None:
                item[key] = value
    force = bool(opts.get("forceInput") or opts.get("force_input"))
    item["widget"] = item["type"] in BASIC_WIDGETS and not force
    if item["widget"] and (opts.get("control_after_generate") or (
            item["type"] == "INT" and item["name"] in ("seed", "noise_seed"))):
        item["control_after_generate"] = True
    for key, kind in (("image_upload", "image"), ("video_upload", "video"), ("audio_upload", "audio"),
                      ("animated_image_upload", "animated_image")):
        if opts.get(key) is True:
            item["upload"] = kind
    if opts.get("multiline"):
        item["multiline"] = True


_V3_ARGS = {
    "BOOLEAN": ["id", "display_name", "optional", "tooltip", "lazy", "default", "label_on", "label_off"],
    "INT": ["id", "display_name", "optional", "tooltip", "lazy", "default", "min", "max", "step",
            "control_after_generate"],
    "FLOAT": ["id", "display_name", "optional", "tooltip", "lazy", "default", "min", "max", "step"],
    "STRING": ["id", "display_name", "optional", "tooltip", "lazy", "multiline", "placeholder", "default"],
    "COMBO": ["id", "options", "display_name", "optional", "tooltip", "lazy", "default", "control_after_generate",
              "upload"],
}


def v3_input(call: Any) -> dict[str, Any]:
    if not isinstance(call, IoCall) or call.kind not in ("Input",) or call.type is None:
        raise UnknownError("not an io input")
    names = _V3_ARGS.get(call.type.io_type, ["id", "display_name", "optional", "tooltip", "lazy"])
    kw = dict(call.kwargs)
    for i, value in enumerate(call.args):
        if i >= len(names):
            raise UnknownError("positional")
        kw[names[i]] = value
    name = kw.get("id")
    if not isinstance(name, str):
        raise UnknownError("input id")
    if call.type.dynamic:
        raise UnknownError(f"dynamic input {name}")
    if call.type.io_type == "COMFY_DYNAMICCOMBO_V3":
        return _dynamic_combo(name, kw)
    if call.type.io_type == "COMFY_AUTOGROW_V3" or call.kind != "Input":
        template = kw.get("template", call.args[1] if len(call.args) > 1 else None)
        inner = None
        if isinstance(template, IoCall):
            inner = template.kwargs.get("input", template.args[0] if template.args else None)
        if not isinstance(inner, IoCall) or inner.type is None or inner.type.widget \
                or inner.type.io_type in BASIC_WIDGETS:
            raise UnknownError(f"inputs added at run time ({name})")
        return {"name": name, "type": inner.type.io_type, "required": not kw.get("optional"), "widget": False,
                "autogrow": True}
    item: dict[str, Any] = {"name": name, "type": call.type.io_type, "required": not kw.get("optional")}
    if item["type"] == "COMBO":
        options = kw.get("options")
        if isinstance(options, ClassRef):  # an Enum class: its member values
            options = list(options.attr_names().values())
        item["options"] = _options(options)
        if item["options"] is None and isinstance(options, Dynamic):
            item["options_from"] = options.text
    opts = {k: v for k, v in kw.items() if k in ("default", "min", "max", "step", "multiline")}
    if kw.get("force_input"):
        opts["forceInput"] = True
    if kw.get("control_after_generate"):
        opts["control_after_generate"] = True
    _common(item, opts)
    item["widget"] = (call.type.widget or item["type"] in BASIC_WIDGETS) and not kw.get("force_input")
    upload = kw.get("upload")
    if isinstance(upload, Symbol):
        item["upload"] = upload.name.rsplit(".", 1)[-1]
    if kw.get("socketless"):
        item["socketless"] = True
    return item


def _dynamic_combo(name: str, kw: dict[str, Any]) -> dict[str, Any]:
    """A combo whose choice adds inputs (io.DynamicCombo): its options and, per option, the inputs it adds."""
    options = kw.get("options")
    if not isinstance(options, list):
        raise UnknownError(f"options of {name}")
    children: dict[str, list[dict[str, Any]]] = {}
    for option in options:
        if not isinstance(option, IoCall) or option.kind != "Option":
            raise UnknownError(f"an option of {name}")
        key = option.kwargs.get("key", option.args[0] if option.args else None)
        inputs = option.kwargs.get("inputs", option.args[1] if len(option.args) > 1 else [])
        if not isinstance(key, str) or not isinstance(inputs, list):
            raise UnknownError(f"an option of {name}")
        children[key] = [v3_input(child) for child in inputs]
    item = {"name": name, "type": "COMBO", "required": not kw.get("optional"), "widget": True,
            "options": list(children), "choice_inputs": [{"key": k, "inputs": v} for k, v in children.items()]}
    if children:
        item["default"] = next(iter(children))
    return item


def widget_order(inputs: list[dict[str, Any]]) -> list[str]:
    """The order of ``widgets_values`` as ComfyUI's editor writes it for these inputs.

    After a combo whose choice adds inputs (``choice_inputs``) come the widgets of the chosen option; the
    order given here is the one for each such combo's first option (its default), and the advisor follows
    the stored choice when it reads a file.
    """
    order: list[str] = []
    for item in inputs:
        if not item.get("widget"):
            continue
        order.append(item["name"])
        if item.get("control_after_generate"):
            order.append(CONTROL)
        order.extend(UPLOAD_SLOTS.get(item.get("upload") or "", []))
        if item.get("choice_inputs"):
            order.extend(widget_order(item["choice_inputs"][0]["inputs"]))
    return order


def io_types(world: World, comfy: Source) -> None:
    """io.Int → INT (and whether its Input draws a widget), read from comfy_api/latest/_io.py."""
    module = world.get(comfy, "comfy_api/latest/_io.py")
    if module is None:
        raise SystemExit("the comfyui source has no comfy_api/latest/_io.py: cannot read V3 nodes")
    classes = module.classes

    def widget_input(cls: ast.ClassDef, seen: set[str]) -> bool:
        for stmt in cls.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name == "Input":
                return any(isinstance(b, ast.Name) and (b.id == "WidgetInput" or _widget_base(b.id, seen))
                           for b in stmt.bases)
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
                seen.add(base.id)
                if widget_input(classes[base.id], seen):
                    return True
        return False

    def _widget_base(name: str, seen: set[str]) -> bool:
        cls = classes.get(name)
        if cls is None or name in seen:
            return False
        seen.add(name)
        return any(isinstance(b, ast.Name) and (b.id == "WidgetInput" or _widget_base(b.id, seen))
                   for b in cls.bases)

    for name, cls in classes.items():
        for deco in cls.decorator_list:
            if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name) and deco.func.id == "comfytype":
                io_type = next((k.value.value for k in deco.keywords
                                if k.arg == "io_type" and isinstance(k.value, ast.Constant)), None)
                if isinstance(io_type, str):
                    dynamic = name == "DynamicSlot"
                    world.io_types[name] = IoType(io_type, widget_input(cls, set()), dynamic)
    world.io_types.setdefault("AnyType", IoType("*", widget=False))


@dataclass
class Found:
    key: str
    pack: str
    module: Module
    ref: ClassRef
    display: str | None = None


def registrations(world: World, source: Source) -> tuple[dict[str, tuple[Module, ClassRef]], dict[str, str]]:
    """class key → class, and class key → display name, from the mapping dicts of every module of a pack."""
    classes: dict[str, tuple[Module, ClassRef]] = {}
    names: dict[str, str] = {}
    for path in sorted(source.files):
        if not PACKS[source.pack]["files"](path):
            continue
        module = world.get(source, path)
        if module is None:
            continue
        for stmt in module.tree.body:
            targets, value = _assignment(stmt)
            for target in targets:
                if target == "NODE_CLASS_MAPPINGS" and isinstance(value, ast.Dict):
                    for k, v in zip(value.keys, value.values, strict=True):
                        key = _const(k)
                        ref = _class(module, v)
                        if key and ref:
                            classes.setdefault(key, (module, ref))
                elif target == "NODE_DISPLAY_NAME_MAPPINGS" and isinstance(value, ast.Dict):
                    for k, v in zip(value.keys, value.values, strict=True):
                        key, name = _const(k), _const(v)
                        if key and name:
                            names.setdefault(key, name)
                elif target == "NODE_CONFIG" and isinstance(value, ast.Dict):  # KJNodes
                    for k, v in zip(value.keys, value.values, strict=True):
                        key = _const(k)
                        if not key or not isinstance(v, ast.Dict):
                            continue
                        for kk, vv in zip(v.keys, v.values, strict=True):
                            if _const(kk) == "class" and (ref := _class(module, vv)):
                                classes.setdefault(key, (module, ref))
                            elif _const(kk) == "name" and _const(vv):
                                names.setdefault(key, _const(vv))
    return classes, names


def _assignment(stmt: ast.stmt) -> tuple[list[str], ast.expr | None]:
    if isinstance(stmt, ast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, ast.Name)], stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id], stmt.value
    return [], None


def _const(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _class(module: Module, node: ast.expr) -> ClassRef | None:
    try:
        value = evaluate(node, Scope(module))
    except UnknownError:
        return None
    return value if isinstance(value, ClassRef) else None


def read_node(key: str, ref: ClassRef) -> dict[str, Any]:
    """One node class: its inputs, widget order and outputs (``static: false`` when not readable)."""
    entry: dict[str, Any] = {"python_class": ref.node.name, "file": ref.module.path}
    schema_fn = ref.method("define_schema")
    try:
        if schema_fn is not None:
            schema = run_function(*schema_fn)
            if not isinstance(schema, IoCall) or schema.kind != "Schema":
                raise UnknownError("define_schema does not return a Schema")
            display = schema.kwargs.get("display_name")
            if isinstance(display, str):
                entry["display_name"] = display
            entry["outputs"] = _v3_outputs(schema.kwargs.get("outputs") or [])
            entry["style"] = "v3"
            raw_inputs = schema.kwargs.get("inputs") or []
            if not isinstance(raw_inputs, list):
                raise UnknownError("inputs")
            entry["inputs"] = [v3_input(call) for call in raw_inputs]
        else:
            entry["outputs"] = _classic_outputs(ref)
            entry["style"] = "classic"
            fn = ref.method("INPUT_TYPES")
            if fn is None:
                raise UnknownError("no INPUT_TYPES")
            entry["inputs"] = classic_inputs(run_function(*fn))
    except (UnknownError, RecursionError) as exc:
        entry.pop("inputs", None)
        entry["static"] = False
        entry["why"] = str(exc) if not isinstance(exc, RecursionError) else "recursion"
        return entry
    names = [i["name"] for i in entry["inputs"]]
    if len(set(names)) != len(names):
        entry["static"] = False
        entry["why"] = "an input name is declared twice"
        return entry
    entry["static"] = True
    entry["widgets"] = widget_order(entry["inputs"])
    return entry


def node_id_of(ref: ClassRef) -> str | None:
    fn = ref.method("define_schema")
    if fn is None:
        return None
    for stmt in ast.walk(fn[1]):
        if isinstance(stmt, ast.keyword) and stmt.arg == "node_id" and isinstance(stmt.value, ast.Constant):
            return stmt.value.value if isinstance(stmt.value.value, str) else None
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant) and any(
                isinstance(t, ast.Attribute) and t.attr == "node_id" for t in stmt.targets):
            return stmt.value.value if isinstance(stmt.value.value, str) else None  # schema.node_id = "X"
    return None


def _v3_outputs(raw: Any) -> list[dict[str, Any]] | None:
    if not isinstance(raw, list):
        return None
    out = []
    for call in raw:
        if not isinstance(call, IoCall) or call.type is None:
            return None
        name = call.kwargs.get("display_name") or call.kwargs.get("id") or (call.args[0] if call.args else None)
        out.append({"type": call.type.io_type, **({"name": name} if isinstance(name, str) else {})})
    return out


def _classic_outputs(ref: ClassRef) -> list[dict[str, Any]] | None:
    try:
        types = ref.attribute("RETURN_TYPES")
    except UnknownError:
        return None
    try:
        names = ref.attribute("RETURN_NAMES")
    except UnknownError:
        names = None
    if not isinstance(types, list | tuple):
        return None
    out = []
    for i, t in enumerate(types):
        kind = t if isinstance(t, str) else ("COMBO" if isinstance(t, list | tuple) else "*")
        item: dict[str, Any] = {"type": kind}
        if isinstance(names, list | tuple) and i < len(names) and isinstance(names[i], str):
            item["name"] = names[i]
        out.append(item)
    return out


def read_pack(world: World, source: Source) -> dict[str, dict[str, Any]]:
    classes, names = registrations(world, source)
    nodes: dict[str, dict[str, Any]] = {}
    # V3 nodes name themselves in their schema; list every class whose define_schema gives a node_id.
    for path in sorted(source.files):
        if not PACKS[source.pack]["files"](path):
            continue
        module = world.get(source, path)
        if module is None:
            continue
        for cls in module.classes.values():
            ref = ClassRef(module, cls)
            try:
                node_id = node_id_of(ref)
            except RecursionError:
                continue
            if node_id and node_id not in classes:
                classes[node_id] = (module, ref)
    for key in sorted(classes):
        module, ref = classes[key]
        entry = read_node(key, ref)
        entry.setdefault("display_name", names.get(key, key))
        if key in names and names[key] != entry["display_name"]:
            entry["mapping_display_name"] = names[key]
        entry["pack"] = source.pack
        nodes[key] = entry
    return nodes


def build(specs: list[tuple[str, str]]) -> dict[str, Any]:
    sources = [Source.open(pack, spec) for pack, spec in specs]
    if not sources or sources[0].pack != "comfyui":
        raise SystemExit("the first --source must be comfyui=…")
    world = World(sources)
    io_types(world, sources[0])
    nodes: dict[str, dict[str, Any]] = {}
    for source in sources:
        for key, entry in read_pack(world, source).items():
            nodes.setdefault(key, entry)
    return {
        "about": "Node inputs read statically from each pack's source by scripts/node_inputs.py; regenerate "
                 "with that script, never edit by hand.",
        "sources": {s.pack: {"repo": PACKS[s.pack]["repo"], "cnr_id": PACKS[s.pack]["cnr_id"],
                             "commit": s.commit, "date": s.date,
                             **({"version": s.version} if s.version else {}),
                             "nodes": sum(1 for n in nodes.values() if n["pack"] == s.pack)}
                    for s in sources},
        "nodes": {k: nodes[k] for k in sorted(nodes)},
    }


def dump(table: dict[str, Any]) -> str:
    """One node per line: small diffs, deterministic bytes."""
    lines = ["{", f' "about": {json.dumps(table["about"])},',
             f' "sources": {json.dumps(table["sources"], sort_keys=True, ensure_ascii=False)},', ' "nodes": {']
    items = list(table["nodes"].items())
    for i, (key, entry) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"  {json.dumps(key)}: {json.dumps(entry, sort_keys=True, ensure_ascii=False)}{comma}")
    lines += [" }", "}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", action="append", required=True, metavar="PACK=GITDIR@COMMIT",
                        help=f"a pack ({', '.join(PACKS)}) and where its source is")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="fail when the written table differs")
    parser.add_argument("--entities", action="store_true", help="also write node and parameter entities")
    args = parser.parse_args(argv)
    specs = []
    for raw in args.source:
        pack, _, spec = raw.partition("=")
        if pack not in PACKS or not spec:
            parser.error(f"--source {raw}: expected PACK=PATH[@COMMIT] with PACK one of {', '.join(PACKS)}")
        specs.append((pack, spec))
    table = build(specs)
    text = dump(table)
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs from a fresh reading'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    static = sum(1 for n in table["nodes"].values() if n["static"])
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}: "
          f"{len(table['nodes'])} node classes ({static} read statically), {len(text):,} bytes")
    for pack, info in table["sources"].items():
        print(f"  {pack}: {info['repo']}@{(info['commit'] or '?')[:12]} {info.get('date') or ''} "
              f"{info['nodes']} classes")
    if args.entities:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from node_entities import write_entities

        write_entities(table, ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
