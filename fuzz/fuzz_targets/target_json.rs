//! `target_json`: see `fuzz/README.md` and `eligo_fuzz::target_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eligo_fuzz::target_json(data));
