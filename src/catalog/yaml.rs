//! A strict YAML reader: YAML 1.2 text into a JSON value tree, refusing
//! every construct whose meaning a reader could mistake.
//!
//! A catalog is configuration, not a document language. This reader takes
//! the subset of YAML 1.2 that means the same thing to every reader and to a
//! person: block and flow mappings and sequences, plain, quoted and block
//! scalars. It refuses, each with an error at the place it occurs:
//!
//! - tags (`!!str true`, `!!binary …`, `!foo`): a tag changes what a value
//!   means, and YAML libraries disagree on which tags they honour;
//! - anchors and aliases (`&a`, `*a`): a value that stands for another one
//!   elsewhere hides what a target declares;
//! - merge keys (`<<: *base`): part of YAML 1.1, not 1.2, and resolved in
//!   different orders by different libraries;
//! - mappings or sequences used as keys, duplicate keys, more than one
//!   document, and nesting deeper than [`MAX_NESTING`] levels.
//!
//! Plain scalars are resolved by the YAML 1.2 core schema: `null`, `~` and
//! the empty value are null; `true`/`false` (also `True`, `TRUE`, …) are
//! booleans; decimal, `0o` octal and `0x` hexadecimal integers are numbers;
//! decimals with a point or an exponent are floats; everything else,
//! including YAML 1.1's `yes`, `no`, `on` and `off`, is a string. Quoted and
//! block scalars are always strings.
//!
//! The event parser (`saphyr-parser`) never expands anything, so the work
//! and memory grow linearly with the text.

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as YamlSpan};
use serde_json::{Map, Number, Value};

use super::strict::MAX_NESTING;

/// Why the text was refused, and where (a character index).
pub(crate) struct YamlError {
    pub(crate) message: String,
    /// Position in characters from the start of the text.
    pub(crate) at: Option<(usize, usize)>,
}

impl YamlError {
    fn at(span: &YamlSpan, message: String) -> YamlError {
        YamlError {
            message,
            at: Some((span.start.line(), span.start.col() + 1)),
        }
    }
}

impl From<ScanError> for YamlError {
    fn from(e: ScanError) -> YamlError {
        YamlError {
            message: e.info().to_string(),
            at: Some((e.marker().line(), e.marker().col() + 1)),
        }
    }
}

/// A collection being built: a sequence, or a mapping with the key whose
/// value comes next.
enum Open {
    Seq(Vec<Value>),
    Map(Map<String, Value>, Option<String>),
}

/// Parses YAML text into a value tree, or says why it is refused.
pub(crate) fn parse(text: &str) -> Result<Value, YamlError> {
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Value> = None;
    let mut documents = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event?;
        let value = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                continue;
            }
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError::at(
                        &span,
                        "a catalog is one YAML document; found a second one".to_string(),
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(YamlError::at(
                    &span,
                    "aliases (`*name`) are not accepted in a catalog; write the value out"
                        .to_string(),
                ));
            }
            Event::Scalar(text, style, anchor, tag) => {
                plain_node(&span, anchor, tag.is_some())?;
                let is_key = matches!(stack.last(), Some(Open::Map(_, None)));
                if is_key {
                    if style == ScalarStyle::Plain && text == "<<" {
                        return Err(YamlError::at(
                            &span,
                            "merge keys (`<<`) are not accepted in a catalog; write the fields out"
                                .to_string(),
                        ));
                    }
                    if let Some(Open::Map(map, key)) = stack.last_mut() {
                        if map.contains_key(text.as_ref()) {
                            return Err(YamlError::at(
                                &span,
                                format!("the key `{text}` is given twice"),
                            ));
                        }
                        *key = Some(text.into_owned());
                    }
                    continue;
                }
                scalar(text, style).map_err(|m| YamlError::at(&span, m))?
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                plain_node(&span, anchor, tag.is_some())?;
                if matches!(stack.last(), Some(Open::Map(_, None))) {
                    return Err(YamlError::at(
                        &span,
                        "a key must be a plain value, not a list or a mapping".to_string(),
                    ));
                }
                if stack.len() > MAX_NESTING {
                    return Err(YamlError::at(
                        &span,
                        format!("nested more than {MAX_NESTING} levels deep"),
                    ));
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new())
                } else {
                    Open::Map(Map::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(items)) => Value::Array(items),
                Some(Open::Map(map, _)) => Value::Object(map),
                None => continue,
            },
        };
        match stack.last_mut() {
            Some(Open::Seq(items)) => items.push(value),
            Some(Open::Map(map, key)) => {
                if let Some(key) = key.take() {
                    map.insert(key, value);
                }
            }
            None => root = Some(value),
        }
    }
    Ok(root.unwrap_or(Value::Null))
}

/// Refuses anchors and tags on a node.
fn plain_node(span: &YamlSpan, anchor: usize, tagged: bool) -> Result<(), YamlError> {
    if anchor != 0 {
        return Err(YamlError::at(
            span,
            "anchors (`&name`) are not accepted in a catalog; write each value out".to_string(),
        ));
    }
    if tagged {
        return Err(YamlError::at(
            span,
            "tags (`!!str`, `!name`, …) are not accepted in a catalog; write the value without one"
                .to_string(),
        ));
    }
    Ok(())
}

