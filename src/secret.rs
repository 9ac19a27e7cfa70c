//! Secret byte strings: PINs, passwords, passcodes, 照合番号 (verification numbers).
//!
//! A [`SecretBytes`] value never shows its content: `Debug` prints `SecretBytes(***)`, there is
//! no `Display` and no `Serialize`, and the bytes are overwritten with zeros when the value is
//! dropped. It is neither `Clone` (a copy is made on purpose, with
//! [`SecretBytes::copy_from`]) nor `PartialEq` (compare secrets in constant time, or better,
//! let the card or the password hash do it). Code that must hand the bytes to a card reads them with
//! [`SecretBytes::expose_secret`], which makes every such place easy to find.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use zeroize::{Zeroize, Zeroizing};

/// Secret bytes that are masked in `Debug` and zeroized on drop.
///
/// ```
/// use onshi::SecretBytes;
///
/// let pin = SecretBytes::from(b"1234".to_vec());
/// assert_eq!(format!("{pin:?}"), "SecretBytes(***)");
/// assert_eq!(pin.expose_secret(), b"1234");
/// ```
#[derive(Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Copies `bytes` into a new secret. Prefer [`From<Vec<u8>>`](#impl-From<Vec<u8>>-for-SecretBytes),
    /// which takes ownership without leaving a copy behind.
    #[must_use]
    pub fn copy_from(bytes: &[u8]) -> Self {
        Self(Zeroizing::new(bytes.to_vec()))
    }

    /// The secret bytes. Call this only where the bytes go to the card.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes, which is not secret (a PIN's length is part of its format).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }
}

/// The bytes of `text` (a PIN typed as digits: `SecretBytes::from("1234")`).
impl From<&str> for SecretBytes {
    fn from(text: &str) -> Self {
        Self::copy_from(text.as_bytes())
    }
}

impl From<String> for SecretBytes {
    fn from(text: String) -> Self {
        Self::from(text.into_bytes())
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes(***)")
    }
}

impl Zeroize for SecretBytes {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}
