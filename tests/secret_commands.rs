//! The secret-level commands (`get`, `set`, `unset`, `ls`, `textconv`) and the
//! inline-aware `view`/`rekey`, checked with the real tools: files that
//! vaultrot wrote or rekeyed are loaded by the real `ansible-playbook`, which
//! sees the intended values, and `get` reads real `encrypt_string` output.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{ansible, clean_command, vaultrot};

const VARS: &str = "\
# Hand-written vars: comments, order and quoting must survive.
app_name: 'demo'   # quoted on purpose
db_user: app

ports: [80, 443]
";

fn run(dir: &Path, program: &Path, args: &[&str]) -> (i32, String, String) {
    let out = clean_command(program, dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn vr(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = run(dir, &vaultrot(), args);
    assert_eq!(code, 0, "vaultrot {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stdout
}

/// `vaultrot set --vault-password-file PW FILE KEY VALUE`, which must succeed.
fn set_value(dir: &Path, password_file: &str, file: &str, key: &str, value: &str) {
    vr(
        dir,
        &[
            "set",
            "--vault-password-file",
            password_file,
            file,
            key,
            value,
        ],
    );
}

/// The value of each variable as a real playbook sees it, vars from `files`.
fn ansible_sees(dir: &Path, password_file: &str, files: &[&str], vars: &[&str]) -> Vec<String> {
    let vars_files = files
        .iter()
        .map(|f| format!("'{f}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let tasks: String = vars
        .iter()
        .map(|v| {
            format!("    - ansible.builtin.copy: {{content: '{{{{ {v} }}}}', dest: 'seen_{v}'}}\n")
        })
        .collect();
    let playbook = format!(
        "- hosts: localhost\n  gather_facts: false\n  connection: local\n  vars_files: [{vars_files}]\n  tasks:\n{tasks}"
    );
    std::fs::write(dir.join("play.yml"), playbook).unwrap();
    std::fs::write(
        dir.join("inventory.yml"),
        "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(
        dir,
        &ansible("ansible-playbook"),
        &[
            "-i",
            "inventory.yml",
            "--vault-password-file",
            password_file,
            "play.yml",
        ],
    );
    assert_eq!(code, 0, "ansible-playbook failed:\n{stdout}\n{stderr}");
    vars.iter()
        .map(|v| std::fs::read_to_string(dir.join(format!("seen_{v}"))).unwrap())
        .collect()
}

#[test]
fn set_get_unset_on_a_vars_file_keep_every_other_byte_and_ansible_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("pw"), "test-password\n").unwrap();
    std::fs::write(d.join("vars.yml"), VARS).unwrap();

    set_value(d, "pw", "vars.yml", "db_password", "s3cret: yes");
    vr(
        d,
        &[
            "set",
            "--vault-password-file",
            "pw",
            "vars.yml",
            "api_token",
            "--generate",
            "--length",
            "24",
        ],
    );
    let text = std::fs::read_to_string(d.join("vars.yml")).unwrap();
    assert!(
        text.starts_with(VARS),
        "the hand-written part is untouched:\n{text}"
    );
    assert!(
        text.contains("db_password: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "no plaintext in the file");

    assert_eq!(
        vr(
            d,
            &[
                "get",
                "--vault-password-file",
                "pw",
                "vars.yml",
                "db_password"
            ]
        ),
        "s3cret: yes"
    );
    let token = vr(
        d,
        &[
            "get",
            "--vault-password-file",
            "pw",
            "vars.yml",
            "api_token",
        ],
    );
    assert_eq!(token.len(), 24);
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));

    // Setting the same value again changes no byte (no re-encryption churn).
    let before = std::fs::read(d.join("vars.yml")).unwrap();
    set_value(d, "pw", "vars.yml", "db_password", "s3cret: yes");
    assert_eq!(std::fs::read(d.join("vars.yml")).unwrap(), before);

    // ls shows names and vault state, never values.
    let listing = vr(d, &["ls", "--vault-password-file", "pw", "vars.yml"]);
    assert!(
        listing.contains("db_password")
            && listing.contains("vaulted")
            && listing.contains("app_name")
    );
    assert!(!listing.contains("s3cret") && !listing.contains(&token));

    // The real ansible-playbook decrypts what vaultrot wrote.
    let seen = ansible_sees(
        d,
        "pw",
        &["vars.yml"],
        &["db_password", "api_token", "app_name"],
    );
    assert_eq!(
        seen,
        vec!["s3cret: yes".to_string(), token.clone(), "demo".to_string()]
    );

    // --dry-run names the key, writes nothing, shows no value.
    let (code, stdout, stderr) = run(
        d,
        &vaultrot(),
        &[
            "set",
            "--vault-password-file",
            "pw",
            "--dry-run",
            "vars.yml",
            "db_user",
            "other",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("db_user") && !stderr.contains("other") && !stdout.contains("other"));
    assert_eq!(std::fs::read(d.join("vars.yml")).unwrap(), before);

    vr(
        d,
        &[
            "unset",
            "--vault-password-file",
            "pw",
            "vars.yml",
            "api_token",
        ],
    );
    let after = std::fs::read_to_string(d.join("vars.yml")).unwrap();
    assert!(
        !after.contains("api_token")
            && after.starts_with(VARS)
            && after.contains("db_password: !vault |")
    );
}

#[test]
fn get_reads_real_encrypt_string_output_and_whole_file_vaults() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("pw"), "test-password\n").unwrap();
    let (code, block, stderr) = run(
        d,
        &ansible("ansible-vault"),
        &[
            "encrypt_string",
            "--vault-id",
            "prod@pw",
            "-n",
            "from_ansible",
            "value with spaces",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(d.join("vars.yml"), format!("plain: 1\n{block}")).unwrap();
    assert_eq!(
        vr(
            d,
            &[
                "get",
                "--vault-password-file",
                "pw",
                "vars.yml",
                "from_ansible"
            ]
        ),
        "value with spaces"
    );
    assert!(vr(d, &["ls", "--vault-password-file", "pw", "vars.yml"]).contains("(prod)"));

    // A whole-file vault made by ansible-vault: get/set edit its mapping.
    std::fs::write(
        d.join("vault.yml"),
        "# secrets\nvault_a: one\nvault_b: two\n",
    )
    .unwrap();
    let (code, _, stderr) = run(
        d,
        &ansible("ansible-vault"),
        &["encrypt", "--vault-password-file", "pw", "vault.yml"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        vr(
            d,
            &["get", "--vault-password-file", "pw", "vault.yml", "vault_b"]
        ),
        "two"
    );
    set_value(d, "pw", "vault.yml", "vault_b", "2026");
    let (code, plain, stderr) = run(
        d,
        &ansible("ansible-vault"),
        &[
            "decrypt",
            "--vault-password-file",
            "pw",
            "--output",
            "-",
            "vault.yml",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(plain, "# secrets\nvault_a: one\nvault_b: '2026'\n");
}

#[test]
fn rekey_of_a_tree_reencrypts_inline_values_in_place_and_ansible_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("old"), "old-password\n").unwrap();
    std::fs::write(d.join("new"), "new-password\n").unwrap();
    std::fs::create_dir_all(d.join("tree/host_vars")).unwrap();
    std::fs::write(d.join("tree/host_vars/web.yml"), VARS).unwrap();
    set_value(d, "old", "tree/host_vars/web.yml", "db_password", "pa55");
    std::fs::write(d.join("tree/vault.yml"), "vault_x: ex\n").unwrap();
    vr(
        d,
        &["encrypt", "--vault-password-file", "old", "tree/vault.yml"],
    );
    std::fs::write(d.join("tree/notes.txt"), "not a vault\n").unwrap();

    vr(
        d,
        &[
            "rekey",
            "--vault-password-file",
            "old",
            "--new-vault-password-file",
            "new",
            "tree",
        ],
    );
    let web = std::fs::read_to_string(d.join("tree/host_vars/web.yml")).unwrap();
    assert!(
        web.starts_with(VARS),
        "only the inline block changed:\n{web}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("tree/notes.txt")).unwrap(),
        "not a vault\n"
    );
    let seen = ansible_sees(
        d,
        "new",
        &["tree/host_vars/web.yml", "tree/vault.yml"],
        &["db_password", "vault_x"],
    );
    assert_eq!(seen, vec!["pa55".to_string(), "ex".to_string()]);

    // view of the directory shows the inline value decrypted in place.
    let shown = vr(d, &["view", "--vault-password-file", "new", "tree"]);
    assert!(
        shown.contains("db_password: pa55\n") && shown.contains("vault_x: ex\n"),
        "{shown}"
    );

    // A failure anywhere replaces nothing: the old password no longer opens the tree.
    let before = std::fs::read(d.join("tree/vault.yml")).unwrap();
    let (code, _, stderr) = run(
        d,
        &vaultrot(),
        &[
            "rekey",
            "--vault-password-file",
            "old",
            "--new-vault-password-file",
            "new",
            "tree",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("Decryption failed"), "{stderr}");
    assert_eq!(std::fs::read(d.join("tree/vault.yml")).unwrap(), before);
}

#[test]
fn textconv_shows_plaintext_or_fingerprints_and_never_prompts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("pw"), "test-password\n").unwrap();
    std::fs::write(d.join("vars.yml"), VARS).unwrap();
    set_value(d, "pw", "vars.yml", "db_password", "hunter2");

    let plain = vr(d, &["textconv", "--vault-password-file", "pw", "vars.yml"]);
    assert!(plain.contains("db_password: hunter2"));
    let redacted = vr(
        d,
        &[
            "textconv",
            "--vault-password-file",
            "pw",
            "--redact",
            "vars.yml",
        ],
    );
    assert!(
        !redacted.contains("hunter2") && redacted.contains("db_password: <redacted "),
        "{redacted}"
    );
    set_value(d, "pw", "vars.yml", "db_password", "hunter3");
    let changed = vr(
        d,
        &[
            "textconv",
            "--vault-password-file",
            "pw",
            "--redact",
            "vars.yml",
        ],
    );
    assert_ne!(redacted, changed, "the fingerprint follows the value");

    // No password anywhere: the file as it is, exit 0, no prompt.
    let raw = Command::new(vaultrot())
        .args(["textconv", "vars.yml"])
        .current_dir(d)
        .env("HOME", d)
        .env_remove("ANSIBLE_VAULT_PASSWORD_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(raw.status.success());
    assert_eq!(raw.stdout, std::fs::read(d.join("vars.yml")).unwrap());
}
