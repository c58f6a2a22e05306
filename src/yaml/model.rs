//! The public view of a parsed document: entries, inline vaults, lookups by path, and the
//! layout habits of the file (indentation step, `!vault` block indentation).

use std::collections::HashMap;

use super::resolve::{Resolved, resolve_plain};
use super::tree::{Kind, Node, Pair, Style};
use super::{Doc, Entry, InlineVault, Through, ValueKind};

/// Indentation of a new `!vault` block relative to its key when the file has none to copy:
/// `ansible-vault encrypt_string` indents by 10 columns.
pub(crate) const DEFAULT_VAULT_OFFSET: usize = 10;

pub(crate) fn entries(doc: &Doc) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(doc, &doc.parsed.root, &mut path, &mut |doc, path, pair| {
        out.push(entry(doc, path, pair));
    });
    out
}

pub(crate) fn inline_vaults(doc: &Doc) -> Vec<InlineVault> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    collect_vaults(doc, &doc.parsed.root, &mut path, None, &mut out);
    out
}

fn collect_vaults(
    doc: &Doc,
    n: &Node,
    path: &mut Vec<String>,
    key: Option<&Pair>,
    out: &mut Vec<InlineVault>,
) {
    if n.is_vault() {
        out.push(inline_vault(doc, path, n, key));
        return;
    }
    match &n.kind {
        Kind::Map(m) => {
            for p in &m.pairs {
                path.push(p.key.text().to_string());
                collect_vaults(doc, &p.value, path, Some(p), out);
                path.pop();
            }
        }
        Kind::Seq(s) => {
            for (i, item) in s.items.iter().enumerate() {
                path.push(format!("[{i}]"));
                collect_vaults(doc, item, path, None, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Calls `f` for every mapping pair in document order.
fn walk<'d>(
    doc: &'d Doc,
    n: &'d Node,
    path: &mut Vec<String>,
    f: &mut impl FnMut(&'d Doc, &[String], &'d Pair),
) {
    match &n.kind {
        Kind::Map(m) => {
            for p in &m.pairs {
                path.push(p.key.text().to_string());
                f(doc, path, p);
                walk(doc, &p.value, path, f);
                path.pop();
            }
        }
        Kind::Seq(s) => {
            for (i, item) in s.items.iter().enumerate() {
                path.push(format!("[{i}]"));
                walk(doc, item, path, f);
                path.pop();
            }
        }
        _ => {}
    }
}

fn entry(doc: &Doc, path: &[String], p: &Pair) -> Entry {
    let v = &p.value;
    Entry {
        path: path.to_vec(),
        key_span: p.key.span.clone(),
        value_span: v.start..v.end,
        line: doc.lines.line_of(p.key.span.start) + 1,
        value: value_kind(doc, path, v, Some(p)),
        through: None,
    }
}

/// Every anchored node by its anchor name (names are unique: the parser refuses a second
/// definition).
pub(crate) fn anchors(root: &Node) -> HashMap<&str, &Node> {
    fn go<'n>(n: &'n Node, out: &mut HashMap<&'n str, &'n Node>) {
        if let Some(a) = &n.props.anchor {
            out.insert(a, n);
        }
        match &n.kind {
            Kind::Map(m) => m.pairs.iter().for_each(|p| go(&p.value, out)),
            Kind::Seq(s) => s.items.iter().for_each(|i| go(i, out)),
            _ => {}
        }
    }
    let mut out = HashMap::new();
    go(root, &mut out);
    out
}

/// A merge key (`<<`), written plain.
pub(crate) fn is_merge_key(p: &Pair) -> bool {
    p.key.style == Style::Plain && p.key.text() == "<<"
}

/// How deep merges and aliases are followed (anchors are defined before use, so a chain is
/// never circular; this only bounds hostile input).
const MAX_HOPS: usize = 64;

struct Lookup<'d> {
    doc: &'d Doc,
    anchors: HashMap<&'d str, &'d Node>,
}

impl<'d> Lookup<'d> {
    fn through(&self, anchor: Option<&str>, pos: usize) -> Through {
        Through {
            anchor: anchor.map(str::to_string),
            line: self.doc.lines.line_of(pos) + 1,
        }
    }

    /// Follows an alias; notes where the value comes from.
    fn deref(&self, n: &'d Node, through: &mut Option<Through>) -> Option<&'d Node> {
        match &n.kind {
            Kind::Alias(name) => {
                let target = *self.anchors.get(name.as_str())?;
                through.get_or_insert_with(|| self.through(Some(name), target.start));
                Some(target)
            }
            _ => Some(n),
        }
    }

    /// The pair for `key` in mapping node `n`: its own, else the first merged one.
    fn find(
        &self,
        n: &'d Node,
        key: &str,
        through: &mut Option<Through>,
        hops: usize,
    ) -> Option<&'d Pair> {
        let Kind::Map(m) = &n.kind else { return None };
        if let Some(p) = m
            .pairs
            .iter()
            .find(|p| p.key.text() == key && !is_merge_key(p))
        {
            return Some(p);
        }
        if hops >= MAX_HOPS {
            return None;
        }
        for merge in m.pairs.iter().filter(|p| is_merge_key(p)) {
            let sources: Vec<&Node> = match &merge.value.kind {
                Kind::Seq(s) => s.items.iter().collect(),
                _ => vec![&merge.value],
            };
            for src in sources {
                let mut via = through.clone();
                let target = match &src.kind {
                    Kind::Alias(_) => self.deref(src, &mut via)?,
                    _ => {
                        via.get_or_insert_with(|| self.through(None, merge.key.span.start));
                        src
                    }
                };
                if let Some(p) = self.find(target, key, &mut via, hops + 1) {
                    *through = via;
                    return Some(p);
                }
            }
        }
        None
    }
}

/// [`Doc::get`]: the entry at `path`, following aliases and merge keys as Ansible does.
pub(crate) fn lookup(doc: &Doc, path: &[&str]) -> Option<Entry> {
    let look = Lookup {
        doc,
        anchors: anchors(&doc.parsed.root),
    };
    let mut cur = &doc.parsed.root;
    let mut through = None;
    let mut pair = None;
    for seg in path {
        cur = look.deref(cur, &mut through)?;
        match &cur.kind {
            Kind::Map(_) => {
                let p = look.find(cur, seg, &mut through, 0)?;
                pair = Some(p);
                cur = &p.value;
            }
            Kind::Seq(s) => {
                let i: usize = seg.strip_prefix('[')?.strip_suffix(']')?.parse().ok()?;
                cur = s.items.get(i)?;
                pair = None;
            }
            _ => return None,
        }
    }
    let p = pair?;
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    let mut value_through = through.clone();
    let value = look.deref(&p.value, &mut value_through)?;
    let key = if std::ptr::eq(value, &p.value) {
        Some(p)
    } else {
        None
    };
    Some(Entry {
        key_span: p.key.span.clone(),
        value_span: value.start..value.end,
        line: doc.lines.line_of(p.key.span.start) + 1,
        value: value_kind(doc, &path, value, key),
        through: value_through,
        path,
    })
}

fn value_kind(doc: &Doc, path: &[String], v: &Node, key: Option<&Pair>) -> ValueKind {
    let tag = v.props.tag.as_deref();
    match &v.kind {
        _ if v.is_vault() => ValueKind::Vault(inline_vault(doc, path, v, key)),
        Kind::Empty if tag.is_none() => ValueKind::Null,
        Kind::Scalar(s) => match tag {
            None if s.style == Style::Plain && resolve_plain(&s.value) == Resolved::Null => {
                ValueKind::Null
            }
            None
            | Some("!!str" | "!unsafe" | "tag:yaml.org,2002:str" | "!<tag:yaml.org,2002:str>") => {
                ValueKind::Scalar(s.value.to_zeroizing())
            }
            Some(_) => ValueKind::Other,
        },
        Kind::Map(_) => ValueKind::Mapping,
        Kind::Seq(_) => ValueKind::Sequence,
        Kind::Empty | Kind::Alias(_) => ValueKind::Other,
    }
}

fn inline_vault(doc: &Doc, path: &[String], v: &Node, key: Option<&Pair>) -> InlineVault {
    let Kind::Scalar(s) = &v.kind else {
        unreachable!("is_vault() holds for scalars only")
    };
    let label = s
        .value
        .lines()
        .next()
        .and_then(|h| h.split(';').nth(3))
        .map(|l| l.trim().to_string());
    let anchor_col = key.map_or_else(|| doc.col(v.start), |p| doc.col(p.key.span.start));
    let (span, indent) = match &s.block {
        Some(b) => (
            doc.lines.next_line(b.header_end)
                ..doc
                    .lines
                    .next_line(v.end)
                    .max(doc.lines.next_line(b.header_end)),
            b.indent,
        ),
        None => (v.start..v.end, anchor_col + vault_offset(doc)),
    };
    InlineVault {
        path: path.to_vec(),
        vault_text: s.value.to_string(),
        label,
        span,
        indent,
        line: doc.lines.line_of(key.map_or(v.start, |p| p.key.span.start)) + 1,
    }
}

impl Doc {
    pub(crate) fn col(&self, pos: usize) -> usize {
        pos - self.lines.line_start(pos)
    }
}

/// The indentation of `!vault` blocks relative to their key that this file uses most
/// (the first one seen on a tie), else [`DEFAULT_VAULT_OFFSET`].
pub(crate) fn vault_offset(doc: &Doc) -> usize {
    let mut counts: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut seen = 0;
    let mut path = Vec::new();
    walk(doc, &doc.parsed.root, &mut path, &mut |doc, _, p| {
        if let (true, Kind::Scalar(s)) = (p.value.is_vault(), &p.value.kind)
            && let Some(b) = &s.block
            && b.first_line.is_some()
        {
            let key_col = doc.col(p.key.span.start);
            if b.indent > key_col {
                let e = counts.entry(b.indent - key_col).or_insert((0, seen));
                e.0 += 1;
                seen += 1;
            }
        }
    });
    counts
        .into_iter()
        .max_by_key(|&(_, (n, first))| (n, std::cmp::Reverse(first)))
        .map_or(DEFAULT_VAULT_OFFSET, |(off, _)| off)
}

/// How far this file indents a nested block mapping under its key (2 when unknown).
pub(crate) fn indent_step(doc: &Doc) -> usize {
    fn find(doc: &Doc, n: &Node) -> Option<usize> {
        match &n.kind {
            Kind::Map(m) if !n.flow => m.pairs.iter().find_map(|p| {
                let key_col = doc.col(p.key.span.start);
                match &p.value.kind {
                    Kind::Map(inner) if !p.value.flow && inner.indent > key_col => {
                        Some(inner.indent - key_col)
                    }
                    _ => find(doc, &p.value),
                }
            }),
            Kind::Seq(s) => s.items.iter().find_map(|i| find(doc, i)),
            _ => None,
        }
    }
    find(doc, &doc.parsed.root).unwrap_or(2)
}

/// What a path leads to.
pub(crate) struct Located<'d> {
    /// Nodes from the root down to (and including) the target's value.
    pub chain: Vec<&'d Node>,
    /// The mapping pair at the end of the path (`None` for the root or a sequence item).
    pub pair: Option<&'d Pair>,
}

pub(crate) fn locate<'d>(doc: &'d Doc, path: &[String]) -> Option<Located<'d>> {
    let mut cur = &doc.parsed.root;
    let mut chain = vec![cur];
    let mut pair = None;
    for seg in path {
        match &cur.kind {
            Kind::Map(m) => {
                let p = m.pairs.iter().find(|p| p.key.text() == seg)?;
                pair = Some(p);
                cur = &p.value;
            }
            Kind::Seq(s) => {
                let i: usize = seg.strip_prefix('[')?.strip_suffix(']')?.parse().ok()?;
                cur = s.items.get(i)?;
                pair = None;
            }
            _ => return None,
        }
        chain.push(cur);
    }
    Some(Located { chain, pair })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_kinds() {
        let t = "a: 1\nb:\n  c: 'x'\n  d: ~\nl:\n- k: v\ne: !vault |\n    $ANSIBLE_VAULT;1.2;AES256;prod\n    3031\nf: *x\n";
        let t = t.replace("f: *x\n", "f: !!int 3\n");
        let d = Doc::parse(&t).unwrap();
        let es = d.entries();
        let paths: Vec<String> = es.iter().map(|e| e.path.join(".")).collect();
        assert_eq!(paths, ["a", "b", "b.c", "b.d", "l", "l.[0].k", "e", "f"]);
        assert_eq!(
            es[0].value,
            ValueKind::Scalar(zeroize::Zeroizing::new("1".into()))
        );
        assert_eq!(es[1].value, ValueKind::Mapping);
        assert_eq!(es[3].value, ValueKind::Null);
        assert_eq!(es[4].value, ValueKind::Sequence);
        assert_eq!(es[7].value, ValueKind::Other);
        let ValueKind::Vault(v) = &es[6].value else {
            panic!()
        };
        assert_eq!(v.label.as_deref(), Some("prod"));
        assert_eq!(v.vault_text, "$ANSIBLE_VAULT;1.2;AES256;prod\n3031\n");
        assert_eq!(
            &t[v.span.clone()],
            "    $ANSIBLE_VAULT;1.2;AES256;prod\n    3031\n"
        );
        assert_eq!(v.indent, 4);
        assert_eq!(v.line, 7);
        assert_eq!(&t[es[2].key_span.clone()], "c");
        assert_eq!(&t[es[2].value_span.clone()], "'x'");
        assert_eq!(d.get(&["b", "c"]).unwrap().line, 3);
        assert_eq!(d.top_level_keys(), ["a", "b", "l", "e", "f"]);
        assert_eq!(vault_offset(&d), 4);
        assert_eq!(indent_step(&d), 2);
    }
}
