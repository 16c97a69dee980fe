//! `catalog_gateway_yaml`: see `fuzz/README.md` and `eligo_fuzz::catalog_gateway_yaml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eligo_fuzz::catalog_gateway_yaml(data));
