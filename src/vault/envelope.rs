//! The ansible-vault text envelope: header line, hex payload, inner
//! salt/HMAC/ciphertext fields. Pure parsing and formatting, no crypto.
//!
//! Reading accepts exactly what ansible-core 2.19 accepts; writing produces
//! exactly what it writes (docs/architecture.md, "Envelope" and "Payload").

use super::VaultError;

/// The magic every vault starts with (only this prefix is checked, as ansible does).
pub const MAGIC: &[u8] = b"$ANSIBLE_VAULT";
/// The cipher ansible reads and writes.
pub const CIPHER_AES256: &str = "AES256";
/// The pre-2.7 cipher, readable here only to migrate away from it.
pub const CIPHER_LEGACY_AES: &str = "AES";
/// The label ansible gives a secret (and a 1.1 file) that has none.
pub const DEFAULT_LABEL: &str = "default";
const LINE_WIDTH: usize = 80;

/// A parsed header and the still-hex payload that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The version field as written (`1.1`, `1.2`, ...); ansible never checks it.
    pub version: String,
    /// The cipher field (`AES256`, or legacy `AES`).
    pub cipher: String,
    /// The vault-id label from the 4th field, if the header has one.
    pub label: Option<String>,
    /// The payload lines joined without their line breaks.
    pub payload: Vec<u8>,
}

impl Envelope {
    /// The label ansible reports for this envelope: the 4th field, else `default`.
    pub fn label_or_default(&self) -> &str {
        self.label.as_deref().unwrap_or(DEFAULT_LABEL)
    }
}

/// The three inner fields of an AES256 payload, hex-decoded except the HMAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vaulttext {
    pub salt: Vec<u8>,
    pub hmac_hex: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// ansible's `is_encrypted`: the whole input is ASCII and starts with the magic.
pub fn is_encrypted(data: &[u8]) -> bool {
    data.starts_with(MAGIC) && data.is_ascii()
}

/// Python's `bytes.splitlines()`: splits on LF, CRLF and lone CR.
pub fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\n' => {
                lines.push(&data[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&data[start..i]);
                if data.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < data.len() {
        lines.push(&data[start..]);
    }
    lines
}

/// Python's `bytes.strip()` with no argument: ASCII whitespace at both ends.
pub fn strip_ascii_whitespace(data: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = data.iter().position(|b| !is_ws(b)).unwrap_or(data.len());
    let end = data
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |e| e + 1);
    &data[start..end]
}

/// A vault's header fields, as `_parse_vaulttext_envelope` reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub version: String,
    pub cipher: String,
    pub label: Option<String>,
}

/// Parses the header line; returns it with the text after its line break
/// (the payload lines, still wrapped).
pub fn parse_header(data: &[u8]) -> Result<(Header, &[u8]), VaultError> {
    if !is_encrypted(data) {
        return Err(VaultError::NotVault);
    }
    let end = memchr::memchr2(b'\n', b'\r', data).unwrap_or(data.len());
    let rest = match data[end..] {
        [b'\r', b'\n', ..] => &data[end + 2..],
        [] => &[],
        _ => &data[end + 1..],
    };
    let header = strip_ascii_whitespace(&data[..end]);
    let fields: Vec<&[u8]> = header
        .split(|b| *b == b';')
        .map(strip_ascii_whitespace)
        .collect();
    if fields.len() < 3 {
        return Err(VaultError::EnvelopeFormat);
    }
    // is_encrypted guaranteed ASCII, so these conversions cannot lose bytes.
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let header = Header {
        version: text(fields[1]),
        cipher: text(fields[2]),
        label: fields.get(3).map(|f| text(f)),
    };
    Ok((header, rest))
}

/// Parses the header and gathers the payload (`_parse_vaulttext_envelope`).
pub fn parse_envelope(data: &[u8]) -> Result<Envelope, VaultError> {
    let (header, rest) = parse_header(data)?;
    Ok(Envelope {
        version: header.version,
        cipher: header.cipher,
        label: header.label,
        payload: split_lines(rest).concat(),
    })
}

