//! Secret key files: 64 hex characters (the Ed25519 seed) and a newline, mode 0600.
//! Used for the CLI's key and the server's treasury. Failures are [`KeyFileError`]s,
//! with the I/O or hex error underneath kept as their `source()`.

use ed25519_dalek::SigningKey;
use simplechain_core::hex::HexError;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why a key file could not be read or written. Each names the file.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file could not be read.
    Read { path: PathBuf, source: io::Error },
    /// The file is not 64 hex characters.
    NotAKey { path: PathBuf, source: HexError },
    /// [`write_new`] never overwrites a key.
    Exists { path: PathBuf },
    /// The directory for a new key file could not be created.
    CreateDir { path: PathBuf, source: io::Error },
    /// The new key file could not be created.
    Create { path: PathBuf, source: io::Error },
    /// Writing the new key file, or flushing it to disk, failed.
    Write { path: PathBuf, source: io::Error },
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFileError::Read { path, .. } => {
                write!(f, "cannot read the key file {}", path.display())
            }
            KeyFileError::NotAKey { path, .. } => write!(
                f,
                "{} is not a key file (expected 64 hex characters)",
                path.display()
            ),
            KeyFileError::Exists { path } => write!(
                f,
                "{} already exists; refusing to overwrite a key",
                path.display()
            ),
            KeyFileError::CreateDir { path, .. } | KeyFileError::Create { path, .. } => {
                write!(f, "cannot create {}", path.display())
            }
            KeyFileError::Write { path, .. } => {
                write!(f, "cannot write the key file {}", path.display())
            }
        }
    }
}

impl std::error::Error for KeyFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyFileError::Read { source, .. }
            | KeyFileError::CreateDir { source, .. }
            | KeyFileError::Create { source, .. }
            | KeyFileError::Write { source, .. } => Some(source),
            KeyFileError::NotAKey { source, .. } => Some(source),
            KeyFileError::Exists { .. } => None,
        }
    }
}

/// Reads a key file.
pub fn read(path: &Path) -> Result<SigningKey, KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
        path: path.into(),
        source,
    })?;
    let mut seed = [0u8; 32];
    simplechain_core::hex::decode_into(text.trim(), &mut seed).map_err(|source| {
        KeyFileError::NotAKey {
            path: path.into(),
            source,
        }
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes a new key file with mode 0600; refuses to overwrite an existing file.
pub fn write_new(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    if path.exists() {
        return Err(KeyFileError::Exists { path: path.into() });
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| KeyFileError::CreateDir {
            path: dir.into(),
            source,
        })?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|source| KeyFileError::Create {
        path: path.into(),
        source,
    })?;
    let mut text = String::with_capacity(65);
    simplechain_core::hex::write_hex(&mut text, key.as_bytes()).expect("writing to a String");
    text.push('\n');
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| KeyFileError::Write {
            path: path.into(),
            source,
        })
}

/// A new key from the operating system's CSPRNG.
pub fn generate() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}
