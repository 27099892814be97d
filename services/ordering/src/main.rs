use std::process::ExitCode;

fn main() -> ExitCode {
    plaza_service::main::<ordering::Service>()
}
