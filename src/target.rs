//! Provider targets and the attribute values they declare.
//!
//! A target is one place a request can be routed to: a provider serving a
//! model (`openai/gpt-4o`). It declares data-policy attributes; an attribute
//! it does not declare (absent, or `null` in JSON) is *unknown*, and no
//! requirement that depends on it can pass.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::schema::AttrKind;

/// A declared attribute value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// A flag: `true` or `false`.
    Flag(bool),
    /// A whole number.
    Number(i64),
    /// A string.
    Text(String),
}

impl Value {
    /// The kind of the value.
    pub fn kind(&self) -> AttrKind {
        match self {
            Value::Flag(_) => AttrKind::Flag,
            Value::Number(_) => AttrKind::Number,
            Value::Text(_) => AttrKind::Text,
        }
    }

    /// A borrowed view of the value.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Flag(b) => ValueRef::Flag(*b),
            Value::Number(n) => ValueRef::Number(*n),
            Value::Text(s) => ValueRef::Text(s),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Flag(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Flag(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Text(s) => write!(f, "{s:?}"),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Flag(b) => s.serialize_bool(*b),
            Value::Number(n) => s.serialize_i64(*n),
            Value::Text(t) => s.serialize_str(t),
        }
    }
}

/// A borrowed attribute value, as [`Target::get`] returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRef<'a> {
    /// A flag.
    Flag(bool),
    /// A whole number.
    Number(i64),
    /// A string.
    Text(&'a str),
}

/// A provider target: id, provider, model and declared attributes.
///
/// Build one in code:
///
/// ```
/// use eligo::{Target, ValueRef};
/// let t = Target::builder("openai", "gpt-4o")
///     .attr("soc2", true)
///     .attr("retention_days", 30)
///     .attr("region", "us")
///     .build();
/// assert_eq!(t.id(), "openai/gpt-4o");
/// assert_eq!(t.get("soc2"), Some(ValueRef::Flag(true)));
/// assert_eq!(t.get("provider"), Some(ValueRef::Text("openai")));
/// assert_eq!(t.get("gdpr"), None); // undeclared: unknown
/// ```
///
/// or read one from JSON (`id` defaults to `provider/model`; a `null`
/// attribute is undeclared; duplicate keys, floats and nested values are
/// errors):
///
/// ```
/// let t: eligo::Target = serde_json::from_str(r#"{
///     "id": "openai/gpt-4o", "provider": "openai", "model": "gpt-4o",
///     "attributes": {"soc2": true, "retention_days": 30, "region": "us", "gdpr": null}
/// }"#)?;
/// assert_eq!(t.attributes().len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    id: String,
    provider: String,
    model: String,
    attributes: IndexMap<String, Value>,
}

impl Target {
    /// A target with no declared attributes and the id `provider/model`.
    pub fn new(provider: impl Into<String>, model: impl Into<String>) -> Target {
        let (provider, model) = (provider.into(), model.into());
        Target {
            id: format!("{provider}/{model}"),
            provider,
            model,
            attributes: IndexMap::new(),
        }
    }

    /// A builder for a target of `provider` serving `model`.
    pub fn builder(provider: impl Into<String>, model: impl Into<String>) -> TargetBuilder {
        TargetBuilder {
            target: Target::new(provider, model),
        }
    }

    /// The target's id, e.g. `deepseek/deepseek-v3.2`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The provider, e.g. `deepseek`.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The model, e.g. `deepseek-v3.2`.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The declared attributes (not including `provider` and `model`).
    pub fn attributes(&self) -> &IndexMap<String, Value> {
        &self.attributes
    }

    /// The value of attribute `name`; `provider` and `model` are always
    /// declared. `None` means undeclared (unknown).
    pub fn get(&self, name: &str) -> Option<ValueRef<'_>> {
        match name {
            "provider" => Some(ValueRef::Text(&self.provider)),
            "model" => Some(ValueRef::Text(&self.model)),
            _ => self.attributes.get(name).map(Value::as_ref),
        }
    }

    /// Sets the id (by default `provider/model`).
    pub fn set_id(&mut self, id: impl Into<String>) {
        self.id = id.into();
    }

    /// Declares attribute `name`. `provider` and `model` set those fields.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        let name = name.into();
        match (name.as_str(), value.into()) {
            ("provider", Value::Text(p)) => self.provider = p,
            ("model", Value::Text(m)) => self.model = m,
            (_, v) => {
                self.attributes.insert(name, v);
            }
        }
    }

    /// Makes attribute `name` undeclared again.
    pub fn unset(&mut self, name: &str) -> Option<Value> {
        self.attributes.shift_remove(name)
    }
}

