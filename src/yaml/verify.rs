//! Fail-closed checks. Every document is read twice, by our parser and independently by
//! serde-saphyr, and the two must agree; after an edit both readings of the new text must
//! equal the old readings with exactly the intended edits applied.

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use zeroize::Zeroizing;

use super::error::YamlError;
use super::limits;
use super::resolve::{Resolved, resolve_plain};
use super::tree::{Kind, Node, Style, is_vault_tag};
use super::{Edit, NewValue};

/// A semantic view of a YAML node, for comparisons only (never printed: it holds values).
#[derive(Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    /// A string (quoted, block, or plain that YAML 1.1 reads as a string).
    Str(Text),
    /// A plain scalar YAML 1.1 reads as a bool, number, date... (its spelling).
    Typed(Text),
    Bool(bool),
    Int(i128),
    Float(u64),
    /// An inline vault, trailing line breaks removed (ansible ignores them).
    Vault(Text),
    Tagged(String, Box<Val>),
    Alias(String),
    Anchored(String, Box<Val>),
    Seq(Vec<Val>),
    Map(Vec<(Val, Val)>),
}

impl fmt::Debug for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets: show the shape only.
        match self {
            Val::Map(m) => write!(f, "Map({} entries)", m.len()),
            Val::Seq(s) => write!(f, "Seq({} items)", s.len()),
            Val::Null => f.write_str("Null"),
            _ => f.write_str("Scalar"),
        }
    }
}

/// Values may be secrets: every copy is wiped when dropped.
pub(crate) type Text = Zeroizing<String>;

fn text(s: &str) -> Text {
    Zeroizing::new(s.to_string())
}

fn trim_breaks(s: &str) -> Text {
    text(s.trim_end_matches(['\n', '\r']))
}

fn plain_val(s: &str) -> Val {
    match resolve_plain(s) {
        Resolved::Str => Val::Str(text(s)),
        Resolved::Null => Val::Null,
        _ => Val::Typed(text(s)),
    }
}

/// Our parser's reading of `node`, with tags, anchors and aliases kept symbolic.
pub(crate) fn own_val(node: &Node) -> Val {
    let tag = node.props.tag.as_deref();
    let inner = match &node.kind {
        Kind::Empty => Val::Null,
        Kind::Scalar(s) => match tag {
            Some(t) if is_vault_tag(t) => Val::Vault(trim_breaks(&s.value)),
            Some(_) => Val::Str(s.value.to_zeroizing()),
            None if s.style == Style::Plain => plain_val(&s.value),
            None => Val::Str(s.value.to_zeroizing()),
        },
        Kind::Alias(name) => Val::Alias(name.clone()),
        Kind::Map(m) => Val::Map(
            m.pairs
                .iter()
                .map(|p| {
                    let k = if p.key.style == Style::Plain {
                        plain_val(p.key.text())
                    } else {
                        Val::Str(text(p.key.text()))
                    };
                    (k, own_val(&p.value))
                })
                .collect(),
        ),
        Kind::Seq(s) => Val::Seq(s.items.iter().map(own_val).collect()),
    };
    let inner = match tag {
        Some(t) if !(is_vault_tag(t) && matches!(node.kind, Kind::Scalar(_))) => {
            Val::Tagged(t.to_string(), Box::new(inner))
        }
        _ => inner,
    };
    match &node.props.anchor {
        Some(a) => Val::Anchored(a.clone(), Box::new(inner)),
        None => inner,
    }
}

// ----- serde-saphyr's reading -------------------------------------------------------------

struct SapVal(Val);

struct SapVisitor;

