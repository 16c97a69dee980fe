//! What routing gives back, as typed Python classes: a decision, its
//! candidates, its security event and the parts of the event. Each holds
//! the library's value and converts a field when it is read; `to_dict()`
//! gives the JSON shape documented in `docs/EVENTS.md`.

use pyo3::prelude::*;
use pyo3::types::PyString;

use super::ser_to_py;

/// One failed requirement of one policy layer.
#[pyclass(frozen, name = "Failure", module = "eligo")]
pub(super) struct PyFailure {
    inner: crate::LayerFailure,
}

#[pymethods]
impl PyFailure {
    #[getter]
    fn policy(&self) -> &str {
        &self.inner.policy
    }
    #[getter]
    fn mode(&self) -> &'static str {
        self.inner.mode.as_str()
    }
    #[getter]
    fn requirement(&self) -> &str {
        self.inner.failure.text()
    }
    #[getter]
    fn kind(&self) -> &'static str {
        crate::eval::kind_name(self.inner.failure.kind())
    }
    #[getter]
    fn value(&self) -> &'static str {
        self.inner.failure.value().as_str()
    }
    #[getter]
    fn unknown(&self) -> bool {
        self.inner.failure.is_unknown()
    }
    #[getter]
    fn attributes(&self) -> Vec<String> {
        self.inner.failure.attributes().to_vec()
    }
    #[getter]
    fn index(&self) -> usize {
        self.inner.failure.requirement()
    }
    #[getter]
    fn condition(&self) -> Option<&str> {
        self.inner.failure.condition()
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "Failure({:?}, {:?}, {})",
            &*self.inner.policy,
            self.inner.failure.text(),
            self.inner.failure.value().as_str()
        )
    }
}

fn failures(py: Python<'_>, list: &[crate::LayerFailure]) -> PyResult<Vec<Py<PyFailure>>> {
    list.iter()
        .map(|f| Py::new(py, PyFailure { inner: f.clone() }))
        .collect()
}

/// A candidate target of a routing decision and how it fared.
#[pyclass(frozen, name = "Candidate", module = "eligo")]
pub(super) struct PyCandidate {
    inner: crate::Candidate,
}

#[pymethods]
impl PyCandidate {
    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }
    #[getter]
    fn provider(&self) -> &str {
        &self.inner.provider
    }
    #[getter]
    fn model(&self) -> &str {
        &self.inner.model
    }
    #[getter]
    fn compliant(&self) -> bool {
        self.inner.compliant
    }
    #[getter]
    fn routed(&self) -> bool {
        self.inner.routed
    }
    #[getter]
    fn failures(&self, py: Python<'_>) -> PyResult<Vec<Py<PyFailure>>> {
        failures(py, &self.inner.failures)
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "Candidate({:?}, compliant={}, routed={}, {} failures)",
            self.inner.id,
            py_bool(self.inner.compliant),
            py_bool(self.inner.routed),
            self.inner.failures.len()
        )
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// A policy layer as a security event names it.
#[pyclass(frozen, name = "EventPolicy", module = "eligo")]
pub(super) struct PyEventPolicy {
    inner: crate::PolicyRef,
}

#[pymethods]
impl PyEventPolicy {
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    #[getter]
    fn version(&self) -> Option<&str> {
        self.inner.version.as_deref()
    }
    #[getter]
    fn fingerprint(&self) -> &str {
        &self.inner.fingerprint
    }
    #[getter]
    fn mode(&self) -> &'static str {
        self.inner.mode.as_str()
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "EventPolicy({:?}, mode={})",
            self.inner.name,
            self.inner.mode.as_str()
        )
    }
}

/// The request as a security event names it.
#[pyclass(frozen, name = "EventRequest", module = "eligo")]
pub(super) struct PyEventRequest {
    inner: crate::RequestRef,
}

#[pymethods]
impl PyEventRequest {
    #[getter]
    fn id(&self) -> Option<&str> {
        self.inner.id.as_deref()
    }
    #[getter]
    fn model(&self) -> &str {
        &self.inner.model
    }
    #[getter]
    fn pinned(&self) -> Option<&str> {
        self.inner.pinned.as_deref()
    }
    #[getter]
    fn attributes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.inner.attributes)
    }
    #[getter]
    fn missing(&self) -> Vec<String> {
        self.inner.missing.clone()
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "EventRequest(id={:?}, model={:?}, pinned={:?})",
            self.inner.id, self.inner.model, self.inner.pinned
        )
    }
}

/// Candidates of an event that fared alike.
#[pyclass(frozen, name = "EventGroup", module = "eligo")]
pub(super) struct PyEventGroup {
    inner: crate::EventGroup,
}

#[pymethods]
impl PyEventGroup {
    #[getter]
    fn compliant(&self) -> bool {
        self.inner.compliant
    }
    #[getter]
    fn routed(&self) -> bool {
        self.inner.routed
    }
    #[getter]
    fn failures(&self, py: Python<'_>) -> PyResult<Vec<Py<PyFailure>>> {
        failures(py, &self.inner.failures)
    }
    #[getter]
    fn candidates(&self) -> Vec<String> {
        self.inner.candidates.clone()
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "EventGroup({} candidates, compliant={}, {} failures)",
            self.inner.candidates.len(),
            py_bool(self.inner.compliant),
            self.inner.failures.len()
        )
    }
}

