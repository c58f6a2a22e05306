//! `vaultrot scan` on a generated git repository: a vault made by the real
//! `ansible-vault`, leaks planted in every encoding, in a file removed in an
//! old commit, in an ignored file, in a log given on the command line, in a
//! blob no ref reaches, and harmless near-misses (a prefix of a value, a
//! different value of the same length, the vault ciphertext itself). Every
//! planted leak must be found with its commit, path and encoding; no
//! near-miss may be reported; no value may appear in any output format.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::{ansible, clean_command, vaultrot};
use serde_json::Value;

const PASSWORD: &str = "scan-test-vault-password";

const TOKEN_OLD: &str = "tok_OLD_5aa1c9d2e7f3";
const TOKEN: &str = "tok_9fQ2xL7mZ4pR8sV1";
const DB: &str = "dbP@ss/word+Xy9z";
const K8S: &str = "b64-Secret-Value-0001";
const WEBHOOK: &str = "u>?s~~s3cr3t??>";
const SIGNING: &str = "hexkey-Value-7788";
const JSONV: &str = "json\"quote\\back-42";
const UNICODE: &str = "geh\u{e9}im-W\u{f6}rt-2026";
const INLINE: &str = "inline-Only-Secret-9";
const IGNORED: &str = "ignored-File-Secret-3";
const LOGV: &str = "log+Secret/Value=77";
const DANGLING: &str = "dangling-Blob-Secret-5";
const STAGED: &str = "staged-Only-Secret-8";
const SHORT: &str = "abc123";

const ALL: &[&str] = &[
    TOKEN_OLD, TOKEN, DB, K8S, WEBHOOK, SIGNING, JSONV, UNICODE, INLINE, IGNORED, LOGV, DANGLING,
    STAGED,
];

fn vault_plaintext(token: &str) -> String {
    format!(
        "# the deployment's secrets\n\
         vault_api_token: {token}\n\
         vault_db_password: '{DB}'\n\
         vault_k8s_secret: {K8S}\n\
         vault_webhook_secret: '{WEBHOOK}'\n\
         vault_signing_key: {SIGNING}\n\
         vault_json_secret: '{JSONV}'\n\
         vault_unicode_secret: {UNICODE}\n\
         vault_ignored_secret: {IGNORED}\n\
         vault_log_secret: '{LOGV}'\n\
         vault_dangling_secret: {DANGLING}\n\
         vault_staged_secret: {STAGED}\n\
         vault_short: {SHORT}\n"
    )
}

fn b64(data: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}
const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Ciphertexts made once by the real ansible-vault (v1 and v2 of the vault, an inline value).
struct Ciphertexts {
    vault_v1: String,
    vault_v2: String,
    inline: String,
}

fn ciphertexts() -> &'static Ciphertexts {
    static CELL: OnceLock<Ciphertexts> = OnceLock::new();
    CELL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, PASSWORD).unwrap();
        let encrypt = |plain: &str| {
            let file = dir.path().join("v.yml");
            std::fs::write(&file, plain).unwrap();
            let out = clean_command(&ansible("ansible-vault"), dir.path())
                .args(["encrypt", "--vault-password-file"])
                .arg(&pw)
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::read_to_string(&file).unwrap()
        };
        let out = clean_command(&ansible("ansible-vault"), dir.path())
            .args(["encrypt_string", "--vault-password-file"])
            .arg(&pw)
            .args([INLINE, "--name", "vault_inline_secret"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ciphertexts {
            vault_v1: encrypt(&vault_plaintext(TOKEN_OLD)),
            vault_v2: encrypt(&vault_plaintext(TOKEN)),
            inline: String::from_utf8(out.stdout).unwrap(),
        }
    })
}

struct Fixture {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    password_file: PathBuf,
    log: PathBuf,
    commits: Vec<String>,
}

