//! Everyday use on real repository layouts: mixed vars files in lint,
//! manifests found upward and several at once, set/ls/edit on vars files,
//! `init` on a repository with history, completions, man page, the
//! `ansible-vault` symlink, and one error style.

mod common;

use std::fs;
use std::path::Path;
use std::process::Stdio;

use common::{clean_command, vaultrot};

const PASSWORD: &str = "everyday-password";

/// Runs `program` in `dir` with a clean vault environment: (exit code, stdout, stderr).
fn run(dir: &Path, program: &Path, args: &[&str]) -> (i32, String, String) {
    let out = clean_command(program, dir)
        .env_remove("VAULTROT_MANIFEST")
        .env_remove("VAULTROT_NOW")
        .env("NO_COLOR", "1")
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

fn vr(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(dir, &vaultrot(), args)
}

/// `vaultrot ARGS` that must succeed; its stdout.
fn vr_ok(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = vr(dir, args);
    assert_eq!(code, 0, "vaultrot {args:?}: {stdout}{stderr}");
    stdout
}

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn read(dir: &Path, relative: &str) -> String {
    fs::read_to_string(dir.join(relative)).unwrap()
}

/// An inline `!vault` value of `plaintext`, made by the real vaultrot.
fn inline_vault(dir: &Path, plaintext: &str) -> String {
    write(dir, "password.txt", &format!("{PASSWORD}\n"));
    let out = vr_ok(
        dir,
        &[
            "encrypt_string",
            "--vault-password-file",
            "password.txt",
            plaintext,
        ],
    );
    out.trim_start_matches("!vault |").to_string()
}

const MIXED_MANIFEST: &str = "\
secrets_manifest:
  version: 1
  defaults:
    vault: group_vars/all/vars.yml
  policies:
    api_token: { max_age: 6mo }
  secrets:
    vault_api_token:
      policy: api_token
      last_rotation: 2026-06-01
";

// ---- 1. lint: mixed vars files ------------------------------------------

#[test]
fn lint_accepts_a_mixed_vars_file_and_warns_on_plain_keys_named_like_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "ansible.cfg", "[defaults]\n");
    write(dir, "group_vars/all/_secrets_manifest.yml", MIXED_MANIFEST);
    let token = inline_vault(dir, "t0ken");
    write(
        dir,
        "group_vars/all/vars.yml",
        &format!("app_name: demo\nhttp_port: 8080\nvault_api_token: !vault |{token}"),
    );
    let (code, stdout, stderr) = vr(dir, &["lint", "--vault-password-file", "password.txt"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.contains(": error:"), "{stdout}");

    write(
        dir,
        "group_vars/all/vars.yml",
        &format!(
            "app_name: demo\nsmtp_password: hunter2\nvault_api_token: !vault |{token}deploy_key: abc\n"
        ),
    );
    let (code, stdout, stderr) = vr(dir, &["lint", "--vault-password-file", "password.txt"]);
    assert_eq!(code, 0, "warnings do not fail lint: {stdout}{stderr}");
    assert!(
        stdout.contains(
            "group_vars/all/vars.yml:2:1: warning: `smtp_password` looks like a secret in plaintext"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("`deploy_key` looks like a secret in plaintext"),
        "{stdout}"
    );
    assert!(!stdout.contains("app_name"), "{stdout}");
}

// ---- 2. layouts: discovery upward, one manifest per environment ---------

/// A manifest of one secret kept in `vault` (relative to the infra root).
fn env_manifest(vault: &str, last_rotation: &str) -> String {
    format!(
        "secrets_manifest:\n  version: 1\n  defaults:\n    vault: {vault}\n  policies:\n    api_token: {{ max_age: 6mo }}\n  secrets:\n    vault_api_token:\n      policy: api_token\n      last_rotation: {last_rotation}\n"
    )
}

/// `inventories/{prod,staging}` with a manifest each (prod overdue), an
/// ansible.cfg at the root and a playbooks/ directory.
fn environments_repo(dir: &Path) {
    write(dir, "ansible.cfg", "[defaults]\n");
    write(dir, "playbooks/site.yml", "- hosts: all\n  tasks: []\n");
    for (env, date) in [("prod", "2026-01-01"), ("staging", "2026-11-01")] {
        write(
            dir,
            &format!("inventories/{env}/hosts.yml"),
            "all:\n  hosts:\n    localhost:\n",
        );
        write(
            dir,
            &format!("inventories/{env}/group_vars/all/_secrets_manifest.yml"),
            &env_manifest(&format!("inventories/{env}/group_vars/all/vault.yml"), date),
        );
        let token = inline_vault(dir, &format!("{env}-token"));
        write(
            dir,
            &format!("inventories/{env}/group_vars/all/vault.yml"),
            &format!("vault_api_token: !vault |{token}"),
        );
    }
}

#[test]
fn one_check_age_run_gates_every_environment_and_reports_each_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    environments_repo(dir);
    let (code, stdout, stderr) = vr(dir, &["check-age", "--now", "2026-11-23"]);
    assert_eq!(code, 1, "prod is overdue: {stdout}{stderr}");
    assert!(
        stdout.contains("==> inventories/prod/group_vars/all/_secrets_manifest.yml <==")
            && stdout.contains("==> inventories/staging/group_vars/all/_secrets_manifest.yml <=="),
        "{stdout}"
    );

    let (code, stdout, _) = vr(
        dir,
        &["check-age", "--now", "2026-11-23", "--format", "json"],
    );
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["manifests"].as_array().unwrap().len(), 2);
    let by_manifest: Vec<(String, String)> = doc["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["manifest"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        by_manifest,
        [
            (
                "inventories/prod/group_vars/all/_secrets_manifest.yml".to_string(),
                "overdue".to_string()
            ),
            (
                "inventories/staging/group_vars/all/_secrets_manifest.yml".to_string(),
                "ok".to_string()
            )
        ]
    );
    assert_eq!(doc["failing"], true);

    // A glob picks the same manifests; one path picks one (staging: ok).
    let glob = "inventories/*/group_vars/all/_secrets_manifest.yml";
    let (code, _, _) = vr(
        dir,
        &["check-age", "--now", "2026-11-23", "--manifest", glob],
    );
    assert_eq!(code, 1);
    let staging = "inventories/staging/group_vars/all/_secrets_manifest.yml";
    let (code, _, _) = vr(
        dir,
        &["check-age", "--now", "2026-11-23", "--manifest", staging],
    );
    assert_eq!(code, 0);

    // JUnit: one document holding both suites.
    let (_, junit, _) = vr(
        dir,
        &["check-age", "--now", "2026-11-23", "--format", "junit"],
    );
    assert_eq!(junit.matches("<testsuites ").count(), 1, "{junit}");
    assert_eq!(junit.matches("<testsuite ").count(), 2, "{junit}");
    assert!(junit.contains("tests=\"2\" failures=\"1\""), "{junit}");
}

