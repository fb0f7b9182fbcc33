"""The guard: every caller's tool call is decided here (allow / needs approval / deny)."""
