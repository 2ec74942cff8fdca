"""Write a valid starter package for a region's service.

Every value has a flag; on a terminal, values not given are asked for (Enter keeps the default), each
answer checked as it is given (a wrong one is asked again with the reason; earlier answers are kept).
Closed lists (categories, connector kinds, auth types, dialects) are listed from the schema and may be
answered by number; only what the chosen kind needs is asked (no API URL for sql), and a fee's Perda.
Fees are read as written in Indonesia: 250000, 250.000, Rp 250.000. Values left at the starter's
placeholders are named when the file is written: ``mpphub publish`` refuses them until replaced.
The file goes to registry/packages/REGION/SLUG.json unless --out says otherwise; an existing file is
never overwritten without --force. The result is validated before it is written.
Ending the questions early writes nothing: end of input (Ctrl-D) exits 1, an interrupt (Ctrl-C) exits 130.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.messages import count, t

if TYPE_CHECKING:
    from registry.starter import StarterKind

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _always(opts: Any) -> bool:
    """A question asked whatever the other answers are."""
    return True


@dataclass(frozen=True)
class _Question:
    """One question of the interactive init: the StarterOptions field it fills, how an answer is read,
    the JSON path of the package it lands at (the validator's problems there are the reasons to re-ask),
    and when it is asked at all (only what the chosen kind, fee or auth type needs)."""

    field: str
    read: str  # text | number | rupiah | choice
    path: str
    when: Callable[[Any], bool] = _always


@dataclass(frozen=True)
class _Option:
    """One value of ``mpphub init``: the StarterOptions field it sets and its flag's help; with ``read``,
    the question asked for it on a terminal (as _Question). The flag is the field's name (``--name-id``)
    unless ``flag`` names another; ``type`` reads the flag's value."""

    field: str
    help: str
    read: str = ""  # "": a flag only, never asked
    path: str = ""
    when: Callable[[Any], bool] = _always
    flag: str | None = None
    type: Callable[[str], Any] = str


def _fee_arg(text: str) -> int:
    """``--fee 250.000``: amounts as Indonesians write them (registry.starter.parse_rupiah)."""
    from registry.starter import parse_rupiah

    try:
        return parse_rupiah(text)
    except ValueError:
        raise argparse.ArgumentTypeError(t("init.fee_format")) from None


# in the order of --help; the questions are asked in the same order
_OPTIONS = (
    _Option("name_id", "service name in Bahasa Indonesia", "text", "$.service.name.id"),
    _Option("name_en", "service name in English", "text", "$.service.name.en"),
    _Option("agency", "the OPD that processes the service", "text", "$.service.agency"),
    _Option("category", "category (see the schema's closed list)", "choice", "$.service.category"),
    _Option("description", "short description in Bahasa Indonesia"),
    _Option("legal_basis", "the regulation the service rests on", "text", "$.service.legal_basis"),
    _Option("sla_working_days", "SLA in working days", "number", "$.service.sla_working_days", flag="--sla", type=int),
    _Option(
        "fee_idr",
        "fee in rupiah: 250000, 250.000 or 'Rp 250.000'; 0 = free (default)",
        "rupiah",
        "$.service.fee",
        flag="--fee",
        type=_fee_arg,
    ),
    _Option(
        "fee_legal_basis",
        "the regulation (Perda) that sets the fee",
        "text",
        "$.service.fee.legal_basis",
        when=lambda opts: opts.fee_idr > 0,
    ),
    _Option(
        "kind", "connector kind: rest (default), or one of the schema's closed list", "choice", "$.local_system.kind"
    ),
    # asked only when the chosen kind's starter asks them (StarterKind.asks: no API URL for sql)
    _Option("base_url", "base URL of the local system's API (HTTP kinds)", "text", "$.local_system.base_url"),
    _Option(
        "auth_type", "how the hub signs in to the API (HTTP kinds; default: bearer)", "choice", "$.local_system.auth"
    ),
    _Option(
        "token_url",
        "the OAuth2 token URL (--auth-type oauth2_client_credentials)",
        "text",
        "$.local_system.auth.token_url",
    ),
    _Option("dialect", "database dialect (sql; default: mariadb)", "choice", "$.local_system.dialect"),
    _Option("secret_ref", "name of the credential secret (default derived from region and slug)"),
    _Option("contact_email", "the team's e-mail address", "text", "$.contact.email"),
    _Option("contact_unit", "the team responsible for the package"),
)
_QUESTIONS = tuple(_Question(o.field, o.read, o.path, o.when) for o in _OPTIONS if o.read)


def _starter(opts: Any) -> StarterKind:
    """The starter of the chosen connector kind (each kind's class carries its own)."""
    from connectors.kinds import CONNECTOR_KINDS

    return CONNECTOR_KINDS[opts.kind].starter


def _asked(question: _Question, opts: Any) -> bool:
    """Whether a question applies: its own condition, and the chosen kind's starter uses its option."""
    return question.when(opts) and _starter(opts).asks(question.field, opts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub init``."""
    parser.add_argument("region", metavar="REGION", help="Kemendagri code, e.g. 35.76")
    parser.add_argument("slug", metavar="SLUG", help="service slug, e.g. izin-reklame")
    for option in _OPTIONS:
        flag = option.flag or "--" + option.field.replace("_", "-")
        parser.add_argument(flag, dest=option.field, type=option.type, help=option.help)
    parser.add_argument("--out", type=Path, help="output file (default: registry/packages/REGION/SLUG.json)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.add_argument("--no-input", action="store_true", help="never prompt, even on a terminal")


def _read(question: _Question, answer: str, choices: list[str]) -> Any:
    """The value of one typed answer; ValueError with the reason, in the run's language, when it is none."""
    from hub.prompting import read_choice, read_whole_number

    if question.read == "number":
        return read_whole_number(answer)
    if question.read == "rupiah":
        from registry.starter import parse_rupiah

        try:
            return parse_rupiah(answer)
        except ValueError:
            raise ValueError(t("init.fee_format")) from None
    if question.read == "choice":
        return read_choice(answer, choices)
    return answer


def _reasons(opts: Any, question: _Question, file: Path) -> list[str]:
    """What the validator says about the package at the question's path: the answer's own problems (the
    schema and the rules are the single source of what a value may be)."""
    from registry.starter import starter_package
    from registry.validate import check_document

    problems = check_document(file, starter_package(opts, _starter(opts)), str(file))
    return [
        p.message
        for p in problems
        if p.path == question.path or p.path.startswith((question.path + ".", question.path + "["))
    ]


def _ask_all(opts: Any, given: set[str], file: Path) -> None:
    """Ask every question the options still need, in order, each answer checked as it is given: a wrong
    answer is asked again with the reason, and never costs the answers before it."""
    from hub.prompting import ask, show_choices
    from registry.placeholders import PLACEHOLDERS
    from registry.starter import schema_choices

    closed = schema_choices()
    for question in _QUESTIONS:
        if question.field in given or not _asked(question, opts):
            continue
        choices = closed.get(question.field, [])
        if question.field == "fee_legal_basis" and not opts.fee_legal_basis:
            from registry.placeholders import FEE_LEGAL_BASIS

            opts.fee_legal_basis = FEE_LEGAL_BASIS.text  # shown as the default to replace
        if choices:
            show_choices(choices)

        def check(value: Any, question: _Question = question) -> list[str]:
            current = getattr(opts, question.field)
            setattr(opts, question.field, value)
            reasons = _reasons(opts, question, file)
            if reasons:
                setattr(opts, question.field, current)  # keep the package as it was: only this answer goes
            return reasons

        def parse(answer: str, question: _Question = question, choices: list[str] = choices) -> Any:
            return _read(question, answer, choices)

        value = ask(t("init.prompt." + question.field), getattr(opts, question.field), parse, check)
        setattr(opts, question.field, value)
        if isinstance(value, str) and any(p.matches(value) for p in PLACEHOLDERS):
            print(t("init.placeholder_kept"))


def run(args: argparse.Namespace) -> int:
    """Build, validate and write the starter package."""
    from hub.output import print_problems
    from hub.prompting import asked, at_a_terminal
    from registry.placeholders import find_placeholders
    from registry.problems import json_path
    from registry.regions import REGION_CODE, region_table
    from registry.starter import StarterOptions, schema_choices, starter_package
    from registry.validate import check_document

    if not REGION_CODE.match(args.region) or args.region not in region_table():
        near = region_table().suggest(args.region)
        hint = f"; did you mean {near.code} ({near.name})?" if near else ""
        print(f"mpphub init: unknown region '{args.region}'{hint}", file=sys.stderr)
        return 2
    if not _SLUG.match(args.slug) or len(args.slug) > 60:
        print(
            "mpphub init: SLUG must be lowercase letters, digits and single hyphens, e.g. izin-reklame", file=sys.stderr
        )
        return 2
    for name, allowed in schema_choices().items():
        value = getattr(args, name, None)
        if value is not None and value not in allowed:
            print(f"mpphub init: --{name.replace('_', '-')} must be one of: {', '.join(allowed)}", file=sys.stderr)
            return 2
    values = {f.name: getattr(args, f.name) for f in fields(StarterOptions) if getattr(args, f.name, None) is not None}
    opts = StarterOptions(
        region=args.region, slug=args.slug, **{k: v for k, v in values.items() if k not in ("region", "slug")}
    )
    out: Path = args.out or Path("registry") / "packages" / args.region / f"{args.slug}.json"
    if out.exists() and not args.force:  # said before the questions, not after them
        print(t("init.exists", out=out), file=sys.stderr)
        return 2
    if at_a_terminal(args.no_input):
        stopped = asked(lambda: _ask_all(opts, set(values), out), "init.cancelled")
        if stopped is not None:
            return stopped
    doc = starter_package(opts, _starter(opts))
    problems = check_document(out, doc, str(out))
    if problems:
        print_problems(problems, "text", sys.stderr)
        print(t("init.invalid"), file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(t("init.wrote", out=out))
    kept = find_placeholders(doc)
    if kept:
        paths = ", ".join(json_path(found.path) for found in kept)
        print(t("init.wrote_placeholders", count=count(len(kept), "placeholder"), paths=paths))
    return 0
