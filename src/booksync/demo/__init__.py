"""The demo company: a few months of a small trading company's activity."""
