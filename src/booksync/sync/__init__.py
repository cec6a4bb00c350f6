"""Synchronization: one run of one connection, and the scheduler that runs them."""
