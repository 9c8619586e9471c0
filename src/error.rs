//! Errors, typed by the phase that raises them.
//!
//! Input problems that concern one record (a malformed JSON line, an empty document, a duplicate id)
//! are not errors by default: they are [`Skip`] records, counted and reported, and only
//! become [`InputError::Rejected`] under `strict` reading. Everything here names the file (and line,
//! where there is one) it is about.

use std::io;
use std::path::PathBuf;

use crate::corpus::Skip;

/// A failure while reading input documents.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A file or directory could not be opened or read.
    #[error("{path}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error (shown in the message, not chained, so it is printed once).
        error: io::Error,
    },
    /// A record was unusable and strict reading was asked for.
    #[error("{0} (strict mode: stopping)")]
    Rejected(Skip),
    /// A results file of an earlier run (pairs, clusters) could not be used.
    #[error("{path}:{line}: {message}")]
    Results {
        /// The pairs or clusters file.
        path: PathBuf,
        /// The 1-based line the problem is on.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A path is neither a directory, a `.jsonl` file, nor a text file.
    #[error("{path}: not a directory, a .jsonl/.ndjson file or a .txt/.md file")]
    UnknownKind {
        /// The offending path.
        path: PathBuf,
    },
}

/// An invalid setting.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting `{field}`: {message}")]
pub struct ConfigError {
    /// The setting's name, as in [`Config`](crate::Config).
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> Self {
        ConfigError {
            field,
            message: message.into(),
        }
    }
}

/// A failure while loading boilerplate rules.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The rules file could not be read.
    #[error("{path}: {error}")]
    Io {
        /// The rules file.
        path: PathBuf,
        /// The underlying I/O error (shown in the message, not chained, so it is printed once).
        error: io::Error,
    },
    /// A rule line could not be parsed or its pattern does not compile.
    #[error("{origin}:{line}: {message}")]
    Syntax {
        /// The rules file (or `<built-in>`).
        origin: String,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A failure while writing results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Writing or renaming an output file failed.
    #[error("{path}: {error}")]
    Io {
        /// The output file.
        path: PathBuf,
        /// The underlying I/O error (shown in the message, not chained, so it is printed once).
        error: io::Error,
    },
    /// An output file cannot be written where it was asked for (found before the run).
    #[error("{path}: cannot write here: {message}")]
    Destination {
        /// The output file, as given.
        path: PathBuf,
        /// Why not.
        message: String,
    },
}

/// Any error the library returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading input failed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Boilerplate rules are invalid.
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// Writing output failed.
    #[error(transparent)]
    Output(#[from] OutputError),
}
