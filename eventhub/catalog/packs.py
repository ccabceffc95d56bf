"""Catalog packs: JSON files of event types, one per source document.

Pure Python (no Django imports) so the loader command, the API and tests share one reader and a
broken pack fails loudly, naming the pack and type, before anything reaches the database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

PACK_DIR = Path(__file__).resolve().parent / "packs"

CATEGORIES = frozenset({"configuration", "billing", "error", "scheduled", "notification", "other"})
SCHEMA_MODES = frozenset({"strict", "warn"})
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
MAX_NAME_LENGTH = 128
# A string property with this `format` holds a decimal number ("1843.27"): rules compare it numerically.
DECIMAL_FORMAT = "decimal"

_PACK_KEYS = {"pack", "source", "title", "description", "event_types"}
_TYPE_KEYS = {"name", "category", "description", "schema", "schema_mode", "example"}
_OPTIONAL_TYPE_KEYS = {"group"}  # the source's section heading, kept as a listing label
MAX_GROUP_LENGTH = 64


class PackError(ValueError):
    """A pack file is missing, malformed or internally inconsistent."""


@dataclass(frozen=True)
class EventTypeSpec:
    name: str
    category: str
    description: str
    schema: dict[str, Any] | None
    schema_mode: str
    example: dict[str, Any]
    group: str = ""


@dataclass(frozen=True)
class Pack:
    pack: str
    source: str
    title: str
    description: str
    event_types: list[EventTypeSpec]


def available_packs(pack_dir: Path | None = None) -> list[str]:
    """Pack names (file stems), sorted so loading order is stable."""
    return sorted(p.stem for p in (pack_dir or PACK_DIR).glob("*.json"))


def read_pack(name: str, pack_dir: Path | None = None) -> Pack:
    """Read and fully validate one pack; raises PackError on the first problem found."""
    path = (pack_dir or PACK_DIR) / f"{name}.json"
    if not path.is_file():
        raise PackError(f"pack {name!r}: no such pack (available: {', '.join(available_packs(pack_dir))})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PackError(f"pack {name!r}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise PackError(f"pack {name!r}: top level must be a JSON object")
    if missing := _PACK_KEYS - data.keys():
        raise PackError(f"pack {name!r}: missing keys {sorted(missing)}")
    if unknown := data.keys() - _PACK_KEYS:
        raise PackError(f"pack {name!r}: unknown keys {sorted(unknown)}")
    if data["pack"] != name:
        raise PackError(f"pack {name!r}: 'pack' is {data['pack']!r}, must match the file name")
    for key in ("source", "title", "description"):
        if not isinstance(data[key], str):
            raise PackError(f"pack {name!r}: {key!r} must be a string")
    if not isinstance(data["event_types"], list) or not data["event_types"]:
        raise PackError(f"pack {name!r}: 'event_types' must be a non-empty list")

    specs: list[EventTypeSpec] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["event_types"]):
        spec = _read_type(name, index, raw)
        if spec.name in seen:
            raise PackError(f"pack {name!r}, event type {spec.name!r}: duplicate name")
        seen.add(spec.name)
        specs.append(spec)
    return Pack(data["pack"], data["source"], data["title"], data["description"], specs)


def read_all_packs(pack_dir: Path | None = None) -> list[Pack]:
    """Every pack, also checking that no event type name appears in two packs."""
    packs = [read_pack(name, pack_dir) for name in available_packs(pack_dir)]
    owner: dict[str, str] = {}
    for pack in packs:
        for spec in pack.event_types:
            if spec.name in owner:
                raise PackError(
                    f"pack {pack.pack!r}, event type {spec.name!r}: already defined in pack {owner[spec.name]!r}"
                )
            owner[spec.name] = pack.pack
    return packs


def _read_type(pack: str, index: int, raw: Any) -> EventTypeSpec:
    label = raw.get("name") if isinstance(raw, dict) else None
    where = f"pack {pack!r}, event type " + (repr(label) if isinstance(label, str) else f"#{index}")

    def fail(problem: str) -> PackError:
        return PackError(f"{where}: {problem}")

    if not isinstance(raw, dict):
        raise fail("must be a JSON object")
    if missing := _TYPE_KEYS - raw.keys():
        raise fail(f"missing keys {sorted(missing)}")
    if unknown := raw.keys() - _TYPE_KEYS - _OPTIONAL_TYPE_KEYS:
        raise fail(f"unknown keys {sorted(unknown)}")
    name, category, schema, example = raw["name"], raw["category"], raw["schema"], raw["example"]
    if not isinstance(name, str) or not NAME_RE.match(name) or len(name) > MAX_NAME_LENGTH:
        raise fail(f"bad name (must match {NAME_RE.pattern} and be at most {MAX_NAME_LENGTH} characters)")
    if category not in CATEGORIES:
        raise fail(f"bad category {category!r} (allowed: {', '.join(sorted(CATEGORIES))})")
    if not isinstance(raw["description"], str):
        raise fail("description must be a string")
    group = raw.get("group", "")
    if not isinstance(group, str) or len(group) > MAX_GROUP_LENGTH:
        raise fail(f"group must be a string of at most {MAX_GROUP_LENGTH} characters")
    if raw["schema_mode"] not in SCHEMA_MODES:
        raise fail(f"bad schema_mode {raw['schema_mode']!r} (allowed: strict, warn)")
    if not isinstance(example, dict):
        raise fail("example must be a JSON object (payloads are objects)")
    if schema is not None:
        if not isinstance(schema, dict):
            raise fail("schema must be a JSON object or null")
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise fail(f"invalid JSON Schema: {exc.message}") from exc
        error = next(iter(Draft202012Validator(schema).iter_errors(example)), None)
        if error is not None:
            path = ".".join(str(p) for p in error.absolute_path) or "(root)"
            raise fail(f"example does not match its schema at {path}: {error.message}")
    return EventTypeSpec(name, category, raw["description"], schema, raw["schema_mode"], example, group)


def rule_fields(schema: dict[str, Any] | None, example: dict[str, Any] | None) -> dict[str, str]:
    """Dotted field paths a notification rule can reference (``new.terms.end``) mapped to JSON type names.

    The schema is authoritative where it types a property; the example fills in untyped properties and
    whatever the schema leaves open (nested objects without ``properties``, extra keys). Arrays are leaves:
    the calculation language has no indexing.
    """
    fields: dict[str, str] = {}
    _walk_schema(schema or {}, "", fields)
    _walk_example(example or {}, "", fields)
    return fields


def numeric_string_paths(schema: dict[str, Any] | None) -> frozenset[tuple[str, ...]]:
    """Paths of the object properties (nested objects included, arrays not: rules cannot index) that the
    schema marks as decimal strings, for the rule evaluator to read as numbers."""
    found: set[tuple[str, ...]] = set()

    def walk(node: dict[str, Any], prefix: tuple[str, ...]) -> None:
        properties = node.get("properties")
        if not isinstance(properties, dict):
            return
        for key, sub in properties.items():
            if isinstance(sub, dict):
                if sub.get("format") == DECIMAL_FORMAT:
                    found.add((*prefix, key))
                walk(sub, (*prefix, key))

    walk(schema or {}, ())
    return frozenset(found)


def _schema_type(node: dict[str, Any]) -> str | None:
    declared = node.get("type")
    if isinstance(declared, list):
        non_null = [t for t in declared if t != "null"]
        declared = non_null[0] if non_null else ("null" if declared else None)
    if declared == "string" and node.get("format") == DECIMAL_FORMAT:
        return "number"  # what a rule sees
    if isinstance(declared, str):
        return declared
    if "const" in node:
        return _value_type(node["const"])
    if node.get("enum"):
        return _value_type(node["enum"][0])
    if "properties" in node:
        return "object"
    return None


def _walk_schema(node: dict[str, Any], prefix: str, out: dict[str, str]) -> None:
    properties = node.get("properties")
    if not isinstance(properties, dict):
        return
    for key, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{key}"
        kind = _schema_type(sub)
        if kind is not None:
            out[path] = kind
        if kind == "object" or "properties" in sub:
            _walk_schema(sub, f"{path}.", out)


def _walk_example(value: dict[str, Any], prefix: str, out: dict[str, str]) -> None:
    for key, sub in value.items():
        path = f"{prefix}{key}"
        out.setdefault(path, _value_type(sub))
        if isinstance(sub, dict) and out[path] == "object":
            _walk_example(sub, f"{path}.", out)


def _value_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
