//! `vaultrot rotate-password`, end to end: an infra with 30 whole-file
//! vaults, 200 inline values under `default` and 10 under `prod`, and an
//! age-encrypted password file with two recipients. The run is killed
//! (SIGKILL, through the test-only `VAULTROT_CRASH_AFTER_WRITE` hook) after
//! each of its writes in turn and run again until it finishes; after every
//! kill each file opens with the old or the new password. Then the real
//! ansible-playbook opens every value through `password-client`.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;

use age::secrecy::ExposeSecret;
use common::{ansible, clean_command, vaultrot};
use vaultrot::vault::{self, DecryptOptions, SaltSource, VaultSecret};
use zeroize::Zeroizing;

const OLD: &str = "old vault password";
const PROD: &str = "prod password";
const WHOLE: usize = 30;
const INLINE_FILES: usize = 20;
const PER_FILE: usize = 10;
const NOW: &str = "2026-06-01T10:00:00Z";

fn secret(label: &str, pw: &str) -> VaultSecret {
    VaultSecret::new(label, Zeroizing::new(pw.as_bytes().to_vec()))
}

fn encrypt(label: &str, pw: &str, plain: &str) -> String {
    vault::encrypt(plain.as_bytes(), &secret(label, pw), &SaltSource::Random).unwrap()
}

