//! The YAML editor against a corpus of hand-written and upstream files
//! (`tests/fixtures/yaml/`): byte-exact expected outputs for every edit, untouched bytes when
//! nothing changes, the inline vault texts ansible itself reads, and Ansible's own reading of
//! every input and output (the test virtualenv's Python, or `VAULTROT_PYTHON`).
//!
//! Files: `<case>.input.yml`, `<case>.ops.json` (named edits), `<case>.<op>.expected.yml`.
//! `VAULTROT_BLESS=1 cargo test --test yaml_corpus` rewrites the expected files (review the diff!).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vaultrot::yaml::{Doc, Edit, NewValue, ValueKind};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn inputs() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p
                .file_name()?
                .to_str()?
                .strip_suffix(".input.yml")?
                .to_string();
            Some((name, p))
        })
        .collect();
    v.sort();
    assert!(v.len() >= 10, "the corpus went missing");
    v
}

fn new_vault() -> String {
    read(&dir().join("new_vault.txt"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a path is a JSON array")
        .iter()
        .map(|s| s.as_str().expect("path segments are strings").to_string())
        .collect()
}

fn new_value(v: &Value) -> NewValue {
    match v {
        Value::String(s) => NewValue::plain(s.clone()),
        Value::Object(o) if o.contains_key("vault") => NewValue::Vault {
            vault_text: match &o["vault"] {
                Value::String(s) => s.clone(),
                _ => new_vault(),
            },
        },
        Value::Object(o) if o.contains_key("map") => NewValue::Map(
            o["map"]
                .as_array()
                .unwrap()
                .iter()
                .map(|kv| (kv[0].as_str().unwrap().to_string(), new_value(&kv[1])))
                .collect(),
        ),
        other => panic!("bad value in ops file: {other}"),
    }
}

fn edit(v: &Value) -> Edit {
    match v["op"].as_str().expect("an edit has an op") {
        "replace" => Edit::Replace {
            path: strings(&v["path"]),
            value: new_value(&v["value"]),
        },
        "remove" => Edit::Remove {
            path: strings(&v["path"]),
        },
        "insert-after" => Edit::InsertAfter {
            after: strings(&v["after"]),
            key: v["key"].as_str().unwrap().to_string(),
            value: new_value(&v["value"]),
        },
        "append" => Edit::Append {
            parent: strings(&v["parent"]),
            key: v["key"].as_str().unwrap().to_string(),
            value: new_value(&v["value"]),
        },
        other => panic!("unknown op {other}"),
    }
}

fn edits(spec: &Value) -> Vec<Edit> {
    match spec.get("batch") {
        Some(b) => b.as_array().unwrap().iter().map(edit).collect(),
        None => vec![edit(spec)],
    }
}

/// Every case's named edits: (case, op name, spec).
fn ops() -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (case, _) in inputs() {
        let path = dir().join(format!("{case}.ops.json"));
        if !path.exists() {
            continue;
        }
        let spec: BTreeMap<String, Value> = serde_json::from_str(&read(&path)).unwrap();
        out.extend(spec.into_iter().map(|(op, v)| (case.clone(), op, v)));
    }
    out
}

#[test]
fn inputs_parse_and_nothing_changes_without_edits() {
    for (case, path) in inputs() {
        let text = read(&path);
        let doc = Doc::parse(&text).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(doc.apply(&[]).unwrap(), text, "{case}");
        for e in doc.entries() {
            assert!(
                e.key_span.end <= e.value_span.start || e.value_span.is_empty(),
                "{case}: {e:?}"
            );
            assert!(e.value_span.end <= text.len(), "{case}: {e:?}");
            let key = &text[e.key_span.clone()];
            let last = e.path.last().unwrap();
            assert!(
                key == last || key.starts_with(['\'', '"']),
                "{case}: key {key:?} vs {last:?}"
            );
        }
    }
}

#[test]
fn re_encrypting_with_the_same_text_changes_no_byte() {
    for (case, path) in inputs() {
        let text = read(&path);
        let doc = Doc::parse(&text).unwrap();
        let edits: Vec<Edit> = doc
            .inline_vaults()
            .into_iter()
            .filter(|v| {
                !text[v.span.clone()].contains('"') && !v.path.last().unwrap().starts_with('[')
            })
            .map(|v| Edit::Replace {
                path: v.path.clone(),
                value: NewValue::Vault {
                    vault_text: v.vault_text.clone(),
                },
            })
            .collect();
        if edits.is_empty() {
            continue;
        }
        assert_eq!(doc.apply(&edits).unwrap(), text, "{case}");
    }
}

#[test]
fn edits_give_the_expected_bytes() {
    let bless = std::env::var_os("VAULTROT_BLESS").is_some();
    let mut expected_files = Vec::new();
    let mut failures = Vec::new();
    for (case, op, spec) in ops() {
        let input = read(&dir().join(format!("{case}.input.yml")));
        let doc = Doc::parse(&input).unwrap();
        let result = doc.apply(&edits(&spec));
        if let Some(want) = spec.get("error") {
            let want = want.as_str().unwrap();
            match result {
                Err(e) if e.to_string().contains(want) => {}
                Err(e) => failures.push(format!("{case}.{op}: error {e:?} lacks {want:?}")),
                Ok(_) => failures.push(format!("{case}.{op}: should fail with {want:?}")),
            }
            continue;
        }
        let out = match result {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{case}.{op}: {e}"));
                continue;
            }
        };
        let path = dir().join(format!("{case}.{op}.expected.yml"));
        expected_files.push(path.clone());
        if bless {
            std::fs::write(&path, &out).unwrap();
        } else if !path.exists() {
            failures.push(format!("{case}.{op}: missing {}", path.display()));
        } else if read(&path) != out {
            failures.push(format!(
                "{case}.{op}: output differs from {}:\n{out}",
                path.display()
            ));
        }
    }
    // No stale expected files.
    for e in std::fs::read_dir(dir()).unwrap() {
        let p = e.unwrap().path();
        if p.to_str().unwrap().ends_with(".expected.yml") && !expected_files.contains(&p) {
            failures.push(format!("stale expected file {}", p.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The inline vault texts of the upstream files are exactly those ansible-core decrypts
/// (`vault_texts/*.vault` come from ansible-core's own test suite).
#[test]
fn upstream_inline_vault_texts() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "upstream_vaulted_vars",
            &["realpath"],
            "integ_inline_vaulted_realpath",
        ),
        (
            "upstream_vaulted_vars",
            &["symlink"],
            "integ_inline_vaulted_symlink",
        ),
        (
            "upstream_test_vault_embedded_vars_main",
            &["vault_encrypted_var"],
            "integ_inline_embedded_var",
        ),
        (
            "upstream_test_vault_embedded_vars_main",
            &["vault_encrypted_one_line_var"],
            "integ_inline_embedded_one_line_var",
        ),
        (
            "upstream_test_vault_embedded_ids_vars_main",
            &["vault_encrypted_example1_releases"],
            "integ_inline_ids_example1_releases",
        ),
        (
            "upstream_test_vault_embedded_ids_vars_main",
            &["vault_encrypted_example2_hello"],
            "integ_inline_ids_example2_hello",
        ),
        (
            "upstream_test_vault_embedded_ids_vars_main",
            &["vault_encrypted_example3_foobar"],
            "integ_inline_ids_example3_foobar",
        ),
        (
            "upstream_single_vault_as_string",
            &["[0]", "vars", "vaulted_value"],
            "integ_inline_single_vault_as_string",
        ),
        (
            "upstream_filter_encryption_vars_main",
            &["data1_vaulted"],
            "integ_inline_filter_data1_vaulted",
        ),
        (
            "upstream_filter_encryption_vars_main",
            &["data2_vaulted_with_id"],
            "integ_inline_filter_data2_with_id",
        ),
    ];
    for (case, path, name) in cases {
        let doc = Doc::parse(&read(&dir().join(format!("{case}.input.yml")))).unwrap();
        let want = read(&dir().join(format!("vault_texts/{name}.vault")));
        let v = doc
            .inline_vaults()
            .into_iter()
            .find(|v| v.path == *path)
            .unwrap_or_else(|| panic!("{case}: no vault at {path:?}"));
        assert_eq!(v.vault_text, want, "{case} {path:?}");
        let label = want
            .lines()
            .next()
            .unwrap()
            .split(';')
            .nth(3)
            .map(str::to_string);
        assert_eq!(v.label, label);
        let e = doc.get(path).unwrap();
        assert_eq!(e.value, ValueKind::Vault(v));
    }
    // The vault filter's untagged `|` strings read as plain strings with the same text.
    let doc = Doc::parse(&read(
        &dir().join("upstream_filter_encryption_vars_main.input.yml"),
    ))
    .unwrap();
    let want = read(&dir().join("vault_texts/integ_inline_filter_data1_string_with_id.vault"));
    assert_eq!(
        doc.get(&["data1_vaulted_string_with_id"]).unwrap().value,
        ValueKind::Scalar(zeroize::Zeroizing::new(want))
    );
    // The playbook's vault inside a task list.
    let doc = Doc::parse(&read(
        &dir().join("upstream_single_vault_as_string.input.yml"),
    ))
    .unwrap();
    let want = read(&dir().join("vault_texts/integ_inline_single_vault_as_string_data.vault"));
    assert!(
        doc.inline_vaults()
            .iter()
            .any(|v| v.vault_text == want && v.path.ends_with(&["ping".into(), "data".into()]))
    );
}

#[test]
fn labels_of_several_vault_ids_in_one_file() {
    let doc = Doc::parse(&read(&dir().join("inline_vaults.input.yml"))).unwrap();
    let labels: Vec<Option<String>> = doc.inline_vaults().into_iter().map(|v| v.label).collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        labels,
        [None, s("test1"), s("example2"), None, None, None, None]
    );
    let indents: Vec<usize> = doc.inline_vaults().into_iter().map(|v| v.indent).collect();
    assert_eq!(indents, [10, 4, 14, 10, 10, 10, 14]);
}

// ----- Ansible's own reading ------------------------------------------------------------------

/// The Python with ansible-core: `VAULTROT_PYTHON`, else the test virtualenv's
/// (`VAULTROT_ANSIBLE_BIN` or `.venv/bin`). Missing, the test fails; it never skips.
fn ansible_python() -> String {
    let python = std::env::var_os("VAULTROT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("VAULTROT_ANSIBLE_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin"))
                .join("python")
        });
    assert!(
        python.exists(),
        "{} is missing: run scripts/test.sh (it installs ansible-core into .venv) or set VAULTROT_PYTHON",
        python.display()
    );
    python.to_string_lossy().into_owned()
}

