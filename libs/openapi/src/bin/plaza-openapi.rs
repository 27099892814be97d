//! Writes the OpenAPI document of Plaza's REST API (pretty JSON, ending in a newline) to the
//! file named by the first argument: the web UI generates its API types from it
//! (`web/src/api/openapi.json`, `npm run api`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: plaza-openapi <output file>");
        return ExitCode::from(64);
    };
    let document = match plaza_openapi::document_text(plaza_proto::FILE_DESCRIPTOR_SET) {
        Ok(document) => document,
        Err(error) => {
            eprintln!("cannot generate the OpenAPI document: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    match std::fs::write(&path, document) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cannot write {}: {error}", path.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}
