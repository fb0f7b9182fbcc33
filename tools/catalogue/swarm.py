"""swarm tools (being written)."""
