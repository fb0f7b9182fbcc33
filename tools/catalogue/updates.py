"""updates tools (being written)."""
