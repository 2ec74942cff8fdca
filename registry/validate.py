"""Validate package files: the one code path behind ``mpphub validate``, ``publish`` and the benchmark.

Per file: safe loading (``registry.document``), the JSON Schema (``registry.schema_check``), then every
rule of ``registry.rules``. Across files: ids (so slugs) are unique per region. Large sets are checked
in worker processes, one per core.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.document import DocumentError, load_document
from registry.problems import PathPart, Problem, json_path
from registry.region_feeds import feed_signature
from registry.regions import region_table
from registry.rules import PACKAGE_RULES, PackageContext
from registry.schema_check import schema_errors

if TYPE_CHECKING:  # registry.templates is imported only for files that need it (start-up budget)
    from registry.templates import Composition, TemplateStore

Progress = Callable[[int, int], None]
# Below this many files, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 200
_CHUNK = 256


# Plain classes, not dataclasses: importing ``dataclasses`` costs ~5 ms of the one-file start-up.
class FileReport:
    """The outcome for one file."""

    __slots__ = ("feed", "file", "package_id", "problems", "version")

    def __init__(
        self,
        file: str,
        problems: list[Problem] | None = None,
        package_id: str | None = None,
        version: str | None = None,
    ) -> None:
        self.file = file
        self.problems: list[Problem] = problems if problems is not None else []
        self.package_id = package_id
        self.version = version
        # (region, name, service code, digest of the read) when the package reads a region feed
        self.feed: tuple[str, str, str, str] | None = None

    def __repr__(self) -> str:
        return f"FileReport(file={self.file!r}, problems={self.problems!r}, package_id={self.package_id!r})"


class Report:
    """The outcome for a set of files, cross-file problems included."""

    __slots__ = ("files",)

    def __init__(self, files: list[FileReport]) -> None:
        self.files = files

    @property
    def problems(self) -> list[Problem]:
        """Every problem, file by file in the order the files were given."""
        return [p for f in self.files for p in f.problems]

    @property
    def files_with_problems(self) -> int:
        """How many files have at least one problem."""
        return sum(1 for f in self.files if f.problems)


def package_findings(file: Path, doc: dict[str, Any]) -> list[tuple[list[PathPart], str, str]]:
    """Schema and rule findings of one complete package as (path, message, rule), schema ones first."""
    findings = list(schema_errors(doc))
    ctx = PackageContext(file=file, doc=doc, regions=region_table())
    for rule_name, rule in PACKAGE_RULES.items():
        for finding in rule(ctx):
            findings.append((list(finding.path), finding.message, rule_name))
    return findings


def check_document(
    file: Path, doc: dict[str, Any], display: str | None = None, templates: TemplateStore | None = None
) -> list[Problem]:
    """Problems of one parsed file: a package, a template, or a package adopting a template (composed with
    its template from ``templates``, default: the registry the file lies in, and each problem reported at
    the file and path where a person fixes it)."""
    name = display if display is not None else str(file)
    if isinstance(doc.get("template"), dict):  # a template (registry.templates.is_template)
        from registry.template_check import template_findings

        return [Problem(name, json_path(path), message, rule) for path, message, rule in template_findings(file, doc)]
    if "extends" in doc:
        return check_composition(compose_package(file, doc, name, templates), file)
    return [Problem(name, json_path(path), message, rule) for path, message, rule in package_findings(file, doc)]


def compose_package(
    file: Path, doc: dict[str, Any], display: str | None = None, templates: TemplateStore | None = None
) -> Composition:
    """Compose an adopting package with its template (and profile) from ``templates`` or its registry."""
    from registry.templates import Composition, compose

    name = display if display is not None else str(file)
    if not extends_well_formed(doc.get("extends")):  # a version range, say: it names no template to compose
        alone = {"extends": doc.get("extends")}  # the schema says what is wrong (only extends: one small pass)
        shape = [(name, path, message, rule) for path, message, rule in schema_errors(alone) if path[:1] == ["extends"]]
        return Composition(doc=None, problems=shape)
    store = templates or _store(registry_of(file))
    return compose(name, doc, store)


def extends_well_formed(extends: Any) -> bool:
    """Whether ``extends`` has the schema's shape (checked in Python: the schema engine's pass over an
    overlay alone would report every field the template provides as missing, at a cost per package)."""
    from registry.templates import well_formed_ref

    if not isinstance(extends, dict) or not set(extends) <= {"template", "version", "profile"}:
        return False
    profile = extends.get("profile")
    return well_formed_ref(extends) and (
        profile is None
        or (isinstance(profile, dict) and set(profile) <= {"template", "version"} and well_formed_ref(profile))
    )


@lru_cache(maxsize=16)
def _store(registry: Path) -> TemplateStore:
    from registry.templates import TemplateStore

    return TemplateStore(registry)


def check_composition(composition: Composition, file: Path) -> list[Problem]:
    """Problems of a composed package, each at the layer (file) that holds the value."""
    from registry.templates import lock_problems, origin

    problems = [Problem(f, json_path(path), message, rule) for f, path, message, rule in composition.problems]
    if composition.doc is None:
        return problems
    for path, message, rule in package_findings(file, composition.doc):
        layer = origin(composition, path, rule)
        problems.append(Problem(layer.file, json_path(path), message, rule))
    problems.extend(Problem(f, json_path(path), message, rule) for f, path, message, rule in lock_problems(composition))
    return problems


def registry_of(file: Path) -> Path:
    """The registry folder a file lies in: the nearest parent holding ``index.json`` or ``templates/``;
    else ``registry`` under the working directory."""
    return _registry_of_folder(file.parent)  # cached per folder: 100,000 files, a few hundred folders


@lru_cache(maxsize=1024)
def _registry_of_folder(folder: Path) -> Path:
    from registry.templates import TEMPLATE_DIR

    resolved = folder.resolve()
    for parent in (resolved, *resolved.parents):
        if (parent / "index.json").is_file() or (parent / TEMPLATE_DIR).is_dir():
            return parent
    return Path("registry")


@lru_cache(maxsize=4)
def _cached_index(registry: Path) -> dict[str, Any]:
    from registry.index import load_index  # only --against-previous needs it: kept off the start-up path

    return load_index(registry)


def validate_file(path: Path, registry: Path | None = None) -> FileReport:
    """Load and check one file; never raises for anything the file contains.

    With ``registry``, also check the version against the latest published one (``--against-previous``).
    """
    report = FileReport(file=str(path))
    try:
        document = load_document(path)
    except DocumentError as exc:
        report.problems.append(Problem(report.file, "$", str(exc), "file"))
        return report
    doc = document.data
    report.package_id = doc.get("id") if isinstance(doc.get("id"), str) else None
    report.version = doc.get("version") if isinstance(doc.get("version"), str) else None
    raw = document.raw
    composed: Any = doc  # the package as the hub will run it (an adopting package: template + overlay)
    if "extends" in doc and not isinstance(doc.get("template"), dict):
        composition = compose_package(path, doc, report.file)
        composed = composition.doc
        report.problems.extend(check_composition(composition, path))
        if composition.doc is not None and registry is not None:
            from registry.publish import canonical_bytes

            doc, raw = composition.doc, canonical_bytes(composition.doc)  # what publishing would write
    else:
        report.problems.extend(check_document(path, doc, report.file))
    if isinstance(composed, dict) and not report.problems:
        report.feed = feed_signature(composed)
    if registry is not None:
        from registry.versioning import check_against_previous

        for finding in check_against_previous(doc, raw, registry, _cached_index(registry)):
            report.problems.append(Problem(report.file, json_path(finding.path), finding.message, "version-bump"))
    return report


def _validate_chunk(paths: list[Path], registry: Path | None) -> list[FileReport]:
    return [validate_file(p, registry) for p in paths]


def validate_files(
    files: Sequence[Path],
    jobs: int | None = None,
    progress: Progress | None = None,
    registry: Path | None = None,
) -> Report:
    """Validate files (in parallel when there are many) and add the cross-file checks."""
    jobs = jobs or os.cpu_count() or 1
    total = len(files)
    reports: list[FileReport] = []
    if jobs <= 1 or total < _PARALLEL_THRESHOLD:
        for index, path in enumerate(files, start=1):
            reports.append(validate_file(path, registry))
            if progress:
                progress(index, total)
    else:
        from concurrent.futures import ProcessPoolExecutor  # imported here: it costs ~30 ms of start-up

        chunks = [list(files[i : i + _CHUNK]) for i in range(0, total, _CHUNK)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for chunk_reports in pool.map(_validate_chunk, chunks, [registry] * len(chunks)):
                reports.extend(chunk_reports)
                if progress:
                    progress(len(reports), total)
    _check_unique_ids(reports)
    _check_region_feeds(reports)
    return Report(files=reports)


_FEED_PATH = "$.local_system.operations.status_changes.feed"


def _check_region_feeds(reports: list[FileReport]) -> None:
    """The packages of one region that read the same region feed declare its read alike and each a code
    of its own (``registry/region_feeds.py``): the hub reads the feed once, the first package's way."""
    by_feed: dict[tuple[str, str], list[FileReport]] = defaultdict(list)
    for report in reports:
        if report.feed is not None:
            by_feed[report.feed[:2]].append(report)
    for (_region, name), members in by_feed.items():
        members.sort(key=lambda r: r.package_id or "")
        first = members[0]
        assert first.feed is not None
        codes: dict[str, FileReport] = {}
        for report in members:
            assert report.feed is not None
            code, digest = report.feed[2], report.feed[3]
            if digest != first.feed[3]:
                report.problems.append(
                    Problem(
                        report.file,
                        _FEED_PATH,
                        f"region feed '{name}' is read the way {first.file} declares it; this package declares "
                        "its read otherwise (base URL, path, query, pagination, records, fields, cursor, auth, "
                        "dates or envelope): declare it alike",
                        "region-feed",
                    )
                )
            elif code in codes:
                report.problems.append(
                    Problem(
                        report.file,
                        _FEED_PATH + ".service_code",
                        f"service code '{code}' of region feed '{name}' is also {codes[code].file}'s: "
                        "each row goes to one package",
                        "region-feed",
                    )
                )
            else:
                codes[code] = report


def _check_unique_ids(reports: list[FileReport]) -> None:
    """A slug names one service per region: two files may not declare the same id."""
    by_id: dict[str, list[FileReport]] = defaultdict(list)
    for report in reports:
        if report.package_id:
            by_id[report.package_id].append(report)
    for package_id, same in by_id.items():
        if len(same) < 2:
            continue
        for report in same:
            others = ", ".join(r.file for r in same if r is not report)
            report.problems.append(
                Problem(
                    report.file,
                    "$.id",
                    f"id '{package_id}' is also declared by {others}: slugs must be unique per region",
                    "slug-unique",
                )
            )