#[test]
fn reports_run_from_a_subdirectory_and_rotation_commands_ask_which_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    environments_repo(dir);
    let (code, stdout, stderr) = vr(
        &dir.join("playbooks"),
        &["lint", "--vault-password-file", "../password.txt"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("==> ../inventories/prod/group_vars/all/_secrets_manifest.yml <=="),
        "{stdout}"
    );
    let (code, _, stderr) = vr(&dir.join("playbooks"), &["status"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("2 secrets manifests found below")
            && stderr.contains("pass --manifest PATH")
            && stderr.contains("../inventories/staging/group_vars/all/_secrets_manifest.yml"),
        "{stderr}"
    );

    // From inside group_vars/all of one environment, it is still found upward.
    let single = tempfile::tempdir().unwrap();
    write(single.path(), "ansible.cfg", "[defaults]\n");
    write(
        single.path(),
        "group_vars/all/_secrets_manifest.yml",
        &env_manifest("group_vars/all/vault.yml", "2026-11-01"),
    );
    let (code, stdout, stderr) = vr(
        &single.path().join("group_vars/all"),
        &["check-age", "--now", "2026-11-23"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("vault_api_token"), "{stdout}");
}

#[test]
fn a_last_rotation_in_the_future_is_an_error_naming_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "ansible.cfg", "[defaults]\n");
    write(
        dir,
        "group_vars/all/_secrets_manifest.yml",
        &env_manifest("group_vars/all/vault.yml", "2027-03-01"),
    );
    let (code, stdout, stderr) = vr(dir, &["check-age", "--now", "2026-11-23"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "vaultrot: error: group_vars/all/_secrets_manifest.yml:10:7: last_rotation 2027-03-01 of `vault_api_token` is in the future (today is 2026-11-23); fix the date"
    );
}

// ---- 3. set / ls / edit --------------------------------------------------

fn pw_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec![args[0], "--vault-password-file", "password.txt"];
    all.extend_from_slice(&args[1..]);
    all
}

