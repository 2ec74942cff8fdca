"""docker-compose.yml has the production shape of DESIGN.md: Airflow 3.3 (api-server, scheduler,
dag-processor, triggerer, Celery workers) on PostgreSQL and Redis, and the hub API — configured by
environment, with healthchecks, and no secret written into the file."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML comes with Airflow; its stubs are not worth a dependency

from tests.conftest import REPO

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
LONG_RUNNING = {*AIRFLOW_SERVICES, "postgres", "redis", "hub-api"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def test_every_service_of_the_production_shape_is_there(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == LONG_RUNNING | {"airflow-init"}
    for name, command in AIRFLOW_SERVICES.items():
        assert services[name]["command"] == command, name
    assert services["airflow-worker"]["deploy"]["replicas"] >= 2
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["hub-api"]["entrypoint"] == ["mpphub"] and services["hub-api"]["command"][0] == "serve"
    assert "FROM apache/airflow:3.3.2-" in (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")


def test_long_running_services_have_healthchecks_and_wait_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck", {})
        assert check.get("test"), f"{name} has no healthcheck"
    for name in [*AIRFLOW_SERVICES, "hub-api"]:
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
    assert services["airflow-worker"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_airflow_is_configured_by_environment_for_celery_postgres_and_the_hub(compose: dict[str, Any]) -> None:
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        service = compose["services"][name]
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379/"), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/", name
        assert env["MPPHUB_LEDGER_URL"].startswith("postgresql+psycopg://mpphub:"), name
        assert env["MPPHUB_REGISTRY"] == "/opt/mpp-hub/registry", name
        assert {"MPPHUB_NATIONAL_URL", "MPPHUB_NATIONAL_TOKEN", "MPPHUB_HASH_KEY", "MPPHUB_ALLOWED_HOSTS"} <= set(env)
        assert "./dags:/opt/airflow/dags:ro" in service["volumes"], name
    assert "mpphub_airflow.pools" in " ".join(compose["services"]["airflow-init"]["command"])
    hub_env = compose["services"]["hub-api"]["environment"]
    assert hub_env["MPPHUB_LEDGER_URL"].startswith("postgresql+psycopg://mpphub:")


def test_no_secret_is_written_into_the_file(compose: dict[str, Any]) -> None:
    secretish = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|HASH_KEY")
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        for key, value in env.items():
            if secretish.search(key):
                assert str(value).startswith("${"), f"{name}: {key} must come from .env"
            for password in re.findall(r"://[^:/\s]+:([^@\s]+)@", str(value)):
                assert password.startswith("${"), f"{name}: {key} holds a literal password"
