"""Image updates on the real engine: success keeps the configuration; a broken or unhealthy
image is rolled back automatically, the old container running again with its config."""

from __future__ import annotations

import io

import docker
import pytest

from tests.conftest import SLEEPER, TEST_IMAGE, TEST_LABEL, unique

TAGS = {
    "2": 'LABEL version="2"',
    "broken": 'ENTRYPOINT ["sh", "-c", "echo boom; exit 3"]',
    "unhealthy": 'HEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD ["false"]',
}


@pytest.fixture(scope="module")
def update_images(docker_client: docker.DockerClient, test_image: str) -> dict[str, str]:
    refs = {}
    for tag, line in TAGS.items():
        ref = f"dockerdeployer-test/busybox:{tag}"
        dockerfile = f"FROM {test_image}\n{line}\n".encode()
        docker_client.images.build(fileobj=io.BytesIO(dockerfile), tag=ref, rm=True)
        refs[tag] = ref
    return refs


def _approve(gateway, actor, outcome):
    assert outcome.status == "pending_approval", outcome.message
    return gateway.decide(outcome.approval["id"], actor, approve=True)


def _service(make_container, docker_client, name_prefix):
    volume = unique(f"{name_prefix}-data")
    container = make_container(
        name_prefix,
        command=SLEEPER,
        environment={"MODE": "prod"},
        ports={"80/tcp": ("127.0.0.1", None)},
        volumes={volume: {"bind": "/data", "mode": "rw"}},
        restart_policy={"Name": "unless-stopped"},
    )
    return container, volume


def test_update_keeps_configuration(
    gateway, make_container, docker_client, admin, update_images
):
    container, volume = _service(make_container, docker_client, "upd-ok")
    outcome = _approve(gateway, admin, gateway.call(
        admin, "update_container_image", {"container": container.name, "image": ":2",
                                          "health_timeout": 10}))  # fmt: skip

    assert outcome.status == "executed", outcome.message
    new = docker_client.api.inspect_container(container.name)
    try:
        assert new["Id"] != container.id
        assert new["Config"]["Image"] == update_images["2"]
        assert new["State"]["Running"]
        assert "MODE=prod" in new["Config"]["Env"]
        assert new["Config"]["Labels"][TEST_LABEL] == container.labels[
            TEST_LABEL
        ]
        assert new["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
        assert new["HostConfig"]["PortBindings"]["80/tcp"][0]["HostIp"] == "127.0.0.1"
        assert any(m.get("Name") == volume for m in new["Mounts"])
        assert new["Config"]["Cmd"] == SLEEPER
        with pytest.raises(docker.errors.NotFound):
            docker_client.api.inspect_container(container.id)  # the old one is gone
    finally:
        docker_client.api.remove_container(new["Id"], force=True)
        docker_client.api.remove_volume(volume, force=True)


@pytest.mark.parametrize(("tag", "reason"), [("broken", "exit"),
                                             ("unhealthy", "health check failed")])
def test_failed_update_rolls_back(
    gateway, make_container, docker_client, admin, update_images, tag, reason
):
    container, volume = _service(make_container, docker_client, f"upd-{tag}")
    outcome = gateway.call(admin, "update_container_image",
                           {"container": container.name, "image": update_images[tag],
                            "health_timeout": 8})  # fmt: skip
    try:
        done = gateway.decide(outcome.approval["id"], admin, approve=True)
        assert done.status == "failed"
        assert reason in done.message and "Rolled back" in done.message
        after = docker_client.api.inspect_container(container.name)
        assert after["Id"] == container.id  # the very same container, running again
        assert after["State"]["Running"]
        assert after["Config"]["Image"] == TEST_IMAGE
        leftovers = docker_client.api.containers(
            all=True, filters={"name": f"{container.name}-rollback"}
        )
        assert leftovers == []
        assert [e.event for e in gateway.audit.query(approval_id=outcome.approval["id"])][0] == (
            "failed"
        )
    finally:
        docker_client.api.remove_container(container.id, force=True)
        docker_client.api.remove_volume(volume, force=True)


def test_same_image_is_refused_without_approval(gateway, make_container, admin):
    container = make_container("upd-same")
    outcome = gateway.call(
        admin, "update_container_image", {"container": container.name, "image": TEST_IMAGE}
    )
    assert outcome.status == "failed" and "already runs" in outcome.message


def test_a_privileged_container_made_elsewhere_needs_an_admins_eyes_to_be_recreated(
    gateway, make_container, admin, operator, update_images
):
    """The assistant never introduces a dangerous option; an existing one may be carried over
    unchanged, by an admin, with the card naming it."""
    container = make_container("upd-priv", start=False, privileged=True)  # cannot start here
    args = {"container": container.name, "image": ":2"}
    refused = gateway.call(operator, "update_container_image", args)
    assert refused.status == "denied" and "not created through the assistant" in refused.message
    assert "Privileged" in refused.message and "only an admin" in refused.message
    proposal = gateway.call(admin, "update_container_image", args)
    assert proposal.status == "pending_approval"
    assert any("Privileged=True" in line for line in (proposal.preview or {})["impact"])
    assert proposal.approval and proposal.approval["required_role"] == "admin"


def test_check_image_update_sees_a_newer_local_tag(
    gateway, make_container, docker_client, admin, update_images, test_image
):
    container = make_container("upd-check")
    current = gateway.call(admin, "check_image_update", {"container": container.name})
    assert current.status == "executed"
    assert current.result["newer_local"] is False
    assert "runs the current" in current.result["message"]
