//! Secret key files: 64 hex characters (the Ed25519 seed) and a newline, mode 0600.
//! Used for the CLI's key and the server's treasury.

use anyhow::{Context, bail};
use ed25519_dalek::SigningKey;
use std::io::Write;
use std::path::Path;

/// Reads a key file.
pub fn read(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the key file {}", path.display()))?;
    let mut seed = [0u8; 32];
    simplechain_core::hex::decode_into(text.trim(), &mut seed).with_context(|| {
        format!(
            "{} is not a key file (expected 64 hex characters)",
            path.display()
        )
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes a new key file with mode 0600; refuses to overwrite an existing file.
pub fn write_new(path: &Path, key: &SigningKey) -> anyhow::Result<()> {
    if path.exists() {
        bail!(
            "{} already exists; refusing to overwrite a key",
            path.display()
        );
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut text = String::with_capacity(65);
    simplechain_core::hex::write_hex(&mut text, key.as_bytes()).expect("writing to a String");
    text.push('\n');
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// A new key from the operating system's CSPRNG.
pub fn generate() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}
