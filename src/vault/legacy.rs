//! Read-only support for the pre-2.7 `AES` cipher (`$ANSIBLE_VAULT;1.0;AES`):
//! OpenSSL `Salted__` framing, MD5 key derivation, AES-256-CBC, SHA-256 check.
//! Never written; `rekey` migrates such files to AES256 (docs/architecture.md, "Legacy 1.0 cipher").

use aes::Aes256;
use aes::cipher::{BlockCipherDecrypt, KeyInit};
use md5::{Digest, Md5};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::envelope::unhexlify;
use super::{VaultError, crypto::pkcs7_unpadded_len};

/// Decrypts a legacy payload (single hex layer); `None` if the password is wrong.
pub fn decrypt(payload: &[u8], password: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
    let raw = unhexlify(payload)?;
    if raw.len() < 16 || &raw[..8] != b"Salted__" || !(raw.len() - 16).is_multiple_of(16) {
        return Err(VaultError::LegacyFormat);
    }
    let (salt, ct) = (&raw[8..16], &raw[16..]);

    // EVP_BytesToKey(MD5, 1 iteration) for a 32-byte key and a 16-byte IV.
    let mut derived = Zeroizing::new(Vec::with_capacity(48));
    let mut block: Vec<u8> = Vec::new();
    while derived.len() < 48 {
        let mut md5 = Md5::new();
        md5.update(&block);
        md5.update(password);
        md5.update(salt);
        block = md5.finalize().to_vec();
        derived.extend_from_slice(&block);
    }
    let (key, iv) = (&derived[..32], &derived[32..48]);

    let cipher = Aes256::new_from_slice(key).map_err(|_| VaultError::LegacyFormat)?;
    let mut plain = Zeroizing::new(ct.to_vec());
    let mut previous = iv.to_vec();
    for chunk in plain.chunks_mut(16) {
        let saved = chunk.to_vec();
        cipher.decrypt_block(chunk.try_into().map_err(|_| VaultError::LegacyFormat)?);
        chunk.iter_mut().zip(&previous).for_each(|(b, p)| *b ^= p);
        previous = saved;
    }
    let Some(len) = pkcs7_unpadded_len(&plain) else {
        return Ok(None);
    };
    plain.truncate(len);
    let Some(newline) = plain.iter().position(|b| *b == b'\n') else {
        return Ok(None);
    };
    let (digest_hex, body) = (&plain[..newline], &plain[newline + 1..]);
    if digest_hex != const_hex::encode(Sha256::digest(body)).as_bytes() {
        return Ok(None);
    }
    Ok(Some(Zeroizing::new(body.to_vec())))
}
