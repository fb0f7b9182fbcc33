"""The floor every layer stands on: settings and the database. It imports nothing above it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dockerdeployer")
except PackageNotFoundError:  # a source tree without an install
    __version__ = "0.0.0"
