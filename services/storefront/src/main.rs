use std::process::ExitCode;

fn main() -> ExitCode {
    storefront::main()
}
