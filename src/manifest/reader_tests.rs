//! The manifest reader (the span parser's view walked into the manifest's shape) must
//! agree with serde-saphyr, an independent YAML reader, on generated manifests: the same
//! model when both accept, an error from both otherwise.

use std::path::Path;

use crate::manifest::Manifest;
use crate::manifest::parse::parse_reference;
use crate::manifest::raw;
use crate::manifest::reference::from_yaml;

const PATH: &str = "group_vars/all/_secrets_manifest.yml";

fn ours(text: &str) -> Result<Manifest, String> {
    Manifest::parse(text, Path::new(PATH), Path::new("/infra")).map_err(|e| e.to_string())
}

fn reference(text: &str) -> Result<Manifest, String> {
    parse_reference(text, Path::new(PATH), Path::new("/infra")).map_err(|e| e.to_string())
}

/// Fails with both results side by side when the readers disagree; returns whether
/// the manifest was valid. When both read the file's shape, the checks after it give
/// the same messages; a shape error is worded by each reader its own way (and the span
/// parser reports syntax anywhere in the text before any shape error), so only its
/// presence is compared.
fn assert_agrees(text: &str) -> bool {
    let (ours, reference) = (ours(text), reference(text));
    match (&ours, &reference) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "readers disagree on:\n{text}"),
        (Err(a), Err(b)) => {
            if raw::read(text).is_ok() && from_yaml(text).is_ok() {
                assert_eq!(a, b, "readers disagree on:\n{text}");
            }
        }
        _ => panic!("readers disagree on:\n{text}\nours: {ours:?}\nserde-saphyr: {reference:?}"),
    }
    ours.is_ok()
}

#[test]
fn reads_the_example_infra_and_agrees() {
    let text = include_str!("../../infra/group_vars/all/_secrets_manifest.yml");
    assert!(assert_agrees(text), "{:?}", ours(text));
}

#[test]
fn agrees_on_hand_picked_shapes() {
    let cases = [
        "secrets_manifest:\n  version: 1\n",
        "---\nsecrets_manifest:\n  version: 1\n  secrets:\n",
        "secrets_manifest:\n  version: 1\n  secrets: {}\n",
        "secrets_manifest:\n  version: 1\n  policies:\n    p: {max_age: 6mo}\n  secrets:\n    v: {policy: p}\n",
        "secrets_manifest:\n    version: 1 # one\n    secrets:\n        v:\n            max_age: 1y\n            deploy:\n            - playbook: a.yml\n              tags: a, b\n            -   run: echo 'hi'\n",
        "secrets_manifest:\n  version: 1\n  secrets:\n    'v':\n      max_age: '1y'\n      owner: \"it's me\"\n      description: it's fine\n      last_rotation: 2026-01-15 # date\n",
        "secrets_manifest:\n  version: 1\n  secrets:\n    v:\n      max_age: 1y\n      rotation:\n        id: r1\n        phase: dual\n        started: 2026-11-22T10:15:00Z\n        group: [a, 'b']\n",
        "secrets_manifest:\n  version: 1\n  secrets:\n    v:\n      max_age: 1y\n      deploy:\n        - { playbook: x.yml, extra_vars: { a: 1, b: true, c: str, d: [1, x], e: { f: ~ } } }\n",
        "secrets_manifest:\n  version: 1\n  secrets:\n    v:\n      max_age: 1y\n      generate:\n        length: 40\n        charset: hex\n        exclude: \"0O\"\n",
        "secrets_manifest:\n  version: 1\n  secrets:\n    v:\n      max_age: 1y\n      owner: yes\n      description: 123\n",
        "secrets_manifest:\n  version: 1\n  secrets:\n    v:\n      max_age: 1y\n      history:\n        - { event: rotated, at: 2026-04-02T09:12:00Z, id: r1, by: bob }\n        -\n          event: started\n          at: 2026-04-01\n",
        // Semantic errors come out the same from both readers.
        "secrets_manifest:\n  version: 2\n  secrets:\n    v:\n      policy: nope\n      last_rotation: 2026-02-30\n      generate: { length: 40, external: true }\n      rotation:\n        id: r1\n        phase: half\n        started: 2026-01-01\n",
        "secrets_manifest:\n  version: 1\n  secrets:\n    v: ~\n    w:\n",
        // Columns count characters, not bytes.
        "secrets_manifest:\n  version: 1\n  secrets:\n    \"vaulté\": { owner: José, policy: nope, max_age: 6m }\n",
    ];
    for case in cases {
        assert_agrees(case);
    }
}