#[test]
fn set_keeps_plain_keys_plain_follows_dotted_paths_and_creates_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "password.txt", &format!("{PASSWORD}\n"));
    write(
        dir,
        "vars.yml",
        "app_name: demo  # shown in the UI\ndb:\n  host: db1\n",
    );

    vr_ok(dir, &pw_args(&["set", "vars.yml", "app_name", "shop"]));
    assert!(read(dir, "vars.yml").starts_with("app_name: shop  # shown in the UI\n"));

    vr_ok(dir, &pw_args(&["set", "vars.yml", "db.password", "s3cret"]));
    let text = read(dir, "vars.yml");
    assert!(
        text.starts_with(
            "app_name: shop  # shown in the UI\ndb:\n  host: db1\n  password: !vault |\n"
        ),
        "{text}"
    );
    assert!(
        !text.contains("s3cret") && !text.contains("db.password"),
        "{text}"
    );
    assert_eq!(
        vr_ok(dir, &pw_args(&["get", "vars.yml", "db.password"])),
        "s3cret"
    );

    // --vault turns a plain setting into a secret; --plain the reverse.
    vr_ok(
        dir,
        &pw_args(&["set", "--vault", "vars.yml", "db.host", "db2"]),
    );
    assert!(read(dir, "vars.yml").contains("  host: !vault |\n"));
    vr_ok(
        dir,
        &pw_args(&["set", "--plain", "vars.yml", "db.host", "db3"]),
    );
    assert!(read(dir, "vars.yml").contains("  host: db3\n"));

    // --literal-key: a top-level key with a dot in its name.
    vr_ok(
        dir,
        &pw_args(&["set", "--plain", "--literal-key", "vars.yml", "a.b", "x"]),
    );
    assert!(read(dir, "vars.yml").ends_with("a.b: x\n"));
    let (code, _, stderr) = vr(dir, &pw_args(&["set", "vars.yml", "app_name.x", "1"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("`app_name` (line 1) is not a mapping"),
        "{stderr}"
    );

    // --create: a whole-file vault that the real ansible-vault opens...
    let (code, _, stderr) = vr(dir, &pw_args(&["set", "new.yml", "token", "t"]));
    assert_eq!(code, 1, "no --create: {stderr}");
    vr_ok(
        dir,
        &pw_args(&["set", "--create", "new.yml", "api.token", "t0k"]),
    );
    let (code, plain, stderr) = run(
        dir,
        &common::ansible("ansible-vault"),
        &["view", "--vault-password-file", "password.txt", "new.yml"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(plain, "api:\n  token: t0k\n");
    // ... or a vars file with an inline value.
    vr_ok(
        dir,
        &pw_args(&["set", "--create", "--inline", "inline.yml", "token", "t1k"]),
    );
    assert!(read(dir, "inline.yml").starts_with("token: !vault |\n"));

    // ls of a directory: every file holding vault data, nested keys dotted.
    let listing = vr_ok(dir, &pw_args(&["ls", "."]));
    assert!(listing.contains("./vars.yml:\n"), "{listing}");
    assert!(listing.contains("  db.password "), "{listing}");
    assert!(listing.contains("./new.yml:\n  api.token"), "{listing}");
    assert!(
        !listing.contains("s3cret") && !listing.contains("t0k"),
        "{listing}"
    );
}

#[test]
fn edit_of_a_vars_file_decrypts_inline_values_and_reencrypts_only_changed_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "password.txt", &format!("{PASSWORD}\n"));
    write(dir, "vars.yml", "app_name: demo\n");
    vr_ok(dir, &pw_args(&["set", "vars.yml", "db_password", "old-db"]));
    vr_ok(dir, &pw_args(&["set", "vars.yml", "api_token", "old-api"]));
    let before = read(dir, "vars.yml");
    let block = |text: &str, key: &str| {
        let start = text.find(&format!("{key}: !vault |\n")).unwrap();
        text[start..]
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .collect::<Vec<_>>()
            .join("\n")
    };

    // The editor sees plaintext; an editor that changes nothing writes nothing.
    write(
        dir,
        "editor.sh",
        "#!/bin/sh\ncp \"$1\" seen.yml\nsed -i 's/old-db/new-db/; s/app_name: demo/app_name: shop/' \"$1\"\n",
    );
    let mut perms = fs::metadata(dir.join("editor.sh")).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(dir.join("editor.sh"), perms).unwrap();
    let edit = |editor: &str| {
        let out = clean_command(&vaultrot(), dir)
            .env("EDITOR", editor)
            .args(pw_args(&["edit", "vars.yml"]))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    edit("true");
    assert_eq!(read(dir, "vars.yml"), before);

    edit("./editor.sh");
    assert_eq!(
        read(dir, "seen.yml"),
        "app_name: demo\ndb_password: old-db\napi_token: old-api\n"
    );
    let after = read(dir, "vars.yml");
    assert!(
        after.starts_with("app_name: shop\ndb_password: !vault |\n"),
        "{after}"
    );
    assert_eq!(block(&after, "api_token"), block(&before, "api_token"));
    assert_ne!(block(&after, "db_password"), block(&before, "db_password"));
    assert!(!after.contains("new-db"));
    assert_eq!(
        vr_ok(dir, &pw_args(&["get", "vars.yml", "db_password"])),
        "new-db"
    );
}

// ---- 4. every argument says what it is for ------------------------------

/// `(command path, argument)` of every argument without help text.
fn undocumented(command: &clap::Command, path: &str, out: &mut Vec<String>) {
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        if help.trim().is_empty() {
            out.push(format!("{path} {id}"));
        }
    }
    for sub in command.get_subcommands() {
        if sub
            .get_about()
            .is_none_or(|a| a.to_string().trim().is_empty())
        {
            out.push(format!("{path} {} (no about)", sub.get_name()));
        }
        undocumented(sub, &format!("{path} {}", sub.get_name()), out);
    }
}

#[test]
fn every_argument_of_every_command_has_help_text() {
    use clap::CommandFactory;
    let mut missing = Vec::new();
    let mut vaultrot = vaultrot::cli::Cli::command();
    vaultrot.build();
    undocumented(&vaultrot, "vaultrot", &mut missing);
    let mut ansible_vault = vaultrot::cli::ansible_vault::AnsibleVaultCli::command();
    ansible_vault.build();
    undocumented(&ansible_vault, "ansible-vault", &mut missing);
    assert_eq!(missing, Vec::<String>::new(), "arguments without help text");
}

#[test]
fn one_error_style_outside_the_ansible_vault_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "password.txt", &format!("{PASSWORD}\n"));
    write(dir, "vars.yml", "app_name: demo\n");
    let (code, _, stderr) = vr(dir, &pw_args(&["get", "vars.yml", "nope"]));
    assert_eq!(code, 1);
    assert_eq!(stderr, "vaultrot: error: vars.yml: no key `nope`\n");
    let (code, _, stderr) = vr(dir, &pw_args(&["view", "nope.yml"]));
    assert_eq!(code, 1);
    assert!(stderr.starts_with("[ERROR]: "), "{stderr}");
}

