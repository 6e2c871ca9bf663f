"""A Synthea corpus of patients with spinal metastases (module, post-processing, cache)."""
