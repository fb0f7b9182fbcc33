"""The guarded Docker core: typed tool catalogue -> guard (policy, approvals) -> Docker manager."""