/// The security event of a block or a warn-mode pass.
#[pyclass(frozen, name = "SecurityEvent", module = "eligo")]
pub(super) struct PySecurityEvent {
    inner: crate::SecurityEvent,
}

#[pymethods]
impl PySecurityEvent {
    #[getter]
    fn schema(&self) -> &'static str {
        self.inner.schema
    }
    #[getter]
    fn time(&self) -> String {
        self.inner.time.to_string()
    }
    #[getter]
    fn date(&self) -> String {
        self.inner.date.to_string()
    }
    #[getter]
    fn action(&self) -> &'static str {
        self.inner.action
    }
    #[getter]
    fn status(&self) -> u16 {
        self.inner.status
    }
    #[getter]
    fn code(&self) -> &'static str {
        self.inner.code
    }
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }
    #[getter]
    fn policies(&self, py: Python<'_>) -> PyResult<Vec<Py<PyEventPolicy>>> {
        self.inner
            .policies
            .iter()
            .map(|p| Py::new(py, PyEventPolicy { inner: p.clone() }))
            .collect()
    }
    #[getter]
    fn request(&self, py: Python<'_>) -> PyResult<Py<PyEventRequest>> {
        Py::new(
            py,
            PyEventRequest {
                inner: self.inner.request.clone(),
            },
        )
    }
    #[getter]
    fn candidate_count(&self) -> usize {
        self.inner.candidate_count
    }
    #[getter]
    fn groups(&self, py: Python<'_>) -> PyResult<Vec<Py<PyEventGroup>>> {
        self.inner
            .groups
            .iter()
            .map(|g| Py::new(py, PyEventGroup { inner: g.clone() }))
            .collect()
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "SecurityEvent({}, status={}, model={:?}, {} candidates)",
            self.inner.action,
            self.inner.status,
            self.inner.request.model,
            self.inner.candidate_count
        )
    }
}

/// A routing decision.
#[pyclass(frozen, name = "Decision", module = "eligo")]
pub(super) struct PyDecision {
    pub(super) inner: crate::Decision,
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
    fn model(&self) -> &str {
        self.inner.model()
    }
    #[getter]
    fn pinned(&self) -> Option<&str> {
        self.inner.pinned()
    }
    #[getter]
    fn request_id(&self) -> Option<&str> {
        self.inner.request_id()
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
    fn message(&self) -> Option<&str> {
        self.inner.message()
    }
    #[getter]
    fn error_body(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.inner.error_body() {
            Some(b) => super::to_py(py, &b),
            None => Ok(py.None()),
        }
    }
    #[getter]
    fn event(&self, py: Python<'_>) -> PyResult<Option<Py<PySecurityEvent>>> {
        self.inner
            .event()
            .map(|e| Py::new(py, PySecurityEvent { inner: e.clone() }))
            .transpose()
    }
    #[getter]
    fn candidates(&self, py: Python<'_>) -> PyResult<Vec<Py<PyCandidate>>> {
        self.inner
            .candidates()
            .iter()
            .map(|c| Py::new(py, PyCandidate { inner: c.clone() }))
            .collect()
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.inner)
    }
    /// Raises `ComplianceBlocked` for a blocked decision, carrying the
    /// decision, its 403 body, code and event; else returns nothing.
    fn raise_if_blocked(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let decision = slf.get();
        if !decision.inner.is_blocked() {
            return Ok(());
        }
        let err = super::ComplianceBlocked::new_err(
            decision.inner.message().unwrap_or_default().to_string(),
        );
        let value = err.value(py);
        value.setattr("decision", slf)?;
        value.setattr("status", decision.inner.status())?;
        value.setattr("code", decision.inner.code())?;
        value.setattr("body", decision.error_body(py)?)?;
        value.setattr("event", decision.event(py)?)?;
        Err(err)
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

/// One target of a catalog, read only.
#[pyclass(frozen, name = "Target", module = "eligo")]
pub(super) struct PyTarget {
    pub(super) inner: crate::Target,
}

#[pymethods]
impl PyTarget {
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }
    #[getter]
    fn provider(&self) -> &str {
        self.inner.provider()
    }
    #[getter]
    fn model(&self) -> &str {
        self.inner.model()
    }
    #[getter]
    fn endpoint(&self) -> Option<&str> {
        self.inner.endpoint()
    }
    /// The declared attributes in the catalog format: a value, or
    /// `{"value", "expires"}` for expiring evidence.
    #[getter]
    fn attributes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let json = serde_json::to_value(&self.inner)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        match json.get("attributes") {
            Some(a) => super::to_py(py, a),
            None => Ok(pyo3::types::PyDict::new(py).into_any().unbind()),
        }
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ser_to_py(py, &self.inner)
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyTarget>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let id = PyString::new(py, self.inner.id());
        let id = id.repr().map(|r| r.to_string()).unwrap_or_default();
        format!("Target({id}, {} attributes)", self.inner.attributes().len())
    }
}

pub(super) fn add_classes(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDecision>()?;
    m.add_class::<PyCandidate>()?;
    m.add_class::<PyFailure>()?;
    m.add_class::<PySecurityEvent>()?;
    m.add_class::<PyEventPolicy>()?;
    m.add_class::<PyEventRequest>()?;
    m.add_class::<PyEventGroup>()?;
    m.add_class::<PyTarget>()?;
    Ok(())
}