fn block(key: &str, vault_text: &str) -> String {
    let mut out = format!("{key}: !vault |\n");
    for line in vault_text.lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

struct Identity {
    path: PathBuf,
    public: String,
    identity: age::x25519::Identity,
}

fn identity(dir: &Path, name: &str) -> Identity {
    let identity = age::x25519::Identity::generate();
    let path = dir.join(format!("{name}.txt"));
    std::fs::write(&path, format!("{}\n", identity.to_string().expose_secret())).unwrap();
    Identity {
        path,
        public: identity.to_public().to_string(),
        identity,
    }
}

fn age_open(file: &Path, who: &Identity) -> Option<String> {
    let data = std::fs::read(file).unwrap();
    let decryptor = age::Decryptor::new_buffered(&data[..]).ok()?;
    let mut reader = decryptor
        .decrypt(std::iter::once(&who.identity as &dyn age::Identity))
        .ok()?;
    let mut out = String::new();
    reader.read_to_string(&mut out).ok()?;
    Some(out.trim().to_string())
}

struct Infra {
    dir: tempfile::TempDir,
    alice: Identity,
    bob: Identity,
    /// Every prod value's vault text, as written.
    prod: Vec<(PathBuf, String)>,
}

impl Infra {
    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn new() -> Infra {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let alice = identity(d, "alice");
        let bob = identity(d, "bob");
        std::fs::write(d.join("ansible.cfg"), "[defaults]\n").unwrap();
        std::fs::create_dir_all(d.join("group_vars/all")).unwrap();
        std::fs::create_dir_all(d.join("vars")).unwrap();
        std::fs::write(
            d.join("group_vars/all/_secrets_manifest.yml"),
            "secrets_manifest:\n  version: 1\n  defaults:\n    changelog: CHANGELOG.md\n  policies:\n    vault_password:\n      max_age: 1y\n  vault_passwords:\n    default:                      # 1.1 files and unlabelled 1.2\n      store: { age_file: .vault-pass.age }\n      policy: vault_password\n      last_rotation: 2025-01-10\n      owner: platform-team\n",
        )
        .unwrap();
        std::fs::write(
            d.join(".vault-pass.age.recipients"),
            format!("# alice\n{}\n# bob\n{}\n", alice.public, bob.public),
        )
        .unwrap();
        let recipients: Vec<age::x25519::Recipient> = [&alice, &bob]
            .iter()
            .map(|i| i.public.parse().unwrap())
            .collect();
        let encryptor =
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .unwrap();
        let mut sealed = Vec::new();
        let mut writer = encryptor.wrap_output(&mut sealed).unwrap();
        writer.write_all(format!("{OLD}\n").as_bytes()).unwrap();
        writer.finish().unwrap();
        std::fs::write(d.join(".vault-pass.age"), sealed).unwrap();
        std::fs::write(d.join("prod-pass"), format!("{PROD}\n")).unwrap();

        for i in 0..WHOLE {
            std::fs::write(
                d.join(format!("vars/whole{i:02}.yml")),
                encrypt("default", OLD, &format!("whole_{i}: w{i}-value\n")),
            )
            .unwrap();
        }
        let mut prod = Vec::new();
        for j in 0..INLINE_FILES {
            let path = d.join(format!("vars/inline{j:02}.yml"));
            let mut text = format!("# inline values, file {j}\nplain_{j}: not secret\n");
            for k in 0..PER_FILE {
                text.push_str(&block(
                    &format!("inl_{j}_{k}"),
                    &encrypt("default", OLD, &format!("i{j}-{k}-value")),
                ));
            }
            if j < 10 {
                let vault_text = encrypt("prod", PROD, &format!("p{j}-value"));
                text.push_str(&block(&format!("prod_{j}"), &vault_text));
                prod.push((path.clone(), block(&format!("prod_{j}"), &vault_text)));
            }
            std::fs::write(&path, text).unwrap();
        }
        Infra {
            dir,
            alice,
            bob,
            prod,
        }
    }

    fn vaultrot(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = clean_command(&vaultrot(), self.root());
        cmd.env("VAULTROT_AGE_IDENTITY", &self.alice.path)
            .env("VAULTROT_NOW", NOW)
            .env_remove("VAULTROT_MANIFEST")
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Every vault under `default`: (file, vault text). With `first_only`,
    /// one per file (a file is rewritten whole).
    fn default_vaults(&self, first_only: bool) -> Vec<(PathBuf, String)> {
        let mut out = Vec::new();
        for i in 0..WHOLE {
            let p = self.root().join(format!("vars/whole{i:02}.yml"));
            out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
        }
        for j in 0..INLINE_FILES {
            let p = self.root().join(format!("vars/inline{j:02}.yml"));
            let doc = vaultrot::yaml::Doc::parse(&std::fs::read_to_string(&p).unwrap()).unwrap();
            for inline in doc.inline_vaults() {
                if inline.label.is_none() {
                    out.push((p.clone(), inline.vault_text.clone()));
                    if first_only {
                        break;
                    }
                }
            }
        }
        out
    }
}

fn opens(text: &str, password: &str) -> bool {
    vault::decrypt(
        text.as_bytes(),
        &[secret("default", password)],
        DecryptOptions::default(),
    )
    .is_ok()
}

fn pending_password(infra: &Infra) -> Option<String> {
    let pending = infra.root().join(".vault-pass.age.pending");
    pending
        .exists()
        .then(|| age_open(&pending, &infra.alice).unwrap())
}

#[test]
fn rotate_password_killed_at_every_write_finishes_with_one_new_password() {
    let infra = Infra::new();
    let d = infra.root();
    let before = infra.vaultrot(&["check-age", "--now", "2026-06-01"], &[]);
    assert_eq!(
        before.status.code(),
        Some(1),
        "an overdue vault password fails check-age: {}",
        String::from_utf8_lossy(&before.stdout)
    );
    assert!(String::from_utf8_lossy(&before.stdout).contains("vault_password.default"));

    // Kill the run after its 1st write, run again, kill after its 1st write,
    // ... : every write point is a kill point once.
    let mut new_password: Option<String> = None;
    let mut kills = 0;
    let mut checked_mid_rotation = false;
    loop {
        let out = infra.vaultrot(
            &["rotate-password", "default"],
            &[("VAULTROT_CRASH_AFTER_WRITE", "1")],
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            stderr.contains("test crash after write 1"),
            "run {kills} failed: {stderr}"
        );
        kills += 1;
        // Killed right after its last write (closing the manifest record):
        // the rotation is done.
        let manifest =
            std::fs::read_to_string(d.join("group_vars/all/_secrets_manifest.yml")).unwrap();
        if manifest.contains("event: rotated") {
            break;
        }
        assert!(kills < 200, "rotate-password does not converge");
        // The new password never changes once chosen, and is never plaintext on disk.
        if let Some(p) = pending_password(&infra) {
            match &new_password {
                Some(n) => assert_eq!(&p, n, "a resumed run changed the new password"),
                None => new_password = Some(p),
            }
        }
        let store = age_open(&d.join(".vault-pass.age"), &infra.alice).unwrap();
        let candidates: Vec<&str> = [Some(OLD), new_password.as_deref(), Some(store.as_str())]
            .into_iter()
            .flatten()
            .collect();
        for (path, text) in infra.default_vaults(true) {
            assert!(
                candidates.iter().any(|p| opens(&text, p)),
                "after kill {kills}, {} opens with neither password",
                path.display()
            );
        }
        // Halfway, while the rotation is open, vaultrot's own readers try
        // both passwords: lint passes and view opens either kind of file.
        if !checked_mid_rotation && kills == 20 {
            checked_mid_rotation = true;
            let env = [(
                "ANSIBLE_VAULT_IDENTITY_LIST",
                "default@.vault-pass.age,prod@prod-pass",
            )];
            let status = infra.vaultrot(&["status"], &[]);
            let status = String::from_utf8_lossy(&status.stdout);
            assert!(
                status.contains("vault_password.default")
                    && status.contains("next: vaultrot rotate-password default (resume)"),
                "status lists the open vault-password rotation: {status}"
            );
            let lint = infra.vaultrot(&["lint"], &env);
            assert!(
                lint.status.success(),
                "lint during an open rotation: {}{}",
                String::from_utf8_lossy(&lint.stdout),
                String::from_utf8_lossy(&lint.stderr)
            );
            for file in ["vars/whole00.yml", "vars/whole29.yml", "vars/inline19.yml"] {
                let view = infra.vaultrot(&["view", file], &env);
                assert!(
                    view.status.success(),
                    "view {file}: {}",
                    String::from_utf8_lossy(&view.stderr)
                );
            }
        }
    }
    assert!(kills > WHOLE + INLINE_FILES, "only {kills} write points");
    assert!(checked_mid_rotation);
    assert!(!d.join(".vault-pass.age.pending").exists());

    // Both recipients open the new password file; it is the one the run chose.
    let new = age_open(&d.join(".vault-pass.age"), &infra.alice).unwrap();
    assert_eq!(
        age_open(&d.join(".vault-pass.age"), &infra.bob).unwrap(),
        new
    );
    assert_eq!(Some(&new), new_password.as_ref());
    assert_ne!(new, OLD);
    for (path, text) in infra.default_vaults(false) {
        assert!(
            opens(&text, &new),
            "{} does not open with the new password",
            path.display()
        );
        assert!(
            !opens(&text, OLD),
            "{} still opens with the old password",
            path.display()
        );
    }
    // prod values: byte-identical.
    for (path, original) in &infra.prod {
        assert!(
            std::fs::read_to_string(path).unwrap().contains(original),
            "{} changed a prod value",
            path.display()
        );
    }

    // The rotation is recorded: manifest, CHANGELOG, check-age.
    let manifest = std::fs::read_to_string(d.join("group_vars/all/_secrets_manifest.yml")).unwrap();
    assert!(manifest.contains("last_rotation: 2026-06-01"), "{manifest}");
    assert!(manifest.contains("event: rotated"), "{manifest}");
    assert!(!manifest.contains("rotation:\n"), "{manifest}");
    assert!(manifest.contains("owner: platform-team"), "{manifest}");
    let changelog = std::fs::read_to_string(d.join("CHANGELOG.md")).unwrap();
    assert_eq!(
        changelog.matches("vault_password.default").count(),
        1,
        "{changelog}"
    );
    let after = infra.vaultrot(&["check-age", "--now", "2026-06-01"], &[]);
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stdout)
    );

    // The real ansible-playbook opens every default value through
    // password-client (and prod through its own file).
    // The client link lives outside the infra, as in ~/.local/bin.
    let bin = tempfile::tempdir().unwrap();
    let client = bin.path().join("vaultrot-client");
    symlink(vaultrot(), &client).unwrap();
    let mut vars_files = String::new();
    let mut that = String::new();
    for i in 0..WHOLE {
        vars_files.push_str(&format!("    - vars/whole{i:02}.yml\n"));
        that.push_str(&format!("        - whole_{i} == 'w{i}-value'\n"));
    }
    for j in 0..INLINE_FILES {
        vars_files.push_str(&format!("    - vars/inline{j:02}.yml\n"));
        for k in 0..PER_FILE {
            that.push_str(&format!("        - inl_{j}_{k} == 'i{j}-{k}-value'\n"));
        }
        if j < 10 {
            that.push_str(&format!("        - prod_{j} == 'p{j}-value'\n"));
        }
    }
    std::fs::write(
        d.join("check.yml"),
        format!(
            "- hosts: localhost\n  gather_facts: false\n  vars_files:\n{vars_files}  tasks:\n    - ansible.builtin.assert:\n        quiet: true\n        that:\n{that}"
        ),
    )
    .unwrap();
    let out = clean_command(&ansible("ansible-playbook"), d)
        .env("VAULTROT_AGE_IDENTITY", &infra.bob.path)
        .args(["-i", "localhost,", "-c", "local", "check.yml"])
        .arg("--vault-id")
        .arg(format!("default@{}", client.display()))
        .arg("--vault-id")
        .arg(format!("prod@{}", d.join("prod-pass").display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ansible-playbook: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Removing bob locks him out of the next password.
    let out = infra.vaultrot(&["recipients", "remove", &infra.bob.public], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = infra.vaultrot(&["rotate-password"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("10 values under vault-id prod left unchanged"),
        "{stderr}"
    );
    let next = age_open(&d.join(".vault-pass.age"), &infra.alice).unwrap();
    assert_ne!(next, new);
    assert!(age_open(&d.join(".vault-pass.age"), &infra.bob).is_none());
}

#[test]
fn a_plain_file_store_keeps_its_mode_and_a_command_store_gets_the_password_on_stdin() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ansible.cfg"), "[defaults]\n").unwrap();
    std::fs::create_dir_all(d.join("group_vars/all")).unwrap();
    std::fs::write(d.join("pass.txt"), format!("{OLD}\n")).unwrap();
    std::fs::set_permissions(d.join("pass.txt"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::write(
        d.join("group_vars/all/vault.yml"),
        encrypt("default", OLD, "vault_a: one\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("group_vars/all/other.yml"),
        block("vault_b", &encrypt("stage", OLD, "two")),
    )
    .unwrap();
    let manifest = "secrets_manifest:\n  version: 1\n  vault_passwords:\n    default:\n      store: {file: pass.txt}\n      max_age: 90d\n    stage:\n      store:\n        command: cat > stage-store.txt\n      max_age: 90d\n";
    std::fs::write(d.join("group_vars/all/_secrets_manifest.yml"), manifest).unwrap();
    let run = |args: &[&str], stdin: &str| {
        let mut child = clean_command(&vaultrot(), d)
            .env("VAULTROT_NOW", NOW)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };

    let out = run(
        &["rotate-password", "--stdin", "default"],
        "typed new password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(d.join("pass.txt")).unwrap(),
        "typed new password\n"
    );
    let mode = std::fs::metadata(d.join("pass.txt"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o640);
    let whole = std::fs::read_to_string(d.join("group_vars/all/vault.yml")).unwrap();
    assert!(opens(&whole, "typed new password"));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("1 value under vault-id stage left unchanged")
    );

    // A command store: the current password comes from the user's sources;
    // the new one reaches the command on stdin, never its argv.
    std::fs::write(d.join("stage-pass"), format!("{OLD}\n")).unwrap();
    let before = std::fs::read_to_string(d.join("group_vars/all/vault.yml")).unwrap();
    let out = run(
        &["rotate-password", "--vault-id", "stage@stage-pass", "stage"],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = std::fs::read_to_string(d.join("stage-store.txt")).unwrap();
    let stored = stored.trim_end();
    assert_eq!(stored.len(), 40);
    let other = std::fs::read_to_string(d.join("group_vars/all/other.yml")).unwrap();
    let doc = vaultrot::yaml::Doc::parse(&other).unwrap();
    let text = &doc.inline_vaults()[0].vault_text;
    assert!(
        vault::decrypt(
            text.as_bytes(),
            &[secret("stage", stored)],
            DecryptOptions::default()
        )
        .is_ok()
    );
    assert_eq!(
        std::fs::read_to_string(d.join("group_vars/all/vault.yml")).unwrap(),
        before,
        "the default vault changed"
    );
    assert!(!d.join("group_vars/all/.vault-pass.stage.pending").exists());
}
