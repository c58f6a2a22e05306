//! The playbook runner against the real `ansible-playbook` and a real Redis:
//! vault passwords travel on pipes and never show up in argv, environment,
//! files or output; failures name the step, exit code and tail.
//!
//! Needs ansible-core (a `.venv` in this checkout or the main worktree, or
//! `VAULTROT_ANSIBLE_BIN=DIR`) and redis-server (`scripts/install-test-deps.sh`).
//! Missing tools fail the tests; they never skip.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use common::redis::Redis;
use common::{contains, repo_root};
use serde_json::{Value, json};
use tempfile::TempDir;
use vaultrot::ansible::playbook::{
    LiveOutput, Phase, PhaseVars, RunContext, RunError, plan_command_line, run_step,
};
use vaultrot::manifest::{PlaybookStep, StepAction};
use vaultrot::vault::VaultSecret;
use zeroize::Zeroizing;

const PROD_PASSWORD: &str = "pipe-pw-prod-7Hq2";
const DEV_PASSWORD: &str = "pipe-pw-dev-Xk91";

/// The directory holding `ansible-playbook` and `ansible-vault`.
fn ansible_bin() -> PathBuf {
    // Fails loudly (never skips) when the test command has not installed it.
    common::ansible("ansible-playbook");
    common::ansible_bin_dir()
}

fn test_path() -> OsString {
    let mut path = ansible_bin().into_os_string();
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    path
}

fn secret(label: &str, password: &str) -> VaultSecret {
    VaultSecret::new(label, Zeroizing::new(password.as_bytes().to_vec()))
}

/// Encrypts `file` in place with the real ansible-vault; the password file
/// lives outside the infra tree and is gone when this returns.
fn ansible_vault_encrypt(file: &Path, label: &str, password: &str) {
    let scratch = TempDir::new().unwrap();
    let pw_file = scratch.path().join("pw");
    fs::write(&pw_file, password).unwrap();
    let out = Command::new(ansible_bin().join("ansible-vault"))
        .arg("encrypt")
        .arg("--vault-id")
        .arg(format!("{label}@{}", pw_file.display()))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ansible-vault encrypt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// An infra root with a local inventory (and vars beside it in `group_vars`).
fn infra() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        &dir.path().join("inventory.yml"),
        "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      \
         ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n",
    );
    dir
}

fn context<'a>(
    root: &Path,
    secrets: &'a [VaultSecret],
    sink: &'a Mutex<Vec<u8>>,
) -> RunContext<'a> {
    let mut ctx = RunContext::new(root, secrets);
    ctx.inventory = Some("inventory.yml".into());
    ctx.env = vec![("PATH".into(), test_path())];
    ctx.output = LiveOutput::Writer(sink);
    ctx.ansible_playbook = None;
    ctx
}

fn playbook(path: &str, extra_vars: Value) -> StepAction {
    let Value::Object(map) = extra_vars else {
        panic!("extra vars must be an object")
    };
    StepAction::Playbook(PlaybookStep {
        playbook: path.into(),
        inventory: None,
        tags: Vec::new(),
        limit: None,
        extra_vars: map.into_iter().collect::<BTreeMap<_, _>>(),
    })
}

fn output(sink: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&sink.lock().unwrap()).into_owned()
}

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push((path.clone(), fs::read(&path).unwrap()));
        }
    }
    found
}