/// A small deterministic generator (splitmix64), seeded by proptest.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A scalar in a random style (some styles change its meaning; both
    /// readers must still agree).
    fn scalar(&mut self, raw: &str) -> String {
        match self.below(4) {
            0 => format!("'{}'", raw.replace('\'', "''")),
            1 if !raw.contains(['"', '\\']) => format!("\"{raw}\""),
            _ => raw.to_string(),
        }
    }

    fn comment(&mut self) -> &'static str {
        if self.chance(15) { "  # note" } else { "" }
    }
}

const TEXTS: &[&str] = &[
    "platform-team",
    "yes",
    "no",
    "~",
    "null",
    "123",
    "1.5",
    "0x1F",
    "2026-01-15",
    "it's",
    "a #b",
    "x: y",
    "José",
    "true",
    "",
    "on",
    "-dash",
    "[x]",
    ":colon",
    "a,b",
    "http://x/y",
    "with space",
];
const DATES: &[&str] = &[
    "2026-01-15",
    "2026-01-15",
    "2028-02-29",
    "2026-02-30",
    "15/01/2026",
    "~",
    "never",
    "2026-1-5",
    "2026-01-15T10:00:00Z",
    "",
];
const PERIODS: &[&str] = &[
    "6mo", "12mo", "30d", "2w", "1y", "never", "6m", "0d", "~", "5",
];
const JSON: &[&str] = &[
    "true",
    "false",
    "yes",
    "on",
    "1",
    "-3",
    "1.5",
    "~",
    "str",
    "\"quoted\"",
    "[1, a]",
    "{k: v}",
    "'x'",
    "2026-01-01",
    "Yes",
    "nan",
    "",
];
const TAGS: &[&str] = &[
    "[nats]", "[a, b]", "\"a,b\"", "a", "5", "[1]", "[]", "~", "a, b", "yes",
];

fn generate(g: &mut Gen) -> String {
    generate_with(g, false)
}

