//! Request attributes: what a host says about a request (its data class,
//! team, application, kind), read by a policy's `when` conditions.
//!
//! An attribute the host does not give is unknown, and a condition that
//! depends on it is unknown: the block's requirements then apply. A
//! request that does not say its data class gets the strictest treatment,
//! never the loosest.

use indexmap::IndexMap;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Error, escape_for_terminal};
use crate::schema::{AttrKind, REQUEST_PREFIX, Schema, is_request_attribute};
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

/// Reads `NAME=VALUE` (as a command line gives it) into a request
/// attribute, typed by `schema` (a policy's, see [`crate::Policy::schema`]):
/// `NAME` is a request attribute with or without its `request.` prefix; a
/// flag is `true` or `false`, a number a whole number, text anything.
///
/// ```
/// use eligo::{Value, parse_request_attr};
/// let policy = eligo::compile("attribute request.tier: number; when request.tier > 1 { require soc2; }")?;
/// assert_eq!(parse_request_attr(policy.schema(), "data_class=phi")?, ("data_class".to_string(), Value::from("phi")));
/// assert_eq!(parse_request_attr(policy.schema(), "request.tier=2")?.1, Value::Number(2));
/// let err = parse_request_attr(policy.schema(), "data_clas=phi").unwrap_err();
/// assert_eq!(err.diagnostics()[0].code(), "request/unknown-attribute");
/// assert_eq!(err.diagnostics()[0].help(), Some("did you mean `request.data_class`?"));
/// assert!(parse_request_attr(policy.schema(), "tier=high").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_request_attr(schema: &Schema, assignment: &str) -> Result<(String, Value), Error> {
    let Some((name, text)) = assignment.split_once('=') else {
        return Err(Error::single(
            Diagnostic::error(
                "request/invalid-attribute",
                format!("`{}` is not NAME=VALUE", escape_for_terminal(assignment)),
            )
            .with_help("give a request attribute as NAME=VALUE, e.g. data_class=phi"),
        ));
    };
    let (name, text) = (name.trim(), text.trim());
    let (bare, kind) = resolve_request_attr(schema, name)?;
    let full = format!("{REQUEST_PREFIX}{bare}");
    let value = match kind {
        AttrKind::Text => Some(Value::from(text)),
        AttrKind::Flag => match text {
            "true" => Some(Value::Flag(true)),
            "false" => Some(Value::Flag(false)),
            _ => None,
        },
        AttrKind::Number => text.parse::<i64>().ok().map(Value::Number),
    };
    let Some(value) = value else {
        return Err(Error::single(Diagnostic::error(
            "request/invalid-value",
            format!(
                "`{}` is a {} request attribute; `{}` is not a {}",
                full,
                kind,
                escape_for_terminal(text),
                match kind {
                    AttrKind::Flag => "flag (true or false)",
                    AttrKind::Number => "whole number",
                    AttrKind::Text => "text",
                }
            ),
        )));
    };
    Ok((bare, value))
}

/// Finds the request attribute `name` (with or without its `request.`
/// prefix) in `schema` (a policy's, see [`crate::Policy::schema`]): its
/// bare name and its kind, or a `request/unknown-attribute` error whose
/// help suggests a close name. Each front end reads request attributes
/// from its own kind of value (command-line text, Python objects) and
/// checks the kind itself.
///
/// ```
/// use eligo::{AttrKind, resolve_request_attr};
/// let policy = eligo::compile("attribute request.tier: number; when request.tier > 1 { require soc2; }")?;
/// let schema = policy.schema();
/// assert_eq!(resolve_request_attr(schema, "request.tier")?, ("tier".to_string(), AttrKind::Number));
/// assert_eq!(resolve_request_attr(schema, "data_class")?, ("data_class".to_string(), AttrKind::Text));
/// let err = resolve_request_attr(schema, "teir").unwrap_err();
/// assert_eq!(err.diagnostics()[0].message(), "unknown request attribute `request.teir`");
/// assert_eq!(err.diagnostics()[0].code(), "request/unknown-attribute");
/// assert_eq!(err.diagnostics()[0].help(), Some("did you mean `request.tier`?"));
/// // Target attributes are not request attributes.
/// let err = resolve_request_attr(schema, "soc2").unwrap_err();
/// assert_eq!(
///     err.diagnostics()[0].help(),
///     Some("`soc2` is a target attribute, declared by the catalog; a request gives request attributes only")
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolve_request_attr(schema: &Schema, name: &str) -> Result<(String, AttrKind), Error> {
    let bare = name.strip_prefix(REQUEST_PREFIX).unwrap_or(name);
    let full = format!("{REQUEST_PREFIX}{bare}");
    let Some(def) = schema.get(&full) else {
        let mut d = Diagnostic::error(
            "request/unknown-attribute",
            format!("unknown request attribute `{}`", escape_for_terminal(&full)),
        );
        // Names are compared without the prefix every candidate shares:
        // with it, the edits allowed grow with its length (`soc2` came out
        // as `request.team`).
        let known = schema
            .attributes()
            .filter_map(|a| a.name().strip_prefix(REQUEST_PREFIX));
        if schema
            .get(bare)
            .is_some_and(|d| !is_request_attribute(d.name()))
        {
            d = d.with_help(format!(
                "`{bare}` is a target attribute, declared by the catalog; a request gives request attributes only"
            ));
        } else if let Some(s) = crate::schema::suggest(bare, known) {
            d = d.with_help(format!("did you mean `{REQUEST_PREFIX}{s}`?"));
        }
        return Err(Error::single(d));
    };
    Ok((bare.to_string(), def.kind()))
}
