//! Python bindings (cargo feature `python`), built with maturin into the
//! `eligo._eligo` extension module.
//!
//! This layer only converts types and maps errors; every decision is made by
//! the library. Python mappings become targets through the same strict JSON
//! reader as catalogs, results go back as plain Python values, and library
//! errors become `PolicyError` subclasses carrying their diagnostics.
//! Batch work (filtering and routing over a loaded catalog) runs without the
//! GIL; `Policy` and `Catalog` are immutable and safe to share across
//! threads.

#![allow(missing_docs)] // documented in python/eligo/_eligo.pyi

use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::Value as J;

use crate::{Date, ErrorKind};

create_exception!(
    _eligo,
    PolicyError,
    PyValueError,
    "A policy, catalog, target or request could not be used."
);
create_exception!(
    _eligo,
    PolicySyntaxError,
    PolicyError,
    "Policy text does not follow the grammar."
);
create_exception!(
    _eligo,
    PolicyCompileError,
    PolicyError,
    "Policy text parses but is not a valid policy."
);
create_exception!(
    _eligo,
    CatalogError,
    PolicyError,
    "A catalog or target could not be read."
);
create_exception!(
    _eligo,
    RequestError,
    PolicyError,
    "A request names a model or target the catalog does not have."
);

/// Deepest nesting accepted in a Python value given as a target.
const MAX_DEPTH: usize = 32;

/// A library error as the matching Python exception, with `.diagnostics`.
fn to_py_err(py: Python<'_>, e: &crate::Error) -> PyErr {
    let text = e.render(false).trim_end().to_string();
    let err = match e.kind() {
        ErrorKind::Syntax => PolicySyntaxError::new_err(text),
        ErrorKind::Compile => PolicyCompileError::new_err(text),
        ErrorKind::Catalog => CatalogError::new_err(text),
        ErrorKind::Request => RequestError::new_err(text),
        _ => PolicyError::new_err(text),
    };
    let diagnostics = to_py(py, &e.to_json());
    if let Ok(d) = diagnostics {
        let _ = err.value(py).setattr("diagnostics", d);
    }
    err
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

/// A Python value (mappings, sequences, str, int, bool, float, None) as
/// JSON, for the library's strict target reader.
fn to_json(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<J> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "a target is nested more than {MAX_DEPTH} levels deep"
        )));
    }
    if obj.is_none() {
        return Ok(J::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(J::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        let n: i64 = obj
            .extract()
            .map_err(|_| PyValueError::new_err("an integer in a target does not fit in 64 bits"))?;
        return Ok(J::from(n));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        // The reader rejects floats with its own message.
        return Ok(serde_json::Number::from_f64(f.value()).map_or(J::Null, J::Number));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(J::String(obj.extract::<String>()?));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return dict_to_json(d.iter(), depth);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for x in obj.try_iter()? {
            out.push(to_json(&x?, depth + 1)?);
        }
        return Ok(J::Array(out));
    }
    // Any other mapping: read its items().
    if let Ok(items) = obj.call_method0("items") {
        let mut pairs = Vec::new();
        for item in items.try_iter()? {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            pairs.push((k, v));
        }
        return dict_to_json(pairs.into_iter(), depth);
    }
    Err(PyTypeError::new_err(format!(
        "a target holds mappings, lists, str, int, bool and None; found {}",
        obj.get_type().name()?
    )))
}

fn dict_to_json<'py>(
    items: impl Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    depth: usize,
) -> PyResult<J> {
    let mut map = serde_json::Map::new();
    for (k, v) in items {
        let key: String = k
            .extract()
            .map_err(|_| PyTypeError::new_err("the keys of a target mapping must be str"))?;
        map.insert(key, to_json(&v, depth + 1)?);
    }
    Ok(J::Object(map))
}

