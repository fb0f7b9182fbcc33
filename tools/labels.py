"""Label keys, spelled once: Docker's own that the product reads, and DockerDeployer's own.

Compose and `docker stack deploy` stamp what they create with these; the tools group containers
by them, the planner resolves "the shop project" with them, the guard reserves our own prefix.
"""

from __future__ import annotations

# Set by Docker Compose on every container, network and volume of a project.
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"

# Set by Swarm on service tasks, and by `docker stack deploy` on what a stack made.
SWARM_SERVICE = "com.docker.swarm.service.name"
SWARM_STACK = "com.docker.stack.namespace"
# Swarm's own attributes, e.g. on `docker service logs --details` lines.
SWARM_PREFIX = "com.docker.swarm."
SWARM_TASK_ID = SWARM_PREFIX + "task.id"

# Ours. Nobody may set a label under the prefix through the assistant (the allow-list refuses it),
# so a label here was put there by whoever deployed the object, not by a model.
RESERVED_LABEL_PREFIX = "dockerdeployer."
SELF_LABEL = RESERVED_LABEL_PREFIX + "self"  # the assistant's own containers: never touched
PROTECT_LABEL = RESERVED_LABEL_PREFIX + "protected"  # "true": the assistant never changes it
