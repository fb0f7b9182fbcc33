"""compose tools (being written)."""
