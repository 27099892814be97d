use std::process::ExitCode;

fn main() -> ExitCode {
    plaza_service::run(
        inventory::SERVICE,
        inventory::DEFAULT_SETTINGS,
        inventory::main,
    )
}
