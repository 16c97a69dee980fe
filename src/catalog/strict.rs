//! Parsing JSON, TOML and YAML into a JSON value tree, rejecting duplicate
//! keys (which the usual value types silently resolve, last one winning).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Error, SourceText};
use crate::span::Span;

/// Deepest nesting of lists and objects accepted in a catalog.
pub(crate) const MAX_NESTING: usize = 32;

/// A JSON value read with duplicate keys rejected.
pub(crate) struct StrictJson(pub(crate) Value);

impl<'de> Deserialize<'de> for StrictJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StrictJson, D::Error> {
        d.deserialize_any(StrictVisitor { depth: 0 })
            .map(StrictJson)
    }
}

struct StrictVisitor {
    depth: usize,
}

struct Nested(Value);

struct NestedSeed {
    depth: usize,
}

impl<'de> de::DeserializeSeed<'de> for NestedSeed {
    type Value = Nested;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Nested, D::Error> {
        if self.depth > MAX_NESTING {
            return Err(de::Error::custom(format_args!(
                "nested more than {MAX_NESTING} levels deep"
            )));
        }
        d.deserialize_any(StrictVisitor { depth: self.depth })
            .map(Nested)
    }
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-like value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        // Out of 64-bit range: keep it as a float so it is rejected later
        // with a clear "not a whole number in 64-bit range".
        Ok(serde_json::Number::from_f64(v as f64).map_or(Value::Null, Value::Number))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v as f64).map_or(Value::Null, Value::Number))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        if v == 0.0 && v.is_sign_negative() {
            // JSON's `-0` arrives as the float -0.0: it is the whole number
            // zero, not a fraction. (`-0.0` cannot be told apart from it.)
            return Ok(Value::from(0));
        }
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Nested(v)) = seq.next_element_seed(NestedSeed {
            depth: self.depth + 1,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Nested(v) = map.next_value_seed(NestedSeed {
                depth: self.depth + 1,
            })?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "the key `{key}` is given twice"
                )));
            }
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Byte offset of a 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let col_bytes: usize = text[start.min(text.len())..]
        .chars()
        .take(column.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    (start + col_bytes).min(text.len())
}

fn syntax_error(
    code: &'static str,
    what: &str,
    msg: String,
    at: Option<usize>,
    text: &str,
    name: &str,
) -> Error {
    let mut d = Diagnostic::error(code, format!("`{name}` is not valid {what}: {msg}"));
    let source = match at {
        Some(at) => {
            d = d.with_label(Span::new(at, at + 1), "here");
            SourceText::new(name, text)
        }
        None => SourceText::new(name, ""),
    };
    Error::new(vec![d], Some(source))
}

/// Parses JSON text.
pub(crate) fn parse_json(text: &str, name: &str) -> Result<Value, Error> {
    parse_json_as(text, name, "catalog/invalid-json")
}

/// Parses JSON text, reporting errors under `code`.
pub(crate) fn parse_json_as(text: &str, name: &str, code: &'static str) -> Result<Value, Error> {
    // A byte order mark is accepted, as in the other formats. Error
    // positions stay right: the BOM is one character on line 1.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = StrictJson::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    result
        .map(|v| v.0)
        .map_err(|e| json_error(&e, text, name, code))
}

/// Parses TOML text.
pub(crate) fn parse_toml(text: &str, name: &str) -> Result<Value, Error> {
    parse_toml_as(text, name, "catalog/invalid-toml")
}

/// Parses TOML text, reporting errors under `code`.
///
/// TOML's own value types are mapped onto JSON's: a date, time or
/// date-time becomes its text (`expires = 2026-12-31` reads as
/// `"2026-12-31"`), so every reader sees one kind of date. TOML refuses
/// duplicate keys itself.
pub(crate) fn parse_toml_as(text: &str, name: &str, code: &'static str) -> Result<Value, Error> {
    let table = text.parse::<toml::Table>().map_err(|e| {
        let at = e.span().map(|s| s.start);
        syntax_error(code, "TOML", e.message().to_string(), at, text, name)
    })?;
    from_toml(toml::Value::Table(table), 0)
        .map_err(|msg| syntax_error(code, "TOML", msg, None, text, name))
}

