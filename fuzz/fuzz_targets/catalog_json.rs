//! `catalog_json`: see `fuzz/README.md` and `eligo_fuzz::catalog_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eligo_fuzz::catalog_json(data));
