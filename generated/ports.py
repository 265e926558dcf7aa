"""Generated from ports.yaml by `portolan sync`; do not edit.

The ports of lumiere: `Environment.parse(name)`, then a function per named port.
"""

from __future__ import annotations

import enum
from typing import Final

PROJECT: Final = "lumiere"


class Environment(enum.Enum):
    """The environments, in the order ports.yaml declares them."""

    PRODUCTION = "production"
    DEVELOPMENT = "development"
    TEST = "test"

    @classmethod
    def parse(cls, name: str) -> Environment:
        """The environment called `name`; a ValueError lists the valid names."""
        for environment in cls:
            if environment.value == name:
                return environment
        raise ValueError(
            f"unknown environment {name!r}; expected one of: production, development, test"
        )


def _port(table: dict[Environment, int], environment: Environment, what: str) -> int:
    try:
        return table[environment]
    except KeyError:
        raise ValueError(f"{what} has no port in {environment.value}") from None


COURIER_API_PRODUCTION: Final = 8765
COURIER_API_DEVELOPMENT: Final = 9765
COURIER_API_TEST: Final = 7765
_COURIER_API: Final[dict[Environment, int]] = {Environment.PRODUCTION: 8765, Environment.DEVELOPMENT: 9765, Environment.TEST: 7765}


def courier_api(environment: Environment) -> int:
    """The host port of `courier` `api` (Event Bus (WebSocket)) in `environment`."""
    return _port(_COURIER_API, environment, "courier api")


COURIER_HEALTH_PRODUCTION: Final = 8791
COURIER_HEALTH_DEVELOPMENT: Final = 9791
COURIER_HEALTH_TEST: Final = 7791
_COURIER_HEALTH: Final[dict[Environment, int]] = {Environment.PRODUCTION: 8791, Environment.DEVELOPMENT: 9791, Environment.TEST: 7791}


def courier_health(environment: Environment) -> int:
    """The host port of `courier` `health` (Event Bus (WebSocket)) in `environment`."""
    return _port(_COURIER_HEALTH, environment, "courier health")


COURIER_METRICS_PRODUCTION: Final = 8790
COURIER_METRICS_DEVELOPMENT: Final = 9790
COURIER_METRICS_TEST: Final = 7790
_COURIER_METRICS: Final[dict[Environment, int]] = {Environment.PRODUCTION: 8790, Environment.DEVELOPMENT: 9790, Environment.TEST: 7790}


def courier_metrics(environment: Environment) -> int:
    """The host port of `courier` `metrics` (Event Bus (WebSocket)) in `environment`."""
    return _port(_COURIER_METRICS, environment, "courier metrics")


PASSEUR_API_PRODUCTION: Final = 8766
PASSEUR_API_DEVELOPMENT: Final = 9766
PASSEUR_API_TEST: Final = 7766
_PASSEUR_API: Final[dict[Environment, int]] = {Environment.PRODUCTION: 8766, Environment.DEVELOPMENT: 9766, Environment.TEST: 7766}


def passeur_api(environment: Environment) -> int:
    """The host port of `passeur` `api` (Blockchain Bridge) in `environment`."""
    return _port(_PASSEUR_API, environment, "passeur api")


PASSEUR_BRIDGE_PRODUCTION: Final = 8768
PASSEUR_BRIDGE_DEVELOPMENT: Final = 9768
PASSEUR_BRIDGE_TEST: Final = 7768
_PASSEUR_BRIDGE: Final[dict[Environment, int]] = {Environment.PRODUCTION: 8768, Environment.DEVELOPMENT: 9768, Environment.TEST: 7768}


def passeur_bridge(environment: Environment) -> int:
    """The host port of `passeur` `bridge` (Blockchain Bridge) in `environment`."""
    return _port(_PASSEUR_BRIDGE, environment, "passeur bridge")


PASSEUR_HEALTH_PRODUCTION: Final = 8793
PASSEUR_HEALTH_DEVELOPMENT: Final = 9793
PASSEUR_HEALTH_TEST: Final = 7793
_PASSEUR_HEALTH: Final[dict[Environment, int]] = {Environment.PRODUCTION: 8793, Environment.DEVELOPMENT: 9793, Environment.TEST: 7793}


def passeur_health(environment: Environment) -> int:
    """The host port of `passeur` `health` (Blockchain Bridge) in `environment`."""
    return _port(_PASSEUR_HEALTH, environment, "passeur health")


PASSEUR_METRICS_PRODUCTION: Final = 8792
PASSEUR_METRICS_DEVELOPMENT: Final = 9792
PASSEUR_METRICS_TEST: Final = 7792
_PASSEUR_METRICS: Final[dict[Environment, int]] = {Environment.PRODUCTION: 8792, Environment.DEVELOPMENT: 9792, Environment.TEST: 7792}


def passeur_metrics(environment: Environment) -> int:
    """The host port of `passeur` `metrics` (Blockchain Bridge) in `environment`."""
    return _port(_PASSEUR_METRICS, environment, "passeur metrics")


POURTIER_API_PRODUCTION: Final = 8000
POURTIER_API_DEVELOPMENT: Final = 9000
POURTIER_API_TEST: Final = 7000
_POURTIER_API: Final[dict[Environment, int]] = {Environment.PRODUCTION: 8000, Environment.DEVELOPMENT: 9000, Environment.TEST: 7000}


def pourtier_api(environment: Environment) -> int:
    """The host port of `pourtier` `api` (User Management API) in `environment`."""
    return _port(_POURTIER_API, environment, "pourtier api")


POURTIER_HEALTH_PRODUCTION: Final = 8091
POURTIER_HEALTH_DEVELOPMENT: Final = 9091
POURTIER_HEALTH_TEST: Final = 7091
_POURTIER_HEALTH: Final[dict[Environment, int]] = {Environment.PRODUCTION: 8091, Environment.DEVELOPMENT: 9091, Environment.TEST: 7091}


def pourtier_health(environment: Environment) -> int:
    """The host port of `pourtier` `health` (User Management API) in `environment`."""
    return _port(_POURTIER_HEALTH, environment, "pourtier health")


POURTIER_METRICS_PRODUCTION: Final = 8090
POURTIER_METRICS_DEVELOPMENT: Final = 9090
POURTIER_METRICS_TEST: Final = 7090
_POURTIER_METRICS: Final[dict[Environment, int]] = {Environment.PRODUCTION: 8090, Environment.DEVELOPMENT: 9090, Environment.TEST: 7090}


def pourtier_metrics(environment: Environment) -> int:
    """The host port of `pourtier` `metrics` (User Management API) in `environment`."""
    return _port(_POURTIER_METRICS, environment, "pourtier metrics")


# Infrastructure: the same in every environment that publishes it.
INFLUXDB_PORT: Final = 8086
POSTGRES_PORT: Final = 5432
POSTGRES_TEST_PORT: Final = 5433
PYPI_PORT: Final = 9001
REDIS_PORT: Final = 6379
STATSD_PORT: Final = 8125
