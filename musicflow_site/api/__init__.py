"""The REST API's shared plumbing: errors, pagination, throttles, health, schema helpers."""
