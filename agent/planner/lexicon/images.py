"""Images: well-known ones, their ports, role words, bare tags."""

from __future__ import annotations

from agent.planner.lexicon._build import words

# Container port of well-known images, used when a user gives only the host port.
WELL_KNOWN_PORTS: dict[str, str] = {
    "nginx": "80",
    "httpd": "80",
    "apache": "80",
    "caddy": "80",
    "traefik": "80",
    "wordpress": "80",
    "redis": "6379",
    "postgres": "5432",
    "postgresql": "5432",
    "mysql": "3306",
    "mariadb": "3306",
    "mongo": "27017",
    "mongodb": "27017",
    "memcached": "11211",
    "rabbitmq": "5672",
    "grafana": "3000",
    "prometheus": "9090",
    "elasticsearch": "9200",
    "jenkins": "8080",
    "adminer": "8080",
}
# Images people run by bare name: recognised as images and never typo-corrected.
KNOWN_IMAGES = frozenset(
    {
        *WELL_KNOWN_PORTS,
        "alpine",
        "ubuntu",
        "debian",
        "busybox",
        "node",
        "python",
        "golang",
        "hello-world",
        "registry",
        "portainer",
        "vault",
        "consul",
        "minio",
        "influxdb",
        "nextcloud",
        "gitea",
        "ghost",
        "haproxy",
        "jupyter",
        "sonarqube",
        "kafka",
        "zookeeper",
        "etcd",
        "openjdk",
        "php",
        "ruby",
        "rust",
        "centos",
        "fedora",
    }
)

# Role words that point at a kind of container, for "restart the database".
TARGET_SYNONYMS: dict[str, tuple[str, ...]] = {
    "database": ("db", "postgres", "mysql", "mariadb", "mongo"),
    "db": ("database", "postgres", "mysql", "mariadb", "mongo"),
    "cache": ("redis", "memcached"),
    "proxy": ("nginx", "traefik", "haproxy", "caddy"),
    "frontend": ("web",),
    "backend": ("api",),
}

# Tags people say without an image: "update web to latest", "to stable".
BARE_TAGS = words("latest stable edge alpine slim beta canary nightly lts main master dev")
# "latest redis", "pull redis latest": the latest tag.
LATEST_WORDS = words("latest")
# "nginx version 1.27", "node tag 20-slim": the tag follows.
IMAGE_TAG_MARKERS = words("version tag v")
# Tags that follow an image without a marker: "redis alpine", "node 20-alpine".
VARIANT_TAGS = words("latest alpine slim")
VARIANT_TAG_SUFFIXES: tuple[str, ...] = ("-alpine",)
