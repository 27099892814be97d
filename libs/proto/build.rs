//! Compiles every proto under `proto/plaza` into tonic + prost code, and writes the file
//! descriptor set (with all imports, as Envoy's transcoder needs) beside it.

use std::{env, path::PathBuf};

const PROTOS: [&str; 6] = [
    "plaza/customers/v1/customers.proto",
    "plaza/inventory/v1/inventory.proto",
    "plaza/payments/v1/payments.proto",
    "plaza/ordering/v1/ordering.proto",
    // Not used by the code (tonic-types has them): compiled so that the descriptor set
    // describes the error details that services send, for Envoy and reflection clients.
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    let includes = [root.clone(), protoc_bin_vendored::include_path()?];
    let descriptor_set = PathBuf::from(env::var("OUT_DIR")?).join("plaza_descriptor.bin");
    tonic_prost_build::configure()
        .file_descriptor_set_path(&descriptor_set)
        .compile_with_config(config, &PROTOS.map(|p| root.join(p)), &includes)?;
    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}