/// A Python mapping as a target.
fn to_target(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<crate::Target> {
    let json = to_json(obj, 0)?;
    crate::Target::from_json_value(&json, "<target>").map_err(|e| to_py_err(py, &e))
}

fn parse_date(date: Option<&str>) -> PyResult<Option<Date>> {
    date.map(|d| {
        d.parse::<Date>()
            .map_err(|e| PyValueError::new_err(format!("`date`: {e}")))
    })
    .transpose()
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
}

#[pymethods]
impl PyReason {
    #[getter]
    fn unknown(&self) -> bool {
        self.value == "unknown"
    }

    fn __repr__(&self) -> String {
        format!(
            "Reason({:?}, {}, attributes={:?})",
            self.requirement, self.value, self.attributes
        )
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

/// A routing decision.
#[pyclass(frozen, name = "Decision", module = "eligo")]
struct PyDecision {
    inner: crate::Decision,
}

#[pymethods]
impl PyDecision {
    #[getter]
    fn outcome(&self) -> &'static str {
        match self.inner.outcome() {
            crate::Outcome::Routed => "routed",
            crate::Outcome::Blocked => "blocked",
            crate::Outcome::Warned => "warned",
        }
    }
    #[getter]
    fn blocked(&self) -> bool {
        self.inner.is_blocked()
    }
    #[getter]
    fn targets(&self) -> Vec<String> {
        self.inner.targets().to_vec()
    }
    #[getter]
    fn status(&self) -> u16 {
        self.inner.status()
    }
    #[getter]
    fn code(&self) -> Option<&'static str> {
        self.inner.code()
    }
    #[getter]
    fn message(&self) -> Option<String> {
        self.inner.message().map(str::to_string)
    }
    #[getter]
    fn error_body(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.inner.error_body() {
            Some(b) => to_py(py, &b),
            None => Ok(py.None()),
        }
    }
    #[getter]
    fn event(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.inner.event() {
            Some(e) => to_py(py, &e.to_json()),
            None => Ok(py.None()),
        }
    }
    #[getter]
    fn candidates(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.inner.candidates())
    }

    fn __repr__(&self) -> String {
        format!(
            "Decision({}, status={}, targets={:?})",
            self.outcome(),
            self.inner.status(),
            self.inner.targets()
        )
    }
}

/// An ordered list of provider targets.
#[pyclass(frozen, name = "Catalog", module = "eligo")]
struct PyCatalog {
    inner: crate::Catalog,
}

#[pymethods]
impl PyCatalog {
    #[staticmethod]
    fn from_file(py: Python<'_>, path: std::path::PathBuf) -> PyResult<PyCatalog> {
        let r = py.detach(|| crate::Catalog::from_file(&path));
        r.map(|inner| PyCatalog { inner })
            .map_err(|e| to_py_err(py, &e))
    }

    #[staticmethod]
    #[pyo3(signature = (text, name = "<json>"))]
    fn from_json(py: Python<'_>, text: &str, name: &str) -> PyResult<PyCatalog> {
        let text = text.to_string();
        let r = py.detach(|| crate::Catalog::from_text(&text, name));
        r.map(|inner| PyCatalog { inner })
            .map_err(|e| to_py_err(py, &e))
    }