/// Converts a TOML value, at `depth` below the top-level table.
fn from_toml(v: toml::Value, depth: usize) -> Result<Value, String> {
    if depth > MAX_NESTING {
        return Err(format!("nested more than {MAX_NESTING} levels deep"));
    }
    Ok(match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => {
            Value::Number(serde_json::Number::from_f64(f).ok_or("a number that is not finite")?)
        }
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| from_toml(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(t) => Value::Object(
            t.into_iter()
                .map(|(k, v)| Ok((k, from_toml(v, depth + 1)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// Parses YAML text with [`super::yaml`]: the YAML 1.2 core schema, with
/// tags, anchors, aliases, merge keys and duplicate keys refused.
pub(crate) fn parse_yaml(text: &str, name: &str) -> Result<Value, Error> {
    parse_yaml_as(text, name, "catalog/invalid-yaml")
}

/// Parses YAML text as [`parse_yaml`] does, reporting errors under `code`.
pub(crate) fn parse_yaml_as(text: &str, name: &str, code: &'static str) -> Result<Value, Error> {
    super::yaml::parse(text).map_err(|e| {
        let at = e.at.map(|(line, column)| offset_of(text, line, column));
        syntax_error(code, "YAML", e.message, at, text, name)
    })
}

/// The top level of a JSON document whose bulk is one list, read by
/// [`stream_json`].
pub(crate) enum Top {
    /// An object: its fields other than the list, and what stood under the
    /// list's key: `None` when absent, `Some(Ok(n))` for a list of `n`
    /// elements (each handed to the callback), `Some(Err(v))` for a value
    /// that is not a list.
    Object {
        fields: Map<String, Value>,
        list: Option<Result<usize, Value>>,
    },
    /// A list at the top level; its elements were handed to the callback
    /// when `top_list` was set, and skipped otherwise.
    List,
    /// A scalar at the top level.
    Other(Value),
}

/// Parses JSON text whose bulk is one list (`list_key` of the top-level
/// object, or with `top_list` the top-level array itself), handing each of
/// its elements to `each` as soon as it is read, so that only one element's
/// value tree is in memory at a time. When `each` returns `false` the rest
/// of the list is skipped without building anything (it is still checked
/// for syntax). The other top-level fields are read shallowly: their
/// scalars are kept, their lists and objects skipped and kept as empty ones.
pub(crate) fn stream_json<F: FnMut(usize, Value) -> bool>(
    text: &str,
    name: &str,
    list_key: &str,
    top_list: bool,
    mut each: F,
) -> Result<Top, Error> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = TopSeed {
        list_key,
        top_list,
        each: &mut each,
    };
    let result = de::DeserializeSeed::deserialize(seed, &mut de).and_then(|v| de.end().map(|()| v));
    result.map_err(|e| json_error(&e, text, name, "catalog/invalid-json"))
}

fn json_error(e: &serde_json::Error, text: &str, name: &str, code: &'static str) -> Error {
    let at = (e.line() > 0).then(|| offset_of(text, e.line(), e.column().max(1)));
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    syntax_error(code, "JSON", msg, at, text, name)
}

struct TopSeed<'a, F> {
    list_key: &'a str,
    top_list: bool,
    each: &'a mut F,
}

impl<'de, F: FnMut(usize, Value) -> bool> de::DeserializeSeed<'de> for TopSeed<'_, F> {
    type Value = Top;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(usize, Value) -> bool> Visitor<'de> for TopSeed<'_, F> {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut fields = Map::new();
        let mut list = None;
        while let Some(key) = map.next_key::<String>()? {
            if fields.contains_key(&key) || (key == self.list_key && list.is_some()) {
                return Err(de::Error::custom(format_args!(
                    "the key `{key}` is given twice"
                )));
            }
            if key == self.list_key {
                list = Some(map.next_value_seed(ListSeed {
                    depth: 1,
                    each: &mut *self.each,
                })?);
            } else {
                fields.insert(key, map.next_value_seed(Shallow)?);
            }
        }
        Ok(Top::Object { fields, list })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        if self.top_list {
            stream(seq, 0, self.each).map(|_| Top::List)
        } else {
            let mut seq = seq;
            while seq.next_element::<de::IgnoredAny>()?.is_some() {}
            Ok(Top::List)
        }
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Top, E> {
        StrictVisitor { depth: 0 }.visit_bool(v).map(Top::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Top, E> {
        StrictVisitor { depth: 0 }.visit_i64(v).map(Top::Other)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Top, E> {
        StrictVisitor { depth: 0 }.visit_u64(v).map(Top::Other)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Top, E> {
        StrictVisitor { depth: 0 }.visit_f64(v).map(Top::Other)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Top, E> {
        StrictVisitor { depth: 0 }.visit_str(v).map(Top::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Top, E> {
        StrictVisitor { depth: 0 }.visit_unit().map(Top::Other)
    }
}

/// The value under the list's key: streamed if it is a list.
struct ListSeed<'a, F> {
    depth: usize,
    each: &'a mut F,
}

impl<'de, F: FnMut(usize, Value) -> bool> de::DeserializeSeed<'de> for ListSeed<'_, F> {
    type Value = Result<usize, Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(usize, Value) -> bool> Visitor<'de> for ListSeed<'_, F> {
    type Value = Result<usize, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        stream(seq, self.depth, self.each).map(Ok)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Shallow.visit_map(map).map(Err)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Shallow.visit_bool(v).map(Err)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Shallow.visit_i64(v).map(Err)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Shallow.visit_u64(v).map(Err)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Shallow.visit_f64(v).map(Err)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Shallow.visit_str(v).map(Err)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Shallow.visit_unit().map(Err)
    }
}

/// A value whose contents eligo does not read: scalars are kept, a list or
/// an object is skipped (checked for syntax only) and stands as an empty one,
/// so that messages can still say what it was.
struct Shallow;

impl<'de> de::DeserializeSeed<'de> for Shallow {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Shallow {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Value::Array(Vec::new()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Value::Object(Map::new()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        StrictVisitor { depth: 0 }.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        StrictVisitor { depth: 0 }.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        StrictVisitor { depth: 0 }.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        StrictVisitor { depth: 0 }.visit_f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        StrictVisitor { depth: 0 }.visit_str(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        StrictVisitor { depth: 0 }.visit_unit()
    }
}

/// Hands each element of `seq` (a list at `depth`) to `each`; skips the
/// rest once `each` returns `false`. Returns the number of elements.
fn stream<'de, A: SeqAccess<'de>, F: FnMut(usize, Value) -> bool>(
    mut seq: A,
    depth: usize,
    each: &mut F,
) -> Result<usize, A::Error> {
    let mut n = 0;
    while let Some(Nested(v)) = seq.next_element_seed(NestedSeed { depth: depth + 1 })? {
        let more = each(n, v);
        n += 1;
        if !more {
            while seq.next_element::<de::IgnoredAny>()?.is_some() {
                n += 1;
            }
            break;
        }
    }
    Ok(n)
}
