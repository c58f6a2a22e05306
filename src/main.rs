//! The `vaultrot` binary: everything lives in the library.
fn main() {
    std::process::exit(vaultrot::cli::main());
}
