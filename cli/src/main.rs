//! `simplechain`: every command lives in the library's `commands` module.

fn main() -> std::process::ExitCode {
    simplechain::main()
}