#[test]
fn real_ansible_decrypts_with_piped_passwords_that_leave_no_trace() {
    let root = infra();
    let vars = root.path().join("group_vars/all");
    write(&vars.join("vault.yml"), "secret_a: alpha-secret-value\n");
    ansible_vault_encrypt(&vars.join("vault.yml"), "prod", PROD_PASSWORD);
    write(&vars.join("vault_dev.yml"), "secret_b: beta-secret-value\n");
    ansible_vault_encrypt(&vars.join("vault_dev.yml"), "dev", DEV_PASSWORD);
    // Runs in a worker forked from ansible-playbook: same argv and environment.
    write(
        &root.path().join("playbooks/dump_proc.sh"),
        "for pid in $PPID $(cut -d' ' -f4 /proc/$PPID/stat); do\n  \
         echo \"== cwd $(readlink /proc/$pid/cwd)\"\n  \
         echo \"== cmdline $pid\"; tr '\\000' '\\n' < /proc/$pid/cmdline\n  \
         echo \"== environ $pid\"; tr '\\000' '\\n' < /proc/$pid/environ\ndone\n",
    );
    write(
        &root.path().join("playbooks/dump.yml"),
        r#"- hosts: all
  gather_facts: false
  tasks:
    - name: Write what the play received
      ansible.builtin.copy:
        dest: "{{ out_dir }}/result.json"
        content: "{{ {'a': secret_a, 'b': secret_b, 'phase': vaultrot_phase, 'secrets': vaultrot_secrets, 'id': vaultrot_rotation_id, 'custom': custom} | to_json }}"
    - name: Write the argv and environment of ansible-playbook
      ansible.builtin.copy:
        dest: "{{ out_dir }}/proc.txt"
        content: "{{ lookup('pipe', 'sh ' ~ playbook_dir ~ '/dump_proc.sh') }}"
"#,
    );
    let out_dir = TempDir::new().unwrap();
    let secrets = [secret("prod", PROD_PASSWORD), secret("dev", DEV_PASSWORD)];
    let sink = Mutex::new(Vec::new());
    let mut ctx = context(root.path(), &secrets, &sink);
    ctx.vars = PhaseVars {
        phase: Some(Phase::Start),
        secrets: vec!["vault_a".into(), "vault_b".into()],
        rotation_id: Some("r-20261122T101500Z-7f3a".into()),
    };
    let step = playbook(
        "playbooks/dump.yml",
        json!({"out_dir": out_dir.path(), "custom": {"n": 1, "list": ["x", true]}}),
    );

    let outcome = run_step(&step, &ctx).unwrap_or_else(|e| panic!("{e}\n{}", output(&sink)));

    let result: Value =
        serde_json::from_slice(&fs::read(out_dir.path().join("result.json")).unwrap()).unwrap();
    assert_eq!(result["a"], "alpha-secret-value");
    assert_eq!(result["b"], "beta-secret-value");
    assert_eq!(result["phase"], "start");
    assert_eq!(result["secrets"], json!(["vault_a", "vault_b"]));
    assert_eq!(result["id"], "r-20261122T101500Z-7f3a");
    assert_eq!(result["custom"], json!({"n": 1, "list": ["x", true]}));

    let proc = fs::read_to_string(out_dir.path().join("proc.txt")).unwrap();
    let cwd = format!("== cwd {}\n", root.path().canonicalize().unwrap().display());
    assert!(proc.contains(&cwd), "{proc}");
    assert!(
        proc.contains("== cmdline") && proc.contains("== environ"),
        "{proc}"
    );
    assert!(proc.contains("--vault-id\nprod@/dev/fd/"), "{proc}");
    assert!(proc.contains("--vault-id\ndev@/dev/fd/"), "{proc}");
    assert!(proc.contains("ANSIBLE_ASK_VAULT_PASS=False"), "{proc}");
    assert!(outcome.argv.contains(&"prod@<pipe>".to_string()));

    // Nowhere: not in argv or environment, not in any file, not in the output.
    for password in [PROD_PASSWORD, DEV_PASSWORD] {
        assert!(!proc.contains(password), "password in /proc: {proc}");
        for (path, bytes) in files(root.path()).into_iter().chain(files(out_dir.path())) {
            assert!(
                !contains(&bytes, password),
                "password in {}",
                path.display()
            );
        }
        assert!(!output(&sink).contains(password));
        assert!(!outcome.argv.join(" ").contains(password));
    }
    assert!(output(&sink).contains("PLAY RECAP"), "{}", output(&sink));
    assert!(outcome.tail.iter().any(|l| l.starts_with("PLAY RECAP")));
}

