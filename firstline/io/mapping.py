"""Which column fills which field, and how to read its values: found automatically from the headers,
or read from a small TOML mapping file (docs/import.md describes it)."""

import json
import tomllib
from dataclasses import dataclass, field

from firstline.io.fields import FIELDS, PRESETS, fields_of
from firstline.io.values import DATE_FORMATS, normalise

# References that an import may create when missing; people need an email, so they are never made up.
REFERENCES = ("account", "product")
_PREFIXES = (
    "opportunity",
    "deal",
    "organization",
    "organisation",
    "account",
    "company",
    "user",
    "product",
    "goal",
)


class MappingProblem(Exception):
    """The file's columns or the mapping file cannot be used; nothing was written."""


@dataclass
class Mapping:
    kind: str
    columns: dict[str, str] = field(default_factory=dict)  # field → header in the file
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {file value: our value}
    date_format: str | None = None  # iso, us, eu; None: found per column, an ambiguous column is an error
    currency: str | None = None  # for amounts that name none
    defaults: dict[str, str] = field(default_factory=dict)  # field → value when the cell is empty
    create_missing: list[str] = field(default_factory=list)  # references to create rather than reject
    ignored: list[str] = field(default_factory=list)  # headers no field took

    def to_toml(self) -> str:
        lines = [f"kind = {json.dumps(self.kind)}"]
        if self.date_format:
            lines.append(f"date_format = {json.dumps(self.date_format)}")
        if self.currency:
            lines.append(f"currency = {json.dumps(self.currency)}")
        lines.append(f"create_missing = {json.dumps(self.create_missing)}")
        lines.append("\n[columns]  # field = column in the file")
        lines += [
            f"{name} = {json.dumps(header, ensure_ascii=False)}" for name, header in self.columns.items()
        ]
        if self.ignored:
            lines.append("# not imported: " + ", ".join(self.ignored))
        if self.defaults:
            lines.append("\n[defaults]")
            lines += [f"{name} = {json.dumps(value)}" for name, value in self.defaults.items()]
        for name, table in self.values.items():
            lines.append(f"\n[values.{name}]")
            lines += [f"{json.dumps(k, ensure_ascii=False)} = {json.dumps(v)}" for k, v in table.items()]
        return "\n".join(lines) + "\n"


def auto_mapping(kind: str, headers: list[str], preset: str | None = None) -> Mapping:
    """Match headers to fields: a preset's exact header first, then names and aliases compared
    without case, spaces, underscores or punctuation, then the same without an object prefix
    ("Deal - Value" → value)."""
    if kind not in FIELDS:
        raise MappingProblem(f"Unknown kind {kind!r}; choose one of {', '.join(FIELDS)}.")
    if preset and preset not in PRESETS:
        raise MappingProblem(f"Unknown preset {preset!r}; choose one of {', '.join(PRESETS)}.")
    words: dict[str, str] = {}
    for spec in FIELDS[kind]:
        for word in (spec.name, *spec.aliases):
            words.setdefault(normalise(word), spec.name)
    preset_headers = {normalise(h): name for name, h in PRESETS.get(preset or "", {}).get(kind, {}).items()}
    all_presets = [
        {normalise(h): name for name, h in tables.get(kind, {}).items()} for tables in PRESETS.values()
    ]
    columns: dict[str, str] = {}
    ignored = []
    for header in headers:
        key = normalise(header)
        name = preset_headers.get(key) or words.get(key) or _without_prefix(key, words)
        name = name or next((table[key] for table in all_presets if key in table), None)
        if name and name not in columns and key:
            columns[name] = header
        elif header:
            ignored.append(header)
    return Mapping(kind=kind, columns=columns, ignored=ignored)


def _without_prefix(key: str, words: dict[str, str]) -> str | None:
    for prefix in _PREFIXES:
        if key.startswith(prefix) and key[len(prefix) :] in words:
            return words[key[len(prefix) :]]
    return None


def load_mapping(text: str, kind: str, headers: list[str], preset: str | None = None) -> Mapping:
    """A mapping file over the automatic one: its columns replace the found ones."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingProblem(f"The mapping file is not valid TOML: {error}.") from None
    mapping = auto_mapping(kind, headers, preset)
    known = fields_of(kind)
    unknown = set(data.get("columns", {})) - known.keys()
    if unknown:
        raise MappingProblem(f"The mapping names fields {kind} do not have: {', '.join(sorted(unknown))}.")
    for name, header in data.get("columns", {}).items():
        if header and header not in headers:
            raise MappingProblem(f"The mapping's column {header!r} (for {name}) is not in the file.")
        mapping.columns = {k: v for k, v in mapping.columns.items() if v != header and k != name}
        if header:
            mapping.columns[name] = header
    mapping.ignored = [h for h in headers if h and h not in mapping.columns.values()]
    mapping.values = {k: {str(a): str(b) for a, b in v.items()} for k, v in data.get("values", {}).items()}
    mapping.defaults = {k: str(v) for k, v in data.get("defaults", {}).items()}
    mapping.date_format = data.get("date_format") or None
    if mapping.date_format and mapping.date_format not in DATE_FORMATS:
        raise MappingProblem(f"date_format must be one of {', '.join(DATE_FORMATS)}.")
    mapping.currency = data.get("currency") or None
    mapping.create_missing = list(data.get("create_missing", []))
    bad = set(mapping.create_missing) - set(REFERENCES)
    if bad:
        raise MappingProblem(
            f"create_missing may list {', '.join(REFERENCES)}, not {', '.join(sorted(bad))}."
        )
    return mapping


def check_complete(mapping: Mapping, headers: list[str]) -> None:
    missing = [
        spec.name
        for spec in FIELDS[mapping.kind]
        if spec.required and spec.name not in mapping.columns and spec.name not in mapping.defaults
    ]
    if missing:
        columns = ", ".join(repr(h) for h in headers if h) or "none"
        raise MappingProblem(
            f"No column found for {', '.join(missing)}. The file's columns are {columns}; "
            "name the right ones in a mapping (see docs/import.md)."
        )
