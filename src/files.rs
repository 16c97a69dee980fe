//! Reading text files: a size limit checked while reading, and clear
//! errors for a missing file, a file over the limit and text that is not
//! UTF-8.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Error, SourceText};

/// Reads a UTF-8 text file of at most `limit` bytes (a leading BOM is kept
/// and skipped by the parser), with clear errors for the other cases.
pub(crate) fn read_text(path: &Path, limit: usize) -> Result<String, Error> {
    use std::io::Read;
    let name = path.display().to_string();
    let io_err = |e: std::io::Error| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            "io/not-found"
        } else {
            "io/read-failed"
        };
        Error::single(Diagnostic::error(
            code,
            format!("cannot read `{name}`: {e}"),
        ))
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() > limit {
        return Err(Error::single(
            Diagnostic::error(
                "io/too-large",
                format!("`{name}` is larger than the limit of {limit} bytes"),
            )
            .with_help("check that the right file was given"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
        Error::new(
            vec![
                Diagnostic::error(
                    "syntax/invalid-utf8",
                    format!("`{name}` is not valid UTF-8"),
                )
                .with_label(
                    crate::Span::new(at, at + 1),
                    format!("invalid byte at offset {at}"),
                )
                .with_help("save the file as UTF-8"),
            ],
            Some(SourceText::new(name.clone(), text)),
        )
    })
}
