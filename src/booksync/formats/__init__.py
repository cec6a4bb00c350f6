"""External ledger formats: JSON Lines entries and Beancount files."""