/// `clean`: only valid values, so that whole models are compared.
fn generate_with(g: &mut Gen, clean: bool) -> String {
    let periods: &[&str] = if clean {
        &["6mo", "12mo", "30d", "2w", "1y", "never"]
    } else {
        PERIODS
    };
    let warn_periods: &[&str] = if clean {
        &["30d", "2w", "1mo"]
    } else {
        PERIODS
    };
    let dates: &[&str] = if clean {
        &["2026-01-15", "2028-02-29", "2025-12-31", "~", ""]
    } else {
        DATES
    };
    let strategies: &[&str] = if clean {
        &["swap", "dual"]
    } else {
        &["swap", "dual", "rolling"]
    };
    let err = if clean { 0 } else { 1 };
    let i = if g.chance(70) { "  " } else { "    " };
    let mut t = String::new();
    if g.chance(10) {
        t.push_str("---\n");
    }
    if g.chance(30) {
        t.push_str("# Rotation manifest\n\n");
    }
    t.push_str("secrets_manifest:\n");
    let version = if g.chance(90) {
        "1"
    } else {
        g.pick(&["2", "x"])
    };
    t.push_str(&format!("{i}version: {version}{}\n", g.comment()));
    if g.chance(50) {
        if g.chance(50) {
            t.push_str(&format!("{i}defaults:\n"));
            for field in [
                "vault",
                "inventory",
                "changelog",
                "warn_before",
                "warn_befor",
            ] {
                if g.chance(if field == "warn_befor" { 3 * err } else { 40 }) {
                    let value = if field.starts_with("warn") {
                        g.pick(warn_periods)
                    } else {
                        g.pick(if clean {
                            &["inventory/staging.yml", "x.yml"]
                        } else {
                            &["inventory/staging.yml", "x.yml", "~", ""]
                        })
                    };
                    t.push_str(&format!("{i}{i}{field}: {value}{}\n", g.comment()));
                }
            }
        } else {
            t.push_str(&format!(
                "{i}defaults: {{ warn_before: {}, vault: v.yml }}\n",
                g.pick(warn_periods)
            ));
        }
    }
    let policies = ["api_token", "db", "bot"];
    if g.chance(85) {
        t.push_str(&format!("{i}policies:\n"));
        for name in policies {
            if g.chance(80) {
                let mut fields = vec![format!("max_age: {}", g.pick(periods))];
                if g.chance(30) {
                    fields.push(format!("strategy: {}", g.pick(strategies)));
                }
                if g.chance(20) {
                    fields.push(format!("warn_before: {}", g.pick(warn_periods)));
                }
                if g.chance(2 * err) {
                    fields.push("stratgy: swap".to_string());
                }
                if g.chance(60) {
                    t.push_str(&format!("{i}{i}{name}: {{ {} }}\n", fields.join(", ")));
                } else {
                    t.push_str(&format!("{i}{i}{name}:\n"));
                    for f in fields {
                        t.push_str(&format!("{i}{i}{i}{f}\n"));
                    }
                }
            }
        }
    }
    t.push_str(&format!("{i}secrets:{}\n", g.comment()));
    let count = g.below(6);
    const NAMES: [&str; 7] = [
        "vault_a",
        "vault_b",
        "vault_c",
        "'vault_d'",
        "vault-e",
        "vault_a_new",
        "\"vault_f\"",
    ];
    for n in 0..count {
        let name = if clean {
            ["vault_a", "vault_b", "vault_c", "'vault_d'", "\"vault_f\""][n % 5]
        } else if g.chance(90) {
            NAMES[n]
        } else {
            g.pick(&NAMES)
        };
        if g.chance(5 * err) {
            t.push_str(&format!("{i}{i}{name}:\n"));
            continue;
        }
        if g.chance(15) {
            t.push_str(&format!(
                "{i}{i}{name}: {{ policy: {}, last_rotation: {} }}\n",
                g.pick(&policies),
                g.pick(dates)
            ));
            continue;
        }
        t.push_str(&format!("{i}{i}{name}:\n"));
        let f = format!("{i}{i}{i}");
        let mut lines: Vec<String> = Vec::new();
        if clean || g.chance(85) {
            let choices: &[&str] = if clean {
                &["api_token", "db", "bot"]
            } else {
                &["api_token", "db", "bot", "nope"]
            };
            lines.push(format!("policy: {}", g.pick(choices)));
        }
        if clean || g.chance(20) {
            lines.push(format!("max_age: {}", g.pick(periods)));
        }
        if g.chance(80) {
            let date = g.pick(dates);
            lines.push(format!("last_rotation: {}", g.scalar(date)));
        }
        for field in ["owner", "description"] {
            if g.chance(40) {
                let text = g.pick(TEXTS);
                lines.push(format!("{field}: {}", g.scalar(text)));
            }
        }
        if g.chance(10) {
            lines.push(format!("strategy: {}", g.pick(strategies)));
        }
        if g.chance(2 * err) {
            lines.push("polcy: x".to_string());
        }
        if g.chance(30) {
            let valid: &[&str] = &[
                "{ length: 32, charset: alnum }",
                "{ external: true }",
                "{ command: scripts/mint.sh }",
                "{ charset: hex, exclude: \"abc\" }",
                "{}",
            ];
            let generate = if clean {
                g.pick(valid)
            } else {
                g.pick(&[
                    "{ length: 32, charset: alnum }",
                    "{ external: true }",
                    "{ external: yes }",
                    "{ command: scripts/mint.sh }",
                    "{ length: 4 }",
                    "{ length: 40, external: true }",
                    "{ charset: hex, exclude: \"abc\" }",
                    "{}",
                ])
            };
            lines.push(format!("generate: {generate}"));
        }
        let mut text = String::new();
        for line in &lines {
            text.push_str(&format!("{f}{line}{}\n", g.comment()));
        }
        for list in ["deploy", "verify"] {
            if !g.chance(50) {
                continue;
            }
            text.push_str(&format!("{f}{list}:\n"));
            let dash = if g.chance(50) {
                format!("{f}  - ")
            } else {
                format!("{f}- ")
            };
            let cont = " ".repeat(dash.len());
            for _ in 0..=g.below(2) {
                match g.below(if clean { 18 } else { 20 }) {
                    0..=4 => text.push_str(&format!(
                        "{dash}{{ playbook: playbooks/x.yml, tags: {} }}\n",
                        g.pick(TAGS)
                    )),
                    5..=8 => text.push_str(&format!("{dash}run: {}\n", g.scalar("echo hi"))),
                    9..=17 => {
                        text.push_str(&format!("{dash}playbook: playbooks/y.yml\n"));
                        if g.chance(50) {
                            text.push_str(&format!("{cont}tags: {}\n", g.pick(TAGS)));
                        }
                        if g.chance(50) {
                            text.push_str(&format!(
                                "{cont}extra_vars: {{ a: {}, b: {} }}\n",
                                g.pick(JSON),
                                g.pick(JSON)
                            ));
                        } else if g.chance(20) {
                            text.push_str(&format!(
                                "{cont}extra_vars:\n{cont}  k: {}\n",
                                g.pick(JSON)
                            ));
                        }
                    }
                    18 => text.push_str(&format!("{dash}{{ playbook: a.yml, run: b }}\n")),
                    _ => text.push_str(&format!("{dash}playbok: z.yml\n")),
                }
            }
        }
        if g.chance(15) {
            let phase = g.pick(if clean {
                &["dual", "starting"]
            } else {
                &["dual", "starting", "half"]
            });
            let started = g.pick(if clean {
                &["2026-11-22T10:15:00Z", "2026-11-22"]
            } else {
                &["2026-11-22T10:15:00Z", "2026-11-22", "yesterday"]
            });
            if g.chance(50) {
                text.push_str(&format!(
                    "{f}rotation: {{ id: r-1, phase: {phase}, started: {started}, by: alice }}\n"
                ));
            } else {
                text.push_str(&format!(
                    "{f}rotation:\n{f}  id: r-1\n{f}  phase: {phase}\n{f}  started: {started}\n"
                ));
            }
        }
        if g.chance(10) {
            text.push_str(&format!(
                "{f}history:\n{f}  - {{ event: {}, at: 2026-04-02 }}\n",
                g.pick(if clean {
                    &["rotated", "started"]
                } else {
                    &["rotated", "done"]
                })
            ));
        }
        if g.chance(10) {
            text.push('\n');
        }
        t.push_str(&text);
    }
    t
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
    #[test]
    fn reader_agrees_with_serde_saphyr(seed: u64) {
        assert_agrees(&generate(&mut Gen(seed)));
    }

    #[test]
    fn reader_agrees_on_valid_manifests(seed: u64) {
        assert_agrees(&generate_with(&mut Gen(seed), true));
    }
}

