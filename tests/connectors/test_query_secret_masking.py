"""An API key in the query string (``auth.in: query``) never reaches a log in clear: urllib3 logs every
request line at DEBUG, and the data-protection drill found ``api_key=...`` of the PHP-style system there."""

from __future__ import annotations

import logging

import pytest

from connectors.auth import QueryKeyAuth
from connectors.masking import install_log_masking, scrub_text


def test_the_usual_key_parameters_are_masked_in_any_text() -> None:
    line = 'GET /permohonan/riwayat?api_key=sandbox-api-key&sejak=01-12-2026+10%3A00%3A00 HTTP/1.1" 200'
    assert scrub_text(line) == 'GET /permohonan/riwayat?api_key=***&sejak=01-12-2026+10%3A00%3A00 HTTP/1.1" 200'
    assert scrub_text("https://x.go.id/a?page=2&ACCESS_TOKEN=abc.def") == "https://x.go.id/a?page=2&ACCESS_TOKEN=***"
    assert scrub_text("page=2&sejak=x") == "page=2&sejak=x", "other parameters are left as they are"


def test_a_packages_own_key_parameter_is_masked_once_its_auth_is_built(caplog: pytest.LogCaptureFixture) -> None:
    assert scrub_text("/feed?kunci_rahasia=s3cr3t-value") == "/feed?kunci_rahasia=s3cr3t-value"
    QueryKeyAuth("kunci_rahasia", "s3cr3t-value")
    install_log_masking()
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        logging.getLogger("urllib3.connectionpool").debug(
            '"GET %s HTTP/1.1" 200 12', "/feed?kunci_rahasia=s3cr3t-value"
        )
    assert "s3cr3t-value" not in caplog.text and "kunci_rahasia=***" in caplog.text
