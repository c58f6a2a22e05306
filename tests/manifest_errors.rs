//! Every way a manifest can be wrong, with the exact message and position.

use std::path::Path;

use vaultrot::manifest::{Manifest, ManifestError};

const HEAD: &str =
    "secrets_manifest:\n  version: 1\n  policies:\n    api_token: { max_age: 6mo }\n  secrets:\n";

fn error_of(text: &str) -> String {
    match Manifest::parse(text, Path::new("m.yml"), Path::new("/infra")) {
        Ok(_) => panic!("accepted an invalid manifest:\n{text}"),
        Err(err) => err.to_string(),
    }
}

/// A secret `vault_a` with the given settings (6-space indented lines).
fn secret(settings: &str) -> String {
    format!("{HEAD}    vault_a:\n{settings}")
}

#[test]
fn a_valid_manifest_parses() {
    let text = secret("      policy: api_token\n      last_rotation: 2026-01-15\n");
    let manifest = Manifest::parse(&text, Path::new("m.yml"), Path::new("/infra")).unwrap();
    assert_eq!(manifest.secrets[0].name, "vault_a");
}

#[test]
fn unknown_fields_are_typos_and_name_what_is_expected() {
    assert_eq!(
        error_of(&secret("      polcy: api_token\n")),
        "m.yml:7:7: unknown field `polcy`, expected one of policy, max_age, warn_before, strategy, min_window, auto, last_rotation, owner, description, vault, generate, derived_from, deploy, verify, revoke, notify, rotation, history"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      deploy:\n        - playbok: x.yml\n"
        )),
        "m.yml:9:11: unknown field `playbok`, expected one of playbook, inventory, tags, limit, extra_vars, run, manual, retries, delay"
    );
    assert_eq!(
        error_of("secrets_manifest:\n  version: 1\n  defaults:\n    warn_befor: 3d\n"),
        "m.yml:4:5: unknown field `warn_befor`, expected one of vault, inventory, changelog, warn_before"
    );
    assert_eq!(
        error_of(
            "secrets_manifest:\n  version: 1\n  policies:\n    p: { max_age: 6mo, stratgy: swap }\n"
        ),
        "m.yml:4:24: unknown field `stratgy`, expected one of max_age, warn_before, strategy, min_window, auto"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      generate: { lenght: 40 }\n"
        )),
        "m.yml:8:19: unknown field `lenght`, expected one of length, charset, exclude, external, command, instructions"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      rotation: { id: r1, phase: dual, started: 2026-01-01, user: me }\n"
        )),
        "m.yml:8:61: unknown field `user`, expected one of id, phase, started, by, group, kind, old_fingerprint, new_fingerprint, reason, awaiting"
    );
    assert_eq!(
        error_of("secrets_manifest:\n  version: 1\nsecrets:\n  vault_a: {}\n"),
        "m.yml:3:1: unknown top-level key `secrets`; everything in this file goes under `secrets_manifest`"
    );
    assert_eq!(
        error_of("secrets_manifest:\n  version: 1\n  secret:\n    vault_a: {}\n"),
        "m.yml:3:3: unknown field `secret`, expected one of version, defaults, policies, secrets, vault_passwords, owners"
    );
}

#[test]
fn unknown_policy_lists_the_known_ones() {
    assert_eq!(
        error_of(&secret("      policy: api_tokn\n")),
        "m.yml:7:15: unknown policy `api_tokn` for secret `vault_a`; expected one of: api_token"
    );
    let no_policies =
        "secrets_manifest:\n  version: 1\n  secrets:\n    vault_a:\n      policy: api_token\n";
    assert_eq!(
        error_of(no_policies),
        "m.yml:5:15: unknown policy `api_token` for secret `vault_a`; no policies are defined under secrets_manifest.policies"
    );
}

#[test]
fn bad_durations_say_what_a_duration_is() {
    assert_eq!(
        error_of(&secret("      max_age: 6m\n")),
        "m.yml:7:16: bad max_age: `6m` is ambiguous; write 6mo for months, or `never`"
    );
    assert_eq!(
        error_of(&secret("      max_age: 0d\n")),
        "m.yml:7:16: bad max_age: `0d` is not a usable max_age; it must be longer than zero, or `never`"
    );
    assert_eq!(
        error_of(&secret("      max_age: 6 months\n")),
        "m.yml:7:16: bad max_age: `6 months` has an unknown unit ` months`; expected a duration: a number followed by d (days), w (weeks), mo (months) or y (years), e.g. 30d, 2w, 6mo, 1y, or `never`"
    );
    assert_eq!(
        error_of("secrets_manifest:\n  version: 1\n  defaults:\n    warn_before: never\n"),
        "m.yml:4:18: bad warn_before: `never` is not a duration; expected a duration: a number followed by d (days), w (weeks), mo (months) or y (years), e.g. 30d, 2w, 6mo, 1y (`never` is only valid for max_age)"
    );
    assert_eq!(
        error_of(&secret("      policy: api_token\n      min_window: 1h\n")),
        "m.yml:8:19: bad min_window: `1h` has an unknown unit `h`; expected a duration: a number followed by d (days), w (weeks), mo (months) or y (years), e.g. 30d, 2w, 6mo, 1y"
    );
}

