"""The suite's own test image is what the suite expects: no labels at all (a container inherits
its image's labels, and tests compare a container's labels exactly), built from the current
tests/images/busybox/Dockerfile."""

from __future__ import annotations

import docker

from tests.conftest import RUN_ID, TEST_LABEL, ContainerFactory


def test_the_test_image_carries_no_labels(
    docker_client: docker.DockerClient, test_image: str
) -> None:
    config = docker_client.api.inspect_image(test_image)["Config"]
    assert not config.get("Labels"), (
        f"{test_image} has labels {config['Labels']}: every container of it inherits them. "
        "Remove the LABEL from tests/images/busybox/Dockerfile and rebuild "
        "(bash scripts/test-images.sh --fresh)."
    )
    assert config.get("Cmd") == ["sh"]


def test_a_container_of_it_has_exactly_the_labels_it_was_given(
    make_container: ContainerFactory,
) -> None:
    container = make_container("lbl", start=False, labels={"org.example.k": "v"})
    assert container.labels == {TEST_LABEL: RUN_ID, "org.example.k": "v"}
