//! Fuzz target: see `checks::password_file` for the property it checks.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::password_file(data));