// ---- 6. completions and man page ----------------------------------------

#[test]
fn bash_loads_the_completions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = vr_ok(dir, &["completions", shell]);
        assert!(script.contains("vaultrot"), "{shell}");
        write(dir, &format!("vaultrot.{shell}"), &script);
    }
    let (code, stdout, stderr) = run(
        dir,
        Path::new("bash"),
        &[
            "--norc",
            "--noprofile",
            "-c",
            "source ./vaultrot.bash && complete -p vaultrot",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(" -F _vaultrot "), "{stdout}");
    assert!(stdout.trim_end().ends_with(" vaultrot"), "{stdout}");
}

#[test]
fn the_man_pages_render_without_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let page = vr_ok(dir, &["man"]);
    assert!(
        page.contains(".TH vaultrot 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("check\\-age"), "lists the subcommands");
    write(dir, "vaultrot.1", &page);
    write(dir, "vaultrot-set.1", &vr_ok(dir, &["man", "set"]));
    for file in ["vaultrot.1", "vaultrot-set.1"] {
        let (code, _, stderr) = run(
            dir,
            Path::new("groff"),
            &["-man", "-Tutf8", "-ww", "-z", file],
        );
        assert_eq!((code, stderr.as_str()), (0, ""), "groff on {file}");
        let (code, stdout, stderr) = run(dir, Path::new("man"), &["--warnings", "-l", file]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stderr, "", "man -l {file} warns");
        assert!(stdout.contains("vaultrot"), "{stdout}");
    }
}

// ---- 7. the ansible-vault symlink ----------------------------------------

#[test]
fn through_a_link_named_ansible_vault_it_is_ansible_vault() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let link = dir.join("bin/ansible-vault");
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(vaultrot(), &link).unwrap();
    write(dir, "password.txt", &format!("{PASSWORD}\n"));

    let (code, version, _) = run(dir, &link, &["--version"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = version.lines().collect();
    assert!(lines[0].starts_with("ansible-vault [core "), "{version}");
    assert!(
        lines.iter().any(|l| l.starts_with("  config file = ")),
        "{version}"
    );
    assert!(
        lines.iter().any(|l| l.contains("vaultrot version = ")),
        "{version}"
    );

    write(dir, "secret.txt", "s3cret\n");
    let (code, _, stderr) = run(
        dir,
        &link,
        &[
            "encrypt",
            "--vault-password-file",
            "password.txt",
            "secret.txt",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, plain, stderr) = run(
        dir,
        &common::ansible("ansible-vault"),
        &[
            "view",
            "--vault-password-file",
            "password.txt",
            "secret.txt",
        ],
    );
    assert_eq!((code, plain.as_str()), (0, "s3cret\n"), "{stderr}");

    // Only ansible-vault's commands, with its error text.
    let (code, _, stderr) = run(dir, &link, &["ls", "secret.txt"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = run(
        dir,
        &link,
        &["view", "--vault-password-file", "password.txt", "nope.yml"],
    );
    assert_eq!(code, 1);
    assert!(stderr.starts_with("[ERROR]: "), "{stderr}");
}

// ---- 5. init -------------------------------------------------------------

/// `git ARGS` in `dir`, dated `date` (author and committer).
fn git(dir: &Path, date: &str, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", format!("{date}T12:00:00Z"))
        .env("GIT_COMMITTER_DATE", format!("{date}T12:00:00Z"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn commit_all(dir: &Path, date: &str) {
    git(dir, date, &["add", "-A"]);
    git(dir, date, &["commit", "-q", "-m", date]);
}

#[test]
fn init_lists_every_secret_dated_by_git_and_lint_accepts_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, "2026-01-01", &["init", "-q"]);
    write(dir, "ansible.cfg", "[defaults]\ninventory = hosts.yml\n");
    write(dir, "hosts.yml", "all:\n  hosts:\n    localhost:\n");
    write(dir, ".gitignore", "password.txt\n");
    let db = inline_vault(dir, "db-one");
    let api = inline_vault(dir, "api-one");
    write(
        dir,
        "group_vars/all/vars.yml",
        &format!("app_name: shop\nvault_db_password: !vault |{db}vault_api_token: !vault |{api}"),
    );
    commit_all(dir, "2026-02-10");

    // Only the token's ciphertext changes later; the plain setting after that.
    vr_ok(
        dir,
        &pw_args(&[
            "set",
            "group_vars/all/vars.yml",
            "vault_api_token",
            "api-two",
        ]),
    );
    commit_all(dir, "2026-05-20");
    vr_ok(
        dir,
        &pw_args(&["set", "group_vars/all/vars.yml", "app_name", "shop2"]),
    );
    commit_all(dir, "2026-08-01");
    // A whole-file vault for one host, and a value not committed yet.
    fs::create_dir_all(dir.join("host_vars/web1")).unwrap();
    vr_ok(
        dir,
        &pw_args(&[
            "set",
            "--create",
            "host_vars/web1/vault.yml",
            "vault_web_signing_key",
            "k",
        ]),
    );
    commit_all(dir, "2026-03-03");
    vr_ok(
        dir,
        &pw_args(&[
            "set",
            "group_vars/all/vars.yml",
            "vault_sentry_dsn",
            "https://x",
        ]),
    );

    let before = read(dir, "group_vars/all/vars.yml");
    let dry = vr_ok(dir, &pw_args(&["init", "--dry-run"]));
    assert!(!dir.join("group_vars/all/_secrets_manifest.yml").exists());
    assert_eq!(read(dir, ".gitignore"), "password.txt\n");

    let (code, _, review) = vr(
        &dir.join("group_vars"),
        &["init", "--vault-password-file", "../password.txt"],
    );
    assert_eq!(code, 0, "{review}");
    let manifest = read(dir, "group_vars/all/_secrets_manifest.yml");
    assert_eq!(manifest, dry);
    assert_eq!(read(dir, "group_vars/all/vars.yml"), before);
    for expected in [
        "    vault: group_vars/all/vars.yml\n",
        "    vault_db_password:\n      policy: password   # guessed from the name\n      last_rotation: 2026-02-10   # last commit that changed its ciphertext\n      owner:\n",
        "    vault_api_token:\n      policy: api_token   # guessed from the name\n      last_rotation: 2026-05-20   # last commit that changed its ciphertext\n",
        "    vault_sentry_dsn:\n      policy: on_demand   # guessed from the name\n      # last_rotation: not in git history",
        "    vault_web_signing_key:\n      policy: signing_secret   # guessed from the name\n      vault: host_vars/web1/vault.yml\n      last_rotation: 2026-03-03",
        "    api_token:      { max_age: 6mo }   # guessed\n",
    ] {
        assert!(manifest.contains(expected), "{expected}\n---\n{manifest}");
    }
    assert!(!manifest.contains("app_name"), "{manifest}");
    assert!(review.contains("owners are empty"), "{review}");
    assert!(
        review.contains("1 secrets have no last_rotation"),
        "{review}"
    );
    assert_eq!(
        read(dir, ".gitignore"),
        "password.txt\n# vaultrot: backups and the manifest lock (local state, never committed)\n.vaultrot/\n.vaultrot.lock\n"
    );

    let (code, stdout, stderr) = vr(dir, &pw_args(&["lint"]));
    assert_eq!(
        code, 0,
        "warnings only (no deploy/verify steps yet): {stdout}{stderr}"
    );
    assert!(!stdout.contains(": error:"), "{stdout}");
    let (code, _, _) = vr(dir, &["check-age", "--now", "2026-11-23"]);
    assert_eq!(code, 1, "the undated secret is never rotated");

    // Never overwrites.
    let (code, _, stderr) = vr(dir, &pw_args(&["init"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("already exists: init never overwrites"),
        "{stderr}"
    );
    assert_eq!(read(dir, "group_vars/all/_secrets_manifest.yml"), manifest);
}

#[test]
fn lint_findings_inside_a_whole_file_vault_carry_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "ansible.cfg", "[defaults]\n");
    write(dir, "password.txt", &format!("{PASSWORD}\n"));
    write(
        dir,
        "group_vars/all/_secrets_manifest.yml",
        &env_manifest("group_vars/all/vault.yml", "2026-11-01"),
    );
    fs::create_dir_all(dir.join("group_vars/all")).unwrap();
    vr_ok(
        dir,
        &pw_args(&[
            "set",
            "--create",
            "group_vars/all/vault.yml",
            "vault_api_token",
            "t",
        ]),
    );
    vr_ok(
        dir,
        &pw_args(&["set", "group_vars/all/vault.yml", "vault_stray", "s"]),
    );
    let (code, stdout, _) = vr(dir, &pw_args(&["lint"]));
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("group_vars/all/vault.yml:2:1: error: `vault_stray` is in vault"),
        "{stdout}"
    );
}

// ---- 8. the GitHub Action and the pre-commit hook -------------------------

fn repo_yaml(name: &str) -> serde_json::Value {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn the_action_annotates_and_writes_the_step_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    environments_repo(dir);
    let action = repo_yaml("action.yml");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let check = steps
        .iter()
        .find(|s| s["name"] == "vaultrot check-age")
        .unwrap();
    let script = check["run"].as_str().unwrap();
    let bin_dir = vaultrot().parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let out = clean_command(Path::new("bash"), dir)
        .args(["-e", "-c", script])
        .env("PATH", path)
        .env("VAULTROT_ACTION_ARGS", "--now 2026-11-23")
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .env_remove("VAULTROT_MANIFEST")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "prod is overdue: {stdout}");
    assert!(
        stdout
            .contains("::error file=inventories/prod/group_vars/all/_secrets_manifest.yml,line=8,"),
        "{stdout}"
    );
    let summary = read(dir, "summary.md");
    assert!(
        summary.contains("## `inventories/staging/group_vars/all/_secrets_manifest.yml`"),
        "{summary}"
    );

    let hooks = repo_yaml(".pre-commit-hooks.yaml");
    let lint = hooks
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "vaultrot-lint")
        .expect("a vaultrot-lint hook");
    let entry: Vec<&str> = lint["entry"].as_str().unwrap().split(' ').collect();
    assert_eq!(entry[0], "vaultrot");
    let (code, stdout, stderr) = vr(dir, &pw_args(&entry[1..]));
    assert_eq!(code, 0, "{stdout}{stderr}");
}

// ---- 4. pointers resolve inside the repository ----------------------------

#[test]
fn every_pointer_in_code_and_docs_resolves_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("action.yml")];
    for dir in [
        "src",
        "docs",
        "scripts",
        "tests",
        "infra",
        "examples",
        "playbooks",
    ] {
        for entry in ignore::WalkBuilder::new(root.join(dir)).build().flatten() {
            if entry.file_type().is_some_and(|t| t.is_file()) {
                files.push(entry.path().to_path_buf());
            }
        }
    }
    let mut broken = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        if shown == "tests/everyday.rs" {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            for outside in [
                "DESIGN",
                "format doc",
                "§",
                "ansible-vault-format.md",
                "shared/vectors",
            ] {
                if line.contains(outside) {
                    broken.push(format!(
                        "{shown}:{}: `{outside}` is not in the repository",
                        n + 1
                    ));
                }
            }
            let mut rest = line;
            while let Some(at) = rest.find("docs/") {
                let tail = &rest[at..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "/._-".contains(c)))
                    .unwrap_or(tail.len());
                let target = tail[..end].trim_end_matches('.');
                if target.ends_with(".md") && !root.join(target).exists() {
                    broken.push(format!("{shown}:{}: {target} does not exist", n + 1));
                }
                rest = &tail[end.max(5)..];
            }
        }
    }
    assert_eq!(broken, Vec::<String>::new());
}

