//! Python bindings (cargo feature `python`), built with maturin into the
//! `eligo._eligo` extension module.
//!
//! This layer only converts types and maps errors; every decision is made by
//! the library. Python mappings become targets through the same strict JSON
//! reader as catalogs, results go back as plain Python values, and library
//! errors become `PolicyError` subclasses carrying their diagnostics.
//! Compiling, loading and formatting policies, and batch work (filtering
//! and routing over a loaded catalog) run without the GIL; `Policy` and `Catalog` are immutable and safe to share across
//! threads.

#![allow(missing_docs)] // documented in python/eligo/_eligo.pyi

mod results;

use results::{PyDecision, PyTarget};

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PySlice, PyString, PyTuple};
use serde_json::Value as J;

use crate::{Date, ErrorKind};

create_exception!(
    eligo,
    PolicyError,
    PyValueError,
    "A policy, catalog, target or request could not be used."
);
create_exception!(
    eligo,
    PolicySyntaxError,
    PolicyError,
    "Policy text does not follow the grammar."
);
create_exception!(
    eligo,
    PolicyCompileError,
    PolicyError,
    "Policy text parses but is not a valid policy."
);
create_exception!(
    eligo,
    CatalogError,
    PolicyError,
    "A catalog or target could not be read."
);
create_exception!(
    eligo,
    ComplianceBlocked,
    pyo3::exceptions::PyException,
    "No compliant provider remains for the request: the 403 to answer (`Decision.raise_if_blocked`)."
);
create_exception!(
    eligo,
    PolicyImportError,
    PolicyError,
    "Another gateway's policy could not be translated into eligo's language."
);
create_exception!(
    eligo,
    RequestError,
    PolicyError,
    "A request names a model or target the catalog does not have, or gives request attributes the policy does not know or of the wrong type."
);

use crate::bindings::{MAX_DEPTH, MAX_KEYS, MAX_TARGETS, MAX_VALUES};

/// A library error as the matching Python exception, with `.diagnostics`.
fn to_py_err(py: Python<'_>, e: &crate::Error) -> PyErr {
    let text = e.render(false).trim_end().to_string();
    let err = match e.kind() {
        ErrorKind::Syntax => PolicySyntaxError::new_err(text),
        ErrorKind::Compile => PolicyCompileError::new_err(text),
        ErrorKind::Catalog => CatalogError::new_err(text),
        ErrorKind::Request => RequestError::new_err(text),
        ErrorKind::Import => PolicyImportError::new_err(text),
        _ => PolicyError::new_err(text),
    };
    let diagnostics = to_py(py, &e.to_json());
    if let Ok(d) = diagnostics {
        let _ = err.value(py).setattr("diagnostics", d);
    }
    err
}

/// `eligo.PolicyFileNotFoundError`: a subclass of both `FileNotFoundError`
/// and `PolicyError`, made once (a class with two such bases can only be
/// made by calling `type`).
static NOT_FOUND: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();