#[test]
fn bad_dates_are_errors() {
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      last_rotation: 2026-02-30\n"
        )),
        "m.yml:8:22: bad last_rotation: `2026-02-30` is not a date on the calendar; expected YYYY-MM-DD, e.g. 2026-01-15"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      last_rotation: 15/01/2026\n"
        )),
        "m.yml:8:22: bad last_rotation: `15/01/2026` is not a date; expected YYYY-MM-DD, e.g. 2026-01-15"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      last_rotation: never\n"
        )),
        "m.yml:8:22: bad last_rotation: `never` is not a date; expected YYYY-MM-DD, e.g. 2026-01-15 (leave last_rotation empty for a secret never rotated)"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      rotation: { id: r1, phase: dual, started: yesterday }\n"
        )),
        "m.yml:8:49: bad rotation.started: `yesterday` is not a timestamp; expected RFC 3339 (2026-11-22T10:15:00Z) or a date (YYYY-MM-DD)"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      history:\n        - { event: rotated, at: last week }\n"
        )),
        "m.yml:9:33: bad history.at: `last week` is not a timestamp; expected RFC 3339 (2026-11-22T10:15:00Z) or a date (YYYY-MM-DD)"
    );
}

#[test]
fn settings_with_a_fixed_vocabulary_name_it() {
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      strategy: rolling\n"
        )),
        "m.yml:8:17: unknown strategy `rolling`; expected `dual` or `swap`"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      generate: { charset: base64 }\n"
        )),
        "m.yml:8:28: unknown charset `base64`; expected alnum, ascii, hex or base64url"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      rotation: { id: r1, phase: half, started: 2026-01-01 }\n"
        )),
        "m.yml:8:34: unknown rotation phase `half`; expected one of: starting, dual, promoting, promoted, revoked, aborting, rolling_back"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      history:\n        - { event: done, at: 2026-01-01 }\n"
        )),
        "m.yml:9:20: unknown history event `done`; expected one of: started, finished, aborted, rotated, compromised, rolled_back, repaired, repair_failed"
    );
}

#[test]
fn generate_and_steps_take_one_shape() {
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      generate: { length: 40, external: true }\n"
        )),
        "m.yml:8:17: generate takes one of {length, charset, exclude}, {external: true} or {command: PATH}, not a mix"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      generate: { length: 4 }\n"
        )),
        "m.yml:8:27: generate.length 4 is out of range; expected 8 to 4096"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      generate: { external: false }\n"
        )),
        "m.yml:8:29: generate.external can only be `true`; drop it to let vaultrot generate the value"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      generate: { charset: hex, exclude: \"0123456789abcde\" }\n"
        )),
        "m.yml:8:17: generate.exclude removes (almost) every character of the charset"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      deploy:\n        - tags: [a]\n"
        )),
        "m.yml:9:11: a step needs `playbook: PATH` (with optional inventory, tags, limit, extra_vars), `run: COMMAND` or `manual: INSTRUCTION`"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      deploy:\n        - { playbook: a.yml, run: b }\n"
        )),
        "m.yml:9:11: a step is either `playbook: PATH` or `run: COMMAND`, not both"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      verify:\n        - { run: ./check.sh, tags: [x] }\n"
        )),
        "m.yml:9:11: inventory, tags, limit and extra_vars only apply to a `playbook` step, not to `run`"
    );
    assert_eq!(
        error_of(&secret(
            "      policy: api_token\n      deploy:\n        - playbook: x.yml\n          tags: 5\n"
        )),
        "m.yml:10:17: expected a list of tags or a comma-separated string, found `5`"
    );
}