/// Builds a [`Target`]; see [`Target::builder`].
#[derive(Clone, Debug)]
pub struct TargetBuilder {
    target: Target,
}

impl TargetBuilder {
    /// Sets the id (by default `provider/model`).
    pub fn id(mut self, id: impl Into<String>) -> TargetBuilder {
        self.target.set_id(id);
        self
    }

    /// Declares an attribute.
    pub fn attr(mut self, name: impl Into<String>, value: impl Into<Value>) -> TargetBuilder {
        self.target.set(name, value);
        self
    }

    /// The target.
    pub fn build(self) -> Target {
        self.target
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            id: &'a str,
            provider: &'a str,
            model: &'a str,
            attributes: &'a IndexMap<String, Value>,
        }
        Out {
            id: &self.id,
            provider: &self.provider,
            model: &self.model,
            attributes: &self.attributes,
        }
        .serialize(s)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    id: Option<String>,
    provider: String,
    model: String,
    #[serde(default)]
    attributes: Attributes,
}

/// An attribute map that rejects duplicate keys and drops `null`s.
#[derive(Default)]
struct Attributes(IndexMap<String, Value>);

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Attributes, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Attributes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a map of attribute names to true/false, whole numbers, strings or null",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attributes, A::Error> {
                let mut out = IndexMap::new();
                let mut seen = std::collections::HashSet::new();
                while let Some(key) = map.next_key::<String>()? {
                    if !seen.insert(key.clone()) {
                        return Err(de::Error::custom(format_args!(
                            "attribute `{key}` is given twice"
                        )));
                    }
                    if key == "provider" || key == "model" {
                        return Err(de::Error::custom(format_args!(
                            "`{key}` belongs at the top level of the target, not under `attributes`"
                        )));
                    }
                    let value: serde_json::Value = map.next_value()?;
                    match value_from_json(&value) {
                        Ok(Some(v)) => {
                            out.insert(key, v);
                        }
                        Ok(None) => {}
                        Err(what) => {
                            return Err(de::Error::custom(format_args!(
                                "attribute `{key}`: {what}; expected true/false, a whole number, a string or null"
                            )));
                        }
                    }
                }
                Ok(Attributes(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Converts a JSON value to an attribute value: `Ok(None)` for `null`,
/// `Err` (saying what was found) for floats, arrays and objects.
pub(crate) fn value_from_json(v: &serde_json::Value) -> Result<Option<Value>, String> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Bool(b) => Ok(Some(Value::Flag(*b))),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(Some(Value::Number(i))),
            None => Err(format!(
                "found the number {n}, which is not a whole number in 64-bit range"
            )),
        },
        serde_json::Value::String(s) => Ok(Some(Value::Text(s.clone()))),
        serde_json::Value::Array(_) => Err("found a list".to_string()),
        serde_json::Value::Object(_) => Err("found an object".to_string()),
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Target, D::Error> {
        let raw = RawTarget::deserialize(d)?;
        Ok(Target {
            id: raw
                .id
                .unwrap_or_else(|| format!("{}/{}", raw.provider, raw.model)),
            provider: raw.provider,
            model: raw.model,
            attributes: raw.attributes.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strictness() {
        let bad = [
            (
                r#"{"provider":"a","model":"b","attributes":{"soc2":true,"soc2":false}}"#,
                "given twice",
            ),
            (
                r#"{"provider":"a","model":"b","attributes":{"retention_days":1.5}}"#,
                "not a whole number",
            ),
            (
                r#"{"provider":"a","model":"b","attributes":{"soc2":[true]}}"#,
                "found a list",
            ),
            (
                r#"{"provider":"a","model":"b","attributes":{"provider":"x"}}"#,
                "top level",
            ),
            (r#"{"provider":"a","model":"b","extra":1}"#, "unknown field"),
            (r#"{"provider":"a"}"#, "missing field `model`"),
        ];
        for (json, want) in bad {
            let err = serde_json::from_str::<Target>(json)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{json}: {err}");
        }
    }

    #[test]
    fn null_is_undeclared() {
        let t: Target =
            serde_json::from_str(r#"{"provider":"a","model":"b","attributes":{"soc2":null}}"#)
                .unwrap();
        assert_eq!(t.get("soc2"), None);
        assert_eq!(t.id(), "a/b");
    }
}
