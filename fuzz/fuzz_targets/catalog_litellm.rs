//! `catalog_litellm`: see `fuzz/README.md` and `eligo_fuzz::catalog_litellm`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eligo_fuzz::catalog_litellm(data));
