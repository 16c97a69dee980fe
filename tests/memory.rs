//! Peak heap use of reading hostile catalogs, measured with a counting
//! allocator. This is a test binary of its own: the allocator counts every
//! thread of the process, so nothing else may run beside these checks, and
//! they run one after another in a single test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use eligo::Catalog;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are only arithmetic on the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on to `System`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            let now = CURRENT.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak heap bytes allocated by `f` beyond what was allocated before it.
fn peak_of<T>(f: impl FnOnce() -> T) -> usize {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    drop(f());
    PEAK.load(Ordering::Relaxed) - base
}

const MIB: usize = 1 << 20;

/// What broke: every catalog reader built the whole document's value tree
/// before reading a target: 30 MB of `[]` took 736 MB, 24 to 35 times the
/// file, and about 6 to 9 GiB at the file size limit. JSON catalogs are now
/// read one target at a time, and TOML and YAML ones are limited in size.
#[test]
fn reading_a_catalog_costs_memory_in_proportion_to_its_targets() {
    let n = 30 * MIB;
    let empties = vec!["[]"; n / 3].join(",");

    // Not targets at all: reading stops at 100 problems and builds nothing.
    let text = format!("{{\"targets\": [{empties}]}}");
    let peak = peak_of(|| Catalog::from_json(&text, "c.json").unwrap_err());
    assert!(peak < MIB, "30 MB of `[]` targets took {peak} bytes");

    // A top-level field eligo does not read is skipped, not built.
    let text = format!("{{\"description\": [{empties}], \"targets\": []}}");
    let err = Catalog::from_json(&text, "c.json").unwrap_err();
    assert!(
        err.to_string()
            .contains("`description` must be a string, found a list"),
        "{err}"
    );
    let peak = peak_of(|| Catalog::from_json(&text, "c.json").unwrap_err());
    assert!(peak < MIB, "30 MB under `description` took {peak} bytes");
    let text = format!("{{\"catalog\": {{\"x\": [{empties}]}}, \"targets\": []}}");
    let err = Catalog::from_json(&text, "c.json").unwrap_err();
    assert!(err.to_string().contains("found an object"), "{err}");
    let peak = peak_of(|| Catalog::from_json(&text, "c.json").unwrap_err());
    assert!(peak < MIB, "30 MB under `catalog` took {peak} bytes");

    // Provider definitions, as a top-level list or under `providers`.
    let text = format!("[{empties}]");
    let peak = peak_of(|| Catalog::from_provider_policies(&text, "p.json").unwrap_err());
    assert!(peak < MIB, "30 MB of `[]` providers took {peak} bytes");
    let text = format!("{{\"x\": [{empties}], \"providers\": []}}");
    let peak = peak_of(|| Catalog::from_provider_policies(&text, "p.json").unwrap());
    assert!(peak < MIB, "30 MB beside `providers` took {peak} bytes");

    // Real targets cost what the catalog keeps, not a tree besides it.
    let mut text = String::from("{\"targets\": [");
    let mut i = 0;
    while text.len() < 8 * MIB {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            "{{\"provider\": \"p{i}\", \"model\": \"m\", \"attributes\": {{\"soc2\": true}}}}"
        ));
        i += 1;
    }
    text.push_str("]}");
    let peak = peak_of(|| {
        let c = Catalog::from_json(&text, "c.json").unwrap();
        assert_eq!(c.targets().len(), i);
        c
    });
    assert!(
        peak < 20 * text.len(),
        "{} bytes of minimal targets took {peak} bytes",
        text.len()
    );

    // TOML and YAML are read whole: their size is limited.
    let big = format!("# {}\n", "x".repeat(eligo::catalog::MAX_TREE_CATALOG_BYTES));
    for (err, what) in [
        (Catalog::from_toml(&big, "c.toml").unwrap_err(), "TOML"),
        (
            Catalog::from_gateway_yaml(&big, "c.yaml").unwrap_err(),
            "YAML",
        ),
    ] {
        assert_eq!(err.diagnostics()[0].code(), "catalog/too-large", "{err}");
        assert!(err.to_string().contains(what), "{err}");
    }
}
