//! `catalog_provider_policies`: see `fuzz/README.md` and `eligo_fuzz::catalog_provider_policies`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eligo_fuzz::catalog_provider_policies(data));
