//! Fuzz target: see `checks::changelog` for the property it checks.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::changelog(data));
