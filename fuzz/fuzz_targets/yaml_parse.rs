//! Fuzz target: see `checks::yaml_parse` for the property it checks.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::yaml_parse(data));
