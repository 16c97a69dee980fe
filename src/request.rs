//! Request attributes: what a host says about a request (its data class,
//! team, application, kind), read by a policy's `when` conditions.
//!
//! An attribute the host does not give is unknown, and a condition that
//! depends on it is unknown: the block's requirements then apply. A
//! request that does not say its data class gets the strictest treatment,
//! never the loosest.

use indexmap::IndexMap;
use serde::Serialize;

use crate::schema::REQUEST_PREFIX;
use crate::target::{Value, ValueRef};

/// The attributes of one request, by name (`data_class`, or written as in
/// a policy, `request.data_class`).
///
/// ```
/// use eligo::{RequestAttrs, ValueRef};
/// let attrs = RequestAttrs::new().with("data_class", "phi").with("request.team", "research");
/// assert_eq!(attrs.get("request.data_class"), Some(ValueRef::Text("phi")));
/// assert_eq!(attrs.get("team"), Some(ValueRef::Text("research")));
/// assert_eq!(attrs.get("app"), None); // not given: unknown
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RequestAttrs {
    values: IndexMap<String, Value>,
}

impl RequestAttrs {
    /// No attributes: every condition that reads one is unknown.
    pub fn new() -> RequestAttrs {
        RequestAttrs::default()
    }

    /// These attributes and `name` = `value`.
    pub fn with(mut self, name: impl AsRef<str>, value: impl Into<Value>) -> RequestAttrs {
        self.set(name, value);
        self
    }

    /// Sets `name` (with or without the `request.` prefix) to `value`.
    pub fn set(&mut self, name: impl AsRef<str>, value: impl Into<Value>) {
        let name = name.as_ref();
        let bare = name.strip_prefix(REQUEST_PREFIX).unwrap_or(name);
        self.values.insert(bare.to_string(), value.into());
    }

    /// The value of `name` (with or without the `request.` prefix), or
    /// `None` when it was not given.
    pub fn get(&self, name: &str) -> Option<ValueRef<'_>> {
        let bare = name.strip_prefix(REQUEST_PREFIX).unwrap_or(name);
        self.values.get(bare).map(Value::as_ref)
    }

    /// Every attribute given, in the order given, by bare name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether no attribute was given.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
