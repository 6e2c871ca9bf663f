"""The patient page as a SMART on FHIR app (contract §7), served by ``spinemets serve``."""
