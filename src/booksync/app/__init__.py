"""The application layer: one function per use case, typed results, one error type.

The CLI and the web app are adapters over it (docs/architecture.md,
"Application layer").
"""
