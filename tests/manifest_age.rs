//! Ages against policy: every status at and around its boundary day, the
//! fail levels, the order of the report, and how settings are inherited.

use std::path::Path;

use chrono::NaiveDate;
use vaultrot::manifest::{
    AgeOptions, AgeReport, FailOn, Level, Manifest, MaxAge, Period, Status, Strategy, assess,
};

fn date(text: &str) -> NaiveDate {
    vaultrot::manifest::parse_date(text).unwrap()
}

fn manifest(secrets: &str) -> Manifest {
    manifest_at(
        Path::new("/infra/group_vars/all/_secrets_manifest.yml"),
        secrets,
    )
}

fn manifest_at(path: &Path, secrets: &str) -> Manifest {
    let text = format!(
        "secrets_manifest:\n  version: 1\n  defaults:\n    warn_before: 7d\n  policies:\n    monthly: {{ max_age: 1mo }}\n    yearly: {{ max_age: 1y, warn_before: 1mo, strategy: swap }}\n    exempt: {{ max_age: never }}\n  secrets:\n{secrets}"
    );
    Manifest::parse(&text, path, Path::new("/infra")).unwrap()
}

fn status_on(manifest: &Manifest, today: &str) -> (Status, Level) {
    let options = AgeOptions {
        today: date(today),
        warn_before: None,
    };
    let age = assess(&manifest.secrets[0], &options);
    (age.status, age.level)
}

#[test]
fn monthly_secret_rotated_on_jan_31_is_due_feb_28() {
    // 1mo after Jan 31 clamps to Feb 28; warn_before 7d (defaults).
    let m = manifest("    s: { policy: monthly, last_rotation: 2026-01-31 }\n");
    let age = assess(
        &m.secrets[0],
        &AgeOptions {
            today: date("2026-02-01"),
            warn_before: None,
        },
    );
    assert_eq!(age.due, Some(date("2026-02-28")));
    assert_eq!(age.max_age_days, Some(28));
    assert_eq!(age.age_days, Some(1));
    assert_eq!(age.days_left, Some(27));

    assert_eq!(status_on(&m, "2026-02-20"), (Status::Ok, Level::Fine));
    // Due date at most warn_before (7 days) away: due soon.
    assert_eq!(
        status_on(&m, "2026-02-21"),
        (Status::DueSoon, Level::DueSoon)
    );
    assert_eq!(
        status_on(&m, "2026-02-27"),
        (Status::DueSoon, Level::DueSoon)
    );
    // On and after the due date: overdue.
    assert_eq!(
        status_on(&m, "2026-02-28"),
        (Status::Overdue, Level::Overdue)
    );
    assert_eq!(
        status_on(&m, "2026-03-01"),
        (Status::Overdue, Level::Overdue)
    );
}

#[test]
fn leap_years_move_the_due_date() {
    let m = manifest("    s: { policy: monthly, last_rotation: 2028-01-31 }\n");
    assert_eq!(
        status_on(&m, "2028-02-28"),
        (Status::DueSoon, Level::DueSoon)
    );
    assert_eq!(
        status_on(&m, "2028-02-29"),
        (Status::Overdue, Level::Overdue)
    );

    // A yearly secret rotated on Feb 29 is due on Feb 28 of the next year.
    let m = manifest("    s: { policy: yearly, last_rotation: 2028-02-29 }\n");
    let age = assess(
        &m.secrets[0],
        &AgeOptions {
            today: date("2028-03-01"),
            warn_before: None,
        },
    );
    assert_eq!(age.due, Some(date("2029-02-28")));
    assert_eq!(age.max_age_days, Some(365));
    // warn_before 1mo: the window opens on Jan 28.
    assert_eq!(status_on(&m, "2029-01-27"), (Status::Ok, Level::Fine));
    assert_eq!(
        status_on(&m, "2029-01-28"),
        (Status::DueSoon, Level::DueSoon)
    );
    assert_eq!(
        status_on(&m, "2029-02-28"),
        (Status::Overdue, Level::Overdue)
    );
}

