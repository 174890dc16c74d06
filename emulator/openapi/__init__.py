"""OpenAPI 3.1 documents of the three APIs, built from the JSON Schema files that validate requests."""
