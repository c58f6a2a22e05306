//! The AES256 vault cipher: PBKDF2-HMAC-SHA256 key derivation, AES-256-CTR
//! with a 128-bit big-endian counter, PKCS7, and encrypt-then-MAC HMAC-SHA256.
//!
//! Pure functions over bytes, byte-exact with ansible-core's `VaultAES256`.

use aes::Aes256;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::VaultError;

/// ansible's fixed PBKDF2 iteration count.
pub const PBKDF2_ITERATIONS: u32 = 10_000;
/// Salt length ansible writes (any length is read).
pub const SALT_LEN: usize = 32;
const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;
const BLOCK: usize = 16;

// OpenSSL's CTR (what python-cryptography uses) carries across all 16 bytes.
type Aes256Ctr = ctr::Ctr128BE<Aes256>;
type HmacSha256 = hmac::Hmac<Sha256>;

/// The 80 bytes derived from a password and salt: AES key, HMAC key, CTR IV.
pub struct DerivedKeys {
    bytes: Zeroizing<[u8; 2 * KEY_LEN + IV_LEN]>,
}

impl DerivedKeys {
    /// PBKDF2-HMAC-SHA256(password, salt, 10000) → 80 bytes.
    pub fn derive(password: &[u8], salt: &[u8]) -> Self {
        let mut bytes = Zeroizing::new([0u8; 2 * KEY_LEN + IV_LEN]);
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, PBKDF2_ITERATIONS, bytes.as_mut());
        DerivedKeys { bytes }
    }

    fn cipher_key(&self) -> &[u8] {
        &self.bytes[..KEY_LEN]
    }

    fn hmac_key(&self) -> &[u8] {
        &self.bytes[KEY_LEN..2 * KEY_LEN]
    }

    fn iv(&self) -> &[u8] {
        &self.bytes[2 * KEY_LEN..]
    }

    fn apply_keystream(&self, buf: &mut [u8]) {
        // Lengths are fixed by construction, so new_from_slices cannot fail.
        if let Ok(mut cipher) = Aes256Ctr::new_from_slices(self.cipher_key(), self.iv()) {
            cipher.apply_keystream(buf);
        }
    }

    fn mac(&self) -> HmacSha256 {
        <HmacSha256 as KeyInit>::new_from_slice(self.hmac_key())
            .expect("HMAC takes keys of any length")
    }

    /// Pads, encrypts and authenticates: returns (ciphertext, hmac).
    pub fn seal(&self, plaintext: &[u8]) -> (Vec<u8>, [u8; 32]) {
        let mut buf = pkcs7_pad(plaintext);
        self.apply_keystream(&mut buf);
        let mut mac = self.mac();
        mac.update(&buf);
        (buf, mac.finalize().into_bytes().into())
    }

    /// Whether `expected` is the HMAC of `ciphertext`, compared in constant time.
    pub fn verify(&self, ciphertext: &[u8], expected: &[u8]) -> bool {
        let mut mac = self.mac();
        mac.update(ciphertext);
        mac.verify_slice(expected).is_ok()
    }

    /// Decrypts and unpads a ciphertext whose HMAC was verified.
    pub fn open(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        self.apply_keystream(&mut buf);
        let len = pkcs7_unpadded_len(&buf).ok_or(VaultError::BadPadding)?;
        buf.truncate(len);
        Ok(buf)
    }
}

/// A short keyed fingerprint of a value, for `textconv --redact`: shows
/// whether a secret changed without revealing it. The key is derived from a
/// vault password, so without it low-entropy values cannot be guessed.
pub struct Fingerprinter {
    key: Zeroizing<[u8; 32]>,
}

impl Fingerprinter {
    pub fn new(password: &[u8]) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        pbkdf2::pbkdf2_hmac::<Sha256>(
            password,
            b"vaultrot textconv fingerprint v1",
            PBKDF2_ITERATIONS,
            key.as_mut(),
        );
        Fingerprinter { key }
    }

    /// 12 hex digits of HMAC-SHA256(key, name NUL value).
    pub fn fingerprint(&self, name: &str, value: &[u8]) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.key.as_ref())
            .expect("HMAC takes keys of any length");
        mac.update(name.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        const_hex::encode(&mac.finalize().into_bytes()[..6])
    }
}

/// PKCS7 to 16-byte blocks: always 1..=16 bytes of padding.
fn pkcs7_pad(data: &[u8]) -> Vec<u8> {
    let pad = BLOCK - data.len() % BLOCK;
    let mut out = Vec::with_capacity(data.len() + pad);
    out.extend_from_slice(data);
    out.resize(data.len() + pad, pad as u8);
    out
}

/// Strict PKCS7 check, as python-cryptography's unpadder; `None` if invalid.
pub(crate) fn pkcs7_unpadded_len(data: &[u8]) -> Option<usize> {
    if data.is_empty() || !data.len().is_multiple_of(BLOCK) {
        return None;
    }
    let pad = *data.last()? as usize;
    if pad == 0 || pad > BLOCK || data[data.len() - pad..].iter().any(|b| *b as usize != pad) {
        return None;
    }
    Some(data.len() - pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_matches_python_hashlib() {
        // hashlib.pbkdf2_hmac('sha256', b'password', b'salt', 10000, 80).hex()
        let keys = DerivedKeys::derive(b"password", b"salt");
        assert_eq!(
            const_hex::encode(&keys.bytes[..]),
            "5ec02b91a4b59c6f59dd5fbe4ca649ece4fa8568cdb8ba36cf41426e8805522b\
             a4e2aeac19a4821501cf609126ab01df25661083bf66f95e5217fee3198504b1\
             f776af5b88f09b3157d3c29eb580ff30"
        );
    }

    #[test]
    fn padding_is_strict() {
        assert_eq!(pkcs7_pad(b"").len(), 16);
        assert_eq!(pkcs7_pad(&[0; 16]).len(), 32);
        assert_eq!(pkcs7_unpadded_len(&[16u8; 16]), Some(0));
        assert_eq!(pkcs7_unpadded_len(&[0u8; 16]), None);
        assert_eq!(pkcs7_unpadded_len(&[17u8; 16]), None);
        assert_eq!(pkcs7_unpadded_len(&[1u8; 15]), None);
        let mut bad = [2u8; 16];
        bad[14] = 3;
        assert_eq!(pkcs7_unpadded_len(&bad), None);
    }

    #[test]
    fn seal_then_open() {
        let keys = DerivedKeys::derive(b"pw", b"salt");
        let (ct, tag) = keys.seal(b"hello");
        assert!(keys.verify(&ct, &tag));
        assert!(!keys.verify(&ct, &tag[..31]));
        assert_eq!(&keys.open(&ct).unwrap()[..], b"hello");
    }
}
