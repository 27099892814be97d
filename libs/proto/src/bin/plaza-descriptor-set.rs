//! Writes the descriptor set of every Plaza proto, imports included, to the file named by the
//! first argument: what Envoy's gRPC-JSON transcoder loads (`make run`, container builds).

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: plaza-descriptor-set <output file>");
        return ExitCode::from(64);
    };
    match std::fs::write(&path, plaza_proto::FILE_DESCRIPTOR_SET) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cannot write {}: {error}", path.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}
