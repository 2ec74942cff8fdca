"""Request encodings (``operations.submit.body_encoding``): what the declared pieces say must agree.

The hub sets the ``Content-Type`` from the encoding; a fixed header that says another thing would make
the local system read the bytes wrongly, so it is refused. File parts in the form (``attachments.mode:
form_files``) exist only in a multipart body, and ``form_nesting`` only for form fields. Two body targets
that end up as the same field name would silently overwrite each other: refused too
(docs/local-systems.md, "Request encodings")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from registry.rules.access import as_dict, dig
from registry.rules.context import Finding, PackageContext

DEFAULT_ENCODING = "json"
DEFAULT_NESTING = "brackets"
# The media type the hub sends for each encoding. A multipart body's Content-Type carries the boundary
# chosen for that one request, so no fixed header can ever be right for it.
MEDIA_TYPES = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data",
}
FORM_ENCODINGS = ("form", "multipart")
# schema: $defs/body_mapping (kept in step with connectors.mapping's bracket form)
_BRACKET_TARGET = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)((?:\[[A-Za-z0-9_-]+\])+)\Z")


def content_type_fits(encoding: str, value: str) -> bool:
    """Whether a declared ``Content-Type`` value agrees with what the encoding sends: the same media type
    (parameters such as ``charset`` may be added; a ``+json`` type fits JSON); never for multipart."""
    media = value.split(";", 1)[0].strip().lower()
    if encoding == "json":
        return media == MEDIA_TYPES["json"] or (media.startswith("application/") and media.endswith("+json"))
    if encoding == "form":
        return media == MEDIA_TYPES["form"]
    return False


def sent_name(target: str, encoding: str, nesting: str) -> str:
    """The name a body target is sent under, for comparing targets: a bracket target verbatim in a form
    body; otherwise its nesting written in the encoding's own notation."""
    match = _BRACKET_TARGET.match(target)
    if encoding in FORM_ENCODINGS and match is not None:
        return target
    parts = (match.group(1), *match.group(2)[1:-1].split("][")) if match else tuple(target.split("."))
    if encoding in FORM_ENCODINGS and nesting == "brackets":
        return parts[0] + "".join(f"[{p}]" for p in parts[1:])
    return ".".join(parts)


def check_request_encodings(ctx: PackageContext) -> Iterator[Finding]:
    """The Content-Type, attachments mode, form_nesting and body target names agree with body_encoding."""
    submit = as_dict(dig(ctx.doc, "local_system", "operations", "submit"))
    where = ("local_system", "operations", "submit")
    encoding = submit.get("body_encoding", DEFAULT_ENCODING)
    nesting = submit.get("form_nesting", DEFAULT_NESTING)
    if not isinstance(encoding, str) or encoding not in MEDIA_TYPES or nesting not in ("brackets", "dots"):
        return  # an unknown name: the schema says so, with the options
    for name, value in as_dict(submit.get("headers")).items():
        if str(name).lower() != "content-type" or not isinstance(value, str) or content_type_fits(encoding, value):
            continue
        if encoding == "multipart":
            message = (
                "a fixed Content-Type cannot go with body_encoding 'multipart': its boundary is chosen for each "
                "request; remove the header (the hub sends multipart/form-data with the boundary)"
            )
        else:
            message = (
                f"Content-Type {value!r} contradicts body_encoding {encoding!r}: the hub sends "
                f"{MEDIA_TYPES[encoding]}; remove the header (the Content-Type follows body_encoding) or "
                "declare the body_encoding the local system reads"
            )
        yield Finding((*where, "headers", name), message)
    if "form_nesting" in submit and encoding not in FORM_ENCODINGS:
        yield Finding(
            (*where, "form_nesting"),
            f"form_nesting applies to form and multipart bodies only, and body_encoding is {encoding!r}; "
            "remove it or declare body_encoding 'form' or 'multipart'",
        )
    attachments = as_dict(submit.get("attachments"))
    if attachments.get("mode") == "form_files" and encoding != "multipart":
        yield Finding(
            (*where, "attachments", "mode"),
            f"attachments.mode 'form_files' sends the files as parts of a multipart form, and body_encoding is "
            f"{encoding!r}; declare body_encoding 'multipart' (or use mode inline_base64 or multipart)",
        )
    seen: dict[str, str] = {}
    for target in as_dict(submit.get("body")):
        if not isinstance(target, str):
            continue
        sent_as = sent_name(target, encoding, nesting)
        if sent_as in seen:
            yield Finding(
                (*where, "body", target),
                f"body targets {seen[sent_as]!r} and {target!r} both send the field {sent_as!r}: one would "
                "overwrite the other; keep one",
            )
        else:
            seen[sent_as] = target
