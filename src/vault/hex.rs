//! Hex decoding for the vault payload, fast and strict: Python's
//! `binascii.unhexlify` rules (no `0x` prefix, no whitespace), line-wrapped
//! input decoded without first joining the lines, and decoding in place.
//!
//! A vault holds its ciphertext as hex of hex, so a 1 MiB secret is 4 MB of
//! text: joining lines and decoding into fresh buffers cost more than the
//! cipher. These functions only say whether decoding worked; the envelope
//! code re-derives ansible's exact error message on the rare failure.

/// Decodes `hex` into `out` (exactly half its length). False on an odd
/// length or any byte that is not a hex digit.
pub(crate) fn decode_into(hex: &[u8], out: &mut [u8]) -> bool {
    // const_hex strips a `0x` prefix, which Python rejects: with the output
    // sized for the whole input, a stripped prefix is a length error.
    hex.len() == 2 * out.len() && const_hex::decode_to_slice(hex, out).is_ok()
}

/// Python's `unhexlify(hex)`, or `None` where it raises.
pub(crate) fn decode(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let mut out = vec![0u8; hex.len() / 2];
    decode_into(hex, &mut out).then_some(out)
}

/// The line length ansible writes vault payloads in.
const LINE: usize = 80;

/// `unhexlify(b"".join(text.splitlines()))`: hex split by CR, LF or CRLF
/// anywhere (even between the two digits of a byte), decoded in one pass.
/// `None` if what remains has an odd length or a non-hex byte.
pub(crate) fn decode_lines(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; text.len() / 2];
    let mut written = 0;
    // A digit left over from an odd-length line, waiting for its partner.
    let mut pending: Option<u8> = None;
    let mut rest = text;
    while !rest.is_empty() {
        // ansible wraps at 80 digits: a whole line of them decodes without
        // searching for its end (a line break inside fails as a non-digit
        // and takes the general path below).
        if pending.is_none()
            && rest.get(LINE) == Some(&b'\n')
            && decode_into(&rest[..LINE], &mut out[written..written + LINE / 2])
        {
            written += LINE / 2;
            rest = &rest[LINE + 1..];
            continue;
        }
        let end = memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
        let mut line = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or_default();
        if let Some(high) = pending.take() {
            let Some((&low, tail)) = line.split_first() else {
                pending = Some(high);
                continue;
            };
            if !decode_into(&[high, low], &mut out[written..written + 1]) {
                return None;
            }
            written += 1;
            line = tail;
        }
        let even = line.len() & !1;
        let n = even / 2;
        if !decode_into(&line[..even], &mut out[written..written + n]) {
            return None;
        }
        written += n;
        if even < line.len() {
            pending = Some(line[even]);
        }
    }
    if pending.is_some() {
        return None;
    }
    out.truncate(written);
    Some(out)
}

