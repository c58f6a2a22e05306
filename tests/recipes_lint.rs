//! The recipes of `playbooks/` as Ansible sees them: ansible-lint's
//! production profile finds nothing, every playbook passes
//! `ansible-playbook --syntax-check`, and each role's
//! `meta/argument_specs.yml` is enforced (a play missing a required
//! variable, or giving a value outside its choices, is refused).
//!
//! ansible-lint lives in `.venv-lint` (`scripts/setup-test-env.sh` installs
//! it there, pinned, so its own ansible-core never replaces the one in
//! `.venv`); `VAULTROT_ANSIBLE_LINT` names another binary. Missing, the
//! tests fail; they never skip.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::repo_root;

fn show(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ansible_lint() -> PathBuf {
    let path = std::env::var_os("VAULTROT_ANSIBLE_LINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv-lint/bin/ansible-lint"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup-test-env.sh (it installs ansible-lint into .venv-lint) or set VAULTROT_ANSIBLE_LINT",
        path.display()
    );
    path
}

/// The playbooks at the top of `playbooks/` (the roles' entry points).
fn playbooks() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(repo_root().join("playbooks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    found.sort();
    assert!(found.len() >= 10, "playbooks/ has only {found:?}");
    found
}

/// The roles under `playbooks/roles/`.
fn roles() -> Vec<String> {
    let mut found: Vec<String> = fs::read_dir(repo_root().join("playbooks/roles"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    found
}

#[test]
fn ansible_lint_production_profile_finds_nothing_in_playbooks() {
    let home = tempfile::TempDir::new().unwrap();
    let lint = ansible_lint();
    let mut path = std::ffi::OsString::from(lint.parent().unwrap());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let out = common::clean_command(&lint, &repo_root())
        .args([
            "--offline",
            "--profile",
            "production",
            "--nocolor",
            "playbooks/",
        ])
        .env("HOME", home.path())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ansible-lint found problems:\n{}",
        show(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Passed") && stderr.contains("production"),
        "ansible-lint did not pass the production profile:\n{}",
        show(&out)
    );
}

#[test]
fn every_playbook_passes_the_syntax_check() {
    let home = tempfile::TempDir::new().unwrap();
    let mut cmd = common::clean_command(&common::ansible("ansible-playbook"), home.path());
    cmd.args(["--syntax-check", "-i", "localhost,"])
        .args(playbooks());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "syntax check failed:\n{}", show(&out));
}

/// A play per role, inside block/rescue so one run reports every role:
/// `REFUSED <role>: <why>` or `ACCEPTED <role>`.
fn validation_play(role: &str, vars: &str) -> String {
    format!(
        r#"- name: Validate {role}
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Apply {role}
      block:
        - name: Include {role}
          ansible.builtin.include_role:
            name: {role}
          vars:
            {vars}
        - name: Report
          ansible.builtin.debug:
            msg: "ACCEPTED {role}"
      rescue:
        - name: Report
          ansible.builtin.debug:
            msg: "REFUSED {role}: {{{{ ansible_failed_result.msg }}}}"
"#
    )
}

fn run_plays(dir: &Path, plays: &str) -> String {
    fs::write(dir.join("validate.yml"), plays).unwrap();
    let out = common::clean_command(&common::ansible("ansible-playbook"), dir)
        .args(["-i", "localhost,", "validate.yml"])
        .env("ANSIBLE_ROLES_PATH", repo_root().join("playbooks/roles"))
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn argument_specs_refuse_a_missing_required_variable_and_a_bad_choice() {
    let dir = tempfile::TempDir::new().unwrap();
    let roles = roles();
    // Every role of playbooks/ is run with its required variables missing,
    // and one with an action outside its choices.
    let mut plays = String::new();
    for role in &roles {
        plays.push_str(&validation_play(role, "vaultrot_recipes_lint: true"));
    }
    plays.push_str(&validation_play(
        "api_token",
        "{ api_token_action: explode, api_token_var: vault_x, api_token_base_url: 'http://127.0.0.1:9', api_token_env_file: /tmp/x }",
    ));
    let printed = run_plays(dir.path(), &plays);
    for role in &roles {
        let refused = printed
            .lines()
            .find(|l| l.contains(&format!("REFUSED {role}:")))
            .unwrap_or_else(|| panic!("{role} ran without its required variables:\n{printed}"));
        assert!(
            refused.contains("missing required arguments"),
            "{role}: {refused}"
        );
    }
    for (role, names) in [
        (
            "webhook_secret",
            &["webhook_secret_var", "webhook_secret_file"][..],
        ),
        (
            "api_token",
            &["api_token_var", "api_token_base_url", "api_token_env_file"],
        ),
        (
            "telegram_bot",
            &["telegram_bot_token_var", "telegram_bot_env_file"],
        ),
        (
            "discord_bot",
            &["discord_bot_token_var", "discord_bot_env_file"],
        ),
        (
            "slack_app",
            &[
                "slack_app_bot_token_var",
                "slack_app_app_token_var",
                "slack_app_signing_secret_var",
            ],
        ),
        (
            "matrix_bot",
            &["matrix_bot_token_var", "matrix_bot_homeserver_url"],
        ),
    ] {
        let refused = printed
            .lines()
            .find(|l| l.contains(&format!("REFUSED {role}:")))
            .unwrap_or_else(|| panic!("no {role} in:\n{printed}"));
        for name in names {
            assert!(
                refused.contains(name),
                "{role} did not name {name}: {refused}"
            );
        }
    }
    assert!(
        printed.contains("api_token_action must be one of: deploy, verify, revoke"),
        "{printed}"
    );
}
