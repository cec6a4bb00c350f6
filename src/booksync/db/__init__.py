"""Storage: engine and sessions, the declarative base, ids and migrations."""
