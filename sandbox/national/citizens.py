"""The citizen simulator: citizens applying on the national layer for the registry's published services.

Deterministic under a seed (same seed, same ``today`` -> the same applications, ids included). Each
application is for a published service that citizens can use online (``online`` or ``mobile`` channel):
realistic names and addresses (Faker ``id_ID``), NIKs of the service's region, ``08xx`` phone numbers,
form data generated from the package's form and checked with jsonschema-rs (``registry.synthetic.forms``,
the generator ``mpphub check`` uses too, here with Faker's names), and a file for every required requirement. Two ways in::

    CitizenSimulator.to_store("national.db", seed=1).submit(50)          # straight into the database
    CitizenSimulator.to_url("http://127.0.0.1:8700", seed=1).run(rate_per_second=5, duration=60)

or from a shell: ``python -m sandbox.national.citizens --url http://127.0.0.1:8700 --rate 5 --count 100``.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import requests
from faker import Faker

from registry.index import load_index
from registry.synthetic.forms import valid_form
from sandbox.national import applications
from sandbox.national.files import GeneratedFile, attachments_for
from sandbox.national.store import Store, utc_now

REGISTRY = Path(__file__).resolve().parents[2] / "registry"
CITIZEN_CHANNELS = ("online", "mobile")


class FakerNames:
    """Faker ``id_ID``'s names, streets, cities and companies as a ``registry.synthetic`` name source:
    richer than its plain lists, for simulated citizens (Faker is the sandbox extra's dependency)."""

    def __init__(self, fake: Faker) -> None:
        self.fake = fake

    def given_name(self, female: bool) -> str:
        """A first name of the given sex."""
        return str(self.fake.first_name_female() if female else self.fake.first_name_male())

    def family_name(self, female: bool) -> str:
        """A last name of the given sex."""
        return str(self.fake.last_name_female() if female else self.fake.last_name_male())

    def street_address(self) -> str:
        """A street address."""
        return str(self.fake.street_address())

    def city(self) -> str:
        """A city."""
        return str(self.fake.city())

    def company(self) -> str:
        """A company name."""
        return str(self.fake.company())


@dataclass(frozen=True)
class Submission:
    """One citizen's application as the simulator sends it."""

    id: str
    service_id: str
    package_version: str
    channel: str
    submitted_at: str
    form: dict[str, Any]
    attachments: list[GeneratedFile]

    def to_json(self) -> dict[str, Any]:
        """The body of ``POST /_sandbox/applications``."""
        files = [
            {
                "requirement_id": f.requirement_id,
                "filename": f.filename,
                "media_type": f.media_type,
                "content_base64": base64.b64encode(f.content).decode(),
            }
            for f in self.attachments
        ]
        fields = ("id", "service_id", "package_version", "channel", "submitted_at", "form")
        return {**{k: getattr(self, k) for k in fields}, "attachments": files}


class Sink(Protocol):
    """Where submissions go."""

    def send(self, submission: Submission) -> None:
        """Deliver one submission (raise when it is refused)."""


class StoreSink:
    """Writes submissions straight into a national-layer database (no HTTP)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def send(self, submission: Submission) -> None:
        """Insert (idempotent by id)."""
        files = [
            applications.NewAttachment(f.requirement_id, f.filename, f.media_type, f.content)
            for f in submission.attachments
        ]
        applications.submit(
            self.store,
            applications.NewApplication(
                service_id=submission.service_id,
                package_version=submission.package_version,
                form=submission.form,
                submitted_at=submission.submitted_at,
                channel=submission.channel,
                id=submission.id,
                attachments=files,
            ),
        )


class HttpSink:
    """Posts submissions to a running national layer's ``/_sandbox/applications``."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url, self.timeout = url.rstrip("/"), timeout
        self.session = requests.Session()

    def send(self, submission: Submission) -> None:
        """POST; a refusal raises with the server's problem detail (paths only, no values)."""
        response = self.session.post(
            f"{self.url}/_sandbox/applications", json=submission.to_json(), timeout=self.timeout
        )
        if response.status_code not in (200, 201):
            raise RuntimeError(
                f"the national layer refused {submission.id}: {response.status_code} {response.text[:500]}"
            )


def published_packages(registry_dir: Path, regions: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The latest published version of every service citizens can apply for online, in id order."""
    index = load_index(registry_dir)
    packages = []
    for _, entry in sorted(index["packages"].items()):
        if regions and entry.get("region") not in regions:
            continue
        info = entry["versions"][entry["latest"]]
        with (registry_dir / info["path"]).open(encoding="utf-8") as f:
            doc = json.load(f)
        if set(doc["service"]["channels"]) & set(CITIZEN_CHANNELS):
            packages.append(doc)
    return packages


class CitizenSimulator:
    """Generates and submits citizens' applications; see the module docstring."""

    def __init__(
        self,
        registry_dir: str | Path = REGISTRY,
        seed: int = 0,
        sink: Sink | None = None,
        services: Sequence[str] | None = None,
        regions: Sequence[str] | None = None,
        today: date | None = None,
        clock: Callable[[], str] = utc_now,
        max_attachment_kb: int = 48,
    ) -> None:
        """``max_attachment_kb`` caps every generated file (benchmarks of many applications use small ones)."""
        if max_attachment_kb < 1:
            raise ValueError("max_attachment_kb must be at least 1")
        self.max_attachment_kb = max_attachment_kb
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.fake = Faker("id_ID")
        self.fake.seed_instance(seed)
        self.names = FakerNames(self.fake)
        self.sink, self.today, self.clock = sink, today or date.today(), clock
        self.packages = [
            p for p in published_packages(Path(registry_dir), regions) if not services or p["id"] in services
        ]
        if not self.packages:
            raise ValueError("no published service to apply for (check services / regions)")
        self.submitted = 0

    @classmethod
    def to_url(cls, url: str, **options: Any) -> CitizenSimulator:
        """A simulator that posts to the national layer at ``url``."""
        return cls(sink=HttpSink(url), **options)

    @classmethod
    def to_store(cls, db_path: str | Path, **options: Any) -> CitizenSimulator:
        """A simulator that writes into the national layer's database file."""
        return cls(sink=StoreSink(Store(db_path)), **options)

    def form_for(self, package: dict[str, Any]) -> dict[str, Any]:
        """Valid form data for ``package`` (checked with jsonschema-rs, formats included)."""
        return valid_form(package, self.rng, self.today, self.names)

    def application_for(self, package: dict[str, Any]) -> Submission:
        """One citizen's application for ``package``."""
        channels = [c for c in CITIZEN_CHANNELS if c in package["service"]["channels"]]
        channel = "mobile" if "mobile" in channels and (len(channels) == 1 or self.rng.random() < 0.2) else channels[0]
        return Submission(
            id=applications.new_application_id(self.rng.getrandbits(128)),
            service_id=package["id"],
            package_version=package["version"],
            channel=channel,
            submitted_at=self.clock(),
            form=self.form_for(package),
            attachments=attachments_for(package["service"]["requirements"], self.rng, self.max_attachment_kb),
        )

    def generate(self, n: int) -> list[Submission]:
        """``n`` applications for services drawn at random (nothing is sent)."""
        return [self.application_for(self.rng.choice(self.packages)) for _ in range(n)]

    def submit(self, n: int) -> list[Submission]:
        """Generate ``n`` applications and send each to the sink at once."""
        return self._send(self.generate(n))

    def submit_each(self) -> list[Submission]:
        """One application for every service, in id order (so that a run covers them all)."""
        return self._send([self.application_for(p) for p in self.packages])

    def _send(self, submissions: list[Submission]) -> list[Submission]:
        if self.sink is None:
            raise ValueError("this simulator has no sink: use to_url / to_store, or generate()")
        out = []
        for submission in submissions:
            self.sink.send(submission)
            self.submitted += 1
            out.append(submission)
        return out

    def run(
        self,
        rate_per_second: float,
        count: int | None = None,
        duration: float | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> int:
        """Submit at ``rate_per_second`` until ``count`` applications, ``duration`` seconds or ``stop()``.

        Paced on a fixed schedule (no drift); the number submitted is returned. ``stop()`` is asked again
        at least every 0.1 s while waiting, so a slow rate still ends promptly: nothing is sent once it
        holds (``mpphub sandbox up`` joins this thread before stopping the national layer it sends to).
        """
        if rate_per_second <= 0:
            raise ValueError("the rate must be positive")
        start, sent = time.monotonic(), 0
        while (count is None or sent < count) and not stop():
            offset = sent / rate_per_second  # from the start, so float error cannot let one more through
            if duration is not None and offset >= duration:
                break
            due = start + offset
            while (wait := due - time.monotonic()) > 0 and not stop():
                time.sleep(min(wait, 0.1))
            if stop():
                break
            self.submit(1)
            sent += 1
        return sent


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: submit citizens' applications to a running national layer or a database file."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.national.citizens", description=main.__doc__)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="base URL of the sandbox national layer")
    target.add_argument("--db", help="SQLite file of the national layer (written directly)")
    parser.add_argument("--rate", type=float, default=1.0, help="applications per second (default 1)")
    parser.add_argument("--count", type=int, help="stop after this many applications")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--registry", default=str(REGISTRY))
    parser.add_argument("--region", action="append", help="only services of this region (repeatable)")
    parser.add_argument("--service", action="append", help="only this service id (repeatable)")
    args = parser.parse_args(argv)
    options: dict[str, Any] = {
        "registry_dir": args.registry,
        "seed": args.seed,
        "services": args.service,
        "regions": args.region,
    }
    simulator = (
        CitizenSimulator.to_url(args.url, **options) if args.url else CitizenSimulator.to_store(args.db, **options)
    )
    sent = simulator.run(args.rate, count=args.count, duration=args.duration)
    print(f"submitted {sent} applications")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
