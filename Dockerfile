# The code image of a Kubernetes deployment (README "Beyond one machine (Kubernetes)",
# deploy/k8s/values.yaml): the code server (`dagster api grpc -m lead_pipeline.definitions`) and
# every run pod run it; Dagster's webserver and daemon run Dagster's own image.
#
#   docker build -t registry.district.example/lead-pipeline:0.1.0 .
#
# The same install as `./lp setup` on one server: the pinned versions of requirements.lock, the
# project installed in place at /opt/lead_pipeline (its data/reference code tables are read from
# there), bytecode compiled (imports take half the time).
FROM python:3.11.14-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PATH=/opt/lead_pipeline/.venv/bin:$PATH

# The account of every pod (deploy/k8s/values.yaml: runAsUser, runAsGroup and fsGroup 10001).
RUN groupadd --system --gid 10001 lead-pipeline \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /opt/lead_pipeline --shell /usr/sbin/nologin lead-pipeline

WORKDIR /opt/lead_pipeline

# The dependencies alone first, so a code change does not reinstall them: what pyproject.toml
# asks for with the `k8s` extra (dagster-k8s, which the chart's instance names as run
# launcher), at the versions requirements.lock pins.
COPY requirements.lock pyproject.toml ./
RUN python -m venv .venv \
 && .venv/bin/pip install --no-cache-dir "uv==0.13.9" \
 && .venv/bin/uv pip install --python .venv/bin/python --no-cache --compile-bytecode \
      --constraint requirements.lock --requirement pyproject.toml --extra k8s

COPY README.md ./
COPY data/reference ./data/reference
COPY lead_pipeline ./lead_pipeline
RUN .venv/bin/uv pip install --python .venv/bin/python --no-cache --compile-bytecode \
      --no-deps --editable . \
 && .venv/bin/python -c "import dagster_k8s, lead_pipeline.definitions"

# Where the pods mount their volumes. The warehouse folder stays root's: a district's DuckDB
# folder is writable only as the mount of the district's own volume, so a run without it fails
# at once instead of writing the district's history into the pod's disk, lost with the pod.
RUN install -d -m 0755 /var/lib/lead-pipeline/warehouse \
 && install -d -o 10001 -g 10001 -m 0770 /opt/dagster/dagster_home \
      /srv/lead-pipeline/snapshots /srv/lead-pipeline/output

USER 10001:10001

# the chart gives the code server's command; this is it, for `docker run` by hand
CMD ["dagster", "api", "grpc", "-h", "0.0.0.0", "-p", "3030", "-m", "lead_pipeline.definitions"]
