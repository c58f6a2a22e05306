//! The module layering of docs/architecture.md, checked: every `crate::`
//! path in a top-level module points to a module of a lower layer, or to one
//! of the same layer without closing a cycle. A new upward import fails here
//! instead of quietly tangling the folders.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Layers from the bottom; a module may import only from its own layer or below.
const LAYERS: &[&[&str]] = &[
    &["vault", "yaml", "fsutil", "exit_codes", "changelog"],
    &["manifest", "vaultfile"],
    &["ansible"],
    &["passwords"],
    &["rotation", "report", "scan"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules a source text names through `crate::`, including
/// those inside `use crate::{a::x, b::y}` groups.
fn imported_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            let mut word = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        item_start = true;
                        continue;
                    }
                    _ => {}
                }
                if item_start && depth == 1 {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        word.push(c);
                        continue;
                    }
                    if !word.is_empty() {
                        out.insert(std::mem::take(&mut word));
                        item_start = false;
                    }
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn sources_of(path: &Path, out: &mut String) {
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            sources_of(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push_str(&fs::read_to_string(path).unwrap());
    }
}

/// Module -> the modules it imports, for every top-level module of src/.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "main" || name == "lib" {
            continue;
        }
        let mut text = String::new();
        sources_of(&path, &mut text);
        let imports = imported_modules(&text);
        graph
            .entry(name.clone())
            .or_default()
            .extend(imports.into_iter().filter(|m| *m != name));
    }
    graph
}

#[test]
fn every_module_has_a_layer() {
    for module in import_graph().keys() {
        assert!(
            layer_of(module).is_some(),
            "src/{module} is in no layer: add it to LAYERS here and to docs/architecture.md"
        );
    }
}

#[test]
fn imports_point_down_or_sideways() {
    let mut upward = Vec::new();
    for (module, imports) in import_graph() {
        let Some(own) = layer_of(&module) else {
            continue;
        };
        for imported in imports {
            if let Some(theirs) = layer_of(&imported)
                && theirs > own
            {
                upward.push(format!("{module} -> {imported}"));
            }
        }
    }
    assert!(upward.is_empty(), "imports pointing up a layer: {upward:?}");
}

#[test]
fn no_cycle_between_modules() {
    let graph = import_graph();
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|m| m == module) {
            panic!("import cycle: {} -> {module}", path[at..].join(" -> "));
        }
        if done.contains(module) {
            return;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            if graph.contains_key(next) {
                visit(next, graph, path, done);
            }
        }
        path.pop();
        done.insert(module.to_string());
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_scanner_sees_grouped_imports() {
    let found =
        imported_modules("use crate::{manifest::{A, B}, vault::x};\nlet y = crate::yaml::f();");
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["manifest", "vault", "yaml"]
    );
}

/// Command files parse arguments and print: reading and writing files
/// happens below them (vaultfile, fsutil, manifest), where the atomic-write,
/// regular-file and size rules live.
#[test]
fn command_files_do_no_file_io() {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    let mut offenders = Vec::new();
    for entry in fs::read_dir(&cli).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if [
                "std::fs",
                "fs::",
                "File::open",
                "File::create",
                "OpenOptions",
            ]
            .iter()
            .any(|needle| code.contains(needle))
            {
                offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "file I/O in command files:\n{}",
        offenders.join("\n")
    );
}
