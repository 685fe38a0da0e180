"""Jinja environments, one per escaping target, and compiling and rendering single files.

Escaping is the environment's job, never the template author's: the HTML environment
autoescapes, the Telegram one passes every ``{{ ... }}`` through ``markdown_escape``,
and the plain one (email text and subject, push, JSON values) escapes nothing. All use
``StrictUndefined`` so a missing variable can never render as an empty string.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from jinja2 import (
    DictLoader,
    Environment,
    StrictUndefined,
    Template,
    TemplateSyntaxError,
    meta,
    nodes,
)
from jinja2 import TemplateError as JinjaTemplateError

from herald.messaging.templates.errors import InvalidTemplate, InvalidVariable
from herald.messaging.templates.layout import Kind
from herald.messaging.templates.markdown import (
    code,
    link,
    link_url,
    mark_safe,
    markdown_escape,
)

JsonCheck = Callable[[str, Any, str], None]
"""Validates a JSON file's parsed shape: (template name, data, path); raises InvalidTemplate."""

_SIDES = {"buy": "long", "long": "long", "sell": "short", "short": "short"}


def position_side(value: object) -> str:
    """``"long"`` or ``"short"`` for a side of buy/sell (or long/short), any case.

    Side-dependent wording must not guess: any other value is an ``InvalidVariable``.
    """
    raw = value.value if isinstance(value, Enum) else value
    side = _SIDES.get(str(raw).strip().lower())
    if side is None:
        raise InvalidVariable("side", value, "expected buy or sell")
    return side


def _environment(loader: DictLoader, **options: Any) -> Environment:
    env = Environment(
        loader=loader,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,
        **options,
    )
    env.filters["position_side"] = position_side
    return env


def _markdown_environment(loader: DictLoader) -> Environment:
    env = _environment(loader, finalize=markdown_escape)
    env.filters.update(
        code=code,
        link_url=link_url,
        safe=mark_safe,
        e=markdown_escape,
        escape=markdown_escape,
    )
    env.globals["link"] = link
    return env


def kind_of_partial(path: str) -> Kind:
    """Partials are compiled by the environment their extension names."""
    if path.endswith(".html.j2"):
        return "html"
    if path.endswith(".md.j2"):
        return "markdown"
    return "text"


@dataclass(frozen=True, slots=True)
class Variables:
    """The context variables a template reads.

    ``optional`` ones are guarded somewhere in the file (``is defined``, ``is undefined``
    or ``| default(...)``): the author expects them to be absent at times. An unguarded
    use elsewhere of an absent one then fails the render as ``RenderFailed``.
    """

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()

    def __or__(self, other: Variables) -> Variables:
        required = self.required | other.required
        return Variables(required, (self.optional | other.optional) - required)


_GUARDS = {nodes.Filter: ("default", "d"), nodes.Test: ("defined", "undefined")}


def analyse(env: Environment, ast: nodes.Template) -> Variables:
    """The variables one parsed template reads (not counting what it includes)."""
    names = meta.find_undeclared_variables(ast) - set(env.globals)
    guarded = {
        node.node.name
        for kind, guards in _GUARDS.items()
        for node in ast.find_all(kind)
        if isinstance(node, nodes.Filter | nodes.Test)
        and node.name in guards
        and isinstance(node.node, nodes.Name)
    }
    return Variables(frozenset(names - guarded), frozenset(names & guarded))


@dataclass(frozen=True, slots=True)
class CompiledFile:
    """A compiled file and the context variables it (and what it includes) reads."""

    path: str
    kind: Kind
    template: Template | None  # None for JSON files
    json: Any  # the parsed JSON with string values replaced by templates
    variables: Variables


class Engine:
    """The environments over one merged file tree, with compiling that reports clearly."""

    def __init__(self, tree: Mapping[str, str]) -> None:
        self._tree = dict(tree)
        loader = DictLoader(self._tree)
        self.environments: dict[Kind, Environment] = {
            "html": _environment(loader, autoescape=True),
            "text": _environment(loader),
            "markdown": _markdown_environment(loader),
        }
        self._variables: dict[str, Variables] = {}

    def compile(
        self, name: str, path: str, kind: Kind, check: JsonCheck | None = None
    ) -> CompiledFile:
        """Compile one file now, so syntax errors surface when the registry is built."""
        try:
            if kind == "json":
                return self._compile_json(name, path, check)
            env = self.environments[kind]
            template = env.get_template(path)
            return CompiledFile(path, kind, template, None, self._file_variables(env, path))
        except TemplateSyntaxError as exc:
            where = exc.name or path
            raise InvalidTemplate(name, f"{where}, line {exc.lineno}: {exc.message}") from exc
        except JinjaTemplateError as exc:
            raise InvalidTemplate(name, f"{path}: {exc}") from exc

    def _compile_json(self, name: str, path: str, check: JsonCheck | None) -> CompiledFile:
        try:
            data = json.loads(self._tree[path])
        except json.JSONDecodeError as exc:
            raise InvalidTemplate(name, f"{path}: invalid JSON ({exc})") from exc
        if check is not None:
            check(name, data, path)
        env = self.environments["text"]
        variables = Variables()

        def build(value: Any) -> Any:
            nonlocal variables
            if isinstance(value, str):
                variables |= analyse(env, env.parse(value, path))
                return env.from_string(value)
            if isinstance(value, list):
                return [build(item) for item in value]
            if isinstance(value, dict):
                return {key: build(item) for key, item in value.items()}
            return value

        compiled = build(data)
        return CompiledFile(path, "json", None, compiled, variables)

    def _file_variables(self, env: Environment, path: str) -> Variables:
        """The variables of ``path`` and of every template it includes or extends."""
        cached = self._variables.get(path)
        if cached is not None:
            return cached
        self._variables[path] = Variables()  # an include cycle stops here
        ast = env.parse(self._tree[path], path)
        found = analyse(env, ast)
        # Included and parent templates read the same context; imported macros do not.
        for node in ast.find_all((nodes.Include, nodes.Extends)):
            assert isinstance(node, nodes.Include | nodes.Extends)
            target = node.template
            if isinstance(target, nodes.Const) and target.value in self._tree:
                found |= self._file_variables(env, target.value)
        self._variables[path] = found
        return found


def render_json(value: Any, variables: Mapping[str, Any]) -> Any:
    """Render the string values of compiled JSON; the structure itself is never templated."""
    if isinstance(value, Template):
        return value.render(variables).strip()
    if isinstance(value, list):
        return [render_json(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: render_json(item, variables) for key, item in value.items()}
    return value
