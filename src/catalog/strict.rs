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
    // A byte order mark is accepted, as in the other formats. Error
    // positions stay right: the BOM is one character on line 1.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = StrictJson::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    result.map(|v| v.0).map_err(|e| {
        let at = (e.line() > 0).then(|| offset_of(text, e.line(), e.column().max(1)));
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        syntax_error("catalog/invalid-json", "JSON", msg, at, text, name)
    })
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
    super::yaml::parse(text).map_err(|e| {
        let at = e.at.map(|(line, column)| offset_of(text, line, column));
        syntax_error("catalog/invalid-yaml", "YAML", e.message, at, text, name)
    })
}
