//! How the `vaultrot` binary is linked: position-independent, so its code
//! and data get a random address in every run (a tool that reads untrusted
//! files and holds secrets), and on Linux with glibc linked statically
//! (`.cargo/config.toml`), so that no dynamic loader runs at start.

use std::fs;

const ET_DYN: u16 = 3;
const PT_INTERP: u32 = 3;
const PT_DYNAMIC: u32 = 2;

struct Elf {
    kind: u16,
    segments: Vec<u32>,
}

fn read_elf(path: &str) -> Elf {
    let bytes = fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF", "{path} is not an ELF file");
    assert_eq!(bytes[4], 2, "{path} is not a 64-bit ELF file");
    assert_eq!(bytes[5], 1, "{path} is not little-endian");
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    let (phoff, phentsize, phnum) = (u64_at(32) as usize, u16_at(54) as usize, u16_at(56));
    Elf {
        kind: u16_at(16),
        segments: (0..phnum as usize)
            .map(|i| u32_at(phoff + i * phentsize))
            .collect(),
    }
}

#[test]
fn the_binary_is_position_independent() {
    let elf = read_elf(env!("CARGO_BIN_EXE_vaultrot"));
    assert_eq!(
        elf.kind, ET_DYN,
        "vaultrot must be linked as a position-independent executable (no -no-pie)"
    );
    // An ET_DYN executable relocates itself at start: it needs its dynamic
    // section, static or not.
    assert!(elf.segments.contains(&PT_DYNAMIC));
}

#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn glibc_is_linked_statically() {
    let elf = read_elf(env!("CARGO_BIN_EXE_vaultrot"));
    // A dynamically linked binary names its loader (ld-linux) in PT_INTERP.
    assert!(
        !elf.segments.contains(&PT_INTERP),
        "vaultrot is dynamically linked: .cargo/config.toml's crt-static did not apply (is RUSTFLAGS set?)"
    );
}
