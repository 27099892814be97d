//! The Envoy configurations for docker-compose and Kubernetes: rendered from the one
//! template (same routes as the local one the other tests run), and valid for Envoy.

use std::{path::PathBuf, process::Command};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_committed_container_configs_are_what_the_template_renders_and_envoy_accepts_them() {
    let scratch =
        std::env::temp_dir().join(format!("plaza-envoy-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&scratch).unwrap();
    let rendered = Command::new("bash")
        .arg(root().join("deploy/envoy/render.sh"))
        .args(["--into".as_ref(), scratch.as_os_str()])
        .status()
        .unwrap();
    assert!(rendered.success());
    let descriptor_set = scratch.join("plaza.pb");
    std::fs::write(&descriptor_set, plaza_proto::FILE_DESCRIPTOR_SET).unwrap();
    let jwks = scratch.join("jwks.json");
    let key = plaza_auth::Issuer::generate_key().unwrap();
    let issuer = plaza_auth::Issuer::from_pem(&key).unwrap();
    std::fs::write(&jwks, issuer.jwks().to_string()).unwrap();
    for name in ["compose.yaml", "kubernetes.yaml"] {
        let fresh = std::fs::read_to_string(scratch.join(name)).unwrap();
        let committed = std::fs::read_to_string(root().join("deploy/envoy").join(name)).unwrap();
        assert!(
            fresh == committed,
            "deploy/envoy/{name} is stale: run deploy/envoy/render.sh and commit it"
        );
        // Validate with the descriptor set and a JWKS where the container has them.
        let local = scratch.join(format!("validate-{name}"));
        let config = fresh
            .replace("/etc/envoy/plaza.pb", &descriptor_set.display().to_string())
            .replace("/etc/plaza/auth/jwks.json", &jwks.display().to_string());
        std::fs::write(&local, config).unwrap();
        let output = Command::new(root().join(".venv/bin/envoy"))
            .args(["--mode", "validate", "-c"])
            .arg(&local)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
