//! A catalog encoded once for one policy, for fast repeated decisions.

use crate::catalog::Catalog;
use crate::policy::Policy;
use crate::time::Date;

/// The allow/block decision of one policy for every target of a catalog,
/// computed once ([`Policy::encode_catalog`]) and kept as a bitmap: asking
/// again is a bit test, in catalog order.
///
/// ```
/// use eligo::{Catalog, Target};
/// let policy = eligo::compile("require !trains_on_prompts")?;
/// let catalog = Catalog::new(vec![
///     Target::builder("a", "m").attr("trains_on_prompts", false).build(),
///     Target::builder("b", "m").attr("trains_on_prompts", true).build(),
///     Target::builder("c", "m").attr("trains_on_prompts", false).build(),
/// ])?;
/// let encoded = policy.encode_catalog(&catalog, None);
/// assert!(encoded.is_allowed(0) && !encoded.is_allowed(1));
/// assert_eq!(encoded.allowed_indices().collect::<Vec<_>>(), [0, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedCatalog {
    len: usize,
    allowed: Vec<u64>,
    date: Option<Date>,
}

impl EncodedCatalog {
    pub(crate) fn encode(policy: &Policy, catalog: &Catalog, date: Option<Date>) -> EncodedCatalog {
        let program = policy.program();
        let mut allowed = vec![0u64; catalog.len().div_ceil(64)];
        for (i, t) in catalog.targets().iter().enumerate() {
            let bits = match date {
                Some(d) => program.encode_on(t, d),
                None => program.encode(t),
            };
            if program.passes(&bits) {
                if let Some(w) = allowed.get_mut(i / 64) {
                    *w |= 1 << (i % 64);
                }
            }
        }
        EncodedCatalog {
            len: catalog.len(),
            allowed,
            date,
        }
    }

    /// Whether the target at position `index` is allowed (`false` past the
    /// end: unknown targets are never allowed).
    pub fn is_allowed(&self, index: usize) -> bool {
        index < self.len
            && self
                .allowed
                .get(index / 64)
                .is_some_and(|w| w >> (index % 64) & 1 == 1)
    }

    /// Positions of the allowed targets, in catalog order.
    pub fn allowed_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.allowed.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let b = w.trailing_zeros() as usize;
                    w &= w - 1;
                    wi * 64 + b
                })
            })
        })
    }

    /// Number of allowed targets.
    pub fn allowed_count(&self) -> usize {
        self.allowed.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Number of targets encoded.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the catalog was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The date expiring evidence was read at (`None`: the day it was
    /// encoded).
    pub fn date(&self) -> Option<Date> {
        self.date
    }
}