/// Ansible's reading of each file, via `ansible_yaml_json.py`.
fn ansible_read(python: &str, files: &[PathBuf]) -> Vec<Value> {
    let out = Command::new(python)
        .arg(dir().join("ansible_yaml_json.py"))
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("VAULTROT_PYTHON={python} cannot run: {e}"));
    assert!(
        out.status.success(),
        "VAULTROT_PYTHON={python} failed (is ansible-core installed?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v.len(), files.len());
    v
}

fn key_of(k: &Value) -> Option<&str> {
    k.get("str").and_then(Value::as_str)
}

fn seg_of(v: &Value, seg: &str) -> Option<usize> {
    if let Some(m) = v.get("map") {
        m.as_array()?
            .iter()
            .position(|kv| key_of(&kv[0]) == Some(seg))
    } else {
        seg.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
    }
}

fn child<'v>(v: &'v mut Value, seg: &str) -> Option<&'v mut Value> {
    let i = seg_of(v, seg)?;
    if v.get("map").is_some() {
        v.get_mut("map")?.get_mut(i)?.get_mut(1)
    } else {
        v.get_mut("seq")?.get_mut(i)
    }
}

fn walk<'v>(v: &'v mut Value, path: &[String]) -> &'v mut Value {
    let mut cur = v;
    for seg in path {
        cur = child(cur, seg).unwrap_or_else(|| panic!("no {seg}"));
    }
    cur
}

