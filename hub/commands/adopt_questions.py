"""``mpphub adopt`` at a terminal: ask for each value the template (and profile) leave to the region.

What is missing is what ``plan_adoption`` says is missing: the composed package's problems that are the
overlay's to fix (``missing required field 'agency'`` at ``$.service``...). Each becomes a question at its
dotted path (``service.agency``), read as the package schema types it there (a closed list by number or
name, a whole number, yes/no, a list as comma-separated items, JSON for anything else) and checked by
composing and validating the overlay with the answer in it: a wrong answer is asked again with the
validator's reason, and never costs the answers before it. A missing object (``contact``) is not asked
as such: its own required fields are. A missing ``local_system`` is a choice of connector profile. A
secret name is offered in the region's namespace (``R3578_IZIN_PENELITIAN_TOKEN``). Enter on a question
with nothing to offer leaves that value for later: it is listed when the overlay is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.messages import t
from registry.adoption import Adoption, plan_adoption, service_templates
from registry.problems import Problem

_MISSING = re.compile(r"^missing required field '([A-Za-z0-9_]+)'$")
_DOTTED = re.compile(r"^\$((?:\.[A-Za-z0-9_]+)*)$")
# the ending of a derived secret name per secret field (secret_ref: by the auth type)
_SECRET_TAILS = {
    "connection_ref": "DB_URL",
    "username_ref": "USERNAME",
    "password_ref": "PASSWORD",
    "client_id_ref": "CLIENT_ID",
    "client_secret_ref": "CLIENT_SECRET",
}


@dataclass
class Answers:
    """What the questions have gathered so far: the dotted values (the ``--set`` ones first) and the
    connector profile; ``skipped`` are the paths left for later (not asked again)."""

    values: dict[str, Any]
    profile: str | None
    skipped: set[str] = field(default_factory=set)


def target(problem: Problem) -> str | None:
    """The dotted path a person answers for ``problem`` (``service.agency``), or None when it is not one
    value a question can fill (a list item, a problem of the whole document)."""
    match = _DOTTED.match(problem.path)
    if match is None:
        return None
    base = match.group(1).lstrip(".")
    missing = _MISSING.match(problem.message)
    if missing:
        return f"{base}.{missing.group(1)}" if base else missing.group(1)
    return base or None


def _json_path(dotted: str) -> str:
    return "$." + dotted


def field_schema(dotted: str) -> dict[str, Any]:
    """The package schema's subschema at ``dotted`` (``$ref``, ``allOf`` and its ``then`` branches
    followed), merged over the branches that name it; ``{}`` when the schema does not say."""
    from registry.schemas import package_schema

    root = package_schema()
    nodes = [root]
    for part in dotted.split("."):
        found = [
            sub["properties"][part]
            for node in nodes
            for sub in _expand(root, node)
            if isinstance(sub.get("properties", {}).get(part), dict)
        ]
        if not found:
            return {}
        nodes = found
    merged: dict[str, Any] = {}
    for node in nodes:
        for sub in _expand(root, node):
            for key, value in sub.items():
                merged.setdefault(key, value)
    return merged


def _expand(root: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    """``node`` with what its ``$ref`` and ``allOf`` (and their ``then``) bring."""
    out: list[dict[str, Any]] = []
    pending = [node]
    while pending and len(out) < 64:  # the package schema nests a few levels; a bound against a loop
        current = pending.pop(0)
        out.append(current)
        ref = current.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            pending.append(root["$defs"][ref.removeprefix("#/$defs/")])
        for branch in current.get("allOf", []):
            if isinstance(branch, dict):
                pending.append(branch)
                if isinstance(branch.get("then"), dict):
                    pending.append(branch["then"])
    return out


def _type(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def parse_answer(answer: str, schema: dict[str, Any]) -> Any:
    """An answer as the schema types the value: a choice, an integer, a number, yes/no, a list of
    comma-separated items, an object as JSON, else the text. ValueError with the reason."""
    from hub.prompting import read_choice, read_whole_number

    kind = _type(schema)
    if "enum" in schema:
        return read_choice(answer, [str(choice) for choice in schema["enum"]])
    if kind == "integer":
        return read_whole_number(answer)
    if kind == "number":
        try:
            return float(answer.replace(",", "."))
        except ValueError:
            raise ValueError(t("adopt.not_a_number")) from None
    if kind == "boolean":
        if answer.lower() in ("y", "ya", "yes", "true"):
            return True
        if answer.lower() in ("n", "t", "tidak", "no", "false"):
            return False
        raise ValueError(t("adopt.yes_no"))
    if kind in ("array", "object") and answer[:1] in "[{":
        try:
            return json.loads(answer)
        except ValueError:
            raise ValueError(t("adopt.not_json")) from None
    if kind == "array":
        return [item.strip() for item in answer.split(",") if item.strip()]
    if kind == "object":
        raise ValueError(t("adopt.not_json"))
    return answer


def suggested(dotted: str, plan: Adoption) -> Any:
    """A value to offer for ``dotted``: a secret name in the region's namespace, else nothing (None)."""
    from registry.secret_scope import secret_namespace

    name = dotted.rsplit(".", 1)[-1]
    if not name.endswith("_ref"):
        return None
    tail = _SECRET_TAILS.get(name)
    if tail is None:
        auth = ((plan.composed or {}).get("local_system") or {}).get("auth") or {}
        tail = "API_KEY" if auth.get("type") == "api_key" else "TOKEN"
    slug = plan.package_id.partition("/")[2].replace("-", "_").upper()
    return f"{secret_namespace(plan.overlay['region'])}{slug}_{tail}"


