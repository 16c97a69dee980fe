//! Provider targets and the attribute values they declare.
//!
//! A target is one place a request can be routed to: a provider serving a
//! model (`openai/gpt-4o`). It declares data-policy attributes; an attribute
//! it does not declare (absent, or `null` in JSON) is *unknown*, and no
//! requirement that depends on it can pass.

use std::fmt;

use indexmap::IndexMap;
use serde::{Serialize, Serializer};

use crate::schema::{AttrId, AttrKind};
use crate::time::Date;

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

impl ValueRef<'_> {
    /// The kind of the value.
    ///
    /// ```
    /// assert_eq!(eligo::ValueRef::Number(3).kind(), eligo::AttrKind::Number);
    /// ```
    pub fn kind(self) -> AttrKind {
        match self {
            ValueRef::Flag(_) => AttrKind::Flag,
            ValueRef::Number(_) => AttrKind::Number,
            ValueRef::Text(_) => AttrKind::Text,
        }
    }

    /// The value, owned.
    ///
    /// ```
    /// use eligo::{Value, ValueRef};
    /// assert_eq!(ValueRef::Text("eu").to_value(), Value::from("eu"));
    /// ```
    pub fn to_value(self) -> Value {
        match self {
            ValueRef::Flag(b) => Value::Flag(b),
            ValueRef::Number(n) => Value::Number(n),
            ValueRef::Text(s) => Value::Text(s.to_string()),
        }
    }
}

/// The model of a target that serves every model.
pub const WILDCARD_MODEL: &str = "*";

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
    endpoint: Option<String>,
    attributes: IndexMap<String, Value>,
    /// Expiry dates of attributes given as expiring evidence.
    expires: IndexMap<String, Date>,
    /// The attributes by [`AttrId`], built on first use.
    index: KeyIndex,
}

/// Where each attribute of a target is, by [`AttrId`]: built on the first
/// read by id and dropped by every change to the attributes, so it is
/// always a function of them (and compares equal for that reason).
#[derive(Clone, Default)]
struct KeyIndex(std::sync::OnceLock<IdIndex>);

/// Ids below [`DENSE_IDS`] find their attribute's position directly;
/// larger ids by a binary search.
const DENSE_IDS: usize = 128;

#[derive(Clone, Debug, Default)]
struct IdIndex {
    /// `dense[id]`: the attribute's position in `attributes` plus one, or
    /// zero when the target does not declare it.
    dense: Box<[u32]>,
    /// (id, position) for ids of [`DENSE_IDS`] and above, by id.
    sparse: Box<[(AttrId, u32)]>,
    /// `expiry[pos]`: the expiry date of the attribute at `pos` (empty when
    /// none expires).
    expiry: Box<[Option<Date>]>,
}

/// A target's attributes by id; see [`Target::by_id`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct ById<'a> {
    target: &'a Target,
    index: &'a IdIndex,
}

impl<'a> ById<'a> {
    /// The declared attribute named `name`, whose id is `id` (`None`: past
    /// the id table, read by name), as of `date`, or as declared when
    /// `date` is `None` (the caller has found that the target has no
    /// expiring evidence).
    #[inline]
    pub(crate) fn get(
        &self,
        id: Option<AttrId>,
        name: &str,
        date: Option<Date>,
    ) -> Option<&'a Value> {
        let (index, attributes) = (self.index, &self.target.attributes);
        let pos = match id {
            Some(AttrId(id)) => match index.dense.get(id as usize) {
                Some(&p) => p.checked_sub(1)?,
                None if (id as usize) < DENSE_IDS => return None,
                None => {
                    let at = index.sparse.binary_search_by_key(&AttrId(id), |&(i, _)| i);
                    index.sparse.get(at.ok()?)?.1
                }
            },
            None => u32::try_from(attributes.get_index_of(name)?).ok()?,
        };
        if let (Some(day), Some(Some(expiry))) = (date, index.expiry.get(pos as usize)) {
            if day > *expiry {
                return None;
            }
        }
        attributes.get_index(pos as usize).map(|(_, v)| v)
    }
}

impl PartialEq for KeyIndex {
    fn eq(&self, _: &KeyIndex) -> bool {
        true
    }
}

impl Eq for KeyIndex {}

impl fmt::Debug for KeyIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyIndex")
    }
}

