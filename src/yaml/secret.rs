//! Growable text for decoded scalars and rendered values, which may be secrets: growing
//! moves the content to a bigger zeroizing buffer and wipes the old one (a `String` that
//! grows leaves its old buffer behind un-wiped), and the content is wiped when dropped.

use std::fmt;

use zeroize::Zeroizing;

#[derive(Default)]
pub(crate) struct SecretBuf(Zeroizing<String>);

impl SecretBuf {
    pub(crate) fn with_capacity(n: usize) -> Self {
        SecretBuf(Zeroizing::new(String::with_capacity(n)))
    }

    fn reserve(&mut self, extra: usize) {
        let (len, cap) = (self.0.len(), self.0.capacity());
        if cap - len >= extra {
            return;
        }
        let mut bigger = Zeroizing::new(String::with_capacity((cap * 2).max(len + extra).max(16)));
        bigger.push_str(&self.0);
        // The old buffer is wiped as it drops.
        self.0 = bigger;
    }

    pub(crate) fn push_str(&mut self, s: &str) {
        self.reserve(s.len());
        self.0.push_str(s);
    }

    pub(crate) fn push(&mut self, c: char) {
        self.reserve(c.len_utf8());
        self.0.push(c);
    }

    pub(crate) fn push_repeat(&mut self, c: char, n: usize) {
        self.reserve(c.len_utf8() * n);
        for _ in 0..n {
            self.0.push(c);
        }
    }

    pub(crate) fn into_inner(self) -> Zeroizing<String> {
        self.0
    }
}

/// `parts` joined, in one buffer of the exact size.
pub(crate) fn concat(parts: &[&str]) -> Zeroizing<String> {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    Zeroizing::new(s)
}

impl fmt::Write for SecretBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

impl fmt::Debug for SecretBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBuf(<{} bytes>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_keeps_content() {
        let mut b = SecretBuf::default();
        for _ in 0..100 {
            b.push_str("ab");
            b.push('é');
        }
        b.push_repeat('\n', 3);
        let s = b.into_inner();
        assert_eq!(s.len(), 100 * 4 + 3);
        assert!(s.starts_with("abéab") && s.ends_with("é\n\n\n"));
    }
}