/// The value of a scalar that is not a key.
fn scalar(text: Cow<'_, str>, style: ScalarStyle) -> Result<Value, String> {
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.into_owned()));
    }
    Ok(match core_schema(&text) {
        Core::Null => Value::Null,
        Core::Bool(b) => Value::Bool(b),
        Core::Int(Some(i)) => Value::from(i),
        // Out of 64-bit range: keep it as a float, so that it is refused
        // later as "not a whole number in 64-bit range".
        Core::Int(None) | Core::Float => match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Number::from_f64(f).map_or(Value::Null, Value::Number),
            _ => return Err("a number that is not finite".to_string()),
        },
        Core::NotFinite => return Err("a number that is not finite".to_string()),
        Core::Str => Value::String(text.into_owned()),
    })
}

/// What the YAML 1.2 core schema resolves a plain scalar to.
#[derive(Debug, PartialEq)]
enum Core {
    Null,
    Bool(bool),
    /// An integer; `None` when it does not fit in 64 bits.
    Int(Option<i64>),
    Float,
    NotFinite,
    Str,
}

fn core_schema(s: &str) -> Core {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Core::Null,
        "true" | "True" | "TRUE" => return Core::Bool(true),
        "false" | "False" | "FALSE" => return Core::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Core::NotFinite,
        _ => {}
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Core::NotFinite;
    }
    if let Some(oct) = s.strip_prefix("0o").filter(|d| all(d, 8)) {
        return Core::Int(i64::from_str_radix(oct, 8).ok());
    }
    if let Some(hex) = s.strip_prefix("0x").filter(|d| all(d, 16)) {
        return Core::Int(i64::from_str_radix(hex, 16).ok());
    }
    if all(unsigned, 10) {
        return Core::Int(s.parse::<i64>().ok());
    }
    if is_float(unsigned) {
        return Core::Float;
    }
    Core::Str
}

/// Whether `s` is one or more digits of `radix`.
fn all(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_digit(radix))
}

/// `( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`, the core
/// schema's float without its sign.
fn is_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => all(frac, 10),
        Some((int, frac)) => all(int, 10) && (frac.is_empty() || all(frac, 10)),
        None => all(mantissa, 10),
    };
    let exponent_ok = exponent.is_none_or(|e| all(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Value {
        match parse(text) {
            Ok(v) => v,
            Err(e) => panic!("{text:?}: {}", e.message),
        }
    }

    fn refused(text: &str) -> String {
        match parse(text) {
            Ok(v) => panic!("{text:?} was accepted as {v}"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn the_core_schema() {
        let v = ok(
            "a: true\nb: False\nc: yes\nd: ~\ne: 0o17\nf: 0x1F\ng: -12\nh: 1.5\ni: '0'\nj: \"true\"\nk: no\nl:\nm: 1e3\nn: 007\n",
        );
        assert_eq!(
            v,
            serde_json::json!({"a": true, "b": false, "c": "yes", "d": null, "e": 15, "f": 31,
                "g": -12, "h": 1.5, "i": "0", "j": "true", "k": "no", "l": null, "m": 1000.0, "n": 7})
        );
        for s in [
            "1.2.3", "0x", "0o8", "-", ".", "e3", "1e", "+-1", "0b11", "1_000", "12:30",
        ] {
            assert_eq!(core_schema(s), Core::Str, "{s}");
        }
        assert_eq!(core_schema("99999999999999999999"), Core::Int(None));
        assert_eq!(core_schema("-.inf"), Core::NotFinite);
        assert_eq!(core_schema(".5"), Core::Float);
        assert_eq!(core_schema("+5."), Core::Float);
    }

    #[test]
    fn constructs_that_could_be_misread_are_refused() {
        // Merge keys: YAML 1.1's `<<: [*b, *a]` lets the earlier mapping
        // win; a reader that let the later one win read retention 0.
        let merge = "a: &a {retention_days: 0}\nb: &b {retention_days: 30}\nt:\n  <<: [*b, *a]\n";
        assert!(refused(merge).contains("anchors"));
        assert!(refused("t:\n  <<: {retention_days: 0}\n").contains("merge keys"));
        assert!(refused("a: !!str true\n").contains("tags"));
        assert!(refused("a: !!str 0\n").contains("tags"));
        assert!(refused("a: !foo true\n").contains("tags"));
        assert!(refused("a: !!binary aGVsbG8=\n").contains("tags"));
        assert!(refused("a: ! true\n").contains("tags"));
        assert!(refused("a: !!map {b: 1}\n").contains("tags"));
        // An alias is refused even where its anchor is not (the parser
        // itself refuses an alias to an unknown anchor).
        refused("a: [1]\nb: *x\n");
        assert!(refused("a: 1\na: 2\n").contains("given twice"));
        assert!(refused("? [a]\n: 1\n").contains("plain value"));
        assert!(refused("a: 1\n---\nb: 2\n").contains("second"));
        assert!(refused("a: .nan\n").contains("not finite"));
        assert!(refused(&format!("{}1{}", "[".repeat(40), "]".repeat(40))).contains("nested"));
        // A quoted `<<` is an ordinary key.
        assert_eq!(ok("'<<': 1\n"), serde_json::json!({"<<": 1}));
    }

    #[test]
    fn positions_are_reported() {
        let Err(e) = parse("a: 1\nb: !!str 2\n") else {
            panic!("accepted")
        };
        assert_eq!(e.at, Some((2, 4)));
    }
}
