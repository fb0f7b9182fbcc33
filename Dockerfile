# DockerDeployer: API (`dockerdeployer serve`) and console (streamlit) in one slim image.
#
# Build with scripts/build-image.sh: it makes the base image when needed (debootstrap, no
# registry), builds a wheelhouse on the host and passes a context holding only
#   wheels/deps/*.whl       every dependency
#   wheels/bootstrap/pip.whl pip, run from its wheel: pip is never installed in the image
#   wheels/app/*.whl        the project itself
# Nothing is downloaded from PyPI during the build (`pip install --no-index`).
#
# The final stage has Python, CA certificates and the installed packages: no compilers, no pip,
# no apt lists, no wheelhouse. It runs as uid 10001; the Docker socket is reached through the
# socket's group (compose: group_add), never by running as root.

ARG BASE_IMAGE=debian:bookworm-slim

# --- runtime: what the final image needs, shared by every stage --------------------------------
FROM ${BASE_IMAGE} AS runtime
ARG DEBIAN_FRONTEND=noninteractive
ENV LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && groupadd --gid 10001 dockerdeployer \
 && useradd --uid 10001 --gid 10001 --home-dir /home/dockerdeployer \
        --create-home --shell /usr/sbin/nologin dockerdeployer \
 && install -d -o 10001 -g 10001 -m 0700 /data

# --- deps: a virtualenv with every dependency (cached while pyproject.toml does not change) -----
FROM runtime AS deps
COPY wheels/bootstrap/ /wheels/bootstrap/
COPY wheels/deps/ /wheels/deps/
RUN python3 -m venv --without-pip /opt/venv \
 && /opt/venv/bin/python /wheels/bootstrap/pip.whl/pip install --no-index --no-cache-dir \
        --disable-pip-version-check --find-links /wheels/deps /wheels/deps/*.whl \
 && site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
 && rm -rf "$site"/pandas/tests "$site"/numpy/*/tests "$site"/pyarrow/tests \
        "$site"/pyarrow/include "$site"/pyarrow/src \
 && echo /opt/dockerdeployer > "$site/dockerdeployer.pth"

# --- app: the project itself, apart from the dependencies so a code change rebuilds only this ---
FROM deps AS app
COPY wheels/app/ /wheels/app/
RUN /opt/venv/bin/python /wheels/bootstrap/pip.whl/pip install --no-index --no-cache-dir \
        --disable-pip-version-check --no-deps --target /opt/dockerdeployer /wheels/app/*.whl \
 && /opt/venv/bin/python -m compileall -q /opt/dockerdeployer \
 && /opt/venv/bin/python -c 'import api.main, agent, tools, ui, dockerdeployer.cli'

# --- final ----------------------------------------------------------------------------------------
FROM runtime
COPY --from=deps /opt/venv /opt/venv
COPY --from=app /opt/dockerdeployer /opt/dockerdeployer
ENV PATH=/opt/dockerdeployer/bin:/opt/venv/bin:$PATH \
    HOME=/home/dockerdeployer \
    DOCKERDEPLOYER_HOME=/data \
    DOCKERDEPLOYER_API_HOST=0.0.0.0 \
    DOCKERDEPLOYER_API_PORT=8000 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none
WORKDIR /home/dockerdeployer
USER 10001:10001
EXPOSE 8000 8501
# /api/health answers 200 whenever the API is up, also when the engine is not reachable (it then
# says why): an unhealthy container means the API itself is down.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ.get('DOCKERDEPLOYER_API_PORT', '8000'), timeout=4)"]
CMD ["dockerdeployer", "serve"]