#[test]
fn structure_errors() {
    assert_eq!(
        error_of(""),
        "m.yml:1:1: the file is empty; expected a `secrets_manifest:` mapping"
    );
    assert_eq!(
        error_of("secrets_manifest:\n  version: 2\n"),
        "m.yml:2:12: unsupported manifest version 2; this vaultrot reads version 1"
    );
    assert_eq!(
        error_of("secrets_manifest:\n  secrets: {}\n"),
        "m.yml:2:3: missing field `version`; expected `version: 1`"
    );
    assert_eq!(
        error_of(&format!("{HEAD}    vault_a:\n")),
        "m.yml:6:5: secret `vault_a` has no settings; expected a mapping with at least `policy: NAME` or `max_age: DURATION`"
    );
    assert_eq!(
        error_of(&format!("{HEAD}    - vault_a\n")),
        "m.yml:6:5: expected a mapping (`key: value` lines), found a list"
    );
    assert_eq!(
        error_of(&secret("      owner: me\n")),
        "m.yml:6:5: secret `vault_a` has neither a policy nor a max_age; add `policy: NAME` or e.g. `max_age: 6mo`"
    );
    assert_eq!(
        error_of(&format!(
            "{HEAD}    vault_a: {{ policy: api_token }}\n    vault_a: {{ policy: api_token }}\n"
        )),
        "m.yml:7:5: `vault_a` is written twice in the same mapping (first on line 6); keep one"
    );
    assert_eq!(
        error_of(&format!("{HEAD}    vault-a: {{ policy: api_token }}\n")),
        "m.yml:6:5: `vault-a` is not a valid Ansible variable name; expected letters, digits and underscores, not starting with a digit"
    );
    assert_eq!(
        error_of(&format!(
            "{HEAD}    vault_a: {{ policy: api_token }}\n    vault_a_new: {{ policy: api_token }}\n"
        )),
        "m.yml:7:5: secret `vault_a_new` collides with the key a dual rotation of `vault_a` uses; rename it"
    );
    assert_eq!(
        error_of("secrets_manifest:\n\tversion: 1\n"),
        "m.yml:2:1: tab character used for indentation"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = format!(
        "{HEAD}    vault_a: {{ policy: nope }}\n    vault_b: {{ max_age: 6m }}\n    vault_c: {{ policy: api_token, last_rotation: 2026-13-01 }}\n"
    );
    let err = Manifest::parse(&text, Path::new("m.yml"), Path::new("/infra")).unwrap_err();
    let ManifestError::Invalid { diagnostics, .. } = &err else {
        panic!("{err:?}");
    };
    let lines: Vec<u32> = diagnostics.iter().map(|d| d.pos.unwrap().line).collect();
    assert_eq!(lines, vec![6, 7, 8]);
    assert_eq!(err.to_string().lines().count(), 3);
}

#[test]
fn read_errors_name_the_file() {
    let err = Manifest::load(Path::new("/nonexistent/_secrets_manifest.yml")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot read manifest /nonexistent/_secrets_manifest.yml: "),
        "{err}"
    );
}

#[test]
fn steps_the_runner_could_not_run_safely_are_refused_by_the_reader() {
    let deploy = |step: &str| {
        secret(&format!(
            "      policy: api_token\n      deploy:\n        - {step}\n"
        ))
    };
    let err = error_of(&deploy(
        "{playbook: p.yml, extra_vars: {vault_db_password: x}}",
    ));
    assert!(err.contains("names a vault variable"), "{err}");
    let err = error_of(&deploy(
        "{playbook: p.yml, extra_vars: {vaultrot_phase: x}}",
    ));
    assert!(err.contains("reserved"), "{err}");
    let err = error_of(&deploy("{manual: 'do it', run: x}"));
    assert!(err.contains("a `manual` step is an instruction"), "{err}");
    let err = error_of(&secret(
        "      policy: api_token\n      verify: {skip: true}\n",
    ));
    assert!(err.contains("needs a `reason:`"), "{err}");
    let err = error_of(&secret(
        "      policy: api_token\n      generate: {length: 12, instructions: x}\n",
    ));
    assert!(err.contains("only applies with `external: true`"), "{err}");
    let text = secret(
        "      policy: api_token\n      verify: {skip: true, reason: nothing to check}\n      revoke:\n        - manual: Revoke it in the dashboard\n",
    );
    let manifest = Manifest::parse(&text, Path::new("m.yml"), Path::new("/infra")).unwrap();
    assert_eq!(
        manifest.secrets[0].verify_skip.as_deref(),
        Some("nothing to check")
    );
}

#[test]
fn vault_passwords_need_one_store_and_read_like_secrets() {
    let head = "secrets_manifest:\n  version: 1\n  policies:\n    vp: { max_age: 1y }\n  vault_passwords:\n";
    let text = format!(
        "{head}    default:\n      store: {{ age_file: .vault-pass.age }}\n      policy: vp\n      last_rotation: 2026-01-10\n      owner: platform-team\n"
    );
    let manifest = Manifest::parse(&text, Path::new("m.yml"), Path::new("/infra")).unwrap();
    let password = manifest.vault_password("default").unwrap();
    assert_eq!(
        password.store,
        vaultrot::manifest::PasswordStore::AgeFile(".vault-pass.age".into())
    );
    assert_eq!(password.secret.name, "vault_password.default");
    assert_eq!(password.secret.owner.as_deref(), Some("platform-team"));
    assert!(manifest.secrets.is_empty());

    let two =
        format!("{head}    default:\n      store: {{ file: a, command: b }}\n      policy: vp\n");
    assert!(
        error_of(&two).contains(
            "`store` needs exactly one of `age_file: PATH`, `file: PATH` or `command: COMMAND`"
        ),
        "{}",
        error_of(&two)
    );
    let no_policy = format!("{head}    default:\n      store: {{ file: a }}\n");
    assert!(
        error_of(&no_policy)
            .contains("`vault_password.default` has neither a policy nor a max_age"),
        "{}",
        error_of(&no_policy)
    );
}
