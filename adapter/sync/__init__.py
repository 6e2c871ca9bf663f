"""Sync with a FHIR server: read each patient's inputs, score, write back idempotently."""
