"""The web app and REST API over the application layer (docs/web.md)."""
