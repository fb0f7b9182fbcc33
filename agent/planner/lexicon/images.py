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

# What people call an image -> its name on Docker Hub ("an apache web server" runs httpd).
HUB_NAMES: dict[str, str] = {"apache": "httpd", "postgresql": "postgres", "mongodb": "mongo"}

# Tags people say without an image: "update web to latest", "to stable".
BARE_TAGS = words("latest stable edge alpine slim beta canary nightly lts main master dev")
# "latest redis", "pull redis latest": the latest tag.
LATEST_WORDS = words("latest")
# "nginx version 1.27", "node tag 20-slim": the tag follows.
IMAGE_TAG_MARKERS = words("version tag v")
# Tags that follow an image without a marker: "redis alpine", "node 20-alpine".
VARIANT_TAGS = words("latest alpine slim")
VARIANT_TAG_SUFFIXES: tuple[str, ...] = ("-alpine",)

# --- what well-known images define ------------------------------------------------------------

# "on its standard port", "on the default port": the image's well-known port, same on the host
# (tokens.PHRASES folds the idioms into this word).
STANDARD_PORT_WORDS = words("standard-port")
# Taken with it: "on its standard port".
STANDARD_PORT_LEAD = words("on its the at using with")
# Settings as said -> the setting ("root password" is folded into "root-password").
PASSWORD_SETTING = "password"
USER_SETTING = "user"
USER_PASSWORD_SETTING = "user-password"  # the password of the user named with it
SETTING_NAMES: dict[str, str] = {
    **dict.fromkeys(words("password passwd pass"), PASSWORD_SETTING),
    **dict.fromkeys(words("root-password admin-password"), "root-password"),
    **dict.fromkeys(words("user username login"), USER_SETTING),
    **dict.fromkeys(words("database dbname schema"), "database"),
}
# Between a setting and its value: "password is x", "user = bob", "database named shop".
SETTING_VALUE_SKIP = words("is = : of named called as set to")
# The variable each image reads a setting from (its Docker Hub documentation).
IMAGE_SETTINGS: dict[str, dict[str, str]] = {
    "postgres": {
        PASSWORD_SETTING: "POSTGRES_PASSWORD",
        "root-password": "POSTGRES_PASSWORD",
        USER_SETTING: "POSTGRES_USER",
        "database": "POSTGRES_DB",
    },
    "mysql": {
        PASSWORD_SETTING: "MYSQL_ROOT_PASSWORD",
        "root-password": "MYSQL_ROOT_PASSWORD",
        USER_PASSWORD_SETTING: "MYSQL_PASSWORD",
        USER_SETTING: "MYSQL_USER",
        "database": "MYSQL_DATABASE",
    },
    "mariadb": {
        PASSWORD_SETTING: "MARIADB_ROOT_PASSWORD",
        "root-password": "MARIADB_ROOT_PASSWORD",
        USER_PASSWORD_SETTING: "MARIADB_PASSWORD",
        USER_SETTING: "MARIADB_USER",
        "database": "MARIADB_DATABASE",
    },
    "mongo": {
        PASSWORD_SETTING: "MONGO_INITDB_ROOT_PASSWORD",
        "root-password": "MONGO_INITDB_ROOT_PASSWORD",
        USER_SETTING: "MONGO_INITDB_ROOT_USERNAME",
        "database": "MONGO_INITDB_DATABASE",
    },
    "rabbitmq": {PASSWORD_SETTING: "RABBITMQ_DEFAULT_PASS", USER_SETTING: "RABBITMQ_DEFAULT_USER"},
    "elasticsearch": {PASSWORD_SETTING: "ELASTIC_PASSWORD"},
}
IMAGE_SETTINGS["mongodb"] = IMAGE_SETTINGS["mongo"]
IMAGE_SETTINGS["postgresql"] = IMAGE_SETTINGS["postgres"]
