//! Robustness: no input makes the parser or the editor panic, and every string survives
//! being written as a new value (the editor's own checks would refuse a wrong quoting).

use proptest::prelude::*;

use super::{Doc, Edit, NewValue, ValueKind};

/// Raise locally (and vary FUZZ_SEED) for a longer run.
const FUZZ_ROUNDS: usize = 3000;

/// A tiny deterministic generator (no dependency, reproducible failures).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "\n",
    "\r\n",
    " ",
    "  ",
    "\t",
    ":",
    ": ",
    "- ",
    "-",
    "#",
    " #",
    "'",
    "\"",
    "\\",
    "|",
    "|-",
    "|+",
    ">",
    "|2",
    "!vault ",
    "!vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3031\n",
    "&a ",
    "*a",
    "[",
    "]",
    "{",
    "}",
    ",",
    "?",
    "? ",
    "---",
    "...",
    "%YAML 1.1\n",
    "key",
    "k: v\n",
    "x",
    "é",
    "\u{feff}",
    "\u{85}",
    "\0",
    "0755",
    "yes",
    "~",
    "\n  ",
    "\n    ",
    "<<: ",
];

fn corpus() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/yaml");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".input.yml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    v.sort();
    v
}

fn char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut t = text.to_string();
    for _ in 0..1 + rng.below(4) {
        let at = char_boundary(&t, rng.below(t.len() + 1));
        match rng.below(3) {
            0 => t.insert_str(at, PIECES[rng.below(PIECES.len())]),
            1 => {
                let end = char_boundary(&t, (at + 1 + rng.below(12)).min(t.len()));
                t.replace_range(at..end.max(at), "");
            }
            _ => {
                let end = char_boundary(&t, (at + 1 + rng.below(4)).min(t.len()));
                t.replace_range(at..end.max(at), PIECES[rng.below(PIECES.len())]);
            }
        }
    }
    t
}

fn random_value(rng: &mut Rng) -> NewValue {
    match rng.below(4) {
        0 => NewValue::Vault {
            vault_text: "$ANSIBLE_VAULT;1.1;AES256\n6162\n".into(),
        },
        1 => NewValue::Map(vec![(
            "m".into(),
            NewValue::plain(PIECES[rng.below(PIECES.len())]),
        )]),
        _ => NewValue::plain(PIECES[rng.below(PIECES.len())].repeat(1 + rng.below(3))),
    }
}

/// Random edits of the entries of `doc`.
fn random_edits(rng: &mut Rng, doc: &Doc) -> Vec<Edit> {
    let entries = doc.entries();
    let mut edits = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let pick = if entries.is_empty() {
            None
        } else {
            Some(&entries[rng.below(entries.len())])
        };
        let path = pick.map(|e| e.path.clone()).unwrap_or_default();
        let key = format!("new{}", rng.below(1000));
        edits.push(match (rng.below(4), pick) {
            (0, Some(_)) => Edit::Replace {
                path,
                value: random_value(rng),
            },
            (1, Some(_)) => Edit::Remove { path },
            (2, Some(_)) => Edit::InsertAfter {
                after: path,
                key,
                value: random_value(rng),
            },
            _ => Edit::Append {
                parent: path[..path.len().saturating_sub(1)].to_vec(),
                key,
                value: random_value(rng),
            },
        });
    }
    edits
}