#[test]
fn fake_ansible_playbook_reads_the_pipes_and_sees_no_password() {
    let root = infra();
    write(
        &root.path().join("playbooks/site.yml"),
        "- hosts: all\n  tasks: []\n",
    );
    let seen = TempDir::new().unwrap();
    let fake = seen.path().join("fake-ansible-playbook");
    write(
        &fake,
        r#"#!/bin/sh
printf '%s\n' "$@" > "$FAKE_OUT/argv"
env > "$FAKE_OUT/env"
pwd > "$FAKE_OUT/cwd"
prev=
for arg in "$@"; do
    if [ "$prev" = --vault-id ]; then
        label=${arg%%@*}; src=${arg#*@}
        # EOF arrives only if no write end of the pipe leaked into this process.
        timeout 10 cat "$src" > "$FAKE_OUT/pipe-$label" || echo "cat failed" > "$FAKE_OUT/pipe-$label"
        if [ -p "$src" ]; then echo fifo; else echo not-fifo; fi > "$FAKE_OUT/kind-$label"
        if [ -x "$src" ]; then echo exec; else echo no-exec; fi >> "$FAKE_OUT/kind-$label"
    fi
    prev=$arg
done
echo fake playbook ran
"#,
    );
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();

    let secrets = [secret("prod", PROD_PASSWORD), secret("dev", DEV_PASSWORD)];
    let sink = Mutex::new(Vec::new());
    let mut ctx = context(root.path(), &secrets, &sink);
    ctx.ansible_playbook = Some(fake);
    ctx.env.push(("FAKE_OUT".into(), seen.path().into()));
    // Password sources ansible would read by itself never reach it.
    ctx.env
        .push(("ANSIBLE_VAULT_PASSWORD_FILE".into(), "/leaked/pw".into()));
    ctx.env
        .push(("ANSIBLE_VAULT_IDENTITY_LIST".into(), "x@/leaked/id".into()));
    ctx.vars.phase = Some(Phase::Finish);
    ctx.vars.secrets = vec!["vault_nats_password".into()];
    let step = StepAction::Playbook(PlaybookStep {
        playbook: "playbooks/site.yml".into(),
        inventory: Some("inventory/prod.yml".into()),
        tags: vec!["nats".into(), "tls".into()],
        limit: Some("nats1".into()),
        extra_vars: BTreeMap::from([("restart".to_string(), json!(true))]),
    });

    run_step(&step, &ctx).unwrap_or_else(|e| panic!("{e}"));

    let read = |name: &str| fs::read_to_string(seen.path().join(name)).unwrap();
    assert_eq!(read("pipe-prod"), PROD_PASSWORD);
    assert_eq!(read("pipe-dev"), DEV_PASSWORD);
    assert_eq!(read("kind-prod"), "fifo\nno-exec\n");
    let argv: Vec<String> = read("argv").lines().map(String::from).collect();
    let planned = plan_command_line(&step, &ctx).unwrap();
    assert_eq!(argv.len(), planned.len() - 1);
    for (got, want) in argv.iter().zip(&planned[1..]) {
        match want.strip_suffix("@<pipe>") {
            Some(label) => assert!(got.starts_with(&format!("{label}@/dev/fd/")), "{got}"),
            None => assert_eq!(got, want),
        }
    }
    assert_eq!(
        argv[..8],
        [
            "-i",
            "inventory/prod.yml",
            "--tags",
            "nats,tls",
            "--limit",
            "nats1",
            "-e",
            r#"{"restart":true,"vaultrot_phase":"finish","vaultrot_secrets":["vault_nats_password"]}"#
        ]
    );
    let env = read("env");
    for password in [PROD_PASSWORD, DEV_PASSWORD] {
        assert!(!read("argv").contains(password));
        assert!(!env.contains(password));
        assert!(!output(&sink).contains(password));
    }
    assert!(
        !env.contains("ANSIBLE_VAULT_PASSWORD_FILE")
            && !env.contains("ANSIBLE_VAULT_IDENTITY_LIST")
    );
    assert!(env.contains("ANSIBLE_ASK_VAULT_PASS=False"));
    assert_eq!(
        Path::new(read("cwd").trim()),
        root.path().canonicalize().unwrap()
    );
    assert_eq!(output(&sink), "fake playbook ran\n");
}

#[test]
fn failing_playbook_names_step_exit_code_and_tail() {
    let root = infra();
    write(
        &root.path().join("playbooks/fail.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.fail:\n        msg: boom-marker-42\n",
    );
    let sink = Mutex::new(Vec::new());
    let ctx = context(root.path(), &[], &sink);
    let err = run_step(&playbook("playbooks/fail.yml", json!({})), &ctx).unwrap_err();
    let RunError::StepFailed {
        step, code, tail, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(step, "playbooks/fail.yml");
    assert_eq!(*code, Some(2));
    assert!(tail.len() <= 40);
    assert!(
        tail.iter().any(|l| l.contains("boom-marker-42")),
        "{tail:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("step `playbooks/fail.yml` failed (exit code 2); last "),
        "{message}"
    );
    assert!(message.contains("boom-marker-42"), "{message}");
    assert!(output(&sink).contains("boom-marker-42"));
}

#[test]
fn missing_ansible_playbook_says_what_to_install() {
    let root = infra();
    write(
        &root.path().join("playbooks/site.yml"),
        "- hosts: all\n  tasks: []\n",
    );
    let empty = TempDir::new().unwrap();
    let sink = Mutex::new(Vec::new());
    let mut ctx = context(root.path(), &[], &sink);
    ctx.env = vec![("PATH".into(), empty.path().into())];
    let step = playbook("playbooks/site.yml", json!({}));
    let err = run_step(&step, &ctx).unwrap_err();
    assert!(matches!(err, RunError::AnsibleMissing), "{err}");
    assert!(
        err.to_string().contains("pip install ansible-core"),
        "{err}"
    );

    ctx.ansible_playbook = Some(empty.path().join("nope/ansible-playbook"));
    let err = run_step(&step, &ctx).unwrap_err();
    assert!(
        err.to_string().contains("VAULTROT_ANSIBLE_PLAYBOOK names"),
        "{err}"
    );

    let ctx = context(root.path(), &[], &sink);
    let err = run_step(&playbook("playbooks/absent.yml", json!({})), &ctx).unwrap_err();
    assert!(matches!(err, RunError::PlaybookMissing { .. }), "{err}");
}

#[test]
fn command_step_gets_names_not_values_and_fails_with_tail() {
    let root = infra();
    let secrets = [secret("prod", PROD_PASSWORD)];
    let sink = Mutex::new(Vec::new());
    let mut ctx = context(root.path(), &secrets, &sink);
    ctx.vars = PhaseVars {
        phase: Some(Phase::Abort),
        secrets: vec!["vault_a".into(), "vault_b".into()],
        rotation_id: Some("r-1".into()),
    };
    let step = StepAction::Run(
        "echo \"$VAULTROT_PHASE|$VAULTROT_SECRETS|$VAULTROT_ROTATION_ID|$(pwd)\"; env > env.txt"
            .into(),
    );
    let outcome = run_step(&step, &ctx).unwrap();
    assert_eq!(
        output(&sink),
        format!(
            "abort|vault_a vault_b|r-1|{}\n",
            root.path().canonicalize().unwrap().display()
        )
    );
    assert_eq!(outcome.argv, ["sh", "-c", step.describe().as_str()]);
    assert!(
        !fs::read_to_string(root.path().join("env.txt"))
            .unwrap()
            .contains(PROD_PASSWORD)
    );

    ctx.vars = PhaseVars::default();
    let step = StepAction::Run(
        "echo \"phase=${VAULTROT_PHASE-unset}\"; echo to-stderr >&2; exit 3".into(),
    );
    let err = run_step(&step, &ctx).unwrap_err();
    let RunError::StepFailed { code, tail, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*code, Some(3));
    assert_eq!(tail, &["phase=unset", "to-stderr"]);
    assert!(err.to_string().contains("exit code 3"));
}

#[test]
fn redis_dual_window_start_finish_abort_with_real_playbooks() {
    const OLD: &str = "old-Pa55 \"quoted\" back\\slash";
    const NEW: &str = "new-7dG2kQ9vLw3xZp8s";
    const NEWER: &str = "newer-Hs82jKq0Pz1mYt4";
    let redis = Redis::start();
    let root = infra();
    for file in [
        "playbooks/deploy_redis.yml",
        "playbooks/verify_redis.yml",
        "templates/redis_client.conf.j2",
    ] {
        write(
            &root.path().join(file),
            &fs::read_to_string(repo_root().join("infra").join(file)).unwrap(),
        );
    }
    let vault = root.path().join("group_vars/all/vault.yml");
    let set_vault = |current: &str, new: Option<&str>| {
        let mut text = format!("vault_redis_password: {}\n", json!(current));
        if let Some(new) = new {
            text.push_str(&format!("vault_redis_password_new: {}\n", json!(new)));
        }
        write(&vault, &text);
        ansible_vault_encrypt(&vault, "prod", PROD_PASSWORD);
    };
    let secrets = [secret("prod", PROD_PASSWORD)];
    let sink = Mutex::new(Vec::new());
    let mut ctx = context(root.path(), &secrets, &sink);
    // deploy/verify_redis.yml use the library role redis_acl.
    ctx.env.push((
        "ANSIBLE_ROLES_PATH".into(),
        repo_root().join("playbooks/roles").into(),
    ));
    ctx.vars.secrets = vec!["vault_redis_password".into()];
    let conf = root.path().join(".deploy/redis_client.conf");
    let deploy = playbook(
        "playbooks/deploy_redis.yml",
        json!({"redis_port": redis.port}),
    );
    let verify = playbook(
        "playbooks/verify_redis.yml",
        json!({"redis_port": redis.port}),
    );
    let run = |ctx: &RunContext, step: &StepAction| {
        run_step(step, ctx).unwrap_or_else(|e| panic!("{e}\n{}", output(&sink)));
    };
    let client_password = || {
        let text = fs::read_to_string(&conf).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("password "))
            .unwrap()
            .to_string()
    };

    // Plain deploy of the current value.
    set_vault(OLD, None);
    run(&ctx, &deploy);
    run(&ctx, &verify);
    assert_eq!(redis.auth(OLD), "OK");
    assert_eq!(
        fs::metadata(&conf).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // start: both accepted, clients on the new value.
    set_vault(OLD, Some(NEW));
    ctx.vars.phase = Some(Phase::Start);
    run(&ctx, &deploy);
    ctx.vars.phase = None;
    run(&ctx, &verify);
    assert_eq!(redis.auth(OLD), "OK");
    assert_eq!(redis.auth(NEW), "OK");
    assert_eq!(client_password(), NEW);

    // finish: the vault was promoted; only the new value is accepted.
    set_vault(NEW, None);
    ctx.vars.phase = Some(Phase::Finish);
    run(&ctx, &deploy);
    ctx.vars.phase = None;
    run(&ctx, &verify);
    assert!(
        redis.auth(OLD).starts_with("WRONGPASS"),
        "{}",
        redis.auth(OLD)
    );
    assert_eq!(redis.auth(NEW), "OK");
    assert_eq!(client_password(), NEW);

    // A second rotation, aborted: back to the value before it.
    set_vault(NEW, Some(NEWER));
    ctx.vars.phase = Some(Phase::Start);
    run(&ctx, &deploy);
    assert_eq!(redis.auth(NEWER), "OK");
    set_vault(NEW, None);
    ctx.vars.phase = Some(Phase::Abort);
    run(&ctx, &deploy);
    ctx.vars.phase = None;
    run(&ctx, &verify);
    assert!(redis.auth(NEWER).starts_with("WRONGPASS"));
    assert_eq!(redis.auth(NEW), "OK");
    assert_eq!(client_password(), NEW);

    // start without the _new value in the vault is refused before touching Redis.
    ctx.vars.phase = Some(Phase::Start);
    let err = run_step(&deploy, &ctx).unwrap_err();
    assert!(
        err.to_string().contains("vault_redis_password_new"),
        "{err}"
    );
    assert_eq!(redis.auth(NEW), "OK");

    // verify fails when the deployed credential does not work.
    fs::write(&conf, "password drifted-value\n").unwrap();
    ctx.vars.phase = None;
    let err = run_step(&verify, &ctx).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("playbooks/verify_redis.yml") && message.contains("WRONGPASS"),
        "{message}"
    );

    // no_log held: no password in anything ansible printed.
    let printed = output(&sink);
    for value in [OLD, NEW, NEWER, PROD_PASSWORD] {
        assert!(!printed.contains(value), "{value} in output:\n{printed}");
    }
}

#[test]
fn output_is_scrubbed_of_values_in_their_encodings_across_reads_and_lines() {
    const VALUE: &str = "tok\"en/9+Zq%w";
    const TWO_LINES: &str = "first-line-Kq7\nsecond-line-Lm3";
    let root = infra();
    let secrets = [secret("prod", PROD_PASSWORD)];
    let sink = Mutex::new(Vec::new());
    let mut ctx = context(root.path(), &secrets, &sink);
    ctx.redact = vec![
        Zeroizing::new(VALUE.as_bytes().to_vec()),
        Zeroizing::new(TWO_LINES.as_bytes().to_vec()),
    ];
    // The value straddles the runner's 8 KiB reads; then its base64, JSON
    // and URL forms, a multi-line value, and the vault password's base64.
    let run = "head -c 8190 /dev/zero | tr '\\0' x; printf 'tok\"e'; printf 'n/9+Zq%%w\\n'; \
               printf '%s' 'tok\"en/9+Zq%w' | base64; \
               printf '%s\\n' '\"tok\\\"en/9+Zq%w\"'; \
               printf '%s\\n' 'tok%22en/9%2BZq%25w'; \
               printf 'first-line-Kq7\\nsecond-line-Lm3\\n'; \
               printf '%s' 'pipe-pw-prod-7Hq2' | base64; exit 4";
    let err = run_step(&StepAction::Run(run.into()), &ctx).unwrap_err();
    let shown = output(&sink);
    let RunError::StepFailed { code, tail, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*code, Some(4));
    // The message names the step (here a command holding the values itself):
    // what matters is the tail of its output.
    let message = tail.join("\n");
    let base64_value = "dG9rImVuLzkrWnEldw==";
    let base64_password = "cGlwZS1wdy1wcm9kLTdIcTI=";
    for text in [&shown, &message] {
        for leaked in [
            VALUE,
            "tok\\\"en/9+Zq%w",
            "tok%22en/9%2BZq%25w",
            &base64_value[..16],
            &base64_password[..20],
            "first-line-Kq7\nsecond-line-Lm3",
        ] {
            assert!(!text.contains(leaked), "{leaked:?} shown:\n{text}");
        }
    }
    assert_eq!(shown.matches("<redacted>").count(), 6, "{shown}");
    // The tail keeps 4 KiB of a line: the 8 KiB one loses its mask there.
    assert_eq!(message.matches("<redacted>").count(), 5, "{message}");
}
