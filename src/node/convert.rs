//! JavaScript values in: targets, configurations, options, dates and
//! request attributes, read under the limits of `crate::bindings`.

use napi::bindgen_prelude::{Array, JsObjectValue, Object, Unknown};
use napi::{Env, JsValue, KeyCollectionMode, KeyConversion, KeyFilter, ValueType};
use serde_json::Value as J;

use super::{throw, type_error};
use crate::bindings::{Budget, Given, MAX_DEPTH, MAX_KEYS, MAX_TARGETS, MAX_VALUES, Place};
use crate::{Date, RequestAttrs, Schema};

/// The largest whole number a JavaScript number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A JavaScript number as a whole number, if it is one that a number holds
/// exactly.
fn whole(n: f64) -> Option<i64> {
    #[allow(clippy::cast_possible_truncation)] // checked: whole and within 2^53
    (n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER).then_some(n as i64)
}

/// What a JavaScript value is, for messages.
fn describe(v: &Unknown<'_>) -> &'static str {
    match v.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "a boolean",
        Ok(ValueType::Number) => "a number",
        Ok(ValueType::String) => "a string",
        Ok(ValueType::Symbol) => "a symbol",
        Ok(ValueType::Function) => "a function",
        Ok(ValueType::BigInt) => "a bigint",
        Ok(ValueType::Object) if v.is_array().unwrap_or(false) => "an array",
        Ok(ValueType::Object) if v.is_date().unwrap_or(false) => "a Date",
        Ok(ValueType::Object) => "an object",
        _ => "a value of another type",
    }
}

/// Text of a string value, or `None` for one with a lone surrogate (which
/// is not Unicode text).
fn text(v: &Unknown<'_>) -> napi::Result<Option<String>> {
    let utf16 = v.coerce_to_string()?.into_utf16()?;
    Ok(utf16.as_str().ok())
}

/// Whether `v` (an object) is a plain object: its prototype is
/// `Object.prototype` or null. Arrays, Maps, Dates and class instances
/// are not, so that none is read as an empty object.
fn is_plain(env: &Env, v: &Object<'_>, object_proto: &Unknown<'_>) -> napi::Result<bool> {
    let proto = v.get_prototype()?;
    Ok(proto.get_type()? == ValueType::Null || env.strict_equals(proto, *object_proto)?)
}

/// `Object.prototype`, read once a call.
fn object_prototype(env: &Env) -> napi::Result<Unknown<'_>> {
    let global = env.get_global()?;
    let object: Unknown<'_> = global.get_named_property("Object")?;
    object.coerce_to_object()?.get_named_property("prototype")
}

/// The own enumerable string keys of an object, at most `MAX_KEYS`
/// (`None` past it); symbols are left out, as JSON leaves them out.
fn keys<'e>(v: &Object<'e>) -> napi::Result<Option<Vec<Unknown<'e>>>> {
    let names = v.get_all_property_names(
        KeyCollectionMode::OwnOnly,
        KeyFilter::Enumerable,
        KeyConversion::NumbersToStrings,
    )?;
    let n = names.get_array_length()?;
    if n as usize > MAX_KEYS {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let k: Unknown<'e> = names.get_element(i)?;
        if k.get_type()? == ValueType::String {
            out.push(k);
        }
    }
    Ok(Some(out))
}

/// Reads JavaScript values as JSON for the library's strict target reader:
/// plain objects with string keys, strings, whole numbers (those a number
/// holds exactly), booleans and null; a key whose value is `undefined` is
/// left out, as `JSON.stringify` leaves it out. Arrays, fractional numbers,
/// bigints and objects that are not plain never appear in a valid target,
/// so they are refused here, with the path of the value. One reader serves
/// one call and counts the values it converts.
pub(super) struct Reader<'e> {
    env: &'e Env,
    object_proto: Unknown<'e>,
    budget: Budget,
    /// Where the value being read is, for errors.
    place: Place,
}

