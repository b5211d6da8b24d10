# The worker image of the Kubernetes launcher: Python, the railyard-batch package and the
# project's pipelines/ (user code that configs name by _target_ or hook). Build and push:
#   docker build -t REGISTRY/railyard-batch:TAG . && docker push REGISTRY/railyard-batch:TAG
# then run with hydra.launcher.image=REGISTRY/railyard-batch:TAG.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HOME=/tmp

WORKDIR /app
COPY pyproject.toml README.md ./
COPY railyard_batch/ railyard_batch/
COPY hydra_plugins/ hydra_plugins/
COPY k8s_templates/ k8s_templates/
RUN pip install .
COPY pipelines/ pipelines/
COPY conf/ conf/

# The restricted Pod Security profile runs the pod as this non-root user, on a read-only root
# filesystem; /tmp is an emptyDir.
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin railyard
USER 10001:10001

# The pod's command comes from the Job template (exec form):
#   railyard-batch worker --plan /etc/railyard/plan.json --no-store
ENTRYPOINT ["railyard-batch"]
CMD ["worker", "--help"]