impl Target {
    /// A target with no declared attributes and the id `provider/model`.
    pub fn new(provider: impl Into<String>, model: impl Into<String>) -> Target {
        let (provider, model) = (provider.into(), model.into());
        Target {
            id: format!("{provider}/{model}"),
            provider,
            model,
            endpoint: None,
            attributes: IndexMap::new(),
            expires: IndexMap::new(),
            index: KeyIndex::default(),
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

    /// The model, e.g. `deepseek-v3.2`, or [`WILDCARD_MODEL`] (`*`) for a
    /// target that serves every model.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Whether the target serves every model (its model is `*`). For such a
    /// target the attribute `model` is unknown until a request names the
    /// model ([`Target::serving_as`]): a policy's model lists and
    /// comparisons never see the text `*`.
    ///
    /// ```
    /// use eligo::{Target, ValueRef};
    /// let any = Target::new("openai", "*");
    /// assert!(any.is_wildcard());
    /// assert_eq!(any.get("model"), None);
    /// assert_eq!(any.serving_as("gpt-4o").get("model"), Some(ValueRef::Text("gpt-4o")));
    /// let policy = eligo::compile(r#"deny model ["gpt-3.5-turbo"]"#)?;
    /// assert!(policy.evaluate(&any).is_blocked()); // which model? unknown
    /// assert!(policy.evaluate(&any.serving_as("gpt-3.5-turbo")).is_blocked());
    /// assert!(policy.evaluate(&any.serving_as("gpt-4o")).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_wildcard(&self) -> bool {
        self.model == WILDCARD_MODEL
    }

    /// The target as it serves a request for `model`: for a wildcard target,
    /// a copy whose `model` is `model` (its id, provider and attributes
    /// unchanged); any other target as it is.
    pub fn serving_as(&self, model: &str) -> std::borrow::Cow<'_, Target> {
        if self.is_wildcard() {
            let mut t = self.clone();
            t.model = model.to_string();
            std::borrow::Cow::Owned(t)
        } else {
            std::borrow::Cow::Borrowed(self)
        }
    }

    /// The endpoint URL, if the catalog gives one.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// The declared attributes (not including `provider` and `model`), as
    /// declared: expiring evidence is listed whether expired or not.
    pub fn attributes(&self) -> &IndexMap<String, Value> {
        &self.attributes
    }

    /// The date after which attribute `name` reads as unknown, if it was
    /// given as expiring evidence.
    pub fn expires(&self, name: &str) -> Option<Date> {
        self.expires.get(name).copied()
    }