impl<'e> Reader<'e> {
    pub(super) fn new(env: &'e Env) -> napi::Result<Reader<'e>> {
        Ok(Reader {
            env,
            object_proto: object_prototype(env)?,
            budget: Budget::default(),
            place: Place::default(),
        })
    }

    /// Where the value being read is, e.g. `targets[3].attributes.soc2`.
    fn path(&self) -> String {
        self.place.path()
    }

    fn bad(&self, message: impl std::fmt::Display) -> napi::Error {
        throw(
            self.env,
            &crate::bindings::invalid_target(&self.path(), message),
        )
    }

    /// A JavaScript object as a target; `name` names it in errors.
    pub(super) fn target(&mut self, v: &Unknown<'e>, name: String) -> napi::Result<crate::Target> {
        self.place.start(name);
        self.budget.next_target();
        let json = self.value(v, 0)?.unwrap_or(J::Null);
        crate::Target::from_json_value(&json, self.place.name()).map_err(|e| throw(self.env, &e))
    }

    /// One value, `depth` objects below the target; `None` for undefined.
    fn value(&mut self, v: &Unknown<'e>, depth: usize) -> napi::Result<Option<J>> {
        self.budget.count().map_err(|m| self.bad(m))?;
        if depth > MAX_DEPTH {
            return Err(self.bad(format_args!("nested more than {MAX_DEPTH} levels deep")));
        }
        Ok(Some(match v.get_type()? {
            ValueType::Undefined => return Ok(None),
            ValueType::Null => J::Null,
            ValueType::Boolean => J::Bool(v.coerce_to_bool()?),
            ValueType::Number => {
                let n = v.coerce_to_number()?.get_double()?;
                match whole(n) {
                    Some(i) => J::from(i),
                    None => {
                        return Err(self.bad(format_args!(
                            "must be a whole number (at most 2^53 - 1 in size), true, false or text, found {}",
                            if n.is_finite() && n.fract() == 0.0 {
                                "a number too large to be exact"
                            } else {
                                "a number that is not whole"
                            }
                        )));
                    }
                }
            }
            ValueType::String => match text(v)? {
                Some(t) => J::String(t),
                None => return Err(self.bad("text that is not valid Unicode (a lone surrogate)")),
            },
            ValueType::Object if v.is_array()? => {
                return Err(self.bad("arrays are not accepted in a target"));
            }
            ValueType::Object => {
                let obj = v.coerce_to_object()?;
                if !is_plain(self.env, &obj, &self.object_proto)? {
                    return Err(self.bad(format_args!(
                        "must be a plain object, text, number, boolean or null, found {} that is not a plain object",
                        describe(v)
                    )));
                }
                let Some(keys) = keys(&obj)? else {
                    return Err(self.bad(format_args!("more than {MAX_KEYS} keys")));
                };
                let mut map = serde_json::Map::new();
                for k in keys {
                    let Some(key) = text(&k)? else {
                        return Err(self.bad("a key that is not valid Unicode"));
                    };
                    if depth == 0 {
                        crate::bindings::check_target_field(&self.path(), &key)
                            .map_err(|e| throw(self.env, &e))?;
                    }
                    let item: Unknown<'e> = obj.get_property(k)?;
                    self.place.enter(key);
                    let value = self.value(&item, depth + 1);
                    let key = self.place.leave().unwrap_or_default();
                    if let Some(value) = value? {
                        map.insert(key, value);
                    }
                }
                J::Object(map)
            }
            _ => {
                return Err(self.bad(format_args!(
                    "must be a plain object, text, number, boolean or null, found {}",
                    describe(v)
                )));
            }
        }))
    }

    /// Targets from an array of objects.
    pub(super) fn targets(&mut self, items: &Array<'e>) -> napi::Result<Vec<crate::Target>> {
        let n = items.len() as usize;
        if n > MAX_TARGETS {
            return Err(throw(
                self.env,
                &crate::bindings::invalid_target(
                    "targets",
                    format_args!("more than {MAX_TARGETS} targets"),
                ),
            ));
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..items.len() {
            let item: Option<Unknown<'e>> = items.get(i)?;
            let Some(item) = item else {
                self.place.start(format!("targets[{i}]"));
                return Err(self.bad("must be a target object, found undefined"));
            };
            out.push(self.target(&item, format!("targets[{i}]"))?);
        }
        Ok(out)
    }

    /// A configuration value (a LiteLLM `model_list`) as JSON: plain
    /// objects, arrays, text, numbers, booleans and null. Anything else (a
    /// client object among a deployment's settings, a function, a bigint)
    /// becomes `{"js_value": KIND}`: the reader ignores the settings it does
    /// not read, and refuses such a value in a field it reads (an id, a
    /// provider, a declaration) as being of the wrong type, rather than read
    /// it as missing and fall back to another field. A number that is not
    /// finite becomes null. At most `MAX_VALUES` values and `MAX_DEPTH`
    /// levels.
    pub(super) fn config(&mut self, v: &Unknown<'e>, depth: usize) -> napi::Result<J> {
        let fail = |env: &Env, m: String| throw(env, &crate::bindings::invalid_config(m));
        if self.budget.count().is_err() {
            return Err(fail(
                self.env,
                format!("the configuration has more than {MAX_VALUES} values"),
            ));
        }
        if depth > MAX_DEPTH {
            return Err(fail(
                self.env,
                format!("the configuration is nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(match v.get_type()? {
            ValueType::Boolean => J::Bool(v.coerce_to_bool()?),
            ValueType::Number => {
                let n = v.coerce_to_number()?.get_double()?;
                match whole(n) {
                    Some(i) => J::from(i),
                    None => serde_json::Number::from_f64(n).map_or(J::Null, J::Number),
                }
            }
            ValueType::String => match text(v)? {
                Some(t) => J::String(t),
                None => {
                    return Err(fail(
                        self.env,
                        "the configuration has text that is not valid Unicode".into(),
                    ));
                }
            },
            ValueType::Object if v.is_array()? => {
                let obj = v.coerce_to_object()?;
                let n = obj.get_array_length()?;
                let mut items = Vec::new();
                for i in 0..n {
                    let item: Unknown<'e> = obj.get_element(i)?;
                    items.push(self.config(&item, depth + 1)?);
                }
                J::Array(items)
            }
            ValueType::Object => {
                let obj = v.coerce_to_object()?;
                if !is_plain(self.env, &obj, &self.object_proto)? {
                    return Ok(not_data(v));
                }
                let Some(keys) = keys(&obj)? else {
                    return Err(fail(
                        self.env,
                        format!("the configuration has an object with more than {MAX_KEYS} keys"),
                    ));
                };
                let mut map = serde_json::Map::new();
                for k in keys {
                    let Some(key) = text(&k)? else {
                        return Err(fail(
                            self.env,
                            "the configuration has a key that is not valid Unicode".into(),
                        ));
                    };
                    let item: Unknown<'e> = obj.get_property(k)?;
                    if item.get_type()? != ValueType::Undefined {
                        map.insert(key, self.config(&item, depth + 1)?);
                    }
                }
                J::Object(map)
            }
            ValueType::Null | ValueType::Undefined => J::Null,
            _ => not_data(v),
        })
    }
}

/// A configuration value that is not data, as a marker no reader takes for
/// a value of its own.
fn not_data(v: &Unknown<'_>) -> J {
    let mut marker = serde_json::Map::new();
    marker.insert("js_value".into(), J::String(describe(v).to_string()));
    J::Object(marker)
}

/// The options object of a call: a plain object whose keys are all among
/// `allowed` (a key misspelt would otherwise be silently ignored, and a
/// misspelt `request` would route as a request that says nothing). A key
/// whose value is `undefined` counts as not given.
pub(super) struct Options<'e> {
    object: Option<Object<'e>>,
    given: Vec<String>,
}

impl<'e> Options<'e> {
    /// Reads `options` (undefined or null: none) for the call `call`.
    pub(super) fn read(
        env: &'e Env,
        call: &str,
        options: Option<Unknown<'e>>,
        allowed: &[&str],
    ) -> napi::Result<Options<'e>> {
        let none = Options {
            object: None,
            given: Vec::new(),
        };
        let Some(v) = options else {
            return Ok(none);
        };
        match v.get_type()? {
            ValueType::Undefined | ValueType::Null => return Ok(none),
            ValueType::Object if !v.is_array()? => {}
            _ => {
                return Err(type_error(
                    env,
                    "ERR_INVALID_ARG_TYPE",
                    &format!(
                        "{call}: the options must be an object, not {}",
                        describe(&v)
                    ),
                ));
            }
        }
        let object = v.coerce_to_object()?;
        let names = keys(&object)?.unwrap_or_default();
        let mut given = Vec::new();
        for k in names {
            let key = text(&k)?.unwrap_or_default();
            if !allowed.contains(&key.as_str()) {
                let help = crate::schema::suggest(&key, allowed.iter().copied())
                    .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
                return Err(type_error(
                    env,
                    "ERR_INVALID_ARG_VALUE",
                    &format!(
                        "{call}: unknown option `{}`{help}; the options are {}",
                        crate::escape_for_terminal(&key),
                        allowed.join(", ")
                    ),
                ));
            }
            let item: Unknown<'e> = object.get_property(k)?;
            if item.get_type()? != ValueType::Undefined {
                given.push(key);
            }
        }
        Ok(Options {
            object: Some(object),
            given,
        })
    }

    /// The option `key`, if given.
    pub(super) fn get(&self, key: &str) -> napi::Result<Option<Unknown<'e>>> {
        match &self.object {
            Some(o) if self.given.iter().any(|g| g == key) => Ok(Some(o.get_named_property(key)?)),
            _ => Ok(None),
        }
    }

    /// The option `key` read as `T` by napi's own checks (a class
    /// instance, say), if given.
    pub(super) fn typed<T>(&self, key: &str) -> napi::Result<Option<T>>
    where
        T: napi::bindgen_prelude::FromNapiValue + napi::bindgen_prelude::ValidateNapiValue,
    {
        match &self.object {
            Some(o) if self.given.iter().any(|g| g == key) => Ok(Some(o.get_named_property(key)?)),
            _ => Ok(None),
        }
    }

    /// A string option, if given (null: not given).
    pub(super) fn string(&self, env: &Env, call: &str, key: &str) -> napi::Result<Option<String>> {
        let Some(v) = self.get(key)? else {
            return Ok(None);
        };
        match v.get_type()? {
            ValueType::Null => Ok(None),
            ValueType::String => text(&v)?.map(Some).ok_or_else(|| {
                type_error(
                    env,
                    "ERR_INVALID_ARG_VALUE",
                    &format!("{call}: `{key}` is not valid Unicode (a lone surrogate)"),
                )
            }),
            _ => Err(type_error(
                env,
                "ERR_INVALID_ARG_TYPE",
                &format!("{call}: `{key}` must be a string, not {}", describe(&v)),
            )),
        }
    }

    /// A boolean option, if given (null: not given).
    pub(super) fn boolean(&self, env: &Env, call: &str, key: &str) -> napi::Result<Option<bool>> {
        let Some(v) = self.get(key)? else {
            return Ok(None);
        };
        match v.get_type()? {
            ValueType::Null => Ok(None),
            ValueType::Boolean => Ok(Some(v.coerce_to_bool()?)),
            _ => Err(type_error(
                env,
                "ERR_INVALID_ARG_TYPE",
                &format!("{call}: `{key}` must be a boolean, not {}", describe(&v)),
            )),
        }
    }

    /// The `date` option: `YYYY-MM-DD` text, or not given (today, as the
    /// library reads it). A `Date` is refused: it is an instant, whose day
    /// depends on a time zone, and guessing one could read expired evidence
    /// as valid.
    pub(super) fn date(&self, env: &Env, call: &str) -> napi::Result<Option<Date>> {
        let Some(v) = self.get("date")? else {
            return Ok(None);
        };
        day(env, call, "date", &v)
    }

    /// The `request` option as request attributes typed by the policies'
    /// schemas.
    pub(super) fn request(&self, env: &Env, schemas: &[&Schema]) -> napi::Result<RequestAttrs> {
        match self.get("request")? {
            Some(v) => request_attrs(env, &v, schemas),
            None => Ok(RequestAttrs::new()),
        }
    }
}

/// A date argument named `name`: `YYYY-MM-DD` text (null: not given).
pub(super) fn day(
    env: &Env,
    call: &str,
    name: &str,
    v: &Unknown<'_>,
) -> napi::Result<Option<Date>> {
    match v.get_type()? {
        ValueType::Null | ValueType::Undefined => Ok(None),
        ValueType::String => {
            let t = text(v)?.unwrap_or_default();
            t.parse::<Date>().map(Some).map_err(|e| {
                type_error(
                    env,
                    "ERR_INVALID_ARG_VALUE",
                    &format!("{call}: `{name}`: {e}"),
                )
            })
        }
        _ if v.is_date()? => Err(type_error(
            env,
            "ERR_INVALID_ARG_TYPE",
            &format!(
                "{call}: `{name}` must be `YYYY-MM-DD` text, not a Date: a Date is an instant, \
                 whose day depends on a time zone (for its UTC day, give \
                 d.toISOString().slice(0, 10))"
            ),
        )),
        _ => Err(type_error(
            env,
            "ERR_INVALID_ARG_TYPE",
            &format!(
                "{call}: `{name}` must be `YYYY-MM-DD` text, not {}",
                describe(v)
            ),
        )),
    }
}

/// JavaScript's names for the types of request attribute values, in
/// messages.
const JS_TYPES: crate::bindings::TypeWords = crate::bindings::TypeWords {
    flag: "a boolean",
    number: "a whole number",
    text: "a string",
    none: "null",
    found_flag: "boolean",
    found_number: "number",
    found_text: "string",
};

/// A `request` object as request attributes, typed by the policies'
/// schemas: names with or without `request.`; a flag is a boolean, a
/// number a whole number, text a string; null or undefined leaves the
/// attribute not given. An unknown name, a value of another type, a name
/// given twice (with and without the prefix) or more than `MAX_KEYS` names
/// is a `RequestError`.
fn request_attrs(env: &Env, v: &Unknown<'_>, schemas: &[&Schema]) -> napi::Result<RequestAttrs> {
    use crate::bindings::bad_request;
    let mut attrs = RequestAttrs::new();
    let fail = |e: crate::Error| throw(env, &e);
    match v.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(attrs),
        ValueType::Object if !v.is_array()? => {}
        _ => {
            return Err(fail(bad_request(
                "request/invalid-attribute",
                format_args!(
                    "`request` must be an object of request attribute names to values, found {}",
                    describe(v)
                ),
            )));
        }
    }
    let obj = v.coerce_to_object()?;
    if !is_plain(env, &obj, &object_prototype(env)?)? {
        return Err(fail(bad_request(
            "request/invalid-attribute",
            "`request` must be a plain object of request attribute names to values",
        )));
    }
    let Some(names) = keys(&obj)? else {
        return Err(fail(bad_request(
            "request/invalid-attribute",
            format_args!("`request`: more than {MAX_KEYS} attributes"),
        )));
    };
    let mut seen = std::collections::HashSet::new();
    for k in names {
        let Some(name) = text(&k)? else {
            return Err(fail(bad_request(
                "request/invalid-attribute",
                "`request`: a name that is not valid Unicode",
            )));
        };
        let (bare, kind) = crate::bindings::resolve_new(&mut seen, schemas, &name).map_err(fail)?;
        let item: Unknown<'_> = obj.get_property(k)?;
        let given = match item.get_type()? {
            ValueType::Undefined | ValueType::Null => continue,
            ValueType::Boolean => Given::Flag(item.coerce_to_bool()?),
            ValueType::Number => {
                let n = item.coerce_to_number()?.get_double()?;
                match whole(n) {
                    Some(i) => Given::Number(Some(i)),
                    None if n.is_finite() && n.fract() == 0.0 => {
                        Given::Other("number too large to be exact".into())
                    }
                    None => Given::Other("number that is not whole".into()),
                }
            }
            ValueType::String => text(&item)?.map_or(Given::InvalidText, Given::Text),
            _ => Given::Other(
                describe(&item)
                    .trim_start_matches("an ")
                    .trim_start_matches("a ")
                    .into(),
            ),
        };
        let value = crate::bindings::request_value(&bare, kind, given, &JS_TYPES).map_err(fail)?;
        attrs.set(&bare, value);
    }
    Ok(attrs)
}
