//! `vaultrot password-client` as Ansible's vault password client script:
//! the real ansible-playbook and ansible-vault open values with the
//! password of an age-encrypted `.vault-pass.age` through it.

mod common;

use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::Path;

use age::secrecy::ExposeSecret;
use common::{ansible, clean_command, vaultrot};
use vaultrot::vault::{self, SaltSource, VaultSecret};
use zeroize::Zeroizing;

const PASSWORD: &str = "correct horse battery staple";

/// An age identity file in `dir`, and `.vault-pass.age` holding PASSWORD for it.
fn age_setup(dir: &Path) -> std::path::PathBuf {
    let identity = age::x25519::Identity::generate();
    let id_path = dir.join("age-identity.txt");
    std::fs::write(
        &id_path,
        format!("{}\n", identity.to_string().expose_secret()),
    )
    .unwrap();
    let recipient = identity.to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut sealed = Vec::new();
    let mut writer = encryptor.wrap_output(&mut sealed).unwrap();
    writer
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    writer.finish().unwrap();
    std::fs::write(dir.join(".vault-pass.age"), sealed).unwrap();
    id_path
}

fn inline(key: &str, plain: &str) -> String {
    let secret = VaultSecret::new("default", Zeroizing::new(PASSWORD.as_bytes().to_vec()));
    let text = vault::encrypt(plain.as_bytes(), &secret, &SaltSource::Random).unwrap();
    let mut out = format!("{key}: !vault |\n");
    for line in text.lines() {
        out.push_str(&format!("          {line}\n"));
    }
    out
}

#[test]
fn ansible_playbook_opens_values_through_the_client_link() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id_path = age_setup(d);
    let client = d.join("vaultrot-client");
    symlink(vaultrot(), &client).unwrap();
    std::fs::create_dir_all(d.join("group_vars/all")).unwrap();
    std::fs::write(
        d.join("group_vars/all/vault.yml"),
        inline("db_password", "s3cret-value"),
    )
    .unwrap();
    std::fs::write(d.join("inventory"), "localhost ansible_connection=local\n").unwrap();
    std::fs::write(
        d.join("site.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - assert:\n        that: db_password == 's3cret-value'\n        quiet: true\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("playbooks")).unwrap();

    let out = clean_command(&ansible("ansible-playbook"), d)
        .args(["-i", "inventory", "site.yml", "--vault-id"])
        .arg(format!("default@{}", client.display()))
        .env("VAULTROT_AGE_IDENTITY", &id_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains(PASSWORD));

    // From a subdirectory the client finds the age file upwards.
    let out = clean_command(&vaultrot(), &d.join("playbooks"))
        .args(["password-client", "--vault-id", "default"])
        .env("VAULTROT_AGE_IDENTITY", &id_path)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, format!("{PASSWORD}\n").as_bytes());
}

#[test]
fn an_unknown_vault_id_is_reported_to_ansible_as_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id_path = age_setup(d);
    let client = d.join("vaultrot-client");
    symlink(vaultrot(), &client).unwrap();
    std::fs::write(d.join("vault.yml"), inline("x", "y")).unwrap();
    let out = clean_command(&ansible("ansible-vault"), d)
        .args(["view", "vault.yml", "--vault-id"])
        .arg(format!("prod@{}", client.display()))
        .env("VAULTROT_AGE_IDENTITY", &id_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("did not find a secret for vault-id=prod"),
        "{stderr}"
    );
    assert!(stderr.contains(".vault-pass.prod.age"), "{stderr}");
}