    /// The expiry dates of the attributes given as expiring evidence.
    pub fn expiries(&self) -> impl Iterator<Item = Date> + '_ {
        self.expires.values().copied()
    }

    /// Whether any attribute was given with an expiry date.
    pub fn has_expiring_evidence(&self) -> bool {
        !self.expires.is_empty()
    }

    /// The value of attribute `name` today (UTC); `provider` is always
    /// declared, and so is `model` unless the target serves every model
    /// ([`Target::is_wildcard`]). `None` means unknown: undeclared, or
    /// expired.
    ///
    /// ```
    /// use eligo::{Date, Target, ValueRef};
    /// let mut t = Target::new("p", "m");
    /// t.set_expiring("soc2", true, Date::new(2001, 1, 1).unwrap());
    /// assert_eq!(t.get("soc2"), None); // expired
    /// assert_eq!(t.get_on("soc2", Date::new(2000, 6, 1).unwrap()), Some(ValueRef::Flag(true)));
    /// ```
    pub fn get(&self, name: &str) -> Option<ValueRef<'_>> {
        if self.expires.is_empty() {
            self.get_declared(name)
        } else {
            self.get_on(name, Date::today())
        }
    }

    /// The value of attribute `name` on `date`: evidence that expired before
    /// `date` reads as unknown (it is still valid on its expiry date).
    pub fn get_on(&self, name: &str, date: Date) -> Option<ValueRef<'_>> {
        if self.expires.is_empty() {
            return self.get_declared(name);
        }
        match self.expires.get(name) {
            Some(&expiry) if date > expiry => None,
            _ => self.get_declared(name),
        }
    }

    /// The declared value of `name`, ignoring expiry dates.
    fn get_declared(&self, name: &str) -> Option<ValueRef<'_>> {
        match name {
            "provider" => Some(ValueRef::Text(&self.provider)),
            "model" if self.is_wildcard() => None,
            "model" => Some(ValueRef::Text(&self.model)),
            _ => self.attributes.get(name).map(Value::as_ref),
        }
    }

    /// The target's attributes as compiled checks read them: by
    /// [`AttrId`], an array read with no hashing and no comparing of
    /// names. The hot path of [`crate::Policy::is_allowed`].
    #[inline]
    pub(crate) fn by_id(&self) -> ById<'_> {
        ById {
            target: self,
            index: self.index.0.get_or_init(|| self.build_index()),
        }
    }

    fn build_index(&self) -> IdIndex {
        let mut index = IdIndex::default();
        let mut dense = Vec::new();
        let mut sparse = Vec::new();
        for (pos, name) in self.attributes.keys().enumerate() {
            let Ok(pos) = u32::try_from(pos) else { break };
            match AttrId::of(name) {
                Some(AttrId(id)) if (id as usize) < DENSE_IDS => {
                    let id = id as usize;
                    if dense.len() <= id {
                        dense.resize(id + 1, 0);
                    }
                    if let Some(slot) = dense.get_mut(id) {
                        *slot = pos + 1;
                    }
                }
                Some(id) => sparse.push((id, pos)),
                // Past the id table: checks read this name by name.
                None => {}
            }
        }
        sparse.sort_unstable();
        index.dense = dense.into_boxed_slice();
        index.sparse = sparse.into_boxed_slice();
        if !self.expires.is_empty() {
            index.expiry = self
                .attributes
                .keys()
                .map(|name| self.expires.get(name).copied())
                .collect();
        }
        index
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
                self.index = KeyIndex::default();
            }
        }
    }

    /// Declares attribute `name` as evidence valid until `expires`
    /// (inclusive); after that date it reads as unknown. `provider` and
    /// `model` are the target's own fields and never expire.
    pub fn set_expiring(
        &mut self,
        name: impl Into<String>,
        value: impl Into<Value>,
        expires: Date,
    ) {
        let name = name.into();
        // `provider` and `model` are the target's own fields: they never
        // expire.
        if name != "provider" && name != "model" {
            self.expires.insert(name.clone(), expires);
            self.index = KeyIndex::default();
        }
        self.set(name, value);
    }

    /// Sets the endpoint URL.
    pub fn set_endpoint(&mut self, endpoint: impl Into<String>) {
        self.endpoint = Some(endpoint.into());
    }

    /// Makes attribute `name` undeclared again.
    pub fn unset(&mut self, name: &str) -> Option<Value> {
        self.index = KeyIndex::default();
        self.expires.shift_remove(name);
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

    /// Declares an attribute as evidence valid until `expires`.
    pub fn expiring(
        mut self,
        name: impl Into<String>,
        value: impl Into<Value>,
        expires: Date,
    ) -> TargetBuilder {
        self.target.set_expiring(name, value, expires);
        self
    }

    /// Sets the endpoint URL.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> TargetBuilder {
        self.target.set_endpoint(endpoint);
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
        #[serde(untagged)]
        enum Attr<'a> {
            Plain(&'a Value),
            Expiring { value: &'a Value, expires: Date },
        }
        #[derive(Serialize)]
        struct Out<'a> {
            id: &'a str,
            provider: &'a str,
            model: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            endpoint: Option<&'a str>,
            attributes: IndexMap<&'a str, Attr<'a>>,
        }
        let attributes = self
            .attributes
            .iter()
            .map(|(k, v)| {
                let a = match self.expires.get(k) {
                    Some(&expires) => Attr::Expiring { value: v, expires },
                    None => Attr::Plain(v),
                };
                (k.as_str(), a)
            })
            .collect();
        Out {
            id: &self.id,
            provider: &self.provider,
            model: &self.model,
            endpoint: self.endpoint.as_deref(),
            attributes,
        }
        .serialize(s)
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
                "whole number",
            ),
            (
                r#"{"provider":"a","model":"b","attributes":{"soc2":[true]}}"#,
                "found a list",
            ),
            (
                r#"{"provider":"a","model":"b","attributes":{"provider":"x"}}"#,
                "top of the target",
            ),
            (
                r#"{"provider":"a","model":"b","extra":1}"#,
                "field `extra`: is not a target field",
            ),
            (r#"{"provider":"a"}"#, "field `model`: is required"),
        ];
        for (json, want) in bad {
            let err = serde_json::from_str::<Target>(json)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{json}: {err}");
        }
    }

    // Attribute names are numbered process-wide, up to a bound; a check
    // reads a numbered name by an array read (ids below 128), a binary
    // search (above), and a name past the bound by name. All three must
    // read the same values.
    #[test]
    fn names_are_read_alike_below_above_and_past_the_id_table() {
        use crate::schema::{AttrId, MAX_ATTR_IDS};
        let mut names: Vec<String> = (0..200).map(|i| format!("early_{i}")).collect();
        for name in &names {
            AttrId::of(name);
        }
        for i in 0..MAX_ATTR_IDS {
            AttrId::of(&format!("filler_{i}"));
        }
        names.push("past_the_table".to_string());
        assert_eq!(AttrId::of("past_the_table"), None);
        let mut t = Target::new("p", "m");
        for (i, name) in names.iter().enumerate() {
            t.set(name.as_str(), i % 2 == 0);
        }
        for (i, name) in names.iter().enumerate() {
            let src = format!("attribute {name}: flag; require {name}");
            let policy = crate::Policy::compile(&src).unwrap();
            assert_eq!(policy.is_allowed(&t), i % 2 == 0, "{name}");
            let undeclared = Target::new("p", "m");
            assert!(!policy.is_allowed(&undeclared), "{name}");
            let src = format!("attribute {name}: flag; require !known({name})");
            let policy = crate::Policy::compile(&src).unwrap();
            assert!(!policy.is_allowed(&t), "{name}");
            assert!(policy.is_allowed(&undeclared), "{name}");
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
