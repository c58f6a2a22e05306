//! YAML 1.1 implicit typing of plain scalars, as PyYAML (and so Ansible) does it.
//! Used to know which plain scalars are strings, to spot duplicate keys, and to quote.

/// What PyYAML's resolver makes of a plain (unquoted, untagged) scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int,
    Float,
    Timestamp,
    Merge,
    Value,
    Str,
}

/// PyYAML 6 `Resolver` regexes, written out by hand.
pub(crate) fn resolve_plain(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        "<<" => return Resolved::Merge,
        "=" => return Resolved::Value,
        _ => {}
    }
    // PyYAML tries float before int for these first characters.
    if is_float(s) {
        Resolved::Float
    } else if is_int(s) {
        Resolved::Int
    } else if is_timestamp(s) {
        Resolved::Timestamp
    } else {
        Resolved::Str
    }
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['-', '+']).unwrap_or(s)
}

fn all(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

fn digit_or_us(b: u8) -> bool {
    b.is_ascii_digit() || b == b'_'
}

/// `[0-9][0-9_]*`
fn dec_run(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_digit) && all(s, digit_or_us)
}

/// `(?::[0-5]?[0-9])+` applied to everything after the first `:`-separated part.
fn sexagesimal_tail(parts: &[&str]) -> bool {
    !parts.is_empty()
        && parts.iter().all(|p| {
            let b = p.as_bytes();
            match b.len() {
                1 => b[0].is_ascii_digit(),
                2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
                _ => false,
            }
        })
}

/// `[eE][-+][0-9]+` (the sign is mandatory in YAML 1.1).
fn exponent(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3
        && matches!(b[0], b'e' | b'E')
        && matches!(b[1], b'-' | b'+')
        && all(&s[2..], |c| c.is_ascii_digit())
}

fn is_float(s: &str) -> bool {
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let u = strip_sign(s);
    if matches!(u, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    // \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?   (no sign)
    if let Some(rest) = s.strip_prefix('.') {
        let (mant, exp) = split_exp(rest);
        return dec_run(mant) && exp.is_none_or(exponent);
    }
    // [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    if let Some((head, frac)) = u.split_once('.')
        && head.contains(':')
    {
        let parts: Vec<&str> = head.split(':').collect();
        return dec_run(parts[0]) && sexagesimal_tail(&parts[1..]) && all(frac, digit_or_us);
    }
    // [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    if let Some((head, rest)) = u.split_once('.') {
        let (frac, exp) = split_exp(rest);
        return dec_run(head) && all(frac, digit_or_us) && exp.is_none_or(exponent);
    }
    false
}

fn split_exp(s: &str) -> (&str, Option<&str>) {
    match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i..])),
        None => (s, None),
    }
}

fn is_int(s: &str) -> bool {
    let u = strip_sign(s);
    if let Some(r) = u.strip_prefix("0b") {
        return !r.is_empty() && all(r, |c| matches!(c, b'0' | b'1' | b'_'));
    }
    if let Some(r) = u.strip_prefix("0x") {
        return !r.is_empty() && all(r, |c| c.is_ascii_hexdigit() || c == b'_');
    }
    if u == "0" {
        return true;
    }
    if let Some(r) = u.strip_prefix('0') {
        return !r.is_empty() && all(r, |c| (b'0'..=b'7').contains(&c) || c == b'_');
    }
    if u.contains(':') {
        let parts: Vec<&str> = u.split(':').collect();
        return nonzero_dec(parts[0]) && sexagesimal_tail(&parts[1..]);
    }
    nonzero_dec(u)
}

/// `[1-9][0-9_]*`
fn nonzero_dec(s: &str) -> bool {
    s.as_bytes()
        .first()
        .is_some_and(|c| (b'1'..=b'9').contains(c))
        && all(s, digit_or_us)
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() == 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
    {
        return true;
    }
    // [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?
    //   ([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?
    let mut i = 0;
    let take_digits = |i: &mut usize, min: usize, max: usize| -> bool {
        let start = *i;
        while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start >= min
    };
    let expect = |i: &mut usize, c: u8| -> bool {
        if b.get(*i) == Some(&c) {
            *i += 1;
            true
        } else {
            false
        }
    };
    if !(take_digits(&mut i, 4, 4)
        && expect(&mut i, b'-')
        && take_digits(&mut i, 1, 2)
        && expect(&mut i, b'-')
        && take_digits(&mut i, 1, 2))
    {
        return false;
    }
    if matches!(b.get(i), Some(b'T' | b't')) {
        i += 1;
    } else {
        let start = i;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if !(take_digits(&mut i, 1, 2)
        && expect(&mut i, b':')
        && take_digits(&mut i, 2, 2)
        && expect(&mut i, b':')
        && take_digits(&mut i, 2, 2))
    {
        return false;
    }
    if expect(&mut i, b'.') {
        take_digits(&mut i, 0, usize::MAX);
    }
    if i == b.len() {
        return true;
    }
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if expect(&mut i, b'Z') {
        return i == b.len();
    }
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
        if !take_digits(&mut i, 1, 2) {
            return false;
        }
        if expect(&mut i, b':') && !take_digits(&mut i, 2, 2) {
            return false;
        }
        return i == b.len();
    }
    false
}

/// The identity of a mapping key as a Python dict sees it after PyYAML constructed it
/// (`1`, `0x1`, `1.0` and `true` are one key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum KeyId {
    Null,
    Num(String),
    Str(String),
    Other(String),
}

