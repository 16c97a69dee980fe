//! `parse`: see `fuzz/README.md` and `eligo_fuzz::parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eligo_fuzz::parse(data));
