//! `evaluate`: see `fuzz/README.md` and `eligo_fuzz::evaluate`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eligo_fuzz::evaluate(data));