fn git(repo: &Path, args: &[&str], when: usize) -> String {
    let date = format!("2026-01-01T{:02}:{:02}:00Z", when / 60, when % 60);
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", repo)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn write(repo: &Path, path: &str, text: &str) {
    let path = repo.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Commits all and returns the new commit id.
fn commit(repo: &Path, message: &str, when: usize) -> String {
    git(repo, &["add", "-A"], when);
    git(repo, &["commit", "-q", "-m", message], when);
    git(repo, &["rev-parse", "HEAD"], when)
}

fn fixture() -> Fixture {
    let c = ciphertexts();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let password_file = tmp.path().join("vault-pass.txt");
    std::fs::write(&password_file, PASSWORD).unwrap();
    git(&repo, &["init", "-q", "-b", "main"], 0);

    let mut commits = Vec::new();
    write(&repo, "group_vars/all/vault.yml", &c.vault_v1);
    write(
        &repo,
        "group_vars/all/vars.yml",
        &format!("app_name: demo\n{}\n", c.inline.trim_end()),
    );
    write(&repo, ".gitignore", "*.local\n");
    write(&repo, "README.md", "# infra\n");
    commits.push(commit(&repo, "initial vault", 1)); // 0

    write(
        &repo,
        "debug/dump.txt",
        &format!("debugging the db\npassword={DB}\n"),
    );
    commits.push(commit(&repo, "debug dump", 2)); // 1
    std::fs::remove_dir_all(repo.join("debug")).unwrap();
    write(
        &repo,
        "notes/old-token.md",
        &format!("# notes\n\nthe token was {TOKEN_OLD} until the rotation\n"),
    );
    commits.push(commit(&repo, "remove dump, add notes", 3)); // 2
    for i in 0..20 {
        write(&repo, "filler.txt", &format!("line {i}\n"));
        commits.push(commit(&repo, &format!("filler {i}"), 4 + i));
    }
    write(&repo, "group_vars/all/vault.yml", &c.vault_v2);
    commits.push(commit(&repo, "rotate the api token", 30)); // 23

    write(&repo, ".env", &format!("# local env\nAPI_TOKEN={TOKEN}\n"));
    write(
        &repo,
        "k8s/secret.yml",
        &format!(
            "kind: Secret\ndata:\n  a: {}\n  b: {}\n  c: {}\n",
            b64(K8S.as_bytes(), STD),
            b64(format!("x{K8S}").as_bytes(), STD),
            b64(format!("xy{K8S}").as_bytes(), STD)
        ),
    );
    write(
        &repo,
        "config/webhook.env",
        &format!("WEBHOOK={}\n", b64(WEBHOOK.as_bytes(), URL)),
    );
    write(
        &repo,
        "config/database.url",
        &format!("postgres://app:{}@db.internal/app\n", url_encode(DB)),
    );
    // The same bytes at a second path: one blob, two places to clean.
    write(
        &repo,
        "deploy/database.url",
        &format!("postgres://app:{}@db.internal/app\n", url_encode(DB)),
    );
    write(
        &repo,
        "keys/signing.hex",
        &format!("{}\n", const_hex::encode(SIGNING)),
    );
    write(
        &repo,
        "app/settings.json",
        "{\n  \"secret\": \"json\\\"quote\\\\back-42\"\n}\n",
    );
    write(
        &repo,
        "app/dump.yml",
        "secret: \"geh\\xE9im-W\\xF6rt-2026\"\n",
    );
    write(&repo, "backup/vault-plain.yml", &vault_plaintext(TOKEN));
    // Near-misses: none of these may be reported.
    write(&repo, "near/prefix.txt", &format!("{}\n", &TOKEN[..14]));
    write(&repo, "near/same-length.txt", "tok_AAAAbbbbCCCCdddd\n");
    write(&repo, "near/vault-copy.yml", &c.vault_v2);
    write(
        &repo,
        "near/README.md",
        &format!(
            "The vault looks like this:\n\n```\n{}```\n\nand an inline value:\n\n```yaml\n{}```\n",
            c.vault_v2, c.inline
        ),
    );
    commits.push(commit(&repo, "app config", 31)); // 24

    // A blob only a deleted branch held: no ref reaches it.
    git(&repo, &["checkout", "-q", "-b", "oops"], 32);
    write(&repo, "oops.txt", &format!("{DANGLING}\n"));
    commit(&repo, "oops", 32);
    git(&repo, &["checkout", "-q", "main"], 33);
    git(&repo, &["branch", "-q", "-D", "oops"], 33);

    // Ignored by .gitignore, never committed.
    write(&repo, "secrets.local", &format!("{IGNORED}\n"));

    let log = tmp.path().join("ci.log");
    std::fs::write(
        &log,
        format!(
            "step 1 ok\nstep 2 ok\ncalling https://hooks.example.invalid/?key={}\n",
            url_encode(LOGV)
        ),
    )
    .unwrap();
    Fixture {
        _tmp: tmp,
        repo,
        password_file,
        log,
        commits,
    }
}

impl Fixture {
    fn scan(&self, args: &[&str]) -> (i32, String, String) {
        let out = clean_command(&vaultrot(), &self.repo)
            .arg("scan")
            .arg("--vault-password-file")
            .arg(&self.password_file)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{stderr}");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        )
    }

    fn findings(&self, args: &[&str]) -> Vec<Value> {
        let mut full = vec!["--format", "json"];
        full.extend_from_slice(args);
        let (code, stdout, stderr) = self.scan(&full);
        assert_eq!(code, 1, "{stdout}{stderr}");
        let doc: Value = serde_json::from_str(&stdout).unwrap();
        doc["findings"].as_array().unwrap().clone()
    }
}

fn has(
    findings: &[Value],
    secret: &str,
    source: &str,
    path: &str,
    encoding: &str,
) -> Option<Value> {
    findings
        .iter()
        .find(|f| {
            f["secret"] == secret
                && f["source"] == source
                && f["path"] == path
                && f["encoding"] == encoding
        })
        .cloned()
}

fn expect(findings: &[Value], secret: &str, source: &str, path: &str, encoding: &str) -> Value {
    has(findings, secret, source, path, encoding).unwrap_or_else(|| {
        panic!(
            "missing {secret} {source} {path} {encoding} in\n{}",
            serde_json::to_string_pretty(findings).unwrap()
        )
    })
}

/// No value of the vault, in any encoding vaultrot searches for, appears in `text`.
fn assert_no_value(text: &str, what: &str) {
    for value in ALL {
        for (encoding, pattern) in vaultrot::scan::encode::patterns(value.as_bytes()) {
            assert!(
                !text
                    .as_bytes()
                    .windows(pattern.len())
                    .any(|w| w == &pattern[..]),
                "{what}: a value appears ({encoding})"
            );
        }
    }
}

#[test]
fn every_planted_leak_is_found_and_no_near_miss() {
    let f = fixture();
    let found = f.findings(&["--history"]);
    let c = &f.commits;

    // Work tree, every encoding.
    let env = expect(&found, "vault_api_token", "work-tree", ".env", "raw");
    assert_eq!(env["line"], 2);
    assert_eq!(env["value"], "current");
    assert_eq!(env["introduced"], c[24].as_str());
    for line in [3, 4, 5] {
        assert!(
            found.iter().any(|x| x["secret"] == "vault_k8s_secret"
                && x["source"] == "work-tree"
                && x["path"] == "k8s/secret.yml"
                && x["encoding"] == "base64"
                && x["line"] == line),
            "base64 alignment on line {line}"
        );
    }
    assert_ne!(b64(WEBHOOK.as_bytes(), URL), b64(WEBHOOK.as_bytes(), STD));
    expect(
        &found,
        "vault_webhook_secret",
        "work-tree",
        "config/webhook.env",
        "base64url",
    );
    expect(
        &found,
        "vault_db_password",
        "work-tree",
        "config/database.url",
        "url-encoded",
    );
    expect(
        &found,
        "vault_signing_key",
        "work-tree",
        "keys/signing.hex",
        "hex",
    );
    expect(
        &found,
        "vault_json_secret",
        "work-tree",
        "app/settings.json",
        "json-escaped",
    );
    expect(
        &found,
        "vault_unicode_secret",
        "work-tree",
        "app/dump.yml",
        "yaml-escaped",
    );
    // A vault file in plaintext is a finding.
    expect(
        &found,
        "vault_api_token",
        "work-tree",
        "backup/vault-plain.yml",
        "raw",
    );
    // A previous value (from the vault's own history) still lying around.
    let old = expect(
        &found,
        "vault_api_token",
        "work-tree",
        "notes/old-token.md",
        "raw",
    );
    assert_eq!(old["value"], "previous");
    assert_ne!(old["fingerprint"], env["fingerprint"]);

    // History: a file removed in an old commit, with the commit that introduced it.
    let dump = expect(
        &found,
        "vault_db_password",
        "history",
        "debug/dump.txt",
        "raw",
    );
    assert_eq!(dump["commit"], c[1].as_str());
    assert_eq!(dump["introduced"], c[1].as_str());
    assert_eq!(dump["line"], 2);
    assert_eq!(dump["reachable"], true);
    let notes = expect(
        &found,
        "vault_api_token",
        "history",
        "notes/old-token.md",
        "raw",
    );
    assert_eq!(notes["commit"], c[2].as_str());
    assert_eq!(notes["value"], "previous");
    // A blob no ref reaches any more.
    let dangling = found
        .iter()
        .find(|x| x["secret"] == "vault_dangling_secret" && x["source"] == "history")
        .expect("the unreachable blob");
    assert_eq!(dangling["reachable"], false);
    assert!(dangling["path"].as_str().unwrap().starts_with("<blob "));

    // The log given on the command line: only that file is searched.
    let from_log = f.findings(&[f.log.to_str().unwrap()]);
    assert_eq!(from_log.len(), 1, "{from_log:?}");
    assert_eq!(from_log[0]["secret"], "vault_log_secret");
    assert_eq!(from_log[0]["source"], "file");
    assert_eq!(from_log[0]["encoding"], "url-encoded");
    assert_eq!(from_log[0]["line"], 3);

    // The ignored file: only with --no-ignore.
    assert!(
        has(
            &found,
            "vault_ignored_secret",
            "work-tree",
            "secrets.local",
            "raw"
        )
        .is_none()
    );

    // Near-misses and the vault files themselves are never findings.
    for x in &found {
        let path = x["path"].as_str().unwrap();
        assert!(
            !path.starts_with("near/") && !path.starts_with("group_vars/"),
            "near-miss reported: {x}"
        );
    }
    // A short value is listed as unscannable, not searched.
    let (_, stdout, _) = f.scan(&["--format", "json"]);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        doc["unscannable"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "vault_short")
    );
    // Without --history nothing comes from history.
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["source"] != "history")
    );
}

