//! `simplechain`: every command lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    simplechain::cli::main()
}
