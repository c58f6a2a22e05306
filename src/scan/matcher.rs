//! One Aho-Corasick automaton over every value in every encoding: each byte
//! of each scanned file is read once, whatever the number of values.

use aho_corasick::{AhoCorasick, MatchKind};

use super::encode::{self, Encoding};
use super::values::ScanValue;

/// Where one pattern matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Index into the value list the matcher was built from.
    pub value: usize,
    pub encoding: Encoding,
    /// 1-based line of the match's first byte.
    pub line: usize,
}

/// The automaton and, for each pattern, the values it betrays (two secrets
/// may hold the same value).
pub struct Matcher {
    automaton: Option<AhoCorasick>,
    owners: Vec<Vec<(usize, Encoding)>>,
}

impl Matcher {
    pub fn new(values: &[ScanValue]) -> Result<Matcher, String> {
        let mut patterns: Vec<zeroize::Zeroizing<Vec<u8>>> = Vec::new();
        let mut owners: Vec<Vec<(usize, Encoding)>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (i, v) in values.iter().enumerate() {
            for (encoding, pattern) in encode::patterns(&v.value) {
                match index.get(&*pattern) {
                    Some(&p) => {
                        let list: &mut Vec<(usize, Encoding)> = &mut owners[p];
                        list.push((i, encoding));
                    }
                    None => {
                        index.insert(pattern.to_vec(), patterns.len());
                        patterns.push(pattern);
                        owners.push(vec![(i, encoding)]);
                    }
                }
            }
        }
        // The index holds copies of the patterns: wipe them.
        for (mut key, _) in index.drain() {
            zeroize::Zeroize::zeroize(&mut key);
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            let built = AhoCorasick::builder()
                // Longest first: a value that merely starts another one is
                // not reported where the longer one is.
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns.iter().map(|p| &p[..]))
                .map_err(|e| format!("cannot build the search automaton: {e}"))?;
            Some(built)
        };
        Ok(Matcher { automaton, owners })
    }

    /// Every value found in `data`; one hit per value, encoding and line.
    pub fn find(&self, data: &[u8]) -> Vec<Hit> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        let mut line = 1;
        let mut counted = 0;
        for m in automaton.find_iter(data) {
            line += data[counted..m.start()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted = m.start();
            for &(value, encoding) in &self.owners[m.pattern().as_usize()] {
                let hit = Hit {
                    value,
                    encoding,
                    line,
                };
                if !hits.contains(&hit) {
                    hits.push(hit);
                }
            }
        }
        hits
    }
}
