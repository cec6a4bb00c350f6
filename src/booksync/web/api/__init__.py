"""The REST API under ``/api/v1``: one module per resource, JSON shapes of the CLI."""