#[test]
fn warn_override_replaces_every_window() {
    let m = manifest("    s: { policy: yearly, last_rotation: 2026-01-15 }\n");
    let with_warn = |days: u32, today: &str| {
        assess(
            &m.secrets[0],
            &AgeOptions {
                today: date(today),
                warn_before: Some(Period::days(days)),
            },
        )
        .status
    };
    assert_eq!(with_warn(3, "2027-01-11"), Status::Ok);
    assert_eq!(with_warn(3, "2027-01-12"), Status::DueSoon);
    assert_eq!(with_warn(0, "2027-01-14"), Status::Ok);
    assert_eq!(with_warn(0, "2027-01-15"), Status::Overdue);
}

#[test]
fn never_rotated_counts_as_overdue_and_exempt_never_fails() {
    let m = manifest("    s: { policy: monthly }\n");
    assert_eq!(
        status_on(&m, "2026-01-01"),
        (Status::NeverRotated, Level::Overdue)
    );
    let age = assess(
        &m.secrets[0],
        &AgeOptions {
            today: date("2026-01-31"),
            warn_before: None,
        },
    );
    assert_eq!((age.age_days, age.due), (None, None));
    assert_eq!(age.max_age_days, Some(28), "1mo from the report day");

    let m = manifest("    s: { policy: exempt, last_rotation: 2001-01-01 }\n");
    assert_eq!(status_on(&m, "2099-01-01"), (Status::Exempt, Level::Fine));
    let m = manifest("    s: { policy: exempt }\n");
    assert_eq!(status_on(&m, "2099-01-01"), (Status::Exempt, Level::Fine));
}

#[test]
fn an_open_rotation_is_flagged_once_open_longer_than_warn_before() {
    let m = manifest(
        "    s:\n      policy: monthly\n      last_rotation: 2026-02-20\n      rotation: { id: r-1, phase: dual, started: 2026-03-01T23:59:00Z, by: alice }\n",
    );
    let at = |today: &str| {
        assess(
            &m.secrets[0],
            &AgeOptions {
                today: date(today),
                warn_before: None,
            },
        )
    };
    // Open 7 days = warn_before: not yet longer than the window.
    let age = at("2026-03-08");
    assert_eq!(
        (age.status, age.level, age.open_days),
        (Status::RotationOpen, Level::Fine, Some(7))
    );
    assert!(!age.open_too_long);
    assert_eq!(age.detail(), "open for 7 days (phase dual)");
    let age = at("2026-03-09");
    assert_eq!(
        (age.status, age.level, age.open_days),
        (Status::RotationOpen, Level::DueSoon, Some(8))
    );
    assert!(age.open_too_long);
    assert_eq!(
        age.detail(),
        "open for 8 days (phase dual), longer than warn_before 7d"
    );
    assert_eq!(age.due, Some(date("2026-03-20")));
    assert!(!age.overdue);
}

#[test]
fn an_open_rotation_past_the_due_date_fails_as_overdue() {
    let m = manifest(
        "    s:\n      policy: monthly\n      last_rotation: 2025-01-01\n      rotation: { id: r-1, phase: dual, started: 2026-03-01T23:59:00Z, by: alice }\n",
    );
    let age = assess(
        &m.secrets[0],
        &AgeOptions {
            today: date("2026-03-03"),
            warn_before: None,
        },
    );
    // Still shown as an open rotation, but an open window is not a rotation done.
    assert_eq!(
        (age.status, age.level, age.overdue),
        (Status::RotationOpen, Level::Overdue, true)
    );
    assert!(age.fails(FailOn::Overdue));
    assert_eq!(
        age.detail(),
        "open for 2 days (phase dual); overdue: 395 days overdue"
    );
}

#[test]
fn fail_levels() {
    let m = manifest(
        "    a: { policy: monthly, last_rotation: 2026-01-01 }\n    b: { policy: monthly, last_rotation: 2026-01-30 }\n    c: { policy: exempt }\n",
    );
    let options = AgeOptions {
        today: date("2026-02-25"),
        warn_before: None,
    };
    // b is due soon (due 2026-02-28), a overdue.
    let only = |names: &[&str], fail_on| {
        let report = AgeReport::new(
            m.secrets
                .iter()
                .filter(|s| names.contains(&s.name.as_str())),
            &options,
            fail_on,
        );
        report.failing()
    };
    assert!(only(&["a"], FailOn::Overdue));
    assert!(!only(&["b"], FailOn::Overdue));
    assert!(only(&["b"], FailOn::DueSoon));
    assert!(!only(&["c"], FailOn::DueSoon));
    assert!(!only(&[], FailOn::DueSoon));
}