fn json_value(v: &NewValue) -> Value {
    match v {
        NewValue::Plain(s) => serde_json::json!({ "str": s.as_str() }),
        NewValue::Vault { vault_text } => serde_json::json!({ "vault": vault_text }),
        NewValue::Map(m) => serde_json::json!({
            "map": m.iter().map(|(k, v)| serde_json::json!([{ "str": k }, json_value(v)])).collect::<Vec<_>>()
        }),
        NewValue::Raw(_) | NewValue::List(_) => {
            panic!("the corpus does not use raw values or lists")
        }
    }
}

/// Ansible's reading of the input with `edits` applied the way `Doc::apply` promises.
fn apply_json(mut root: Value, edits: &[Edit]) -> Value {
    for e in edits {
        let (parent, key): (&[String], Option<&String>) = match e {
            Edit::Replace { path, .. } | Edit::Remove { path } => {
                (&path[..path.len() - 1], path.last())
            }
            Edit::InsertAfter { after, .. } => (&after[..after.len() - 1], after.last()),
            Edit::Append { parent, .. } => (parent, None),
            Edit::Push { .. } => panic!("the corpus does not push to lists"),
        };
        let p = walk(&mut root, parent);
        if p.get("null").is_some() {
            *p = serde_json::json!({ "map": [] });
        }
        let pos = key.map(|k| seg_of(p, k).expect("edited key exists"));
        let m = p.get_mut("map").unwrap().as_array_mut().unwrap();
        match e {
            Edit::Replace { value, .. } => m[pos.unwrap()][1] = json_value(value),
            Edit::Remove { .. } => {
                m.remove(pos.unwrap());
                if m.is_empty() {
                    *p = serde_json::json!({ "null": "" });
                }
            }
            Edit::InsertAfter { key, value, .. } => {
                m.insert(
                    pos.unwrap() + 1,
                    serde_json::json!([{ "str": key }, json_value(value)]),
                );
            }
            Edit::Append { key, value, .. } => {
                m.push(serde_json::json!([{ "str": key }, json_value(value)]))
            }
            Edit::Push { .. } => unreachable!(),
        }
    }
    root
}

