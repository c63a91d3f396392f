# The image of a Ray worker node that measures programs (`[measure] engine = "ray"`): the same
# Python environment as the driver, plus the tools every measurement runs (the engine checks each
# node for them at start and names what is missing). Build it from the project root:
#   docker build -f deploy/ray-node.Dockerfile -t pie-lakehouse-ray-node .
# Nodes that run local models' generation (transformers/peft checkpoints) also need the `ml` extra:
#   docker build -f deploy/ray-node.Dockerfile --build-arg EXTRAS=cluster,ml -t pie-lakehouse-ray-node-ml .
# and start nodes with `ray start --address=<head>:6379` (the head: `ray start --head`).
# bubblewrap needs unprivileged user namespaces (or run the container with --privileged).
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends g++ valgrind bubblewrap \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/pie-lakehouse
COPY pyproject.toml README.md ./
COPY pie_assets pie_assets
COPY dbt_like dbt_like
ARG EXTRAS=cluster
RUN pip install --no-cache-dir -e ".[${EXTRAS}]"
# The compile and measurement cache: tasks use the driver's cache path (its PIE_CACHE, e.g.
# /var/cache/pie-lakehouse); mount a shared filesystem at that path to share it between nodes. A
# node that cannot create the path computes into its own ~/.cache/pie-lakehouse.
CMD ["ray", "start", "--address=ray-head:6379", "--block"]
