//! Aliases, merge keys and inline vaults in lists, read as Ansible reads them: the real
//! `ansible` (its `debug` module over `-e @file`) is the reference for every answer.

mod common;

use std::path::Path;

use common::{ansible, clean_command, vaultrot};
use vaultrot::vault::{self, SaltSource, VaultSecret};
use zeroize::Zeroizing;

const PW: &str = "alias pass";

fn seal(plain: &str, pw: &str) -> String {
    let secret = VaultSecret::new("default", Zeroizing::new(pw.as_bytes().to_vec()));
    vault::encrypt(plain.as_bytes(), &secret, &SaltSource::Random).unwrap()
}

/// `!vault |` followed by the vault's lines indented by `indent`.
fn block(plain: &str, indent: usize) -> String {
    let mut out = "!vault |\n".to_string();
    for line in seal(plain, PW).lines() {
        out.push_str(&format!("{}{line}\n", " ".repeat(indent)));
    }
    out
}

/// An anchored vault repeated by an alias, a mapping merged with `<<:` (one key
/// overridden), and an inline vault as a list item.
fn vars_text() -> String {
    format!(
        "base: &base\n  user: app\n  password: {}prod:\n  <<: *base\n  user: produser\ntoken: &tok {}token_copy: *tok\nkeys:\n  - {}  - plain\n",
        block("base-secret", 4),
        block("token-secret", 2),
        block("key-secret", 4),
    )
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), format!("{PW}\n")).unwrap();
    std::fs::write(dir.path().join("vars.yml"), vars_text()).unwrap();
    dir
}