#[test]
fn report_is_sorted_most_urgent_first_and_counts_statuses() {
    let m = manifest(concat!(
        "    ok_late: { policy: yearly, last_rotation: 2026-06-01 }\n",
        "    exempt: { policy: exempt }\n",
        "    soon: { policy: monthly, last_rotation: 2026-02-20 }\n",
        "    open: { policy: monthly, last_rotation: 2026-03-01, rotation: { id: r, phase: dual, started: 2026-03-10 } }\n",
        "    never: { policy: monthly }\n",
        "    overdue_less: { policy: monthly, last_rotation: 2026-02-01 }\n",
        "    overdue_most: { policy: monthly, last_rotation: 2026-01-01 }\n",
        "    ok_early: { policy: yearly, last_rotation: 2026-03-01 }\n",
        "    open_long: { policy: monthly, last_rotation: 2026-03-01, rotation: { id: r2, phase: dual, started: 2026-03-01 } }\n",
    ));
    let report = AgeReport::new(
        &m.secrets,
        &AgeOptions {
            today: date("2026-03-15"),
            warn_before: None,
        },
        FailOn::Overdue,
    );
    let order: Vec<&str> = report
        .entries
        .iter()
        .map(|e| e.secret.name.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "overdue_most",
            "overdue_less",
            "never",
            "open_long",
            "soon",
            "open",
            "ok_early",
            "ok_late",
            "exempt"
        ]
    );
    assert_eq!(report.count(Status::Overdue), 2);
    assert_eq!(report.count(Status::RotationOpen), 2);
    assert_eq!(report.open_too_long(), 1);
    assert!(report.failing());
}

#[test]
fn own_settings_beat_the_policy_which_beats_the_defaults() {
    let m = manifest(concat!(
        "    inherits: { policy: yearly }\n",
        "    own: { policy: yearly, max_age: 2w, warn_before: 3d, strategy: dual, vault: other/vault.yml }\n",
        "    no_policy: { max_age: never }\n",
    ));
    let [inherits, own, no_policy] = &m.secrets[..] else {
        panic!()
    };
    assert_eq!(inherits.max_age, "1y".parse::<MaxAge>().unwrap());
    assert_eq!(inherits.warn_before, "1mo".parse().unwrap());
    assert_eq!(inherits.strategy, Strategy::Swap);
    assert_eq!(
        inherits.vault,
        Path::new("group_vars/all/vault.yml"),
        "beside the manifest by default"
    );
    let elsewhere = manifest_at(
        Path::new("/infra/inventories/prod/group_vars/all/m.yml"),
        "    s: { policy: yearly }\n",
    );
    assert_eq!(
        elsewhere.secrets[0].vault,
        Path::new("inventories/prod/group_vars/all/vault.yml")
    );
    assert_eq!(own.max_age, "2w".parse::<MaxAge>().unwrap());
    assert_eq!(own.warn_before, Period::days(3));
    assert_eq!(own.strategy, Strategy::Dual);
    assert_eq!(own.vault, Path::new("other/vault.yml"));
    assert_eq!(no_policy.policy, None);
    assert_eq!(no_policy.warn_before, Period::days(7), "from defaults");
    assert_eq!(no_policy.strategy, Strategy::Dual);
}

#[test]
fn the_example_infra_shows_every_status() {
    let m = Manifest::load(Path::new("infra/group_vars/all/_secrets_manifest.yml")).unwrap();
    assert!(
        m.root.ends_with("infra"),
        "infra root is the ansible.cfg directory"
    );
    assert_eq!(m.defaults.vault, Path::new("group_vars/all/vault.yml"));
    let report = AgeReport::new(
        &m.secrets,
        &AgeOptions {
            today: date("2026-11-23"),
            warn_before: None,
        },
        FailOn::Overdue,
    );
    for status in Status::ALL {
        assert!(
            report.count(status) > 0,
            "no secret is {status} on 2026-11-23"
        );
    }
}