impl<'de> Visitor<'de> for SapVisitor {
    type Value = SapVal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<SapVal, E> {
        Ok(SapVal(Val::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<SapVal, E> {
        Ok(SapVal(Val::Int(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<SapVal, E> {
        Ok(SapVal(Val::Int(v.into())))
    }
    fn visit_i128<E>(self, v: i128) -> Result<SapVal, E> {
        Ok(SapVal(Val::Int(v)))
    }
    fn visit_u128<E>(self, v: u128) -> Result<SapVal, E> {
        Ok(SapVal(i128::try_from(v).map_or_else(
            |_| Val::Typed(text(&v.to_string())),
            Val::Int,
        )))
    }
    fn visit_f64<E>(self, v: f64) -> Result<SapVal, E> {
        Ok(SapVal(Val::Float(v.to_bits())))
    }
    fn visit_str<E>(self, v: &str) -> Result<SapVal, E> {
        Ok(SapVal(Val::Str(text(v))))
    }
    fn visit_string<E>(self, v: String) -> Result<SapVal, E> {
        Ok(SapVal(Val::Str(Zeroizing::new(v))))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<SapVal, E> {
        Ok(SapVal(Val::Typed(text(&String::from_utf8_lossy(v)))))
    }
    fn visit_unit<E>(self) -> Result<SapVal, E> {
        Ok(SapVal(Val::Null))
    }
    fn visit_none<E>(self) -> Result<SapVal, E> {
        Ok(SapVal(Val::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<SapVal, D::Error> {
        SapVal::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<SapVal, D::Error> {
        SapVal::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<SapVal, A::Error> {
        let mut v = Vec::new();
        while let Some(SapVal(x)) = a.next_element()? {
            v.push(x);
        }
        Ok(SapVal(Val::Seq(v)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<SapVal, A::Error> {
        let mut v = Vec::new();
        while let Some((SapVal(k), SapVal(x))) = a.next_entry()? {
            v.push((k, x));
        }
        Ok(SapVal(Val::Map(v)))
    }
}

impl<'de> Deserialize<'de> for SapVal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SapVal, D::Error> {
        d.deserialize_any(SapVisitor)
    }
}

/// serde-saphyr's budget: its defaults suit small configs (250,000 nodes, depth 64) and refuse
/// a few-megabyte vars file, so everything that grows with the text is sized for the largest
/// text the parser reads (`limits`), where a node, an event or an anchor takes at least a
/// byte. Alias expansion keeps serde-saphyr's bounds (a million replayed events, nested 64
/// deep): expanding aliases is the one place a small text makes huge work (billion laughs).
/// Only the aliases-per-anchor ratio rule is off, as `<<: *defaults` in every host of a big
/// inventory is ordinary Ansible.
fn saphyr_budget() -> Option<serde_saphyr::Budget> {
    let bytes = limits::MAX_TEXT_BYTES;
    serde_saphyr::budget! {
        max_depth: limits::MAX_DEPTH,
        max_nodes: bytes,
        max_events: 2 * bytes,
        max_total_scalar_bytes: 2 * bytes,
        max_anchors: bytes,
        max_aliases: bytes,
        max_merge_keys: bytes,
        max_recorded_anchor_events: 2 * bytes,
        max_recorded_anchor_bytes: 2 * bytes,
        enforce_alias_anchor_ratio: false,
    }
}

/// serde-saphyr's reading of `text` (aliases expanded, tags dropped, merge keys kept as keys).
pub(crate) fn saphyr_val(text: &str) -> Result<Val, YamlError> {
    let opts = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        merge_keys: serde_saphyr::MergeKeyPolicy::AsOrdinary,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
        with_snippet: false,
        // Comments are skipped either way; not capturing their text halves the time.
        emit_comments: false,
        budget: saphyr_budget(),
    };
    match serde_saphyr::from_str_with_options::<Option<SapVal>>(text, opts) {
        Ok(v) => Ok(v.map_or(Val::Null, |s| s.0)),
        // serde-saphyr's message may quote the text (a secret): keep its position only.
        Err(e) => {
            let (line, column) = e
                .location()
                .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
            Err(YamlError::Syntax {
                line,
                column,
                message: "serde-saphyr (the independent YAML reader) rejects the text here".into(),
            })
        }
    }
}

/// Does serde-saphyr's reading agree with our tree? Returns the byte offset of the first
/// node where they differ. `text_len` is the length of the source text.
///
/// serde-saphyr (YAML 1.2) ends a clipped block scalar with a line break even at the very
/// end of a text without one, where PyYAML and libyaml (Ansible) do not: that one
/// difference is accepted and corrected in `sap`, so later comparisons see Ansible's value.
/// Vault strings are marked as such in `sap` (it drops tags) and compared without their
/// trailing line breaks, as ours are.
pub(crate) fn agrees(root: &Node, sap: &mut Val, text_len: usize) -> Result<(), usize> {
    let mut cx = AgreeCx {
        anchors: HashMap::new(),
        // Our nodes (at most two per byte) plus what serde-saphyr's alias replay allowed.
        budget: 2 * text_len + 2_000_000,
        text_len,
    };
    agree(root, sap, &mut cx)
}

struct AgreeCx<'n> {
    anchors: HashMap<&'n str, &'n Node>,
    budget: usize,
    text_len: usize,
}

fn agree<'n>(n: &'n Node, v: &mut Val, cx: &mut AgreeCx<'n>) -> Result<(), usize> {
    cx.budget = cx.budget.checked_sub(1).ok_or(n.start)?;
    let tagged = n.props.tag.is_some();
    let ok = match &n.kind {
        Kind::Alias(name) => {
            let target = *cx.anchors.get(name.as_str()).ok_or(n.start)?;
            return agree(target, v, cx);
        }
        Kind::Empty => {
            matches!(v, Val::Null) || (tagged && matches!(v, Val::Str(s) if s.is_empty()))
        }
        Kind::Scalar(s) => match v {
            // serde-saphyr (YAML 1.2) ends a clipped block scalar with a line break even at
            // the very end of a text without one; PyYAML and libyaml do not.
            // serde-saphyr drops tags: remember which strings are vaults, compared like ours.
            Val::Str(x) if n.is_vault() && trim_breaks(x) == trim_breaks(&s.value) => {
                *v = Val::Vault(trim_breaks(&s.value));
                true
            }
            Val::Str(x) if x.as_str() == s.value() => true,
            Val::Str(x)
                if s.block.is_some()
                    && n.end == cx.text_len
                    && x.strip_suffix('\n') == Some(s.value()) =>
            {
                *x = s.value.to_zeroizing();
                true
            }
            Val::Str(_) => false,
            _ => s.style == Style::Plain || tagged && !n.is_vault(),
        },
        Kind::Map(m) => match v {
            Val::Map(vm) if vm.len() == m.pairs.len() => {
                for (p, (vk, vv)) in m.pairs.iter().zip(vm.iter_mut()) {
                    let key_ok = match vk {
                        Val::Str(x) => x.as_str() == p.key.text(),
                        _ => p.key.style == Style::Plain,
                    };
                    if !key_ok {
                        return Err(p.key.span.start);
                    }
                    agree(&p.value, vv, cx)?;
                }
                true
            }
            _ => false,
        },
        Kind::Seq(s) => match v {
            Val::Seq(vs) if vs.len() == s.items.len() => {
                for (item, vi) in s.items.iter().zip(vs.iter_mut()) {
                    agree(item, vi, cx)?;
                }
                true
            }
            _ => false,
        },
    };
    if let Some(a) = &n.props.anchor {
        cx.anchors.insert(a.as_str(), n);
    }
    if ok { Ok(()) } else { Err(n.start) }
}

// ----- expected results of edits ----------------------------------------------------------

/// Does map key `k` stand for path segment `seg`?
fn key_matches(k: &Val, seg: &str) -> bool {
    match k {
        Val::Str(s) | Val::Typed(s) => s.as_str() == seg,
        Val::Int(i) => i.to_string() == seg,
        Val::Bool(true) => matches!(
            seg.to_ascii_lowercase().as_str(),
            "y" | "yes" | "true" | "on"
        ),
        Val::Bool(false) => matches!(
            seg.to_ascii_lowercase().as_str(),
            "n" | "no" | "false" | "off"
        ),
        Val::Null => matches!(seg, "" | "~" | "null" | "Null" | "NULL"),
        _ => false,
    }
}

/// Looks through anchors and tags to the node that holds the content.
fn content_mut(v: &mut Val) -> &mut Val {
    match v {
        Val::Anchored(_, inner) | Val::Tagged(_, inner) => content_mut(inner),
        other => other,
    }
}

fn seq_index(seg: &str) -> Option<usize> {
    seg.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

fn walk_mut<'v>(root: &'v mut Val, path: &[String]) -> Option<&'v mut Val> {
    let mut cur = root;
    for seg in path {
        cur = match content_mut(cur) {
            Val::Map(m) => &mut m.iter_mut().find(|(k, _)| key_matches(k, seg))?.1,
            Val::Seq(s) => s.get_mut(seq_index(seg)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Which of the two readers an expectation is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    Own,
    Saphyr,
}

fn new_val(v: &NewValue, reader: Reader) -> Val {
    match v {
        NewValue::Plain(s) => Val::Str(s.clone()),
        NewValue::Vault { vault_text } => Val::Vault(trim_breaks(vault_text)),
        NewValue::Map(entries) => Val::Map(
            entries
                .iter()
                .map(|(k, v)| (Val::Str(text(k)), new_val(v, reader)))
                .collect(),
        ),
        NewValue::List(items) => Val::Seq(items.iter().map(|i| new_val(i, reader)).collect()),
        NewValue::Raw(text) => raw_val(text, reader),
    }
}

/// How a reader reads `text` as a value on its own (`k: TEXT`).
fn raw_val(text: &str, reader: Reader) -> Val {
    let Ok(doc) = super::Doc::parse(&format!("k: {text}\n")) else {
        return Val::Alias(String::new()); // never matches: the edit is refused
    };
    let root = match reader {
        Reader::Own => own_val(&doc.parsed.root),
        Reader::Saphyr => doc.saphyr.clone(),
    };
    match root {
        Val::Map(mut m) if m.len() == 1 => m.remove(0).1,
        _ => Val::Alias(String::new()),
    }
}

/// A replaced value keeps its anchor (our reader sees anchors; serde-saphyr does not).
fn keep_anchor(old: &Val, new: Val) -> Val {
    match old {
        Val::Anchored(a, _) => Val::Anchored(a.clone(), Box::new(new)),
        _ => new,
    }
}

/// Applies `edits` in order to a reading of the old document.
pub(crate) fn apply_expected(root: &mut Val, edits: &[Edit], reader: Reader) -> Result<(), String> {
    for e in edits {
        if let Edit::Push { path, value } = e {
            let shown = path.join(".");
            match walk_mut(root, path).map(content_mut) {
                Some(Val::Seq(items)) => items.push(new_val(value, reader)),
                _ => return Err(shown),
            }
            continue;
        }
        let (parent_path, last) = match e {
            Edit::Replace { path, .. } | Edit::Remove { path } => match path.split_last() {
                Some((last, parent)) => (parent.to_vec(), Some(last.clone())),
                None => return Err(String::new()),
            },
            Edit::InsertAfter { after, .. } => match after.split_last() {
                Some((last, parent)) => (parent.to_vec(), Some(last.clone())),
                None => return Err(String::new()),
            },
            Edit::Append { parent, .. } => (parent.clone(), None),
            Edit::Push { .. } => continue,
        };
        let shown = parent_path.join(".");
        let parent = walk_mut(root, &parent_path).ok_or_else(|| shown.clone())?;
        let parent = content_mut(parent);
        // A list item (an inline vault re-encrypted in place).
        if let (Val::Seq(items), Edit::Replace { value, .. }) = (&mut *parent, e) {
            let slot = last
                .as_deref()
                .and_then(seq_index)
                .and_then(|i| items.get_mut(i))
                .ok_or_else(|| shown.clone())?;
            *slot = keep_anchor(slot, new_val(value, reader));
            continue;
        }
        if matches!(parent, Val::Null) && matches!(e, Edit::Append { .. }) {
            *parent = Val::Map(Vec::new());
        }
        let Val::Map(m) = parent else {
            return Err(shown);
        };
        let find = |m: &Vec<(Val, Val)>, seg: &str| m.iter().position(|(k, _)| key_matches(k, seg));
        match e {
            Edit::Replace { value, .. } => {
                let i =
                    find(m, last.as_deref().unwrap_or_default()).ok_or_else(|| shown.clone())?;
                m[i].1 = keep_anchor(&m[i].1, new_val(value, reader));
            }
            Edit::Remove { .. } => {
                let i =
                    find(m, last.as_deref().unwrap_or_default()).ok_or_else(|| shown.clone())?;
                m.remove(i);
                if m.is_empty() {
                    *parent = Val::Null;
                }
            }
            Edit::InsertAfter { key, value, .. } => {
                let i =
                    find(m, last.as_deref().unwrap_or_default()).ok_or_else(|| shown.clone())?;
                m.insert(i + 1, (Val::Str(text(key)), new_val(value, reader)));
            }
            Edit::Append { key, value, .. } => {
                m.push((Val::Str(text(key)), new_val(value, reader)))
            }
            Edit::Push { .. } => {}
        }
    }
    Ok(())
}

/// `expected` (old reading + edits) against `actual` (new reading); an expected vault
/// matches a string reading of it (serde-saphyr drops tags). Returns the first differing
/// path, or `None` when they match.
pub(crate) fn first_difference(expected: &Val, actual: &Val) -> Option<String> {
    fn go(e: &Val, a: &Val, path: &mut Vec<String>) -> bool {
        match (e, a) {
            (Val::Vault(t), Val::Str(s)) => *t == trim_breaks(s),
            (Val::Map(x), Val::Map(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                for ((ek, ev), (ak, av)) in x.iter().zip(y) {
                    let name = match ak {
                        Val::Str(s) | Val::Typed(s) => s.to_string(),
                        _ => "?".into(),
                    };
                    if !(ek == ak || matches!((ek, ak), (Val::Str(s), _) if key_matches(ak, s))) {
                        path.push(name);
                        return false;
                    }
                    path.push(name);
                    if !go(ev, av, path) {
                        return false;
                    }
                    path.pop();
                }
                true
            }
            (Val::Seq(x), Val::Seq(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                for (i, (ev, av)) in x.iter().zip(y).enumerate() {
                    path.push(format!("[{i}]"));
                    if !go(ev, av, path) {
                        return false;
                    }
                    path.pop();
                }
                true
            }
            (Val::Anchored(n, x), Val::Anchored(m, y)) | (Val::Tagged(n, x), Val::Tagged(m, y)) => {
                n == m && go(x, y, path)
            }
            _ => e == a,
        }
    }
    let mut path = Vec::new();
    if go(expected, actual, &mut path) {
        None
    } else if path.is_empty() {
        Some("(document)".into())
    } else {
        Some(path.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::error::LineIndex;
    use crate::yaml::parse::parse;

    fn both(text: &str) -> (Node, Val) {
        let p = parse(text, &LineIndex::new(text)).unwrap();
        let s = saphyr_val(text).unwrap();
        (p.root, s)
    }

    #[test]
    fn readers_agree_on_the_corpus() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/yaml");
        let mut n = 0;
        for f in std::fs::read_dir(dir).unwrap() {
            let path = f.unwrap().path();
            if !path.to_string_lossy().ends_with(".yml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let (root, mut sap) = both(&text);
            assert_eq!(
                agrees(&root, &mut sap, text.len()),
                Ok(()),
                "{}",
                path.display()
            );
            n += 1;
        }
        assert!(n > 10);
    }

    #[test]
    fn readers_agree_on_tricky_scalars() {
        let t = "a: yes\nb: y\nc: 0755\nd: '12:30'\ne: \"x\\ty\"\nf: |-\n  l1\n  l2\ng: >\n  a\n  b\nh: &h [1, two]\ni: *h\nj:\nk: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3031\n";
        let (root, mut sap) = both(t);
        assert_eq!(agrees(&root, &mut sap, t.len()), Ok(()));
    }

    #[test]
    fn disagreement_is_found() {
        let t = "a: 'x'\n";
        let (root, _) = both(t);
        let mut other = Val::Map(vec![(Val::Str(text("a")), Val::Str(text("y")))]);
        assert!(agrees(&root, &mut other, t.len()).is_err());
    }

    #[test]
    fn big_and_deep_texts_within_the_limits_are_read() {
        // 400,000 nodes: past serde-saphyr's default budget of 250,000.
        let mut t = String::from("hosts:\n");
        for i in 0..100_000 {
            t.push_str(&format!("- {{name: h{i}, port: 1}}\n"));
        }
        assert!(crate::yaml::Doc::parse(&t).is_ok());
        // Nested 90 deep: past serde-saphyr's default depth of 64, within ours.
        let deep = format!("a: {}1{}\n", "[".repeat(90), "]".repeat(90));
        assert!(crate::yaml::Doc::parse(&deep).is_ok());
        // Expanding aliases stays bounded.
        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let e = saphyr_val(&laughs).unwrap_err();
        assert!(e.to_string().contains("serde-saphyr"), "{e}");
    }

    #[test]
    fn saphyr_errors_do_not_quote_the_text() {
        let e = saphyr_val("a: \"s3cret\n").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }

    #[test]
    fn expected_edits() {
        let mut v = own_val(&both("a: 1\nb:\n  c: x\n").0);
        apply_expected(
            &mut v,
            &[
                Edit::Remove {
                    path: vec!["b".into(), "c".into()],
                },
                Edit::Append {
                    parent: vec!["b".into()],
                    key: "d".into(),
                    value: NewValue::plain("y"),
                },
                Edit::InsertAfter {
                    after: vec!["a".into()],
                    key: "z".into(),
                    value: NewValue::plain("1"),
                },
            ],
            Reader::Own,
        )
        .unwrap();
        let want = own_val(&both("a: 1\nz: '1'\nb:\n  d: y\n").0);
        assert_eq!(first_difference(&want, &v), None);
    }
}