#[test]
fn no_ignore_includes_ignored_files() {
    let f = fixture();
    let found = f.findings(&["--no-ignore"]);
    expect(
        &found,
        "vault_ignored_secret",
        "work-tree",
        "secrets.local",
        "raw",
    );
}

#[test]
fn no_value_appears_in_any_format() {
    let f = fixture();
    let log = f.log.to_str().unwrap();
    for format in ["table", "json", "sarif", "github"] {
        let (code, stdout, stderr) = f.scan(&["--history", "--no-ignore", "--format", format, log]);
        assert_eq!(code, 1, "{format}: {stderr}");
        assert_no_value(&stdout, format);
        assert_no_value(&stderr, format);
        assert!(stdout.contains("vault_api_token"), "{format}: {stdout}");
    }
    let (_, sarif, _) = f.scan(&["--history", "--format", "sarif"]);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".env"
            && r["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
            && r["ruleId"] == "vaultrot/leaked-vault-value"
    }));
    let (_, table, _) = f.scan(&[]);
    assert!(
        table.contains("vaultrot rotate vault_api_token --compromised --reason \"found in "),
        "{table}"
    );
    let (_, github, _) = f.scan(&["--format", "github"]);
    assert!(github.contains("::error file=.env,line=2,"), "{github}");
}