    #[staticmethod]
    fn from_targets(py: Python<'_>, targets: &Bound<'_, PyAny>) -> PyResult<PyCatalog> {
        let mut list = Vec::new();
        for t in targets.try_iter()? {
            list.push(to_target(py, &t?)?);
        }
        crate::Catalog::new(list)
            .map(|inner| PyCatalog { inner })
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

    /// The verdict on one target mapping.
    #[pyo3(signature = (target, date = None))]
    fn evaluate(
        &self,
        py: Python<'_>,
        target: &Bound<'_, PyAny>,
        date: Option<&str>,
    ) -> PyResult<PyVerdict> {
        let t = to_target(py, target)?;
        let date = parse_date(date)?;
        let v = match date {
            Some(d) => self.inner.evaluate_on(&t, d),
            None => self.inner.evaluate(&t),
        };
        verdict(py, t.id(), &v)
    }

    /// The passing targets: the mappings themselves for a sequence of
    /// mappings, the ids for a Catalog; in order.
    #[pyo3(signature = (targets, date = None))]
    fn filter(
        &self,
        py: Python<'_>,
        targets: &Bound<'_, PyAny>,
        date: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let date = parse_date(date)?.unwrap_or_else(Date::today);
        if let Ok(catalog) = targets.cast::<PyCatalog>() {
            let catalog = catalog.get();
            let policy = &self.inner;
            let ids: Vec<String> = py.detach(|| {
                catalog
                    .inner
                    .targets()
                    .iter()
                    .filter(|t| {
                        policy
                            .program()
                            .passes(&policy.program().encode_on(t, date))
                    })
                    .map(|t| t.id().to_string())
                    .collect()
            });
            return Ok(ids.into_pyobject(py)?.into_any().unbind());
        }
        let mut objects = Vec::new();
        let mut converted = Vec::new();
        for item in targets.try_iter()? {
            let item = item?;
            converted.push(to_target(py, &item)?);
            objects.push(item);
        }
        let policy = &self.inner;
        let keep: Vec<bool> = py.detach(|| {
            converted
                .iter()
                .map(|t| {
                    policy
                        .program()
                        .passes(&policy.program().encode_on(t, date))
                })
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

    /// Routes a request: `model` as an OpenAI-style `model` field
    /// (`provider/model` pins), or `pin` a target id.
    #[pyo3(signature = (catalog, model, pin = None, date = None))]
    fn route(
        &self,
        py: Python<'_>,
        catalog: &PyCatalog,
        model: &str,
        pin: Option<&str>,
        date: Option<&str>,
    ) -> PyResult<PyDecision> {
        let mut request = match pin {
            Some(p) => crate::Request::pin(p),
            None => crate::Request::from_model_field(model),
        };
        if let Some(d) = parse_date(date)? {
            request = request.on(d);
        }
        let policy = &self.inner;
        let r = py.detach(|| crate::route(policy, &catalog.inner, &request));
        r.map(|inner| PyDecision { inner })
            .map_err(|e| to_py_err(py, &e))
    }

    /// Every target of a catalog, allowed or blocked, with reasons.
    #[pyo3(signature = (catalog, date = None))]
    fn preview(
        &self,
        py: Python<'_>,
        catalog: &PyCatalog,
        date: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let date = parse_date(date)?;
        let policy = &self.inner;
        let p = py.detach(|| crate::preview(policy, &catalog.inner, date));
        ser_to_py(py, &p)
    }

    /// Warnings for the policy's author (`lint/…` diagnostics as dicts).
    fn lint(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let diags = crate::lint::lint(&self.inner);
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

/// Compiles policy text.
#[pyfunction]
#[pyo3(signature = (source, name = "<input>"))]
fn compile(py: Python<'_>, source: &str, name: &str) -> PyResult<PyPolicy> {
    crate::Policy::compile_named(source, name, &crate::Schema::standard())
        .map(|inner| PyPolicy { inner })
        .map_err(|e| to_py_err(py, &e))
}

/// Reads and compiles a `.pol` file.
#[pyfunction]
fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<PyPolicy> {
    crate::Policy::from_file(&path)
        .map(|inner| PyPolicy { inner })
        .map_err(|e| to_py_err(py, &e))
}

/// What replacing `old` by `new` changes over a catalog.
#[pyfunction]
#[pyo3(signature = (old, new, catalog, date = None))]
fn diff(
    py: Python<'_>,
    old: &PyPolicy,
    new: &PyPolicy,
    catalog: &PyCatalog,
    date: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let date = parse_date(date)?;
    let d = py.detach(|| crate::diff(&old.inner, &new.inner, &catalog.inner, date));
    ser_to_py(py, &d)
}

/// Canonical formatting that keeps comments.
#[pyfunction]
fn format(py: Python<'_>, source: &str) -> PyResult<String> {
    crate::format::format(source).map_err(|e| to_py_err(py, &e))
}

#[pymodule]
fn _eligo(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(format, m)?)?;
    m.add_class::<PyPolicy>()?;
    m.add_class::<PyCatalog>()?;
    m.add_class::<PyVerdict>()?;
    m.add_class::<PyReason>()?;
    m.add_class::<PyDecision>()?;
    m.add("PolicyError", py.get_type::<PolicyError>())?;
    m.add("PolicySyntaxError", py.get_type::<PolicySyntaxError>())?;
    m.add("PolicyCompileError", py.get_type::<PolicyCompileError>())?;
    m.add("CatalogError", py.get_type::<CatalogError>())?;
    m.add("RequestError", py.get_type::<RequestError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
