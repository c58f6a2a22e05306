//! `rekey` of a directory tree: it covers what Ansible loads (symlinked
//! files by their target, gitignored vars files) and rekeys only the
//! vault-ids a secret was given for, listing the values it leaves alone.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;

use common::{clean_command, vaultrot};
use vaultrot::vault::{self, DecryptOptions, SaltSource, VaultSecret};
use vaultrot::yaml::Doc;
use zeroize::Zeroizing;

fn secret(label: &str, pw: &str) -> VaultSecret {
    VaultSecret::new(label, Zeroizing::new(pw.as_bytes().to_vec()))
}

fn seal(label: &str, pw: &str, plain: &str) -> String {
    vault::encrypt(plain.as_bytes(), &secret(label, pw), &SaltSource::Random).unwrap()
}

fn inline(key: &str, label: &str, pw: &str, plain: &str) -> String {
    let mut out = format!("{key}: !vault |\n");
    for line in seal(label, pw, plain).lines() {
        out.push_str(&format!("          {line}\n"));
    }
    out
}

fn opens(text: &str, pw: &str) -> Option<String> {
    vault::decrypt(
        text.as_bytes(),
        &[secret("any", pw)],
        DecryptOptions::default(),
    )
    .ok()
    .map(|d| String::from_utf8(d.plaintext.to_vec()).unwrap())
}

/// The vault texts of a whole-file vault or a vars file, with their labels.
fn vaults(path: &Path) -> Vec<(Option<String>, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    if vault::is_encrypted(text.as_bytes()) {
        let label = text
            .lines()
            .next()
            .unwrap()
            .split(';')
            .nth(3)
            .map(String::from);
        return vec![(label, text)];
    }
    Doc::parse(&text)
        .unwrap()
        .inline_vaults()
        .into_iter()
        .map(|v| (v.label, v.vault_text))
        .collect()
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn rekey(root: &Path, args: &[&str]) -> std::process::Output {
    std::fs::write(root.join("pw"), "old pass\n").unwrap();
    std::fs::write(root.join("new_pw"), "new pass\n").unwrap();
    let out = clean_command(&vaultrot(), root)
        .arg("rekey")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walk(root)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p.display().to_string(), bytes)
        })
        .collect();
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// An infra holding `default` and `prod` values side by side.
fn mixed_infra(root: &Path) {
    let mut all = String::from("plain: setting\n");
    for i in 0..3 {
        all.push_str(&inline(
            &format!("db_{i}"),
            "default",
            "old pass",
            &format!("d{i}"),
        ));
    }
    all.push_str(&inline("prod_a", "prod", "prod pass", "p-a"));
    all.push_str(&inline("prod_b", "prod", "prod pass", "p-b"));
    write(root, "infra/group_vars/all/vault.yml", &all);
    write(
        root,
        "infra/group_vars/prod/vault.yml",
        &seal("prod", "prod pass", "api: p-c\n"),
    );
    write(
        root,
        "infra/group_vars/web/vault.yml",
        &seal("default", "old pass", "web: d-w\n"),
    );
}

#[test]
fn rekey_of_a_tree_leaves_vault_ids_not_given_byte_identical_and_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    mixed_infra(root);
    let prod_before: Vec<String> = ["all", "prod"]
        .iter()
        .flat_map(|g| vaults(&root.join(format!("infra/group_vars/{g}/vault.yml"))))
        .filter(|(label, _)| label.as_deref() == Some("prod"))
        .map(|(_, text)| text)
        .collect();
    assert_eq!(prod_before.len(), 3);

    let out = rekey(
        root,
        &[
            "--vault-id",
            "default@pw",
            "--new-vault-id",
            "default@new_pw",
            "infra",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("3 values under vault-id prod left unchanged: no secret given for them"),
        "{stderr}"
    );

    let mut default_seen = 0;
    let mut prod_after = Vec::new();
    for g in ["all", "prod", "web"] {
        for (label, text) in vaults(&root.join(format!("infra/group_vars/{g}/vault.yml"))) {
            if label.as_deref() == Some("prod") {
                prod_after.push(text);
            } else {
                default_seen += 1;
                assert!(
                    opens(&text, "new pass").is_some(),
                    "{g}: opens with the new"
                );
                assert!(opens(&text, "old pass").is_none(), "{g}: not with the old");
            }
        }
    }
    assert_eq!(default_seen, 4);
    assert_eq!(prod_after, prod_before, "prod values byte-identical");
}

