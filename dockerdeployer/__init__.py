"""DockerDeployer: a chat assistant that operates Docker through a guarded tool catalogue."""

__version__ = "0.1.0"