fn not_found_type(py: Python<'_>) -> PyResult<&Bound<'_, pyo3::types::PyType>> {
    NOT_FOUND
        .get_or_try_init(py, || {
            let builtins = py.import("builtins")?;
            let bases = PyTuple::new(
                py,
                [
                    builtins.getattr("FileNotFoundError")?,
                    py.get_type::<PolicyError>().into_any(),
                ],
            )?;
            let namespace = PyDict::new(py);
            namespace.set_item("__module__", "eligo")?;
            namespace.set_item(
                "__doc__",
                "A policy or catalog file does not exist: a FileNotFoundError and a PolicyError.",
            )?;
            let class =
                builtins
                    .getattr("type")?
                    .call1(("PolicyFileNotFoundError", bases, namespace))?;
            Ok(class.cast_into::<pyo3::types::PyType>()?.unbind())
        })
        .map(|t| t.bind(py))
}

/// A library error from reading the file `path`: for a file that does not
/// exist, a `PolicyFileNotFoundError` with `errno`, `filename` and
/// `.diagnostics`; else as `to_py_err`.
fn file_err(py: Python<'_>, e: &crate::Error, path: &std::path::Path) -> PyErr {
    let missing = e
        .diagnostics()
        .first()
        .is_some_and(|d| d.code() == "io/not-found");
    if !missing {
        return to_py_err(py, e);
    }
    let made = not_found_type(py).and_then(|class| {
        let err = class.call1((2, "No such file or directory", path))?;
        err.setattr("diagnostics", to_py(py, &e.to_json())?)?;
        Ok(PyErr::from_value(err))
    });
    made.unwrap_or_else(|err| err)
}

/// A JSON value as a Python value.
fn to_py(py: Python<'_>, v: &J) -> PyResult<Py<PyAny>> {
    Ok(match v {
        J::Null => py.None(),
        J::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any().unbind(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any().unbind(),
            _ => n
                .as_f64()
                .unwrap_or(f64::NAN)
                .into_pyobject(py)?
                .into_any()
                .unbind(),
        },
        J::String(s) => PyString::new(py, s).into_any().unbind(),
        J::Array(xs) => {
            let list = PyList::empty(py);
            for x in xs {
                list.append(to_py(py, x)?)?;
            }
            list.into_any().unbind()
        }
        J::Object(m) => {
            let dict = PyDict::new(py);
            for (k, x) in m {
                dict.set_item(k, to_py(py, x)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// A serialisable library value as a Python value.
fn ser_to_py(py: Python<'_>, v: &impl serde::Serialize) -> PyResult<Py<PyAny>> {
    let json = serde_json::to_value(v).map_err(|e| PyValueError::new_err(e.to_string()))?;
    to_py(py, &json)
}

/// How many values are converted between two checks for Ctrl-C.
const SIGNAL_INTERVAL: usize = 1 << 16;

/// A Python value that cannot be a target, with where it is.
fn bad(path: &str, message: impl std::fmt::Display) -> PyErr {
    Python::attach(|py| to_py_err(py, &crate::bindings::invalid_target(path, message)))
}

/// Reads Python values as JSON for the library's strict target reader:
/// mappings with str keys, str, int (64-bit), bool and None. Floats and
/// sequences never appear in a valid target, so they are refused here,
/// with the path of the value; so are repeated keys, as the JSON reader
/// refuses them. One reader serves one call and counts the values it
/// converts against the shared limits.
struct Reader<'py> {
    py: Python<'py>,
    /// Values converted so far in this call, and in the current target.
    budget: crate::bindings::Budget,
    /// Where the value being read is, for errors.
    place: crate::bindings::Place,
}

impl<'py> Reader<'py> {
    fn new(py: Python<'py>) -> Reader<'py> {
        Reader {
            py,
            budget: crate::bindings::Budget::default(),
            place: crate::bindings::Place::default(),
        }
    }

    /// Where the value being read is, e.g. `targets[3].attributes.soc2`.
    fn path(&self) -> String {
        self.place.path()
    }

    fn bad(&self, message: impl std::fmt::Display) -> PyErr {
        bad(&self.path(), message)
    }

    /// A Python mapping as a target; `name` names it in errors.
    fn target(&mut self, obj: &Bound<'py, PyAny>, name: String) -> PyResult<crate::Target> {
        self.place.start(name);
        self.budget.next_target();
        let json = self.value(obj, 0)?;
        crate::Target::from_json_value(&json, self.place.name()).map_err(|e| to_py_err(self.py, &e))
    }

    /// Counts one more value against the limits; checks for Ctrl-C now and
    /// then.
    fn count(&mut self) -> PyResult<()> {
        self.budget.count().map_err(|m| self.bad(m))?;
        if self.budget.values() % SIGNAL_INTERVAL == 0 {
            self.py.check_signals()?;
        }
        Ok(())
    }

    /// One value, `depth` mappings below the target.
    fn value(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> PyResult<J> {
        self.count()?;
        if depth > MAX_DEPTH {
            return Err(self.bad(format_args!("nested more than {MAX_DEPTH} levels deep")));
        }
        if obj.is_none() {
            return Ok(J::Null);
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return Ok(J::Bool(b.is_true()));
        }
        if obj.is_instance_of::<PyInt>() {
            return obj
                .extract::<i64>()
                .map(J::from)
                .map_err(|_| self.bad("an integer that does not fit in 64 bits"));
        }
        if obj.is_instance_of::<PyFloat>() {
            return Err(self.bad("must be a whole number, true, false or text, found a float"));
        }
        if obj.is_instance_of::<PyString>() {
            return obj
                .extract::<String>()
                .map(J::String)
                .map_err(|_| self.bad("text that is not valid Unicode"));
        }
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            return Err(self.bad("lists are not accepted in a target"));
        }
        // An exact dict is read from a copy taken first: what Python code
        // sees, even if reading a nested mapping runs code that changes the
        // dict (which would stop pyo3's iterator with a panic).
        if let Ok(d) = obj.cast_exact::<PyDict>() {
            if d.len() > MAX_KEYS {
                return Err(self.bad(format_args!("more than {MAX_KEYS} keys")));
            }
            let mut map = serde_json::Map::new();
            for (k, v) in d.copy()?.iter() {
                self.entry(&mut map, &k, || Ok(v), depth)?;
            }
            return Ok(J::Object(map));
        }
        // Any other mapping, a dict subclass too, is read as Python code
        // reads a mapping: its keys, then `obj[key]` for each. A subclass's
        // own `__getitem__` is used, never the dict storage behind it.
        if let Ok(keys) = obj.call_method0("keys") {
            let mut map = serde_json::Map::new();
            for (n, k) in keys.try_iter()?.enumerate() {
                if n >= MAX_KEYS {
                    return Err(self.bad(format_args!("more than {MAX_KEYS} keys")));
                }
                let k = k?;
                self.entry(&mut map, &k, || obj.get_item(&k), depth)?;
            }
            return Ok(J::Object(map));
        }
        let kind = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        Err(self.bad(format_args!(
            "must be a mapping, text, int, bool or None, found {kind}"
        )))
    }

    /// One key of a mapping `depth` below the target, and its value, which
    /// is fetched and converted only once the key is known to be usable.
    fn entry(
        &mut self,
        map: &mut serde_json::Map<String, J>,
        k: &Bound<'py, PyAny>,
        v: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
        depth: usize,
    ) -> PyResult<()> {
        let Ok(k) = k.cast::<PyString>() else {
            return Err(self.bad("the keys of a target mapping must be text"));
        };
        let key: String = k
            .extract()
            .map_err(|_| self.bad("a key that is not valid Unicode"))?;
        if map.contains_key(&key) {
            return Err(self.bad(format_args!("the key `{key}` is given twice")));
        }
        if depth == 0 {
            crate::bindings::check_target_field(&self.path(), &key)
                .map_err(|e| to_py_err(self.py, &e))?;
        }
        let v = v()?;
        self.place.enter(key.clone());
        let value = self.value(&v, depth + 1);
        self.place.leave();
        map.insert(key, value?);
        Ok(())
    }

    /// Targets from an iterable, bounded, interruptible with Ctrl-C.
    fn targets(
        &mut self,
        items: &Bound<'py, PyAny>,
        mut keep: impl FnMut(Bound<'py, PyAny>),
    ) -> PyResult<Vec<crate::Target>> {
        let mut out = Vec::new();
        for (i, item) in items.try_iter()?.enumerate() {
            if i >= MAX_TARGETS {
                return Err(bad(
                    "targets",
                    format_args!("more than {MAX_TARGETS} targets"),
                ));
            }
            let item = item?;
            out.push(self.target(&item, format!("targets[{i}]"))?);
            keep(item);
        }
        Ok(out)
    }
}

/// A date argument named `name`: `YYYY-MM-DD` text or a `datetime.date`.
/// A `datetime.datetime` is refused: its day depends on a time zone, and
/// guessing one could read expired evidence as valid.
fn day_arg(name: &str, date: &Bound<'_, PyAny>) -> PyResult<Date> {
    use pyo3::exceptions::PyTypeError;
    if let Ok(text) = date.cast::<PyString>() {
        return parse_day(name, &text.to_cow()?);
    }
    let module = date.py().import("datetime")?;
    if date.is_instance(&module.getattr("datetime")?)? {
        return Err(PyTypeError::new_err(format!(
            "`{name}`: give a datetime.date or `YYYY-MM-DD` text, not a datetime.datetime, \
             whose day depends on a time zone (use its .date() in the zone you mean)"
        )));
    }
    if date.is_instance(&module.getattr("date")?)? {
        let part = |field: &str| -> PyResult<i64> { date.getattr(field)?.extract() };
        let text = format!(
            "{:04}-{:02}-{:02}",
            part("year")?,
            part("month")?,
            part("day")?
        );
        return parse_day(name, &text);
    }
    Err(PyTypeError::new_err(format!(
        "`{name}`: expected a datetime.date or `YYYY-MM-DD` text, not {}",
        date.get_type().name()?
    )))
}

/// An optional `date=` argument (`None`: today, as the library reads it).
fn parse_date(date: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Date>> {
    date.filter(|d| !d.is_none())
        .map(|d| day_arg("date", d))
        .transpose()
}

/// A request-attribute problem as a `RequestError` with its diagnostic.
fn bad_request(py: Python<'_>, code: &'static str, message: impl std::fmt::Display) -> PyErr {
    to_py_err(
        py,
        &crate::Error::single(crate::Diagnostic::error(code, message.to_string())),
    )
}

/// Python's names for the types of request attribute values, in messages.
const PY_TYPES: crate::bindings::TypeWords = crate::bindings::TypeWords {
    flag: "a bool",
    number: "an int",
    text: "a str",
    none: "None",
    found_flag: "bool",
    found_number: "int",
    found_text: "str",
};

/// The `request=` mapping of a call as request attributes, typed by the
/// policy's schema: names with or without `request.`; a flag is a bool, a
/// number an int (never a bool), text a str; `None` leaves the attribute
/// not given. An unknown name, a value of another type, a name given twice
/// (with and without the prefix) or more than `MAX_KEYS` names is a
/// `RequestError`.
fn request_attrs(
    py: Python<'_>,
    request: Option<&Bound<'_, PyAny>>,
    schemas: &[&crate::Schema],
) -> PyResult<crate::RequestAttrs> {
    let mut attrs = crate::RequestAttrs::new();
    let Some(request) = request.filter(|r| !r.is_none()) else {
        return Ok(attrs);
    };
    // As for targets: an exact dict from a copy taken first, any other
    // mapping through its keys and `request[key]`; a value is fetched only
    // once its name is known.
    let too_many = || {
        bad_request(
            py,
            "request/invalid-attribute",
            format_args!("`request`: more than {MAX_KEYS} attributes"),
        )
    };
    let dict = match request.cast_exact::<PyDict>() {
        Ok(d) if d.len() > MAX_KEYS => return Err(too_many()),
        Ok(d) => Some(d.copy()?),
        Err(_) => None,
    };
    let keys: Vec<Bound<'_, PyAny>> = if let Some(d) = &dict {
        d.keys().iter().collect()
    } else if let Ok(keys) = request.call_method0("keys") {
        let mut out = Vec::new();
        for (n, k) in keys.try_iter()?.enumerate() {
            if n >= MAX_KEYS {
                return Err(too_many());
            }
            out.push(k?);
        }
        out
    } else {
        let kind = request
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        return Err(bad_request(
            py,
            "request/invalid-attribute",
            format_args!(
                "`request` must be a mapping of request attribute names to values, found {}",
                crate::escape_for_terminal(&kind)
            ),
        ));
    };
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        let Ok(k) = k.cast::<PyString>() else {
            return Err(bad_request(
                py,
                "request/invalid-attribute",
                "`request`: the names of request attributes must be text",
            ));
        };
        let name: String = k.extract().map_err(|_| {
            bad_request(
                py,
                "request/invalid-attribute",
                "`request`: a name that is not valid Unicode",
            )
        })?;
        let (bare, kind) = crate::bindings::resolve_new(&mut seen, schemas, &name)
            .map_err(|e| to_py_err(py, &e))?;
        let v = match &dict {
            Some(d) => d.get_item(k)?.unwrap_or_else(|| py.None().into_bound(py)),
            None => request.get_item(k)?,
        };
        if v.is_none() {
            continue;
        }
        use crate::bindings::Given;
        let given = if let Ok(b) = v.cast::<PyBool>() {
            Given::Flag(b.is_true())
        } else if v.is_instance_of::<PyInt>() {
            Given::Number(v.extract::<i64>().ok())
        } else if v.is_instance_of::<PyString>() {
            v.extract::<String>()
                .map_or(Given::InvalidText, Given::Text)
        } else {
            let found = v.get_type().name().map(|n| n.to_string());
            Given::Other(found.unwrap_or_default())
        };
        let value = crate::bindings::request_value(&bare, kind, given, &PY_TYPES)
            .map_err(|e| to_py_err(py, &e))?;
        attrs.set(&bare, value);
    }
    Ok(attrs)
}

/// A compiled policy.
#[pyclass(frozen, name = "Policy", module = "eligo")]
struct PyPolicy {
    inner: crate::Policy,
}

/// One failed requirement.
#[pyclass(frozen, name = "Reason", module = "eligo")]
struct PyReason {
    #[pyo3(get)]
    requirement: String,
    #[pyo3(get)]
    kind: String,
    #[pyo3(get)]
    value: String,
    #[pyo3(get)]
    attributes: Vec<String>,
    #[pyo3(get)]
    index: usize,
    #[pyo3(get)]
    condition: Option<String>,
}

#[pymethods]
impl PyReason {
    #[getter]
    fn unknown(&self) -> bool {
        self.value == "unknown"
    }

    fn __repr__(&self) -> String {
        match &self.condition {
            Some(c) => format!(
                "Reason({:?}, {}, attributes={:?}, condition={:?})",
                self.requirement, self.value, self.attributes, c
            ),
            None => format!(
                "Reason({:?}, {}, attributes={:?})",
                self.requirement, self.value, self.attributes
            ),
        }
    }
}

/// The verdict on one target.
#[pyclass(frozen, name = "Verdict", module = "eligo")]
struct PyVerdict {
    #[pyo3(get)]
    allowed: bool,
    #[pyo3(get)]
    target: String,
    reasons: Vec<Py<PyReason>>,
}

#[pymethods]
impl PyVerdict {
    #[getter]
    fn reasons(&self, py: Python<'_>) -> Vec<Py<PyReason>> {
        self.reasons.iter().map(|r| r.clone_ref(py)).collect()
    }

    fn __bool__(&self) -> bool {
        self.allowed
    }

    fn __repr__(&self) -> String {
        let word = if self.allowed { "allow" } else { "block" };
        format!(
            "Verdict({word}, {:?}, {} reasons)",
            self.target,
            self.reasons.len()
        )
    }
}

fn verdict(py: Python<'_>, target: &str, v: &crate::Verdict) -> PyResult<PyVerdict> {
    let reasons = v
        .failures()
        .iter()
        .map(|f| {
            Py::new(
                py,
                PyReason {
                    requirement: f.text().to_string(),
                    kind: crate::eval::kind_name(f.kind()).to_string(),
                    value: f.value().as_str().to_string(),
                    attributes: f.attributes().to_vec(),
                    index: f.requirement(),
                    condition: f.condition().map(str::to_string),
                },
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyVerdict {
        allowed: v.is_allowed(),
        target: target.to_string(),
        reasons,
    })
}

/// A catalog encoded for one policy (`Policy.encode`).
#[pyclass(frozen, name = "EncodedCatalog", module = "eligo")]
struct PyEncodedCatalog {
    inner: crate::EncodedCatalog,
    catalog: Py<PyCatalog>,
}

#[pymethods]
impl PyEncodedCatalog {
    /// Decides every target in one pass over the columns. Short enough
    /// (microseconds for 100,000 targets) that it keeps the GIL.
    fn filter(&self, py: Python<'_>) -> PyAllowedSet {
        PyAllowedSet::new(self.inner.filter(), self.catalog.clone_ref(py))
    }

    /// Whether the target at `index` passes (the row path).
    fn is_allowed(&self, index: usize) -> bool {
        self.inner.is_allowed(index)
    }

    /// The catalog it encodes.
    #[getter]
    fn catalog(&self, py: Python<'_>) -> Py<PyCatalog> {
        self.catalog.clone_ref(py)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "EncodedCatalog({} targets, {} columns)",
            self.inner.len(),
            self.inner.column_count()
        )
    }
}

/// The targets a filter allowed, as a bitmap over catalog positions; to
/// Python, a read-only sequence of the allowed ids in catalog order. The ids
/// are the catalog's cached `str` objects, never converted again.
#[pyclass(frozen, sequence, name = "AllowedSet", module = "eligo")]
struct PyAllowedSet {
    inner: crate::AllowedSet,
    catalog: Py<PyCatalog>,
    /// The allowed positions, listed on first need (indexing, iterating).
    positions: std::sync::OnceLock<Vec<usize>>,
}

impl PyAllowedSet {
    fn new(inner: crate::AllowedSet, catalog: Py<PyCatalog>) -> PyAllowedSet {
        PyAllowedSet {
            inner,
            catalog,
            positions: std::sync::OnceLock::new(),
        }
    }

    fn positions(&self) -> &[usize] {
        self.positions
            .get_or_init(|| self.inner.indices().collect())
    }

    /// The id of catalog position `i`, as the catalog's cached str.
    fn id_at<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyString>> {
        let strs = self.catalog.bind(py).get().id_strs(py);
        strs.get(i)
            .map(|s| s.bind(py).clone())
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err("AllowedSet index out of range"))
    }

    /// The allowed ids, as Rust strings, in catalog order.
    fn id_texts<'a>(&'a self, catalog: &'a PyCatalog) -> impl Iterator<Item = &'a str> {
        let targets = catalog.inner.targets();
        self.inner
            .indices()
            .filter_map(move |i| targets.get(i).map(|t| t.id()))
    }
}

#[pymethods]
impl PyAllowedSet {
    /// Number of allowed targets.
    fn __len__(&self) -> usize {
        self.inner.count()
    }

    /// Whether the target with id `x` is allowed (`x` a str), or whether
    /// catalog position `x` is allowed (`x` an int); `False` for anything
    /// else.
    fn __contains__(&self, py: Python<'_>, x: &Bound<'_, PyAny>) -> bool {
        if let Ok(id) = x.cast::<PyString>() {
            let catalog = self.catalog.bind(py).get();
            return id
                .to_cow()
                .ok()
                .and_then(|id| catalog.inner.position(&id))
                .is_some_and(|i| self.inner.contains(i));
        }
        // Only ids: `0 in s` asking about a catalog position, beside `s[0]`
        // (the first allowed id) and `len(s)`, would be misread.
        false
    }

    /// Whether catalog position `i` is allowed (`False` past the end).
    fn contains_position(&self, i: isize) -> bool {
        usize::try_from(i).is_ok_and(|i| self.inner.contains(i))
    }

    /// The `i`-th allowed id (negative counts from the end), or a list of
    /// ids for a slice.
    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        i: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let positions = self.positions();
        if let Ok(slice) = i.cast::<PySlice>() {
            let s = slice.indices(isize::try_from(positions.len()).unwrap_or(isize::MAX))?;
            let out = PyList::empty(py);
            let mut k = s.start;
            for _ in 0..s.slicelength {
                if let Some(&p) = usize::try_from(k).ok().and_then(|k| positions.get(k)) {
                    out.append(self.id_at(py, p)?)?;
                }
                // Past the last element the step may overflow: stop there.
                let Some(next) = k.checked_add(s.step) else {
                    break;
                };
                k = next;
            }
            return Ok(out.into_any());
        }
        let i: isize = i.extract()?;
        let n = positions.len();
        let k = if i < 0 {
            n.checked_sub(i.unsigned_abs())
        } else {
            Some(i.unsigned_abs())
        };
        match k.and_then(|k| positions.get(k)) {
            Some(&p) => Ok(self.id_at(py, p)?.into_any()),
            None => Err(pyo3::exceptions::PyIndexError::new_err(
                "AllowedSet index out of range",
            )),
        }
    }

    fn __iter__(slf: Bound<'_, Self>) -> PyAllowedIter {
        PyAllowedIter {
            set: slf.unbind(),
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Equal to another AllowedSet or a list or tuple with the same ids in
    /// the same order.
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let catalog = self.catalog.bind(py).get();
        if let Ok(o) = other.cast::<PyAllowedSet>() {
            let o = o.get();
            let same = if o.catalog.is(&self.catalog) {
                o.inner == self.inner
            } else {
                let oc = o.catalog.bind(py).get();
                self.inner.count() == o.inner.count() && self.id_texts(catalog).eq(o.id_texts(oc))
            };
            return Ok(PyBool::new(py, same).to_owned().into_any().unbind());
        }
        if !(other.is_instance_of::<PyList>() || other.is_instance_of::<PyTuple>()) {
            return Ok(py.NotImplemented());
        }
        if other.len()? != self.inner.count() {
            return Ok(PyBool::new(py, false).to_owned().into_any().unbind());
        }
        let mut same = true;
        for (x, id) in other.try_iter()?.zip(self.id_texts(catalog)) {
            let x = x?;
            let eq = x
                .cast::<PyString>()
                .ok()
                .and_then(|x| x.to_cow().ok().map(|x| x == id))
                .unwrap_or(false);
            if !eq {
                same = false;
                break;
            }
        }
        Ok(PyBool::new(py, same).to_owned().into_any().unbind())
    }

    /// Where the allowed id `id` is in this sequence, looking between
    /// `start` and `stop` as `list.index` does.
    #[pyo3(signature = (id, start = 0, stop = isize::MAX, /))]
    fn index(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        start: isize,
        stop: isize,
    ) -> PyResult<usize> {
        let catalog = self.catalog.bind(py).get();
        let positions = self.positions();
        let n = positions.len();
        let clamp = |i: isize| {
            if i < 0 {
                n.saturating_sub(i.unsigned_abs())
            } else {
                i.unsigned_abs().min(n)
            }
        };
        let at = id
            .cast::<PyString>()
            .ok()
            .and_then(|id| id.to_cow().ok().and_then(|id| catalog.inner.position(&id)))
            .and_then(|p| positions.binary_search(&p).ok())
            .filter(|&k| clamp(start) <= k && k < clamp(stop));
        at.ok_or_else(|| {
            PyValueError::new_err(format!(
                "{} is not in the AllowedSet",
                id.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        })
    }

    /// 1 if `id` is an allowed id, else 0 (ids are unique).
    #[pyo3(signature = (id, /))]
    fn count(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> usize {
        usize::from(id.is_instance_of::<PyString>() && self.__contains__(py, id))
    }

    /// The allowed positions, in catalog order.
    fn indices(&self) -> Vec<usize> {
        self.positions().to_vec()
    }

    /// The allowed target ids, in catalog order, as a new list.
    fn ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let strs = self.catalog.bind(py).get().id_strs(py);
        PyList::new(
            py,
            self.positions()
                .iter()
                .filter_map(|&i| strs.get(i).map(|s| s.bind(py))),
        )
    }

    /// The bitmap: bit `i % 8` of byte `i / 8` is position `i`.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let n = self.inner.len().div_ceil(8);
        let mut out: Vec<u8> = self
            .inner
            .as_words()
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        out.truncate(n);
        PyBytes::new(py, &out)
    }

    /// Number of catalog positions the set ranges over.
    #[getter]
    fn size(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        const SHOWN: usize = 5;
        let mut ids = Vec::new();
        for &p in self.positions().iter().take(SHOWN) {
            ids.push(self.id_at(py, p)?.repr()?.to_string());
        }
        let n = self.inner.count();
        if n > SHOWN {
            ids.push(format!("... {} more", n - SHOWN));
        }
        Ok(format!(
            "AllowedSet([{}], {} of {} allowed)",
            ids.join(", "),
            n,
            self.inner.len()
        ))
    }
}

/// Iterates an AllowedSet's ids.
#[pyclass(frozen, name = "AllowedSetIterator", module = "eligo")]
struct PyAllowedIter {
    set: Py<PyAllowedSet>,
    next: std::sync::atomic::AtomicUsize,
}

#[pymethods]
impl PyAllowedIter {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        use std::sync::atomic::Ordering;
        let set = self.set.bind(py).get();
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        match set.positions().get(k) {
            Some(&p) => set.id_at(py, p).map(Some),
            None => Ok(None),
        }
    }
}

/// An ordered list of provider targets.
#[pyclass(frozen, name = "Catalog", module = "eligo")]
struct PyCatalog {
    inner: crate::Catalog,
    /// One Python str a target id, in catalog order, made on first need
    /// and shared by every AllowedSet over this catalog.
    id_strs: PyOnceLock<Vec<Py<PyString>>>,
}

impl PyCatalog {
    fn new(inner: crate::Catalog) -> PyCatalog {
        PyCatalog {
            inner,
            id_strs: PyOnceLock::new(),
        }
    }

    fn id_strs(&self, py: Python<'_>) -> &[Py<PyString>] {
        self.id_strs.get_or_init(py, || {
            self.inner
                .targets()
                .iter()
                .map(|t| PyString::new(py, t.id()).unbind())
                .collect()
        })
    }
}

#[pymethods]
impl PyCatalog {
    #[staticmethod]
    fn from_file(py: Python<'_>, path: std::path::PathBuf) -> PyResult<PyCatalog> {
        let r = py.detach(|| crate::Catalog::from_file(&path));
        r.map(PyCatalog::new).map_err(|e| file_err(py, &e, &path))
    }

    #[staticmethod]
    #[pyo3(signature = (text, name = "<json>"))]
    fn from_json(py: Python<'_>, text: &str, name: &str) -> PyResult<PyCatalog> {
        if text.len() > crate::catalog::MAX_CATALOG_BYTES {
            return Err(bad(
                name,
                format_args!(
                    "larger than the limit of {} bytes",
                    crate::catalog::MAX_CATALOG_BYTES
                ),
            ));
        }
        let text = text.to_string();
        let r = py.detach(|| crate::Catalog::from_str_as(&text, name, crate::CatalogFormat::Json));
        r.map(PyCatalog::new).map_err(|e| to_py_err(py, &e))
    }

    /// A catalog of LiteLLM deployments: a Router's `model_list` (a list
    /// of deployment mappings), or a whole proxy configuration mapping
    /// with a `model_list`, read as `Catalog::from_litellm_config` reads
    /// one.
    #[staticmethod]
    #[pyo3(signature = (config, name = "<litellm>"))]
    fn from_litellm(py: Python<'_>, config: &Bound<'_, PyAny>, name: &str) -> PyResult<PyCatalog> {
        let mut budget = MAX_VALUES;
        let value = config_json(config, 0, &mut budget)?;
        let r = py.detach(|| crate::Catalog::from_litellm_value(&value, name));
        r.map(PyCatalog::new).map_err(|e| to_py_err(py, &e))
    }

    #[staticmethod]
    fn from_targets(py: Python<'_>, targets: &Bound<'_, PyAny>) -> PyResult<PyCatalog> {
        let list = Reader::new(py).targets(targets, |_| {})?;
        crate::Catalog::new(list)
            .map(PyCatalog::new)
            .map_err(|e| to_py_err(py, &e))
    }

    #[getter]
    fn ids(&self) -> Vec<String> {
        self.inner
            .targets()
            .iter()
            .map(|t| t.id().to_string())
            .collect()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __contains__(&self, id: &str) -> bool {
        self.inner.get(id).is_some()
    }

    /// The catalog's name, if its file gives one.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// The targets in catalog order, as read-only `Target` views.
    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let list = PyList::empty(py);
        for t in self.inner.targets() {
            list.append(Py::new(py, PyTarget { inner: t.clone() })?)?;
        }
        Ok(list.call_method0("__iter__")?.unbind())
    }

    /// The target with id `id`, or `default`.
    #[pyo3(signature = (id, default = None))]
    fn get(&self, py: Python<'_>, id: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        match self.inner.get(id) {
            Some(t) => Ok(Py::new(py, PyTarget { inner: t.clone() })?.into_any()),
            None => Ok(default.unwrap_or_else(|| py.None())),
        }
    }

    fn __getitem__(&self, id: &str) -> PyResult<PyTarget> {
        match self.inner.get(id) {
            Some(t) => Ok(PyTarget { inner: t.clone() }),
            None => Err(pyo3::exceptions::PyKeyError::new_err(id.to_string())),
        }
    }

    /// A new catalog with `target` (a mapping, as `from_targets` reads one,
    /// or a `Target`) in place of the target with the same id, else
    /// appended. This catalog does not change.
    fn with_target(&self, py: Python<'_>, target: &Bound<'_, PyAny>) -> PyResult<PyCatalog> {
        let t = match target.cast::<PyTarget>() {
            Ok(view) => view.get().inner.clone(),
            Err(_) => Reader::new(py).target(target, "target".to_string())?,
        };
        Ok(PyCatalog::new(self.inner.with_target(t)))
    }

    /// A new catalog without the target with id `id` (`KeyError` if there
    /// is none). This catalog does not change.
    fn without(&self, id: &str) -> PyResult<PyCatalog> {
        self.inner
            .without(id)
            .map(PyCatalog::new)
            .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(id.to_string()))
    }

    /// Warnings about the catalog's attribute names: a name that is not a
    /// standard attribute but is close to one (`gdrp`), which no policy
    /// reads as the attribute meant.
    fn lint(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let diags = crate::lint::lint_attribute_names(&self.inner, &crate::Schema::standard());
        to_py(py, &crate::render_json(&diags, None))
    }

    fn __repr__(&self) -> String {
        format!("Catalog({} targets)", self.inner.len())
    }
}

#[pymethods]
impl PyPolicy {
    #[getter]
    fn name(&self) -> Option<String> {
        self.inner.name().map(str::to_string)
    }
    #[getter]
    fn version(&self) -> Option<String> {
        self.inner.version().map(str::to_string)
    }
    #[getter]
    fn mode(&self) -> &'static str {
        self.inner.mode().as_str()
    }
    #[getter]
    fn fingerprint(&self) -> String {
        self.inner.fingerprint()
    }
    #[getter]
    fn source(&self) -> String {
        self.inner.source().to_string()
    }
    #[getter]
    fn canonical_text(&self) -> String {
        self.inner.canonical_text()
    }

    /// The verdict on one target mapping, for a request with the
    /// attributes `request` (none: every `when` block applies).
    #[pyo3(signature = (target, date = None, *, request = None))]
    fn evaluate(
        &self,
        py: Python<'_>,
        target: &Bound<'_, PyAny>,
        date: Option<&Bound<'_, PyAny>>,
        request: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyVerdict> {
        let t = Reader::new(py).target(target, "target".to_string())?;
        let date = parse_date(date)?;
        let attrs = request_attrs(py, request, &[self.inner.schema()])?;
        let v = self.inner.evaluate_for(&t, &attrs, date);
        verdict(py, t.id(), &v)
    }

    /// The passing targets: for a Catalog, an AllowedSet (its bitmap
    /// filter, without the GIL); for a sequence of mappings, the mappings
    /// themselves; in order. For a request with the attributes `request`.
    #[pyo3(signature = (targets, date = None, *, request = None))]
    fn filter(
        &self,
        py: Python<'_>,
        targets: &Bound<'_, PyAny>,
        date: Option<&Bound<'_, PyAny>>,
        request: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let policy = &self.inner;
        let attrs = request_attrs(py, request, &[policy.schema()])?;
        if let Ok(catalog) = targets.cast::<PyCatalog>() {
            let date = parse_date(date)?;
            let c = catalog.get();
            let inner = py.detach(|| policy.allowed_in_for(&c.inner, &attrs, date));
            let set = PyAllowedSet::new(inner, catalog.clone().unbind());
            return Ok(Py::new(py, set)?.into_any());
        }
        let date = parse_date(date)?.unwrap_or_else(Date::today);
        let mut objects = Vec::new();
        let converted = Reader::new(py).targets(targets, |item| objects.push(item))?;
        let keep: Vec<bool> = py.detach(|| {
            // The request's bits once, for every target.
            let request = policy.request_bits(&attrs);
            converted
                .iter()
                .map(|t| policy.passes_with(t, &request, Some(date)))
                .collect()
        });
        let out = PyList::empty(py);
        for (obj, k) in objects.into_iter().zip(keep) {
            if k {
                out.append(obj)?;
            }
        }
        Ok(out.into_any().unbind())
    }

    /// Encodes `catalog` column by column for this policy, once, for
    /// fast repeated filtering (the bulk path).
    #[pyo3(signature = (catalog, date = None))]
    fn encode(
        &self,
        py: Python<'_>,
        catalog: Bound<'_, PyCatalog>,
        date: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyEncodedCatalog> {
        let date = parse_date(date)?;
        let policy = &self.inner;
        let c = catalog.get();
        let inner = py.detach(|| policy.encode_catalog(&c.inner, date));
        Ok(PyEncodedCatalog {
            inner,
            catalog: catalog.unbind(),
        })
    }

    /// Routes a request for `model` (see `build_request` for `pin` and
    /// `pinned`); `request` the request's attributes, `request_id` the
    /// host's id for the client request.
    #[pyo3(signature = (catalog, model, pin = None, date = None, *, pinned = None, request = None, request_id = None))]
    #[allow(clippy::too_many_arguments)]
    fn route(
        &self,
        py: Python<'_>,
        catalog: &PyCatalog,
        model: &str,
        pin: Option<&str>,
        date: Option<&Bound<'_, PyAny>>,
        pinned: Option<bool>,
        request: Option<&Bound<'_, PyAny>>,
        request_id: Option<String>,
    ) -> PyResult<PyDecision> {
        let layers = std::slice::from_ref(&self.inner);
        let how = RouteArgs {
            model,
            pin,
            pinned,
            date,
            request,
            request_id,
        };
        route_under(py, layers, catalog, how)
    }

    /// Every target of a catalog, allowed or blocked, with reasons; with
    /// `model`, the targets serving it, as a request for it sees them; for
    /// a request with the attributes `request`.
    #[pyo3(signature = (catalog, date = None, model = None, *, request = None))]
    fn preview(
        &self,
        py: Python<'_>,
        catalog: &PyCatalog,
        date: Option<&Bound<'_, PyAny>>,
        model: Option<&str>,
        request: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let date = parse_date(date)?;
        let policy = &self.inner;
        let attrs = request_attrs(py, request, &[policy.schema()])?;
        let p = py.detach(|| crate::preview_for(policy, &catalog.inner, model, &attrs, date));
        ser_to_py(py, &p)
    }

    /// Warnings for the policy's author (`lint/…` diagnostics as dicts);
    /// with `catalog`, also what the policy and the catalog show together
    /// (as `eligo lint --catalog`): targets blocked only for want of a
    /// declaration, list entries no target has, attribute names close to
    /// those the policy reads.
    #[pyo3(signature = (catalog = None, date = None))]
    fn lint(
        &self,
        py: Python<'_>,
        catalog: Option<&PyCatalog>,
        date: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let date = parse_date(date)?;
        let mut diags = crate::lint::lint(&self.inner);
        if let Some(c) = catalog {
            let name = c.inner.name().unwrap_or("<catalog>");
            diags.extend(crate::lint::lint_catalog(&self.inner, &c.inner, name, date));
        }
        let src = crate::SourceText::new(self.inner.source_name(), self.inner.source());
        to_py(py, &crate::render_json(&diags, Some(&src)))
    }

    fn __repr__(&self) -> String {
        format!(
            "Policy({:?}, mode={})",
            self.inner.display_name(),
            self.inner.mode().as_str()
        )
    }
}

/// A routing request from the arguments of `route` and `route_layered`
/// (`crate::bindings::build_request` says how `pin` and `pinned` read).
fn build_request(
    model: &str,
    pin: Option<&str>,
    pinned: Option<bool>,
    date: Option<Date>,
    attrs: crate::RequestAttrs,
    request_id: Option<String>,
) -> PyResult<crate::Request> {
    crate::bindings::build_request(model, pin, pinned, date, attrs, request_id).map_err(|_| {
        PyValueError::new_err(
            "`pin` names a target to pin, so `pinned=False` (automatic routing) cannot go with it",
        )
    })
}

/// Routes a request under several policy layers, applied together.
#[pyfunction]
#[pyo3(signature = (layers, catalog, model, pin = None, date = None, *, pinned = None, request = None, request_id = None))]
#[allow(clippy::too_many_arguments)]
fn route_layered(
    py: Python<'_>,
    layers: &Bound<'_, PyAny>,
    catalog: &PyCatalog,
    model: &str,
    pin: Option<&str>,
    date: Option<&Bound<'_, PyAny>>,
    pinned: Option<bool>,
    request: Option<&Bound<'_, PyAny>>,
    request_id: Option<String>,
) -> PyResult<PyDecision> {
    use pyo3::exceptions::PyTypeError;
    if layers.is_instance_of::<PyString>() || layers.cast::<PyPolicy>().is_ok() {
        return Err(PyTypeError::new_err(
            "`layers`: expected a list of Policy objects",
        ));
    }
    let policies = policy_list(layers, "layers")?;
    let how = RouteArgs {
        model,
        pin,
        pinned,
        date,
        request,
        request_id,
    };
    route_under(py, &policies, catalog, how)
}

/// The request arguments of `Policy.route` and `route_layered`.
struct RouteArgs<'a, 'py> {
    model: &'a str,
    pin: Option<&'a str>,
    pinned: Option<bool>,
    date: Option<&'a Bound<'py, PyAny>>,
    request: Option<&'a Bound<'py, PyAny>>,
    request_id: Option<String>,
}

/// Routes under `layers`, without the GIL: the request attributes typed by
/// the layers' schemas, the request built as `build_request` builds it.
fn route_under(
    py: Python<'_>,
    layers: &[crate::Policy],
    catalog: &PyCatalog,
    how: RouteArgs<'_, '_>,
) -> PyResult<PyDecision> {
    let schemas: Vec<&crate::Schema> = layers.iter().map(crate::Policy::schema).collect();
    let attrs = request_attrs(py, how.request, &schemas)?;
    let request = build_request(
        how.model,
        how.pin,
        how.pinned,
        parse_date(how.date)?,
        attrs,
        how.request_id,
    )?;
    let r = py.detach(|| crate::route_layered(layers, &catalog.inner, &request));
    r.map(|inner| PyDecision { inner })
        .map_err(|e| to_py_err(py, &e))
}

/// The `Policy` objects of a list or other iterable named `what` in errors.
fn policy_list(items: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<crate::Policy>> {
    use pyo3::exceptions::PyTypeError;
    let mut policies = Vec::new();
    for (i, item) in items.try_iter()?.enumerate() {
        let item = item?;
        let p = item
            .cast::<PyPolicy>()
            .map_err(|_| PyTypeError::new_err(format!("`{what}[{i}]`: expected a Policy")))?;
        policies.push(p.get().inner.clone());
    }
    Ok(policies)
}

/// Compiles policy text, without the GIL (a 1 MiB policy takes a while).
#[pyfunction]
#[pyo3(signature = (source, name = "<input>"))]
fn compile(py: Python<'_>, source: &str, name: &str) -> PyResult<PyPolicy> {
    let r = py.detach(|| crate::Policy::compile_named(source, name, &crate::Schema::standard()));
    r.map(|inner| PyPolicy { inner })
        .map_err(|e| to_py_err(py, &e))
}

/// Reads and compiles a `.pol` file, without the GIL.
#[pyfunction]
fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<PyPolicy> {
    let r = py.detach(|| crate::Policy::from_file(&path));
    r.map(|inner| PyPolicy { inner })
        .map_err(|e| file_err(py, &e, &path))
}

/// What replacing `old` by `new` changes over a catalog.
#[pyfunction]
#[pyo3(signature = (old, new, catalog, date = None))]
fn diff(
    py: Python<'_>,
    old: &PyPolicy,
    new: &PyPolicy,
    catalog: &PyCatalog,
    date: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let date = parse_date(date)?;
    let d = py.detach(|| crate::diff(&old.inner, &new.inner, &catalog.inner, date));
    ser_to_py(py, &d)
}

/// A configuration value (a LiteLLM `model_list`, say) as JSON: mappings
/// with text keys, lists, tuples, text, numbers, bools and None. Anything
/// else (a client object among a deployment's settings, an `Enum`, a
/// `UUID`) becomes `{"python_object": TYPE}`: the reader ignores the
/// settings it does not read, and refuses such a value in a field it reads
/// (an id, a provider, a declaration) as being of the wrong type, rather
/// than read it as missing and fall back to another field. At most
/// `budget` values and `MAX_DEPTH` levels; a mapping is read from a copy of
/// its items (an exact dict) or through `keys()` and `[key]`.
fn config_json(obj: &Bound<'_, PyAny>, depth: usize, budget: &mut usize) -> PyResult<J> {
    let fail = |m: String| -> PyErr { to_py_err(obj.py(), &crate::bindings::invalid_config(m)) };
    *budget = budget.checked_sub(1).ok_or_else(|| {
        fail(format!(
            "the configuration has more than {MAX_VALUES} values"
        ))
    })?;
    if depth > MAX_DEPTH {
        return Err(fail(format!(
            "the configuration is nested more than {MAX_DEPTH} levels deep"
        )));
    }
    if obj.is_none() {
        return Ok(J::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(J::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(obj.extract::<i64>().map_or(J::Null, J::from));
    }
    if obj.is_instance_of::<PyFloat>() {
        let f: f64 = obj.extract()?;
        return Ok(serde_json::Number::from_f64(f).map_or(J::Null, J::Number));
    }
    if let Ok(text) = obj.cast::<PyString>() {
        return Ok(J::String(text.to_cow()?.into_owned()));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in obj.try_iter()? {
            items.push(config_json(&item?, depth + 1, budget)?);
        }
        return Ok(J::Array(items));
    }
    let entries: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> =
        if let Ok(d) = obj.cast_exact::<PyDict>() {
            d.copy()?.iter().collect()
        } else if let Ok(keys) = obj.call_method0("keys") {
            let mut out = Vec::new();
            for k in keys.try_iter()? {
                let k = k?;
                let v = obj.get_item(&k)?;
                out.push((k, v));
            }
            out
        } else {
            let kind = obj
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default();
            let mut marker = serde_json::Map::new();
            marker.insert("python_object".into(), J::String(kind));
            return Ok(J::Object(marker));
        };
    let mut map = serde_json::Map::new();
    for (k, v) in entries {
        let Ok(k) = k.cast::<PyString>() else {
            return Err(fail(
                "the keys of a configuration mapping must be text".into(),
            ));
        };
        let key = k.to_cow()?.into_owned();
        if map.contains_key(&key) {
            return Err(fail(format!("the key `{key}` is given twice")));
        }
        let value = config_json(&v, depth + 1, budget)?;
        map.insert(key, value);
    }
    Ok(J::Object(map))
}

/// The policy sets of `policies`: each item a `Policy` (a set of one,
/// named after its display name) or a non-empty list or tuple of `Policy`
/// (layers applied together, named after the first one's display name).
fn policy_sets(policies: &Bound<'_, PyAny>) -> PyResult<Vec<crate::PolicySet>> {
    use pyo3::exceptions::PyTypeError;
    if policies.is_instance_of::<PyString>() || policies.cast::<PyPolicy>().is_ok() {
        return Err(PyTypeError::new_err(
            "`policies`: expected a list of Policy objects or of lists of Policy",
        ));
    }
    let mut sets = Vec::new();
    for (i, item) in policies.try_iter()?.enumerate() {
        let item = item?;
        if let Ok(p) = item.cast::<PyPolicy>() {
            sets.push(crate::PolicySet::of(p.get().inner.clone()));
            continue;
        }
        if !(item.is_instance_of::<PyList>() || item.is_instance_of::<PyTuple>()) {
            return Err(PyTypeError::new_err(format!(
                "`policies[{i}]`: expected a Policy or a list of Policy, not {}",
                item.get_type().name()?
            )));
        }
        let layers = policy_list(&item, &format!("policies[{i}]"))?;
        let Some(first) = layers.first() else {
            return Err(PyValueError::new_err(format!(
                "`policies[{i}]`: a layered policy set needs at least one Policy"
            )));
        };
        sets.push(crate::PolicySet {
            name: first.display_name().to_string(),
            layers,
        });
    }
    Ok(sets)
}

/// A `YYYY-MM-DD` argument named `name`.
fn parse_day(name: &str, date: &str) -> PyResult<Date> {
    date.parse::<Date>()
        .map_err(|e| PyValueError::new_err(format!("`{name}`: {e}")))
}

/// What replacing catalog `old` by `new` does to each policy set, without
/// the GIL.
#[pyfunction]
#[pyo3(signature = (old, new, policies, date = None))]
fn impact(
    py: Python<'_>,
    old: &PyCatalog,
    new: &PyCatalog,
    policies: &Bound<'_, PyAny>,
    date: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let sets = policy_sets(policies)?;
    let date = parse_date(date)?;
    let report = py.detach(|| crate::impact(&sets, &old.inner, &new.inner, date));
    ser_to_py(py, &report)
}

/// The targets each policy set loses as `catalog`'s evidence expires
/// from `from_` (today) through `until`, without the GIL.
#[pyfunction]
#[pyo3(signature = (catalog, policies, until, from_ = None))]
fn expiring(
    py: Python<'_>,
    catalog: &PyCatalog,
    policies: &Bound<'_, PyAny>,
    until: &Bound<'_, PyAny>,
    from_: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let sets = policy_sets(policies)?;
    let until = day_arg("until", until)?;
    let from = match from_.filter(|d| !d.is_none()) {
        Some(d) => day_arg("from_", d)?,
        None => Date::today(),
    };
    if from > until {
        return Err(PyValueError::new_err(format!(
            "`from_` ({from}) is after `until` ({until})"
        )));
    }
    let alerts = py.detach(|| crate::expiring(&sets, &catalog.inner, from, until));
    ser_to_py(py, &alerts)
}

/// Translates a policy of another gateway into `.pol` text: `source` is
/// `"llmgateway"` (a provider compliance policy, JSON) or `"keeptrusts"`
/// (a data-routing policy, YAML).
#[pyfunction]
#[pyo3(signature = (source, text, name = None))]
fn import_policy(py: Python<'_>, source: &str, text: &str, name: Option<&str>) -> PyResult<String> {
    let translate = match source {
        "llmgateway" => crate::import::llmgateway,
        "keeptrusts" => crate::import::keeptrusts,
        other => {
            return Err(PyValueError::new_err(format!(
                "`source`: expected \"llmgateway\" or \"keeptrusts\", not {other:?}"
            )));
        }
    };
    let name = name.unwrap_or(if source == "llmgateway" {
        "<json>"
    } else {
        "<yaml>"
    });
    let r = py.detach(|| translate(text, name));
    r.map_err(|e| to_py_err(py, &e))
}

/// Canonical formatting that keeps comments, without the GIL.
#[pyfunction]
fn format(py: Python<'_>, source: &str) -> PyResult<String> {
    let r = py.detach(|| crate::format::format(source));
    r.map_err(|e| to_py_err(py, &e))
}

#[pymodule]
fn _eligo(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(impact, m)?)?;
    m.add_function(wrap_pyfunction!(expiring, m)?)?;
    m.add_function(wrap_pyfunction!(format, m)?)?;
    m.add_function(wrap_pyfunction!(route_layered, m)?)?;
    m.add_function(wrap_pyfunction!(import_policy, m)?)?;
    m.add_class::<PyPolicy>()?;
    m.add_class::<PyCatalog>()?;
    m.add_class::<PyEncodedCatalog>()?;
    m.add_class::<PyAllowedSet>()?;
    m.add_class::<PyVerdict>()?;
    m.add_class::<PyReason>()?;
    results::add_classes(m)?;
    m.add("PolicyError", py.get_type::<PolicyError>())?;
    m.add("PolicySyntaxError", py.get_type::<PolicySyntaxError>())?;
    m.add("PolicyCompileError", py.get_type::<PolicyCompileError>())?;
    m.add("CatalogError", py.get_type::<CatalogError>())?;
    m.add("RequestError", py.get_type::<RequestError>())?;
    m.add("PolicyImportError", py.get_type::<PolicyImportError>())?;
    m.add("ComplianceBlocked", py.get_type::<ComplianceBlocked>())?;
    m.add("PolicyFileNotFoundError", not_found_type(py)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
