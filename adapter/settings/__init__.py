"""Every setting of spinemets, in one model read from ``SPINEMETS_*`` environment variables.

:class:`SpinemetsSettings` is composed of one field set per area (the service, its limits and
cards, storage and notifications, sync, the clinical rules, input limits, data directories, the
SMART app); every field has a description, and docs/settings.md is generated from them
(``scripts/generate-settings-docs``). The package sits beside :mod:`adapter.errors`, below every
layer, so the mapping and FHIR-reading layers read their settings here as the surfaces do.

An unusable value is a :class:`~adapter.errors.ConfigurationError` of one line naming the
variable: the command line exits 2, the service refuses to start. Settings are read when a
command or the service starts, never at import; the places that ask on every input or connection
keep what they read (``input_limits``, ``default_terminology``, the HTTP protocol's limits).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from adapter.errors import ConfigurationError
from adapter.settings.clinical import DataFields, InputFields, RuleFields
from adapter.settings.issuers import Issuer
from adapter.settings.service import CardFields, LimitFields, ServiceFields
from adapter.settings.smart import SmartFields
from adapter.settings.storage import NotifyFields, StorageFields, SyncFields

__all__ = [
    "NOT_SETTINGS",
    "PREFIX",
    "Issuer",
    "SpinemetsSettings",
    "from_mapping",
    "load",
    "unknown_variables",
    "variable",
]

PREFIX = "SPINEMETS_"

# Names with the prefix that are not settings of spinemets: the scripts' and the tests' own.
NOT_SETTINGS: dict[str, str] = {
    "SPINEMETS_CACHE": "scripts and tests: the download cache (Synthea, browsers)",
    "SPINEMETS_FHIR_PACKAGES": "scripts/fhir-packages: the FHIR package cache",
    "SPINEMETS_AUDIT_SERVICE": "scripts/audit-deps: the vulnerability database to ask",
    "SPINEMETS_VALIDATE_REQUESTS": "scripts/hapi: HAPI FHIR's request validation",
    "SPINEMETS_TEST_FHIR_URL": "integration tests: a running FHIR server to use",
    "SPINEMETS_TEST_ARTIFACTS": "browser tests: where screenshots go",
}


class SpinemetsSettings(
    BaseSettings,
    ServiceFields,
    CardFields,
    LimitFields,
    StorageFields,
    NotifyFields,
    SyncFields,
    RuleFields,
    InputFields,
    DataFields,
    SmartFields,
):
    """Everything spinemets reads from its environment (prefix ``SPINEMETS_``)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The arguments and the environment, nothing else: no .env file or secrets directory is
        # configured, yet the .env source would still walk every field at each load (~40%).
        return init_settings, env_settings

    @model_validator(mode="after")
    def _rules_agree(self) -> SpinemetsSettings:
        self.check_rules()
        return self


S = TypeVar("S", bound=BaseModel)


def variable(field: str) -> str:
    """The environment variable of a field."""
    return PREFIX + field.upper()


def unknown_variables(env: Mapping[str, str]) -> list[str]:
    """The names with the prefix that are no setting and not the scripts' own: misspellings,
    which would otherwise be ignored without a word (the default then applies)."""
    known = {variable(field) for field in SpinemetsSettings.model_fields} | set(NOT_SETTINGS)
    # Read without regard to case, as the settings themselves are.
    return sorted(
        name for name in env if name.upper().startswith(PREFIX) and name.upper() not in known
    )


def _one_line(exc: ValidationError) -> ConfigurationError:
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not first["loc"]:
        return ConfigurationError(message)
    field, *inner = (str(part) for part in first["loc"])
    where = ".".join((variable(field), *inner))
    return ConfigurationError(f"{where}: {message}")


def load(cls: type[S] = SpinemetsSettings, **overrides: Any) -> S:  # type: ignore[assignment]
    """Settings of ``cls`` from the environment, with explicit overrides (command-line options);
    ConfigurationError (one line, naming the variable) when unusable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        raise _one_line(exc) from None
    except (json.JSONDecodeError, SettingsError) as exc:
        # pydantic-settings names the field; the value itself is not repeated (it may hold URLs
        # with credentials).
        raise ConfigurationError(f"SPINEMETS_ settings: {exc}") from None


def from_mapping(cls: type[S], env: Mapping[str, str]) -> S:
    """The fields of ``cls`` (a field set, not the whole model) from ``env``, not the process
    environment: for checking one area's variables as given."""
    values = {
        name.removeprefix(PREFIX).lower(): value
        for name, value in env.items()
        if name.startswith(PREFIX)
    }
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        raise _one_line(exc) from None