/// Python's `binascii.unhexlify`: odd length is checked before the digits.
pub fn unhexlify(hex: &[u8]) -> Result<Vec<u8>, VaultError> {
    if !hex.len().is_multiple_of(2) {
        return Err(VaultError::Unhexlify("Odd-length string"));
    }
    super::hex::decode(hex).ok_or(VaultError::Unhexlify("Non-hexadecimal digit found"))
}

/// Decodes the AES256 payload into its three fields (`_parse_vaulttext`).
pub fn parse_vaulttext(payload: &[u8]) -> Result<Vaulttext, VaultError> {
    let inner = unhexlify(payload)?;
    let mut parts = inner.splitn(3, |b| *b == b'\n');
    let (Some(salt_hex), Some(hmac_hex), Some(ct_hex)) = (parts.next(), parts.next(), parts.next())
    else {
        let got = inner.splitn(3, |b| *b == b'\n').count();
        return Err(VaultError::VaulttextParts(got));
    };
    Ok(Vaulttext {
        salt: unhexlify(salt_hex)?,
        hmac_hex: hmac_hex.to_vec(),
        ciphertext: unhexlify(ct_hex)?,
    })
}

/// [`parse_vaulttext`] of the still-wrapped payload lines (what
/// [`parse_header`] leaves): the same result, without joining the lines
/// or copying the ciphertext. The inner hex is decoded where it lies, so
/// the returned ciphertext is the one buffer the whole payload became.
/// Malformed input takes the plain path, which names the error as ansible does.
pub fn decode_vaulttext(lines: &[u8]) -> Result<Vaulttext, VaultError> {
    decode_vaulttext_fast(lines).map_or_else(|| parse_vaulttext(&split_lines(lines).concat()), Ok)
}

fn decode_vaulttext_fast(lines: &[u8]) -> Option<Vaulttext> {
    let mut inner = super::hex::decode_lines(lines)?;
    let salt_end = memchr::memchr(b'\n', &inner)?;
    let hmac_end = salt_end + 1 + memchr::memchr(b'\n', &inner[salt_end + 1..])?;
    let salt = super::hex::decode(&inner[..salt_end])?;
    let hmac_hex = inner[salt_end + 1..hmac_end].to_vec();
    let len = super::hex::decode_in_place(&mut inner, hmac_end + 1)?;
    inner.truncate(len);
    Some(Vaulttext {
        salt,
        hmac_hex,
        ciphertext: inner,
    })
}

/// Whether ansible could read a file whose header carries this label.
pub fn check_label(label: &str) -> Result<(), VaultError> {
    let readable = label.bytes().all(|b| b.is_ascii_graphic() && b != b';');
    if readable {
        Ok(())
    } else {
        Err(VaultError::UnwritableLabel(label.to_string()))
    }
}