/// Does PyYAML read the plain scalar `s` as a string? Like `resolve_plain(s) == Str`, with
/// the common case (a word) decided from its first letter: only the booleans and nulls start
/// with one of `yYnNtTfFoO`, every number, date or `.inf` with a digit, a sign or a dot.
pub(crate) fn plain_is_str(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(c) if c.is_ascii_alphabetic() && !b"yYnNtTfFoO".contains(c) => true,
        _ => resolve_plain(s) == Resolved::Str,
    }
}

/// Identity of a plain key spelled `s`.
pub(crate) fn plain_key_id(s: &str) -> KeyId {
    match resolve_plain(s) {
        Resolved::Null => KeyId::Null,
        Resolved::Bool(b) => KeyId::Num(if b { "1" } else { "0" }.into()),
        Resolved::Int => int_value(s).map_or_else(|| KeyId::Other(format!("int:{s}")), KeyId::Num),
        Resolved::Float => {
            float_value(s).map_or_else(|| KeyId::Other(format!("float:{s}")), KeyId::Num)
        }
        Resolved::Str => KeyId::Str(s.to_string()),
        Resolved::Timestamp | Resolved::Merge | Resolved::Value => KeyId::Other(s.to_string()),
    }
}

pub(crate) fn int_value(s: &str) -> Option<String> {
    let t: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, u) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, &t[..]),
    };
    let v: i128 = if u == "0" {
        0
    } else if let Some(r) = u.strip_prefix("0b") {
        i128::from_str_radix(r, 2).ok()?
    } else if let Some(r) = u.strip_prefix("0x") {
        i128::from_str_radix(r, 16).ok()?
    } else if u.contains(':') {
        u.split(':').try_fold(0i128, |acc, p| {
            acc.checked_mul(60)?.checked_add(p.parse::<i128>().ok()?)
        })?
    } else if u.starts_with('0') {
        i128::from_str_radix(u, 8).ok()?
    } else {
        u.parse().ok()?
    };
    Some(if neg { -v } else { v }.to_string())
}

fn float_value(s: &str) -> Option<String> {
    let t: String = s
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_lowercase();
    let (neg, u) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, &t[..]),
    };
    let v: f64 = if u == ".inf" {
        f64::INFINITY
    } else if u == ".nan" {
        return None; // NaN is never equal to anything, so never a duplicate
    } else if u.contains(':') {
        let mut acc = 0f64;
        for p in u.split(':') {
            acc = acc * 60.0 + p.parse::<f64>().ok()?;
        }
        acc
    } else {
        let u = u.strip_suffix('.').unwrap_or(u);
        u.parse().ok()?
    };
    let v = if neg { -v } else { v };
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e30 {
        Some(format!("{}", v as i128))
    } else {
        Some(format!("f:{v:e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyyaml_types() {
        for s in ["yes", "No", "ON", "off", "true", "FALSE"] {
            assert!(matches!(resolve_plain(s), Resolved::Bool(_)), "{s}");
        }
        for s in [
            "y", "n", "Y", "yES", "abc", "1e3", "1_000x", ".", "0o17", "0x", "12:60", "--1",
            "1.2.3", "2026-1-1",
        ] {
            assert_eq!(resolve_plain(s), Resolved::Str, "{s}");
        }
        for s in [
            "0755",
            "0x1F",
            "1_000",
            "-12",
            "+0b101",
            "12:30",
            "190:20:30",
            "0",
            "0_",
        ] {
            assert_eq!(resolve_plain(s), Resolved::Int, "{s}");
        }
        for s in [
            "1.5",
            "1.",
            "-1.5e+3",
            ".5",
            ".inf",
            "-.Inf",
            ".NaN",
            "1:30.5",
            "6.8523015e+5",
            "1_0.0_1",
        ] {
            assert_eq!(resolve_plain(s), Resolved::Float, "{s}");
        }
        for s in [
            "2026-01-01",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "2001-12-15T02:59:43.1Z",
            "2002-12-14 1:02:03",
        ] {
            assert_eq!(resolve_plain(s), Resolved::Timestamp, "{s}");
        }
        for s in ["", "~", "null", "NULL"] {
            assert_eq!(resolve_plain(s), Resolved::Null, "{s}");
        }
        assert_eq!(resolve_plain("<<"), Resolved::Merge);
        assert_eq!(resolve_plain("1e+3"), Resolved::Str);
        assert_eq!(resolve_plain("1.0e+3"), Resolved::Float);
        for s in [
            "abc",
            "owner",
            "yes",
            "No",
            "~",
            "1",
            "<<",
            "=",
            ".inf",
            "2026-01-01",
            "x1",
        ] {
            assert_eq!(plain_is_str(s), resolve_plain(s) == Resolved::Str, "{s}");
        }
    }

    #[test]
    fn key_identity_like_python() {
        assert_eq!(plain_key_id("1"), plain_key_id("0x1"));
        assert_eq!(plain_key_id("1"), plain_key_id("true"));
        assert_eq!(plain_key_id("1"), plain_key_id("1.0"));
        assert_eq!(plain_key_id("8"), plain_key_id("010"));
        assert_eq!(plain_key_id("~"), plain_key_id("null"));
        assert_ne!(plain_key_id("1"), plain_key_id("2"));
        assert_eq!(plain_key_id("abc"), KeyId::Str("abc".into()));
        assert_eq!(plain_key_id("90"), plain_key_id("1:30"));
    }
}
