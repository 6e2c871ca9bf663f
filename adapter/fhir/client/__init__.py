"""The FHIR server client: one async client, its settings, authentication as ``httpx.Auth``,
the command-line options that configure it, and the upload of spinemets' conformance resources."""

from adapter.fhir.client._answers import (
    FHIR_JSON,
    bundle_resources,
    is_fhir_id,
    next_link,
    status_code,
)
from adapter.fhir.client._auth import (
    BearerToken,
    PrivateKey,
    SmartBackendAuth,
    load_private_key,
    no_cookies,
)
from adapter.fhir.client._client import FhirClient
from adapter.fhir.client._conformance import (
    Uploaded,
    conformance_files,
    default_profiles_dir,
    default_questionnaires_dir,
    upload_conformance,
)
from adapter.fhir.client._options import add_server_arguments, server_settings
from adapter.fhir.client._settings import FhirServerSettings
from adapter.fhir.client._tls import default_tls

__all__ = [
    "FHIR_JSON",
    "BearerToken",
    "FhirClient",
    "FhirServerSettings",
    "PrivateKey",
    "SmartBackendAuth",
    "Uploaded",
    "add_server_arguments",
    "bundle_resources",
    "conformance_files",
    "default_profiles_dir",
    "default_questionnaires_dir",
    "default_tls",
    "is_fhir_id",
    "load_private_key",
    "next_link",
    "no_cookies",
    "server_settings",
    "status_code",
    "upload_conformance",
]
