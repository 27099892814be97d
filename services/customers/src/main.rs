use std::process::ExitCode;

fn main() -> ExitCode {
    plaza_service::run(
        customers::SERVICE,
        customers::DEFAULT_SETTINGS,
        customers::main,
    )
}