#[test]
fn init_writes_one_manifest_per_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    environments_repo(dir);
    for env in ["prod", "staging"] {
        fs::remove_file(dir.join(format!(
            "inventories/{env}/group_vars/all/_secrets_manifest.yml"
        )))
        .unwrap();
    }
    let (code, _, stderr) = vr(dir, &pw_args(&["init"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("`vault_api_token` is in both inventories/prod/group_vars/all/vault.yml and inventories/staging/group_vars/all/vault.yml")
            && stderr.contains("run init once per environment"),
        "{stderr}"
    );
    assert!(!dir.join("group_vars").exists(), "nothing written");
    for env in ["prod", "staging"] {
        let scope = format!("inventories/{env}");
        vr_ok(dir, &pw_args(&["init", &scope]));
        let manifest = read(
            dir,
            &format!("{scope}/group_vars/all/_secrets_manifest.yml"),
        );
        assert!(
            manifest.contains(&format!("    vault: {scope}/group_vars/all/vault.yml\n")),
            "{manifest}"
        );
    }
    let (code, stdout, stderr) = vr(dir, &pw_args(&["lint"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout.matches("lint: 0 errors").count(), 2, "{stdout}");
}

#[test]
fn restore_takes_the_backup_id_that_list_prints() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "password.txt", &format!("{PASSWORD}\n"));
    write(
        dir,
        "ansible.cfg",
        "[defaults]\nvault_password_file = password.txt\n",
    );
    let manifest = env_manifest("group_vars/all/vault.yml", "2026-01-01")
        + "      deploy: [{run: 'true'}]\n      verify: {skip: true, reason: nothing to check here}\n";
    write(dir, "group_vars/all/_secrets_manifest.yml", &manifest);
    let vault = "group_vars/all/vault.yml";
    vr_ok(
        dir,
        &[
            "set",
            "--create",
            vault,
            "vault_api_token",
            "first-value-123",
        ],
    );
    // A rotation's vault write keeps the previous ciphertext as a backup.
    vr_ok(dir, &["start", "vault_api_token"]);
    let list = vr_ok(dir, &["restore", vault, "--list"]);
    let id = list
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().next())
        .unwrap_or_else(|| panic!("no backup listed: {list}"))
        .to_string();
    vr_ok(dir, &["restore", vault, "--backup", &id, "--force"]);
    let (code, _, _) = vr(dir, &["get", vault, "vault_api_token_new"]);
    assert_ne!(code, 0, "the restored vault still holds the staged value");
    assert_eq!(
        vr_ok(dir, &["get", vault, "vault_api_token"]),
        "first-value-123"
    );
}
