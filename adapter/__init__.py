"""spinemets: SINS, Tomita and revised Tokuhashi scores from FHIR R4 data."""

__version__ = "0.1.0"
__all__ = ["__version__"]
