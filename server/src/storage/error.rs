//! What a storage failure says: what the server was doing, and the cause.

/// A storage failure: what was being done, and the cause (kept, for `source()`).
#[derive(Debug)]
pub struct StorageError {
    /// What the server was doing, e.g. "writing a block".
    pub doing: &'static str,
    cause: Box<dyn std::error::Error + Send + Sync>,
}

impl StorageError {
    /// A failure while `doing`, caused by `cause`.
    pub fn new(
        doing: &'static str,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StorageError {
            doing,
            cause: cause.into(),
        }
    }
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "storage error while {}: {}", self.doing, self.cause)
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.cause.as_ref())
    }
}

pub(super) trait Context<T> {
    fn doing(self, what: &'static str) -> Result<T, StorageError>;
}

impl<T, E: Into<Box<dyn std::error::Error + Send + Sync>>> Context<T> for Result<T, E> {
    fn doing(self, what: &'static str) -> Result<T, StorageError> {
        self.map_err(|e| StorageError::new(what, e))
    }
}