/// What Ansible reads for each of `vars` in `file` (a JSON object), opening vaults with `pw`.
fn ansible_reads(dir: &Path, file: &str, pw: &str, vars: &[&str]) -> serde_json::Value {
    let expr = vars
        .iter()
        .map(|v| format!("'{v}': {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let out = clean_command(&ansible("ansible"), dir)
        .env("ANSIBLE_LOCALHOST_WARNING", "False")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "False")
        .args(["localhost", "-m", "debug", "-a"])
        .arg(format!("msg={{{{ {{{expr}}} }}}}"))
        .args(["--vault-password-file", pw, "-e"])
        .arg(format!("@{file}"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = &stdout[stdout.find("=> ").expect("ansible's result") + 3..];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["msg"].clone()
}

fn vr(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = clean_command(&vaultrot(), dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

const ALL: &[&str] = &["base", "prod", "token", "token_copy", "keys"];

#[test]
fn view_of_aliased_vaults_reads_as_ansible_reads_the_file() {
    let tmp = setup();
    let dir = tmp.path();
    let (ok, shown, stderr) = vr(dir, &["view", "--vault-password-file", "pw", "vars.yml"]);
    assert!(ok, "{stderr}");
    // Decrypted at the anchor, the alias and the merge left as they are.
    assert!(shown.contains("token: &tok token-secret\n"), "{shown}");
    assert!(shown.contains("token_copy: *tok\n"), "{shown}");
    assert!(shown.contains("  <<: *base\n"), "{shown}");
    std::fs::write(dir.join("shown.yml"), &shown).unwrap();
    assert_eq!(
        ansible_reads(dir, "shown.yml", "pw", ALL),
        ansible_reads(dir, "vars.yml", "pw", ALL)
    );
}

#[test]
fn get_finds_keys_from_merges_and_aliases() {
    let tmp = setup();
    let dir = tmp.path();
    let want = ansible_reads(dir, "vars.yml", "pw", ALL);
    let get = |key: &str| {
        let (ok, out, stderr) = vr(
            dir,
            &["get", "--vault-password-file", "pw", "vars.yml", key],
        );
        assert!(ok, "get {key}: {stderr}");
        serde_json::Value::String(out)
    };
    assert_eq!(get("prod.password"), want["prod"]["password"]);
    assert_eq!(get("prod.password"), "base-secret");
    assert_eq!(get("prod.user"), want["prod"]["user"]);
    assert_eq!(get("prod.user"), "produser");
    assert_eq!(get("token_copy"), want["token_copy"]);
    assert_eq!(get("token_copy"), "token-secret");
}

#[test]
fn set_edits_values_at_their_anchor_only() {
    let tmp = setup();
    let dir = tmp.path();
    let before = std::fs::read_to_string(dir.join("vars.yml")).unwrap();

    // Reached through a merge or an alias: refused, naming where the value is defined.
    let (ok, _, stderr) = vr(
        dir,
        &[
            "set",
            "--vault-password-file",
            "pw",
            "vars.yml",
            "prod.password",
            "x",
        ],
    );
    assert!(!ok);
    assert!(
        stderr.contains("`prod.password` comes from &base (line 1)"),
        "{stderr}"
    );
    let (ok, _, stderr) = vr(
        dir,
        &[
            "set",
            "--vault-password-file",
            "pw",
            "vars.yml",
            "token_copy",
            "x",
        ],
    );
    assert!(!ok);
    let tok_line = 1 + before
        .lines()
        .position(|l| l.starts_with("token: &tok"))
        .unwrap();
    assert!(
        stderr.contains(&format!("`token_copy` comes from &tok (line {tok_line})")),
        "{stderr}"
    );
    let (ok, _, stderr) = vr(
        dir,
        &[
            "unset",
            "--vault-password-file",
            "pw",
            "vars.yml",
            "prod.password",
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("comes from &base (line 1)"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("vars.yml")).unwrap(),
        before
    );

    // At the anchor: every merge and alias of it reads the new value, as in Ansible.
    for (key, value) in [("base.password", "new-base"), ("token", "new-token")] {
        let (ok, _, stderr) = vr(
            dir,
            &["set", "--vault-password-file", "pw", "vars.yml", key, value],
        );
        assert!(ok, "set {key}: {stderr}");
    }
    let after = std::fs::read_to_string(dir.join("vars.yml")).unwrap();
    assert!(after.contains("token: &tok !vault |\n"), "{after}");
    assert!(after.contains("token_copy: *tok\n") && after.contains("  <<: *base\n"));
    let read = ansible_reads(dir, "vars.yml", "pw", ALL);
    assert_eq!(read["prod"]["password"], "new-base");
    assert_eq!(read["prod"]["user"], "produser");
    assert_eq!(read["base"]["password"], "new-base");
    assert_eq!(read["token_copy"], "new-token");
    assert_eq!(read["keys"][0], "key-secret");
}

#[test]
fn rekey_of_a_tree_rekeys_a_vault_inside_a_list_in_place() {
    let tmp = setup();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("infra")).unwrap();
    std::fs::rename(dir.join("vars.yml"), dir.join("infra/vars.yml")).unwrap();
    std::fs::write(dir.join("new_pw"), "new pass\n").unwrap();
    let before = std::fs::read_to_string(dir.join("infra/vars.yml")).unwrap();
    let (ok, _, stderr) = vr(
        dir,
        &[
            "rekey",
            "--vault-id",
            "default@pw",
            "--new-vault-id",
            "default@new_pw",
            "infra",
        ],
    );
    assert!(ok, "{stderr}");
    let after = std::fs::read_to_string(dir.join("infra/vars.yml")).unwrap();
    // Only the ciphertext lines changed: every other line stays where and as it was.
    let shape = |t: &str| -> Vec<String> {
        t.lines()
            .map(|l| {
                if l.trim().bytes().all(|c| c.is_ascii_hexdigit()) && !l.trim().is_empty() {
                    "<hex>".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect()
    };
    assert_eq!(shape(&after), shape(&before));
    assert_ne!(after, before);
    let read = ansible_reads(dir, "infra/vars.yml", "new_pw", ALL);
    assert_eq!(read["keys"][0], "key-secret");
    assert_eq!(read["keys"][1], "plain");
    assert_eq!(read["prod"]["password"], "base-secret");
    assert_eq!(read["token_copy"], "token-secret");
}