/// The op's edits, plus its replacement repeated at each path of `"also"`: where
/// Ansible sees a value edited at its anchor through an alias or a merge key.
fn with_also(spec: &Value) -> Vec<Edit> {
    let mut out = edits(spec);
    let also: Vec<Vec<String>> = spec
        .get("also")
        .map(|a| serde_json::from_value(a.clone()).unwrap())
        .unwrap_or_default();
    if let Some(Edit::Replace { value, .. }) = out.first().cloned() {
        for path in also {
            out.push(Edit::Replace {
                path,
                value: value.clone(),
            });
        }
    }
    out
}

/// Vault texts compared without trailing line breaks (ansible ignores them).
fn normalize(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get_mut("vault") {
                *s = s.trim_end_matches('\n').to_string();
            }
            o.values_mut().for_each(normalize);
        }
        Value::Array(a) => a.iter_mut().for_each(normalize),
        _ => {}
    }
}

/// Our reading of every entry equals Ansible's.
fn compare_reading(case: &str, doc: &Doc, ansible: &Value) {
    let mut root = ansible.clone();
    for e in doc.entries() {
        // Ansible expands merge keys (`<<: *x`) into their mapping.
        if e.path.iter().any(|s| s == "<<") {
            continue;
        }
        let theirs = walk(&mut root, &e.path).clone();
        let ok = match (&e.value, &theirs) {
            (ValueKind::Vault(v), t) => {
                t.get("vault").and_then(Value::as_str) == Some(v.vault_text.as_str())
            }
            (ValueKind::Scalar(s), t) => match t.get("str") {
                Some(x) => x.as_str() == Some(s.as_str()),
                None => t.get("map").is_none() && t.get("seq").is_none() && t.get("null").is_none(),
            },
            (ValueKind::Mapping, t) => t.get("map").is_some(),
            (ValueKind::Sequence, t) => t.get("seq").is_some(),
            (ValueKind::Null, t) => t.get("null").is_some(),
            (ValueKind::Other, _) => true,
        };
        assert!(
            ok,
            "{case}: Ansible reads {:?} differently ({:?})",
            e.path, e.value
        );
    }
}

#[test]
fn ansible_reads_inputs_and_outputs_as_we_intend() {
    let python = ansible_python();
    let ins = inputs();
    let files: Vec<PathBuf> = ins.iter().map(|(_, p)| p.clone()).collect();
    let read_in = ansible_read(&python, &files);
    for ((case, path), ans) in ins.iter().zip(&read_in) {
        let ans = ans
            .get("ok")
            .unwrap_or_else(|| panic!("Ansible cannot read {case}: {ans}"));
        compare_reading(case, &Doc::parse(&read(path)).unwrap(), ans);
    }
    let ops: Vec<_> = ops()
        .into_iter()
        .filter(|(_, _, s)| s.get("error").is_none())
        .collect();
    let outs: Vec<PathBuf> = ops
        .iter()
        .map(|(case, op, _)| dir().join(format!("{case}.{op}.expected.yml")))
        .collect();
    let read_out = ansible_read(&python, &outs);
    for ((case, op, spec), ans) in ops.iter().zip(read_out) {
        let i = ins.iter().position(|(c, _)| c == case).unwrap();
        let mut want = apply_json(read_in[i]["ok"].clone(), &with_also(spec));
        let raw = ans
            .get("ok")
            .unwrap_or_else(|| panic!("Ansible cannot read {case}.{op}: {ans}"));
        let out = read(&dir().join(format!("{case}.{op}.expected.yml")));
        compare_reading(&format!("{case}.{op}"), &Doc::parse(&out).unwrap(), raw);
        let mut got = raw.clone();
        normalize(&mut want);
        normalize(&mut got);
        assert_eq!(
            got, want,
            "{case}.{op}: Ansible reads the result differently"
        );
    }
}

