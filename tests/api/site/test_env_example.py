"""`.env.example` lists every environment variable the settings module reads, and nothing else
(CONVENTIONS 11). The settings are parsed, not imported: a read hidden behind a branch (production
only, object storage only) counts as much as one that runs here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = ROOT / "api" / "site" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"

# Listed for operators, but read from the environment by a library (boto3), not by the settings.
READ_BY_LIBRARIES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}

VARIABLE_LINE = re.compile(r"([A-Z][A-Z0-9_]*)=")


def _is_environ(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _direct_reads(tree: ast.AST) -> list[ast.expr]:
    """The key expression of every direct read of the environment under ``tree``."""
    keys: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and _is_environ(func.value):
                if func.attr in {"get", "setdefault", "pop"}:
                    keys.append(node.args[0])
            elif (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                isinstance(func, ast.Name) and func.id == "getenv"
            ):
                keys.append(node.args[0])
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            keys.append(node.slice)
        elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            keys.append(node.left)
    return keys


def _key_argument(call: ast.Call, position: int | None, parameter: str) -> ast.expr | None:
    if position is not None and len(call.args) > position:
        return call.args[position]
    for keyword in call.keywords:
        if keyword.arg == parameter:
            return keyword.value
    return None


def read_variables(source: str) -> set[str]:
    """Names of the variables a module reads: directly, through its own helpers (any function
    that reads the environment under the name one of its parameters holds, found transitively)
    and through any function called ``env…``. A name that is not a string literal fails: a
    computed name could not be checked against ``.env.example``."""
    tree = ast.parse(source)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    # name -> (position or None if keyword-only, name) of the parameter holding the variable's name
    helpers: dict[str, tuple[int | None, str]] = {}

    def calls_to_helpers(tree: ast.AST) -> list[ast.expr]:
        keys = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in helpers:
                    key = _key_argument(node, *helpers[node.func.id])
                elif node.func.id.startswith("env"):
                    key = node.args[0] if node.args else None
                else:
                    continue
                if key is None:
                    raise AssertionError(f"line {node.lineno}: {node.func.id}() without a name")
                keys.append(key)
        return keys

    changed = True
    while changed:
        changed = False
        for function in functions:
            if function.name in helpers:
                continue
            positional = [a.arg for a in function.args.posonlyargs + function.args.args]
            keyword_only = [a.arg for a in function.args.kwonlyargs]
            for key in _direct_reads(function) + calls_to_helpers(function):
                if isinstance(key, ast.Name) and key.id in positional + keyword_only:
                    position = positional.index(key.id) if key.id in positional else None
                    helpers[function.name] = (position, key.id)
                    changed = True
                    break

    names = set()
    for key in _direct_reads(tree) + calls_to_helpers(tree):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
            continue
        inside_helper = any(
            f.name in helpers
            and isinstance(key, ast.Name)
            and key.id == helpers[f.name][1]
            and f.lineno <= key.lineno <= (f.end_lineno or f.lineno)
            for f in functions
        )
        if not inside_helper:
            raise AssertionError(f"line {key.lineno}: a computed variable name, {ast.unparse(key)}")
    return names


def listed_variables(text: str) -> list[str]:
    names = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = VARIABLE_LINE.match(line)
        assert match, f".env.example line {number} is neither a comment nor NAME=value: {line!r}"
        names.append(match.group(1))
    return names


def test_env_example_lists_exactly_the_variables_the_settings_read():
    read = read_variables(SETTINGS.read_text(encoding="utf-8"))
    listed = listed_variables(ENV_EXAMPLE.read_text(encoding="utf-8"))

    assert sorted(n for n in set(listed) if listed.count(n) > 1) == []
    assert sorted(read - set(listed)) == [], "read by the settings, missing from .env.example"
    assert sorted(set(listed) - read - READ_BY_LIBRARIES) == [], "stale in .env.example"
    # The exception list stays true: its variables are listed and the settings do not read them.
    assert sorted(READ_BY_LIBRARIES - set(listed)) == []
    assert sorted(READ_BY_LIBRARIES & read) == []


def test_the_parser_finds_every_form_of_read():
    source = """
import os
from os import environ, getenv

def env_flag(name, default=False):
    return os.environ.get(name, "") == "1" or default

def secret(label, *, name):
    value = os.environ[name]
    return value

def flag_or_off(name):
    return env_flag(name)

A = os.environ.get("A")
B = os.environ["B"]
C = os.getenv("C", "")
D = env_flag("D")
E = secret("label", name="E")
F = flag_or_off("F")
if "G" in environ:
    H = getenv("H")
I = env_elsewhere("I")
"""
    assert read_variables(source) == set("ABCDEFGHI")


def test_the_parser_refuses_a_computed_name():
    for read in ('os.environ.get(f"X_{suffix}")', "os.environ[name]", "env_bool(prefix + 'X')"):
        source = f"import os\ndef env_bool(name):\n    return os.environ.get(name)\nY = {read}\n"
        with pytest.raises(AssertionError, match="computed variable name"):
            read_variables(source)