#[test]
fn staged_scans_the_index_only() {
    let f = fixture();
    write(&f.repo, "staged.txt", &format!("{STAGED}\n"));
    git(&f.repo, &["add", "staged.txt"], 40);
    write(&f.repo, "unstaged.txt", &format!("{STAGED}\n"));
    let found = f.findings(&["--staged"]);
    expect(&found, "vault_staged_secret", "staged", "staged.txt", "raw");
    assert!(found.iter().all(|x| x["source"] == "staged"));
    assert!(found.iter().all(|x| x["path"] != "unstaged.txt"));
}

#[test]
fn accepted_findings_need_a_reason_and_are_not_reported() {
    let f = fixture();
    let (_, stdout, _) = f.scan(&["--format", "json"]);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let token_fp = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["path"] == ".env")
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();

    write(&f.repo, ".vaultrot-scan-ignore", "path k8s/**\n");
    let (code, _, stderr) = f.scan(&[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(".vaultrot-scan-ignore:1: missing"),
        "{stderr}"
    );

    write(
        &f.repo,
        ".vaultrot-scan-ignore",
        &format!(
            "# accepted leaks\npath k8s/** -- demo manifest, value revoked\nfingerprint {token_fp} -- test token\n"
        ),
    );
    let (_, stdout, _) = f.scan(&["--format", "json"]);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let found = doc["findings"].as_array().unwrap();
    assert!(found.iter().all(|x| x["path"] != "k8s/secret.yml"));
    assert!(found.iter().all(|x| x["fingerprint"] != token_fp.as_str()));
    assert!(doc["accepted"].as_u64().unwrap() >= 4);
    expect(
        found,
        "vault_signing_key",
        "work-tree",
        "keys/signing.hex",
        "hex",
    );
}