#[test]
fn mutated_corpus_never_panics() {
    let corpus = corpus();
    let mut rng = Rng(std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15));
    let (mut parsed, mut applied, mut refused) = (0, 0, 0);
    for round in 0..FUZZ_ROUNDS {
        let base = &corpus[round % corpus.len()];
        let text = if round < corpus.len() {
            base.clone()
        } else {
            mutate(&mut rng, base)
        };
        let Ok(doc) = Doc::parse(&text) else { continue };
        parsed += 1;
        let _ = doc.entries();
        let _ = doc.inline_vaults();
        let edits = random_edits(&mut rng, &doc);
        match doc.apply(&edits) {
            Ok(out) => {
                applied += 1;
                Doc::parse(&out).expect("apply returns only text that parses");
            }
            Err(e @ super::YamlError::Verification { .. }) => {
                // Fail-closed refusals are allowed, but should stay rare.
                refused += 1;
                eprintln!("refused: {e}");
            }
            Err(_) => {}
        }
    }
    eprintln!("parsed {parsed}, applied {applied}, refused {refused}");
    assert!(
        parsed > 500 && applied > 200,
        "parsed {parsed}, applied {applied}"
    );
    assert!(refused * 100 <= applied, "too many refusals: {refused}");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(12345);
    for _ in 0..3000 {
        let mut t = String::new();
        for _ in 0..rng.below(30) {
            t.push_str(PIECES[rng.below(PIECES.len())]);
        }
        if let Ok(doc) = Doc::parse(&t) {
            let edits = random_edits(&mut rng, &doc);
            let _ = doc.apply(&edits);
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    for open in ["[", "{a: ", "- ", "a:\n "] {
        let t = open.repeat(5000);
        assert!(Doc::parse(&t).is_err());
    }
    let mut t = String::new();
    for i in 0..3000 {
        t.push_str(&" ".repeat(i));
        t.push_str("k:\n");
    }
    assert!(Doc::parse(&t).is_err());
}

fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            '\n', '\t', '\r', ' ', '\'', '"', '\\', '#', ':', '-', '?', '&', '*', '!', '|', '>', '%', '@', '`', '{',
            '}', '[', ']', ',', '\0', '\x07', '\x1b', '\u{7f}', '\u{85}', '\u{a0}', '\u{2028}', '\u{2029}', '\u{feff}',
            'é', '😀', 'y', 'n', 'Y', 'o', '0', '1', '7', '9', '.', '~', 'e', 'E', 'x', '_', '+', '=', '<',
        ]),
        1 => any::<char>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any string, as a new value or a new key, reads back identically.
    #[test]
    fn any_string_round_trips(chars in prop::collection::vec(tricky_char(), 0..24), key_chars in prop::collection::vec(tricky_char(), 1..8)) {
        let s: String = chars.into_iter().collect();
        let key: String = key_chars.into_iter().collect();
        // A new key must be new: `a` or `b` is rightly refused as a duplicate.
        prop_assume!(key != "a" && key != "b");
        let doc = Doc::parse("a: 1\nb:\n  c: 2\n").unwrap();
        for edits in [
            vec![Edit::Replace { path: vec!["a".into()], value: NewValue::plain(s.clone()) }],
            vec![Edit::Append { parent: vec!["b".into()], key: "k".into(), value: NewValue::plain(s.clone()) }],
            vec![Edit::InsertAfter { after: vec!["a".into()], key: key.clone(), value: NewValue::plain(s.clone()) }],
        ] {
            let out = doc.apply(&edits);
            prop_assert!(out.is_ok(), "{:?}: {:?}", s, out);
        }
        let out = doc.apply(&[Edit::Append { parent: vec![], key: key.clone(), value: NewValue::plain(s.clone()) }]).unwrap();
        let back = Doc::parse(&out).unwrap();
        prop_assert_eq!(back.get(&[key.as_str()]).map(|e| e.value), Some(ValueKind::Scalar(zeroize::Zeroizing::new(s))));
    }

    /// Any string written at the end of a file without a final newline reads back too.
    #[test]
    fn any_string_round_trips_at_eof(chars in prop::collection::vec(tricky_char(), 0..24)) {
        let s: String = chars.into_iter().collect();
        let doc = Doc::parse("a: 1\nz: 2").unwrap();
        let out = doc.apply(&[Edit::Replace { path: vec!["z".into()], value: NewValue::plain(s.clone()) }]);
        prop_assert!(out.is_ok(), "{:?}: {:?}", s, out);
    }
}