#[test]
fn the_generator_makes_valid_and_invalid_manifests() {
    let valid = (0..500)
        .filter(|&seed| assert_agrees(&generate(&mut Gen(seed))))
        .count();
    let clean_valid = (0..500)
        .filter(|&seed| assert_agrees(&generate_with(&mut Gen(seed), true)))
        .count();
    assert!(valid > 20, "only {valid} generated manifests were valid");
    assert!(
        valid < 480,
        "only {} generated manifests were invalid",
        500 - valid
    );
    assert!(
        clean_valid > 100,
        "only {clean_valid} clean manifests were valid"
    );
}

#[test]
fn auto_is_read() {
    let policy = "secrets_manifest:\n  version: 1\n  policies:\n    p: { max_age: 1y, auto: true }\n  secrets:\n    v: { policy: p }\n";
    let secret = "secrets_manifest:\n  version: 1\n  secrets:\n    v:\n      max_age: 1y\n      auto: true\n";
    for case in [policy, secret] {
        assert_agrees(case);
        assert!(ours(case).unwrap().secrets[0].auto, "{case}");
    }
    let off = "secrets_manifest:\n  version: 1\n  policies:\n    p: { max_age: 1y, auto: true }\n  secrets:\n    v: { policy: p, auto: false }\n";
    assert!(!ours(off).unwrap().secrets[0].auto);
}