#[test]
fn a_value_under_a_given_vault_id_that_does_not_open_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    mixed_infra(root);
    write(
        root,
        "infra/host_vars/db1.yml",
        &inline("stray", "default", "some other pass", "x"),
    );
    let before = snapshot(&root.join("infra"));
    let out = rekey(
        root,
        &[
            "--vault-id",
            "default@pw",
            "--new-vault-id",
            "default@new_pw",
            "infra",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("host_vars/db1.yml"), "{stderr}");
    assert_eq!(snapshot(&root.join("infra")), before, "nothing written");
}

#[test]
fn rekey_of_a_tree_follows_symlinked_files_once_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "shared/common_vault.yml",
        &seal("default", "old pass", "shared: s\n"),
    );
    std::fs::create_dir_all(root.join("infra/group_vars/all")).unwrap();
    std::fs::create_dir_all(root.join("infra/group_vars/web")).unwrap();
    // Two links to one target outside the tree: Ansible loads it twice.
    symlink(
        "../../../shared/common_vault.yml",
        root.join("infra/group_vars/all/vault.yml"),
    )
    .unwrap();
    symlink(
        "../../../shared/common_vault.yml",
        root.join("infra/group_vars/web/vault.yml"),
    )
    .unwrap();

    // A dangling link and a loop are nothing Ansible loads: passed over.
    symlink("missing.yml", root.join("infra/group_vars/all/gone.yml")).unwrap();
    symlink("..", root.join("infra/group_vars/web/loop")).unwrap();

    let out = rekey(
        root,
        &[
            "--vault-password-file",
            "pw",
            "--new-vault-password-file",
            "new_pw",
            "infra",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for link in ["all", "web"] {
        let p = root.join(format!("infra/group_vars/{link}/vault.yml"));
        assert!(p.symlink_metadata().unwrap().file_type().is_symlink());
    }
    let text = std::fs::read_to_string(root.join("shared/common_vault.yml")).unwrap();
    assert_eq!(opens(&text, "new pass").as_deref(), Some("shared: s\n"));
}

#[test]
fn rekey_of_a_tree_includes_gitignored_vars_files_ansible_loads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "infra/.gitignore", "*.local.yml\nbuild/\n");
    let vault_text = seal("default", "old pass", "k: v\n");
    write(root, "infra/group_vars/all/db.local.yml", &vault_text);
    write(root, "infra/host_vars/web1.local.yml", &vault_text);
    write(root, "infra/roles/db/vars/main.local.yml", &vault_text);
    // Not something Ansible loads: stays ignored.
    write(root, "infra/build/copy.yml", &vault_text);
    write(root, "infra/notes.local.yml", &vault_text);

    let out = rekey(
        root,
        &[
            "--vault-password-file",
            "pw",
            "--new-vault-password-file",
            "new_pw",
            "infra",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for rekeyed in [
        "group_vars/all/db.local.yml",
        "host_vars/web1.local.yml",
        "roles/db/vars/main.local.yml",
    ] {
        let text = std::fs::read_to_string(root.join("infra").join(rekeyed)).unwrap();
        assert!(opens(&text, "new pass").is_some(), "{rekeyed} rekeyed");
    }
    for ignored in ["build/copy.yml", "notes.local.yml"] {
        let text = std::fs::read_to_string(root.join("infra").join(ignored)).unwrap();
        assert_eq!(text, vault_text, "{ignored} left alone");
    }
}
