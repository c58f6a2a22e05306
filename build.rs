//! Link settings that shorten the start of every `vaultrot` process (a
//! small `view` is mostly start-up and one key derivation): see
//! docs/benchmarks.md, "Start-up". `.cargo/config.toml` links glibc
//! statically; this covers builds without it (`RUSTFLAGS` set, or the
//! package built from elsewhere), which link glibc dynamically.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let static_crt = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" || static_crt {
        return;
    }
    // The unwinder linked in rather than loaded from libgcc_s.so: that
    // library's constructor asks the CPU about its features (~20 `cpuid`,
    // each a trip to the hypervisor on a virtual machine) in every process.
    // std's later `-lgcc_s` is then not needed and dropped (--as-needed).
    println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
    // The binary stays position-independent: `-no-pie` saved 0.15 ms of
    // relocations per start, but a tool that reads untrusted files and holds
    // secrets keeps its own code at a random address.
}
