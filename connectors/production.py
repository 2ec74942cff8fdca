"""Production refuses public defaults.

The embedded default (one machine, sandbox) runs with a published development hash key and the sandbox's
national token. Under production settings — ``MPPHUB_ENV=production``, or a host policy
(``MPPHUB_ALLOWED_HOSTS``) configured — ``mpphub serve``, ``mpphub sync`` and the Airflow tasks refuse to
start with them: with a public key, the keyed hash of a NIK in the ledger plus its masked form gives the
NIK back by brute force (the masked form leaves ~10 unknown digits, most of them a district and a birth
date: a few hundred million HMACs with the key). This module is the one place the rule
lives; ``hub.settings`` and ``dags/mpphub_airflow`` ask it.
"""

from __future__ import annotations

DEVELOPMENT_HASH_KEY = "mpphub-development-key"
SANDBOX_NATIONAL_TOKEN = "sandbox-national-token"  # noqa: S105 - the documented loopback sandbox token
MIN_HASH_KEY_CHARS = 32  # 32 random characters: far beyond brute force, whatever the masked digits show


def is_production(env: str, allowed_hosts: str) -> bool:
    """Production settings: ``MPPHUB_ENV=production`` or a configured host policy."""
    return env.strip().lower() in ("production", "prod") or bool(allowed_hosts.strip())


def production_problems(env: str, allowed_hosts: str, national_token: str, hash_key: str) -> list[str]:
    """Why these settings may not run in production (empty: fine, or not production). Never the values."""
    if not is_production(env, allowed_hosts):
        return []
    problems = []
    if hash_key == DEVELOPMENT_HASH_KEY or len(hash_key) < MIN_HASH_KEY_CHARS:
        problems.append(
            f"MPPHUB_HASH_KEY must be set to a secret of at least {MIN_HASH_KEY_CHARS} random characters "
            "(the development key is public)"
        )
    if national_token == SANDBOX_NATIONAL_TOKEN or not national_token.strip():
        problems.append("MPPHUB_NATIONAL_TOKEN must be set to the national layer's real token (not the sandbox's)")
    return problems
