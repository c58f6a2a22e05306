//! The 10,000-secret manifest text the check_age and yaml_parse benchmarks
//! both read (included by each with `#[path]`).

use std::fmt::Write as _;

use chrono::NaiveDate;

/// A manifest shaped like a real one: policies, dates spread over two years,
/// owners, generate, deploy and verify steps, a few open rotations.
pub fn manifest_text(secrets: usize) -> String {
    let mut text = String::from(
        "# generated for the check-age benchmark\nsecrets_manifest:\n  version: 1\n  defaults:\n    vault: group_vars/all/vault.yml\n    inventory: inventory/staging.yml\n    warn_before: 30d\n  policies:\n    api_token: { max_age: 6mo }\n    database_password: { max_age: 12mo }\n    bot_token: { max_age: 12mo, strategy: swap }\n    on_demand: { max_age: never }\n  secrets:\n",
    );
    let policies = ["api_token", "database_password", "bot_token", "on_demand"];
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    for i in 0..secrets {
        let date = start + chrono::Days::new((i * 7 % 700) as u64);
        let _ = write!(
            text,
            "    vault_secret_{i:05}:\n      policy: {}\n      last_rotation: {date}\n      owner: team-{}\n      generate: {{ length: 32, charset: alnum }}\n      deploy:\n        - playbook: playbooks/deploy_{}.yml\n          tags: [svc{}]\n      verify:\n        - playbook: playbooks/smoketest.yml\n",
            policies[i % 4],
            i % 17,
            i % 50,
            i % 50,
        );
        if i % 100 == 0 {
            let _ = write!(
                text,
                "      rotation:\n        id: r-{i}\n        phase: dual\n        started: 2026-11-01T10:00:00Z\n        by: alice\n"
            );
        }
    }
    text
}
