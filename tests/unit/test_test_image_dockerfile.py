"""The test image's Dockerfile sets no labels (checked without an engine; the integration test
tests/integration/test_test_image.py checks the built image itself)."""

from __future__ import annotations

from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[1] / "images" / "busybox" / "Dockerfile"


def test_the_test_image_dockerfile_has_no_label() -> None:
    instructions = [
        line.split()[0].upper()
        for line in DOCKERFILE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert instructions[0] == "FROM"
    assert "LABEL" not in instructions, "containers inherit image labels: keep the test image bare"