/// Decodes `buf[start..]` into the front of `buf`, returning the decoded
/// length (the rest of `buf` is left as it was). `None` on an odd length or
/// a non-hex byte.
///
/// Output never overtakes input: after `k` bytes are written the next hex
/// digit is at `start + 2k`, so a chunk of up to `start + k` bytes fits in
/// front of it; chunks double from `start` on.
pub(crate) fn decode_in_place(buf: &mut [u8], start: usize) -> Option<usize> {
    let hex_len = buf.len().checked_sub(start)?;
    if !hex_len.is_multiple_of(2) {
        return None;
    }
    let total = hex_len / 2;
    if total > 0 && start == 0 {
        return None; // no room to decode in place: callers always have a prefix
    }
    let mut done = 0;
    while done < total {
        let read = start + 2 * done;
        let chunk = (total - done).min(read - done);
        let (front, back) = buf.split_at_mut(read);
        if !decode_into(&back[..2 * chunk], &mut front[done..done + chunk]) {
            return None;
        }
        done += chunk;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python's unhexlify, written out the obvious way.
    fn reference(hex: &[u8]) -> Option<Vec<u8>> {
        if !hex.len().is_multiple_of(2) {
            return None;
        }
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        hex.chunks(2)
            .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
            .collect()
    }

    fn joined(text: &[u8]) -> Vec<u8> {
        text.iter()
            .copied()
            .filter(|b| *b != b'\n' && *b != b'\r')
            .collect()
    }

    #[test]
    fn decode_is_python_unhexlify() {
        for hex in [
            &b""[..],
            b"00",
            b"aBcD",
            b"0x12",
            b"0X12",
            b"abc",
            b"zz",
            b"a ",
            b" a",
            b"12\n",
            b"g0",
            b"\xc3\xa9",
        ] {
            assert_eq!(
                decode(hex),
                reference(hex),
                "{:?}",
                String::from_utf8_lossy(hex)
            );
        }
    }

    #[test]
    fn lines_decode_as_joined_text() {
        let body: Vec<u8> = (0u8..=255).collect();
        let hex = const_hex::encode(&body).into_bytes();
        for width in [1, 2, 3, 7, 64, 79, 80, 81, 200, 1000] {
            for eol in [&b"\n"[..], b"\r\n", b"\r", b"\n\n"] {
                let mut text = Vec::new();
                for line in hex.chunks(width) {
                    text.extend_from_slice(line);
                    text.extend_from_slice(eol);
                }
                assert_eq!(decode_lines(&text), Some(body.clone()), "width {width}");
                // No final line break, and leading breaks.
                let trimmed = &text[..text.len() - eol.len()];
                assert_eq!(decode_lines(trimmed), Some(body.clone()));
                let mut lead = eol.to_vec();
                lead.extend_from_slice(&text);
                assert_eq!(decode_lines(&lead), Some(body.clone()));
            }
        }
    }

    #[test]
    fn lines_fail_where_the_joined_text_fails() {
        let cases: [&[u8]; 12] = [
            b"abc",
            b"ab\nc",
            b"a\nb\nc\n",
            b"ab\ncd\ne",
            b"ab cd",
            b"ab\tcd",
            b"ab\n0x",
            b"0x12",
            b"ab\n\x0bcd",
            b"ab\nc\xffd",
            b"a\n\ng",
            b"\n\n\n",
        ];
        for text in cases {
            assert_eq!(
                decode_lines(text),
                reference(&joined(text)),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn eighty_digit_lines_take_no_shortcut_past_a_break_or_a_bad_digit() {
        let digits = |n: usize| b"0123456789abcdef".repeat(8)[..n].to_vec();
        // A line break at 80 with another one, or a bad digit, before it.
        let mut broken = digits(40);
        broken.push(b'\n');
        broken.extend_from_slice(&digits(40));
        broken.push(b'\n');
        broken.extend_from_slice(&digits(80));
        broken.push(b'\n');
        let mut bad = digits(79);
        bad.push(b'g');
        bad.push(b'\n');
        let mut odd = digits(79);
        odd.extend_from_slice(b"\r\n");
        odd.extend_from_slice(&digits(81));
        odd.push(b'\n');
        for text in [broken, bad, odd] {
            assert_eq!(
                decode_lines(&text),
                reference(&joined(&text)),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn in_place_decodes_after_any_prefix() {
        let body: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let hex = const_hex::encode(&body).into_bytes();
        for start in [1, 2, 3, 130, 4096] {
            for len in [0, 1, 2, 33, 5000] {
                let mut buf = vec![b'!'; start];
                buf.extend_from_slice(&hex[..2 * len]);
                assert_eq!(decode_in_place(&mut buf, start), Some(len));
                assert_eq!(&buf[..len], &body[..len], "start {start}, {len} bytes");
            }
        }
        let mut odd = b"!abc".to_vec();
        assert_eq!(decode_in_place(&mut odd, 1), None);
        let mut bad = b"!!abcdefgh".to_vec();
        assert_eq!(decode_in_place(&mut bad, 2), None);
        let mut empty = b"!".to_vec();
        assert_eq!(decode_in_place(&mut empty, 1), Some(0));
    }
}
