//! Build script: only the Node.js binding (feature `node`) needs one, to
//! link the addon against the symbols Node provides at load time.

fn main() {
    #[cfg(feature = "node")]
    napi_build::setup();
}
