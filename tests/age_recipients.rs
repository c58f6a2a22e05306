//! `vaultrot recipients`: adding and removing age recipients re-encrypts
//! the vault password file so exactly the listed identities open it.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use common::{clean_command, vaultrot};

const PASSWORD: &str = "kx7-vault-pw-q2";

struct Person {
    identity: age::x25519::Identity,
    file: PathBuf,
}

fn person(dir: &Path, name: &str) -> Person {
    let identity = age::x25519::Identity::generate();
    let file = dir.join(format!("{name}.key"));
    std::fs::write(&file, format!("{}\n", identity.to_string().expose_secret())).unwrap();
    Person { identity, file }
}

fn public(p: &Person) -> String {
    p.identity.to_public().to_string()
}

fn opens(p: &Person, age_file: &Path) -> Option<String> {
    let data = std::fs::read(age_file).unwrap();
    let decryptor = age::Decryptor::new(&data[..]).ok()?;
    let mut reader = decryptor
        .decrypt(std::iter::once(&p.identity as &dyn age::Identity))
        .ok()?;
    let mut out = String::new();
    reader.read_to_string(&mut out).unwrap();
    Some(out)
}

fn vr(dir: &Path, who: &Person, args: &[&str]) -> std::process::Output {
    let out = clean_command(&vaultrot(), dir)
        .args(args)
        .env("VAULTROT_AGE_IDENTITY", &who.file)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn add_and_remove_re_encrypt_the_password_file_to_exactly_the_listed_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let alice = person(d, "alice");
    let bob = person(d, "bob");
    let age_file = d.join(".vault-pass.age");
    let recipient = alice.identity.to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut sealed = Vec::new();
    let mut w = encryptor.wrap_output(&mut sealed).unwrap();
    w.write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    w.finish().unwrap();
    std::fs::write(&age_file, sealed).unwrap();

    // Without a recipients file the current set is unknown: refused, nothing written.
    let out = vr(d, &alice, &["recipients", "add", &public(&bob)]);
    assert!(!out.status.success());
    assert!(opens(&bob, &age_file).is_none());

    std::fs::write(
        d.join(".vault-pass.age.recipients"),
        format!("# alice\n{}\n", public(&alice)),
    )
    .unwrap();
    let out = vr(
        d,
        &alice,
        &["recipients", "add", "--comment", "bob", &public(&bob)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        opens(&alice, &age_file).as_deref(),
        Some("kx7-vault-pw-q2\n")
    );
    assert_eq!(opens(&bob, &age_file).as_deref(), Some("kx7-vault-pw-q2\n"));
    let ls = vr(d, &bob, &["recipients", "ls"]);
    assert_eq!(
        String::from_utf8_lossy(&ls.stdout),
        format!("# alice\n{}\n# bob\n{}\n", public(&alice), public(&bob))
    );

    let out = vr(d, &bob, &["recipients", "remove", &public(&alice)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("rotate it"), "{stderr}");
    assert!(opens(&alice, &age_file).is_none(), "alice locked out");
    assert_eq!(opens(&bob, &age_file).as_deref(), Some("kx7-vault-pw-q2\n"));
    assert!(!stderr.contains(PASSWORD));

    // The last recipient cannot be removed.
    let out = vr(d, &bob, &["recipients", "remove", &public(&bob)]);
    assert!(!out.status.success());
    assert!(opens(&bob, &age_file).is_some());
}