/// Formats salt, HMAC and ciphertext as ansible writes them (`format_vaulttext_envelope`).
///
/// The header is `1.1` unless the label is non-empty and not the literal
/// `default`, exactly as ansible decides it.
pub fn format_vault(label: &str, salt: &[u8], hmac: &[u8], ciphertext: &[u8]) -> String {
    let mut inner = Vec::with_capacity(2 * (salt.len() + hmac.len() + ciphertext.len()) + 2);
    inner.extend_from_slice(const_hex::encode(salt).as_bytes());
    inner.push(b'\n');
    inner.extend_from_slice(const_hex::encode(hmac).as_bytes());
    inner.push(b'\n');
    inner.extend_from_slice(const_hex::encode(ciphertext).as_bytes());
    let outer = const_hex::encode(&inner);

    let header = if label.is_empty() || label == DEFAULT_LABEL {
        format!("$ANSIBLE_VAULT;1.1;{CIPHER_AES256}")
    } else {
        format!("$ANSIBLE_VAULT;1.2;{CIPHER_AES256};{label}")
    };
    let mut out = String::with_capacity(header.len() + outer.len() + outer.len() / LINE_WIDTH + 2);
    out.push_str(&header);
    out.push('\n');
    for chunk in outer.as_bytes().chunks(LINE_WIDTH) {
        // Hex is ASCII, so every 80-byte chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitlines_matches_python() {
        assert_eq!(
            split_lines(b"a\nb\r\nc\rd"),
            vec![&b"a"[..], b"b", b"c", b"d"]
        );
        assert_eq!(split_lines(b"a\n\n"), vec![&b"a"[..], b""]);
        assert!(split_lines(b"").is_empty());
    }

    #[test]
    fn detection_needs_ascii_and_magic() {
        assert!(is_encrypted(b"$ANSIBLE_VAULTXYZ;1.1;AES256\n"));
        assert!(!is_encrypted(b" $ANSIBLE_VAULT;1.1;AES256\n"));
        assert!(!is_encrypted(b"$ansible_vault;1.1;AES256\n"));
        assert!(!is_encrypted(
            "$ANSIBLE_VAULT;1.1;AES256\n# café".as_bytes()
        ));
        assert!(!is_encrypted(b"\xef\xbb\xbf$ANSIBLE_VAULT;1.1;AES256\n"));
    }

    #[test]
    fn header_fields_are_loose() {
        let e =
            parse_envelope(b"$ANSIBLE_VAULT ; 9.9 ; AES256 ; prod ; extra  \nAB\r\ncd").unwrap();
        assert_eq!(e.version, "9.9");
        assert_eq!(e.cipher, "AES256");
        assert_eq!(e.label.as_deref(), Some("prod"));
        assert_eq!(e.payload, b"ABcd");
        let e = parse_envelope(b"$ANSIBLE_VAULT;1.2;AES256\n").unwrap();
        assert_eq!(e.label_or_default(), "default");
        assert!(matches!(
            parse_envelope(b"$ANSIBLE_VAULT;1.1\n00"),
            Err(VaultError::EnvelopeFormat)
        ));
    }

    #[test]
    fn unhexlify_errors_match_python() {
        assert_eq!(
            unhexlify(b"abc").unwrap_err().to_string(),
            "Vault format unhexlify error: Odd-length string"
        );
        assert_eq!(
            unhexlify(b"zz").unwrap_err().to_string(),
            "Vault format unhexlify error: Non-hexadecimal digit found"
        );
        assert_eq!(
            unhexlify(b"a ").unwrap_err().to_string(),
            "Vault format unhexlify error: Non-hexadecimal digit found"
        );
        // const_hex alone would strip the prefix; Python refuses it.
        assert_eq!(
            unhexlify(b"0x12").unwrap_err().to_string(),
            "Vault format unhexlify error: Non-hexadecimal digit found"
        );
        assert_eq!(unhexlify(b"ABcd").unwrap(), vec![0xab, 0xcd]);
    }

    #[test]
    fn vaulttext_needs_three_fields() {
        let err = parse_vaulttext(b"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Vault vaulttext format error: not enough values to unpack (expected 3, got 1)"
        );
        let ok = parse_vaulttext(const_hex::encode(b"0a\n00\n0b0c").as_bytes()).unwrap();
        assert_eq!(ok.salt, vec![0x0a]);
        assert_eq!(ok.ciphertext, vec![0x0b, 0x0c]);
    }

    #[test]
    fn labels_ansible_cannot_read_are_refused() {
        assert!(check_label("prod-2026").is_ok());
        assert!(check_label("a;b").is_err());
        assert!(check_label("café").is_err());
        assert!(check_label("a b").is_err());
    }

    #[test]
    fn format_wraps_at_80_and_picks_version() {
        let text = format_vault("default", &[1; 32], &[2; 32], &[3; 16]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "$ANSIBLE_VAULT;1.1;AES256");
        assert!(lines[1..lines.len() - 1].iter().all(|l| l.len() == 80));
        assert!(text.ends_with('\n'));
        assert_eq!(text.len(), 355);
        assert!(
            format_vault("prod", &[1], &[2], &[3]).starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n")
        );
    }

    /// The payload lines of a vault holding `ct`, wrapped at `width` with `eol`.
    fn wrapped(inner: &[u8], width: usize, eol: &[u8]) -> Vec<u8> {
        let outer = const_hex::encode(inner).into_bytes();
        let mut text = Vec::new();
        for line in outer.chunks(width) {
            text.extend_from_slice(line);
            text.extend_from_slice(eol);
        }
        text
    }

    fn inner(salt: &[u8], hmac: &[u8], ct: &[u8]) -> Vec<u8> {
        let mut inner = const_hex::encode(salt).into_bytes();
        inner.push(b'\n');
        inner.extend_from_slice(const_hex::encode(hmac).as_bytes());
        inner.push(b'\n');
        inner.extend_from_slice(const_hex::encode(ct).as_bytes());
        inner
    }

    /// What decrypt did before the fast path: join the lines, then unhexlify.
    fn joined_then_parsed(lines: &[u8]) -> Result<Vaulttext, String> {
        parse_vaulttext(&split_lines(lines).concat()).map_err(|e| e.to_string())
    }

    #[test]
    fn fast_decode_matches_join_then_unhexlify_for_any_wrapping() {
        let ct: Vec<u8> = (0..3000u32).map(|i| (i * 31 % 256) as u8).collect();
        let body = inner(&[7; 32], &[9; 32], &ct);
        for width in [80, 64, 79, 81, 1, 2, 3, 4096] {
            for eol in [&b"\n"[..], b"\r\n", b"\r", b"\n\r\n"] {
                let lines = wrapped(&body, width, eol);
                let expected = joined_then_parsed(&lines).unwrap();
                assert_eq!(expected.ciphertext, ct);
                assert_eq!(decode_vaulttext(&lines).unwrap(), expected, "width {width}");
                // Without the last line break too.
                let cut = &lines[..lines.len() - eol.len()];
                assert_eq!(decode_vaulttext(cut).unwrap(), expected);
            }
        }
        // Upper-case hex, and a field split across lines mid-byte.
        let upper = wrapped(&body, 80, b"\n").to_ascii_uppercase();
        assert_eq!(decode_vaulttext(&upper).unwrap().ciphertext, ct);
    }

    #[test]
    fn fast_decode_fails_as_join_then_unhexlify_does() {
        let good = inner(&[1; 32], &[2; 32], &[3; 48]);
        let mut cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"\n\r\n".to_vec(),
            b"abc".to_vec(),
            b"ab\nc".to_vec(),
            b"zz".to_vec(),
            b"ab cd".to_vec(),
            b"0x6162".to_vec(),
            wrapped(b"only one field", 80, b"\n"),
            wrapped(b"salt\nhmac", 80, b"\n"),
            wrapped(b"0a\n00\nabc", 80, b"\n"),
            wrapped(b"0a\n00\nzz", 80, b"\n"),
            wrapped(b"0x0a\n00\n0b0c", 80, b"\n"),
            wrapped(b"0a\n00\n0x0b0c", 80, b"\n"),
            wrapped(b"0a\n00\n0b\n0c", 80, b"\n"),
            wrapped(b"0a\n00\n", 80, b"\n"),
            wrapped(b"\n\n", 80, b"\n"),
        ];
        // The good payload with one digit dropped, one changed, or a space added.
        let mut odd = wrapped(&good, 80, b"\n");
        odd.remove(5);
        cases.push(odd);
        let mut bad = wrapped(&good, 80, b"\r\n");
        bad[100] = b'g';
        cases.push(bad);
        let mut spaced = wrapped(&good, 80, b"\n");
        spaced.insert(81, b' ');
        cases.push(spaced);
        for lines in cases {
            let expected = joined_then_parsed(&lines);
            let fast = decode_vaulttext(&lines).map_err(|e| e.to_string());
            assert_eq!(fast, expected, "{:?}", String::from_utf8_lossy(&lines));
        }
    }

    #[test]
    fn header_line_ends_at_any_line_break() {
        for (data, rest) in [
            (&b"$ANSIBLE_VAULT;1.1;AES256\nab\ncd"[..], &b"ab\ncd"[..]),
            (b"$ANSIBLE_VAULT;1.1;AES256\r\nab", b"ab"),
            (b"$ANSIBLE_VAULT;1.1;AES256\rab", b"ab"),
            (b"$ANSIBLE_VAULT;1.1;AES256\n\nab", b"\nab"),
            (b"$ANSIBLE_VAULT;1.1;AES256", b""),
            (b"$ANSIBLE_VAULT;1.1;AES256\r", b""),
        ] {
            let (header, lines) = parse_header(data).unwrap();
            assert_eq!(header.cipher, "AES256");
            assert_eq!(lines, rest);
            assert_eq!(
                parse_envelope(data).unwrap().payload,
                split_lines(data)[1..].concat()
            );
        }
    }
}
