//! `catalog_toml`: see `fuzz/README.md` and `eligo_fuzz::catalog_toml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eligo_fuzz::catalog_toml(data));
