//! The binary's own parts that are not argument wiring: the summary a run prints on stderr and the
//! progress shown while it runs. They belong to the command line, not to the library.

pub mod progress;
pub mod summary;