#[test]
fn exit_codes_clean_finding_and_cannot_scan() {
    let f = fixture();
    let clean = f.repo.parent().unwrap().join("clean.log");
    std::fs::write(&clean, "nothing to see\n").unwrap();
    let (code, stdout, _) = f.scan(&[clean.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("no vaulted value found"), "{stdout}");
    let (code, _, _) = f.scan(&[f.log.to_str().unwrap()]);
    assert_eq!(code, 1);

    // A wrong password cannot scan: 2, not a clean 0.
    let wrong = f.repo.parent().unwrap().join("wrong-pass");
    std::fs::write(&wrong, "not the password").unwrap();
    let out = clean_command(&vaultrot(), &f.repo)
        .args(["scan", "--vault-password-file"])
        .arg(&wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Decryption failed") && stderr.contains("group_vars/all/"),
        "{stderr}"
    );

    // --history outside a git repository.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.txt"), "x\n").unwrap();
    let out = clean_command(&vaultrot(), outside.path())
        .args(["scan", "--history", "--vault-password-file"])
        .arg(&f.password_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scope_for_a_compromised_secret_names_paths_commits_and_encodings() {
    use vaultrot::scan::{Place, scope_for};
    use vaultrot::vault::{DecryptOptions, SaltSource, VaultSecret};
    use vaultrot::vaultfile::VaultContext;

    let f = fixture();
    let place = Place::locate(&f.repo, None).unwrap();
    let ctx = VaultContext {
        secrets: vec![VaultSecret::new(
            "default",
            zeroize::Zeroizing::new(PASSWORD.as_bytes().to_vec()),
        )],
        options: DecryptOptions::default(),
        salt: SaltSource::Random,
    };
    let scope = scope_for(&place, &ctx, "vault_db_password").unwrap();
    assert!(
        scope.paths.contains(&"debug/dump.txt".to_string()),
        "{scope:?}"
    );
    assert!(scope.paths.contains(&"config/database.url".to_string()));
    assert!(scope.commits.contains(&f.commits[1][..12].to_string()));
    let summary = scope.summary();
    assert!(
        summary.contains("debug/dump.txt") || summary.contains("paths"),
        "{summary}"
    );
    assert!(
        summary.contains("url-encoded") && summary.contains("raw"),
        "{summary}"
    );
    assert_no_value(&summary, "summary");
    assert_no_value(&format!("{scope:?}"), "scope");

    let clean = scope_for(&place, &ctx, "vault_short").unwrap();
    assert!(clean.is_empty());
}

#[test]
fn install_hook_writes_a_pre_commit_hook_and_keeps_a_foreign_one() {
    let f = fixture();
    let out = clean_command(&vaultrot(), &f.repo)
        .arg("install-hook")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hook = f.repo.join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.contains("exec vaultrot scan --staged"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&hook).unwrap().permissions().mode() & 0o777,
        0o755
    );

    std::fs::write(&hook, "#!/bin/sh\nmake lint\n").unwrap();
    let out = clean_command(&vaultrot(), &f.repo)
        .arg("install-hook")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nmake lint\n"
    );

    // The pre-commit framework's hook definition runs the same command.
    let defs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    assert!(defs.contains("id: vaultrot-scan") && defs.contains("vaultrot scan --staged"));
}