/// Strings YAML 1.1 would read as something else, written by `Doc::apply`, read back by
/// Ansible as the very same strings.
#[test]
fn ansible_reads_quoted_strings_back() {
    let python = ansible_python();
    let strings = [
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "n",
        "true",
        "null",
        "Null",
        "~",
        "",
        "0755",
        "0x1F",
        "0b101",
        "1e3",
        "1_000",
        ".inf",
        "-.Inf",
        ".nan",
        "12:30",
        "190:20:30",
        "1:30.5",
        "2026-01-01",
        "2001-12-14 21:59:43.10 -5",
        "*x",
        "&a",
        "!t",
        "@x",
        "`x",
        "a: b",
        "a #b",
        "a#b",
        "- x",
        "-x",
        "? x",
        "%x",
        " lead",
        "trail ",
        "'",
        "\"",
        "it's",
        "say \"hi\"",
        "both ' and \"",
        "back\\slash",
        "tab\there",
        "two\nlines",
        "end\n",
        "two\n\n",
        "\nlead",
        "crlf\r\n",
        "bell\u{7}",
        "nul\0",
        "\u{85}nel",
        "\u{a0}nbsp",
        "\u{2028}",
        "\u{feff}bom",
        "é",
        "😀",
        "<<",
        "=",
        "---",
        "...",
        "[x]",
        "{x}",
        "a,b",
        "|",
        ">",
        "-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
        "x:",
        ":x",
        "http://h:8080/p?q=1#frag",
        "$HOME",
        "{{ lookup('env', 'X') }}",
        "0",
        "-1",
        "+1",
        "1.",
        "0o17",
    ];
    let mut doc_text = String::from("first: 1\n");
    for (i, s) in strings.iter().enumerate() {
        let doc = Doc::parse(&doc_text).unwrap();
        doc_text = doc
            .apply(&[Edit::Append {
                parent: vec![],
                key: format!("k{i}"),
                value: NewValue::plain(s.to_string()),
            }])
            .unwrap_or_else(|e| panic!("{s:?}: {e}"));
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &doc_text).unwrap();
    let read = ansible_read(&python, &[file.path().to_path_buf()]);
    let map = read[0]["ok"]["map"]
        .as_array()
        .expect("Ansible reads a mapping");
    for (i, s) in strings.iter().enumerate() {
        let v = &map[i + 1][1];
        assert_eq!(
            v.get("str").and_then(Value::as_str),
            Some(*s),
            "{s:?} was written as:\n{doc_text}"
        );
    }
}

/// A 500-entry vars file: parse, one edit, and re-encrypting 100 inline vaults. Timings are
/// printed, not asserted (`cargo test --release --test yaml_corpus -- --ignored --nocapture`).
#[test]
#[ignore]
fn timing_of_a_500_entry_file() {
    let vault = new_vault();
    let mut text = String::from("---\n# generated\n");
    for i in 0..400 {
        text.push_str(&format!("var_{i}: 'value {i}'  # comment {i}\n"));
    }
    for i in 0..100 {
        text.push_str(&format!("vault_{i}: !vault |\n"));
        for l in vault.lines() {
            text.push_str(&format!("          {l}\n"));
        }
    }
    let t = std::time::Instant::now();
    let doc = Doc::parse(&text).unwrap();
    let parse = t.elapsed();
    let t = std::time::Instant::now();
    let out = doc
        .apply(&[Edit::Replace {
            path: vec!["var_250".into()],
            value: NewValue::plain("new"),
        }])
        .unwrap();
    let one = t.elapsed();
    assert_ne!(out, text);
    let edits: Vec<Edit> = (0..100)
        .map(|i| Edit::Replace {
            path: vec![format!("vault_{i}")],
            value: NewValue::Vault {
                vault_text: vault.clone(),
            },
        })
        .collect();
    let t = std::time::Instant::now();
    assert_eq!(doc.apply(&edits).unwrap(), text);
    let rekey = t.elapsed();
    eprintln!(
        "{} bytes: parse {parse:?}, one edit {one:?}, 100 vaults re-encrypted {rekey:?}",
        text.len()
    );
}