def _reasons(plan: Adoption, dotted: str) -> list[str]:
    """The overlay's problems at ``dotted`` or inside it, but not the fields still to ask for inside it."""
    here = _json_path(dotted)
    return [
        p.message
        for p in plan.to_supply
        if (p.path == here or p.path.startswith((here + ".", here + "[")))
        and not _MISSING.match(p.message)  # a field inside it still missing is the next question, not a reason
    ]


def ask_missing(plan: Adoption, answers: Answers, replan: Any) -> Adoption:
    """Ask for every value still missing in ``plan``, one at a time in the validator's order, and return
    the plan with the answers in it. ``replan(answers)`` composes and validates anew. Raises EOFError or
    KeyboardInterrupt when the person ends the questions (the caller then writes nothing)."""
    asked_once = False
    while True:
        pending = [x for p in plan.to_supply if (x := target(p)) is not None and x not in answers.skipped]
        if not pending:
            tidy = _tidy(answers.values)
            if list(tidy.items()) != list(answers.values.items()):
                answers.values = tidy
                plan = replan(answers)
            return plan
        dotted = pending[0]
        if not asked_once:
            print(t("adopt.asking"))
            asked_once = True
        if dotted == "local_system" and answers.profile is None:
            plan = _ask_profile(plan, answers, replan)
            continue
        schema = field_schema(dotted)
        if _type(schema) == "object" and "enum" not in schema:
            # ask its required fields rather than the object: open it and let the validator name them
            answers.values[dotted] = {}
            opened = replan(answers)
            if any(
                target(p) not in (None, dotted) and str(target(p)).startswith(dotted + ".") for p in opened.to_supply
            ):
                answers.skipped.add(dotted)
                plan = opened
                continue
            del answers.values[dotted]
        plan = _ask_value(plan, answers, replan, dotted, schema)


def _ask_value(plan: Adoption, answers: Answers, replan: Any, dotted: str, schema: dict[str, Any]) -> Adoption:
    """Ask for the one value at ``dotted`` (checked by composing with it); the plan with the answer in it,
    or ``plan`` when it was left for later."""
    from hub.prompting import ask, show_choices

    choices = [str(c) for c in schema.get("enum", [])]
    if choices:
        show_choices(choices)
    tried: dict[str, Adoption] = {}

    def check(value: Any) -> list[str]:
        if value is None:
            return []  # Enter with nothing offered: left for later
        tried["plan"] = replan(Answers({**answers.values, dotted: value}, answers.profile, answers.skipped))
        return _reasons(tried["plan"], dotted)

    value = ask(
        t("adopt.prompt", path=dotted, title=_title(schema)),
        suggested(dotted, plan),
        lambda a: parse_answer(a, schema),
        check,
    )
    answers.skipped.add(dotted)
    if value is None:
        return plan
    answers.values[dotted] = value
    return tried["plan"]


def _title(schema: dict[str, Any]) -> str:
    """The schema's title, else its description's first clause, in brackets."""
    text = str(schema.get("title") or schema.get("description") or "")
    text = re.split(r"(?<=[a-z)])[.:;] ", text, maxsplit=1)[0].rstrip(".")
    return f" ({text[:80]})" if text else ""


def _ask_profile(plan: Adoption, answers: Answers, replan: Any) -> Adoption:
    """A missing ``local_system``: build it on a connector profile (chosen from the registry's), or leave
    it for later (Enter: the team writes its own)."""
    from hub.prompting import ask, read_choice, show_choices

    registry = Path(str(plan.path)).parents[2]
    profiles = service_templates(registry, kind="connector_profile")
    answers.skipped.add("local_system")
    if not profiles:
        return plan
    show_choices(profiles)
    tried: dict[str, Adoption] = {}

    def check(value: Any) -> list[str]:
        if value is None:
            return []
        tried["plan"] = replan(Answers(answers.values, value, answers.skipped))
        return []

    chosen = ask(t("adopt.profile"), None, lambda answer: read_choice(answer, profiles), check)
    if chosen is None:
        return plan
    answers.profile = chosen
    return tried["plan"]


def replanner(args: Any) -> Any:
    """``replan(answers)`` for ``ask_missing``: the adoption ``args`` asked for, with ``answers`` in it."""

    def replan(answers: Answers) -> Adoption:
        return plan_adoption(
            args.registry,
            args.template,
            args.region,
            version=args.template_version,
            profile_id=answers.profile,
            profile_version=args.profile_version if answers.profile == args.profile else None,
            slug=args.slug,
            values=answers.values,
        )

    return replan


_SECTIONS = ("service", "form", "local_system", "contact")  # the order of a package's sections


def _tidy(values: dict[str, Any]) -> dict[str, Any]:
    """The values in the package's section order (the overlay reads like a package), without an object
    opened for its fields that got none of them (``contact: {}``)."""
    kept = {k: v for k, v in values.items() if not (v == {} and not any(o.startswith(k + ".") for o in values))}

    def section(item: tuple[str, Any]) -> int:
        top = item[0].split(".", 1)[0]
        return _SECTIONS.index(top) if top in _SECTIONS else -1

    return dict(sorted(kept.items(), key=section))  # stable: within a section, the order asked