fn error_of(text: &str) -> String {
    match ours(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(err) => err.strip_prefix(PATH).unwrap_or(&err).to_string(),
    }
}

#[test]
fn tags_aliases_and_merge_keys_are_refused_where_written() {
    let head =
        "secrets_manifest:\n  version: 1\n  policies:\n    p: &p { max_age: 1y }\n  secrets:\n";
    assert_eq!(
        error_of(&format!("{head}    v: {{ policy: !!str p }}\n")),
        ":6:18: a tag (`!!str`) is not read in a manifest; remove it"
    );
    assert_eq!(
        error_of(&format!("{head}    v: *p\n")),
        ":6:8: an alias (`*p`) is not read in a manifest; write the value out"
    );
    assert_eq!(
        error_of(&format!("{head}    v:\n      <<: *p\n")),
        ":7:7: a merge key (`<<`) is not read in a manifest; write the settings out"
    );
    // An anchor alone changes nothing: read.
    assert!(ours(&format!("{head}    v: {{ policy: p }}\n")).is_ok());
}

#[test]
fn plain_scalars_are_typed_as_yaml_1_1_reads_them() {
    let text = "secrets_manifest:\n  version: 1\n  secrets:\n    v:\n      max_age: 1y\n      generate: { external: yes }\n      deploy:\n        - playbook: p.yml\n          extra_vars: { mode: 0755, on: on, n: ~, s: '0755', d: 2026-01-01, f: 1.5, big: 1_000 }\n";
    let manifest = ours(text).unwrap();
    let secret = &manifest.secrets[0];
    assert_eq!(
        secret.generate,
        Some(crate::manifest::Generate::External { instructions: None })
    );
    let crate::manifest::StepAction::Playbook(step) = &secret.deploy[0].action else {
        panic!("{:?}", secret.deploy)
    };
    let vars = serde_json::to_string(&step.extra_vars).unwrap();
    assert_eq!(
        vars,
        r#"{"big":1000,"d":"2026-01-01","f":1.5,"mode":493,"n":null,"on":true,"s":"0755"}"#
    );
    assert_eq!(
        error_of("secrets_manifest:\n  version: \"1\"\n"),
        ":2:12: expected a whole number, found the string `1`"
    );
    assert_eq!(
        error_of(
            "secrets_manifest:\n  version: 1\n  secrets:\n    v: { max_age: 1y, generate: { external: 'true' } }\n"
        ),
        ":4:45: expected `true` or `false`, found the string `true`"
    );
}

#[test]
fn shape_errors_are_one_positioned_line() {
    let cases = [
        (
            "",
            ":1:1: the file is empty; expected a `secrets_manifest:` mapping",
        ),
        ("- a\n", ":1:1: expected a `secrets_manifest:` mapping"),
        (
            "secrets_manifest:\n",
            ":1:18: expected a mapping (`key: value` lines), found nothing",
        ),
        (
            "secrets_manifest:\n  version: 1\n  policies:\n    p: { strategy: dual }\n",
            ":4:8: missing field `max_age`",
        ),
        (
            "secrets_manifest:\n  version: 1\n  secrets:\n    v: { max_age: 1y, verify: { reason: x } }\n",
            ":4:31: verify of `v` is a mapping: the only one allowed is `{skip: true, reason: WHY}`; otherwise list verify steps",
        ),
        (
            "secrets_manifest:\n  version: |\n    1\n    2\n",
            ":2:12: expected a whole number, found the string `1 2 `",
        ),
        (
            "secrets_manifest:\n  version: 1\n  secrets:\n    v: { max_age: [1y] }\n",
            ":4:19: expected a single value (a string), not a list or mapping",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(error_of(text), expected, "{text}");
    }
    let deep = format!(
        "secrets_manifest:\n  version: 1\n  secrets:\n    v: {}{}\n",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    let err = error_of(&deep);
    assert!(err.starts_with(":4:"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
