//! How old each secret is against its policy on a given day, and whether
//! that should fail a CI gate (`check-age`). Pure: no I/O, no clock.

use std::cmp::Reverse;
use std::fmt;

use chrono::NaiveDate;

use super::duration::{MaxAge, Period};
use super::model::Secret;

/// A secret's standing on the day of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Ok,
    /// The due date is at most `warn_before` away.
    DueSoon,
    /// On or after the due date.
    Overdue,
    /// No `last_rotation`.
    NeverRotated,
    /// `max_age: never`.
    Exempt,
    /// A rotation has been started and not finished or aborted. Past the due
    /// date it still fails the gate ([`SecretAge::overdue`]): an open window
    /// is not a rotation done.
    RotationOpen,
}

impl Status {
    /// Every status, most urgent first (the order of summaries).
    pub const ALL: [Status; 6] = [
        Status::Overdue,
        Status::NeverRotated,
        Status::RotationOpen,
        Status::DueSoon,
        Status::Ok,
        Status::Exempt,
    ];

    /// The name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::DueSoon => "due_soon",
            Status::Overdue => "overdue",
            Status::NeverRotated => "never_rotated",
            Status::Exempt => "exempt",
            Status::RotationOpen => "rotation_open",
        }
    }

    /// For people: `due soon`, `never rotated`, ...
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::DueSoon => "due soon",
            Status::Overdue => "overdue",
            Status::NeverRotated => "never rotated",
            Status::Exempt => "exempt",
            Status::RotationOpen => "rotation open",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a secret's standing is; `--fail-on` picks the level that fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `ok`, `exempt`, a rotation open within its window.
    Fine,
    /// `due_soon`, a rotation open longer than `warn_before`.
    DueSoon,
    /// `overdue`, `never_rotated`, a rotation open past the due date.
    Overdue,
}

/// The level from which `check-age` exits non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailOn {
    #[default]
    Overdue,
    DueSoon,
}

impl FailOn {
    pub fn level(self) -> Level {
        match self {
            FailOn::Overdue => Level::Overdue,
            FailOn::DueSoon => Level::DueSoon,
        }
    }
}

/// What an assessment depends on besides the manifest.
#[derive(Debug, Clone, Copy)]
pub struct AgeOptions {
    /// The UTC date the report is for (`--now`).
    pub today: NaiveDate,
    /// `--warn DAYS`: replaces every secret's `warn_before`.
    pub warn_before: Option<Period>,
}

/// One secret's assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretAge<'m> {
    pub secret: &'m Secret,
    pub status: Status,
    pub level: Level,
    /// The window used (the secret's own, or `--warn`).
    pub warn_before: Period,
    /// Days since `last_rotation`.
    pub age_days: Option<i64>,
    /// Days from `last_rotation` (else today) to the due date; `None` when exempt.
    pub max_age_days: Option<i64>,
    /// `last_rotation + max_age`.
    pub due: Option<NaiveDate>,
    /// Days from today to `due`, negative when overdue.
    pub days_left: Option<i64>,
    /// Days since the open rotation started.
    pub open_days: Option<i64>,
    /// A rotation open longer than `warn_before`.
    pub open_too_long: bool,
    /// On or after the due date, whether or not a rotation is open.
    pub overdue: bool,
}

impl SecretAge<'_> {
    pub fn fails(&self, fail_on: FailOn) -> bool {
        self.level >= fail_on.level()
    }

    /// A short account for people: `12 days overdue`, `due in 3 days`, ...
    pub fn detail(&self) -> String {
        self.detail_display().to_string()
    }

    /// [`SecretAge::detail`] without building a string.
    pub fn detail_display(&self) -> impl fmt::Display + '_ {
        Detail(self)
    }
}

/// `n day(s)`.
struct Days(i64);

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 1 {
            f.write_str("1 day")
        } else {
            write!(f, "{} days", self.0)
        }
    }
}

struct Detail<'a, 'm>(&'a SecretAge<'m>);

impl fmt::Display for Detail<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let age = self.0;
        match age.status {
            Status::Overdue => match age.days_left {
                Some(0) => f.write_str("due today"),
                Some(n) => write!(f, "{} overdue", Days(-n)),
                None => Ok(()),
            },
            Status::DueSoon | Status::Ok => match age.days_left {
                Some(n) => write!(f, "due in {}", Days(n)),
                None => Ok(()),
            },
            Status::NeverRotated => f.write_str("no last_rotation recorded"),
            Status::Exempt => f.write_str("max_age: never"),
            Status::RotationOpen => {
                let phase = age
                    .secret
                    .rotation
                    .as_ref()
                    .map(|r| r.phase.as_str())
                    .unwrap_or("open");
                let open = Days(age.open_days.unwrap_or(0));
                write!(f, "open for {open} (phase {phase})")?;
                if age.open_too_long {
                    write!(f, ", longer than warn_before {}", age.warn_before)?;
                }
                match age.days_left {
                    Some(0) if age.overdue => f.write_str("; overdue: due today"),
                    Some(n) if age.overdue => write!(f, "; overdue: {} overdue", Days(-n)),
                    _ => Ok(()),
                }
            }
        }
    }
}

/// Assesses one secret on `options.today`.
pub fn assess<'m>(secret: &'m Secret, options: &AgeOptions) -> SecretAge<'m> {
    let today = options.today;
    // A derived secret was rotated when its source was.
    let last_rotation = secret.rotated_on();
    let warn_before = options.warn_before.unwrap_or(secret.warn_before);
    let due = last_rotation.and_then(|last| secret.max_age.due(last));
    let age_days = last_rotation.map(|last| (today - last).num_days());
    let max_age_days = match secret.max_age {
        MaxAge::Never => None,
        MaxAge::After(period) => {
            let from = last_rotation.unwrap_or(today);
            period.after(from).map(|due| (due - from).num_days())
        }
    };
    let days_left = due.map(|due| (due - today).num_days());
    let overdue = due.is_some_and(|due| today >= due);

    let mut open_days = None;
    let mut open_too_long = false;
    let (status, level) = if let Some(rotation) = &secret.rotation {
        let started = rotation.started.date_naive();
        open_days = Some((today - started).num_days());
        open_too_long = warn_before
            .after(started)
            .is_some_and(|limit| today > limit);
        let level = if overdue {
            Level::Overdue
        } else if open_too_long {
            Level::DueSoon
        } else {
            Level::Fine
        };
        (Status::RotationOpen, level)
    } else if secret.max_age == MaxAge::Never {
        (Status::Exempt, Level::Fine)
    } else if last_rotation.is_none() {
        (Status::NeverRotated, Level::Overdue)
    } else {
        match due {
            Some(due) if today >= due => (Status::Overdue, Level::Overdue),
            Some(due) if warn_before.before(due).is_none_or(|start| today >= start) => {
                (Status::DueSoon, Level::DueSoon)
            }
            _ => (Status::Ok, Level::Fine),
        }
    };
    SecretAge {
        secret,
        status,
        level,
        warn_before,
        age_days,
        max_age_days,
        due,
        days_left,
        open_days,
        open_too_long,
        overdue,
    }
}

/// Every assessed secret, most urgent first.
#[derive(Debug, Clone)]
pub struct AgeReport<'m> {
    pub today: NaiveDate,
    pub fail_on: FailOn,
    pub entries: Vec<SecretAge<'m>>,
}

impl<'m> AgeReport<'m> {
    pub fn new(
        secrets: impl IntoIterator<Item = &'m Secret>,
        options: &AgeOptions,
        fail_on: FailOn,
    ) -> AgeReport<'m> {
        let mut entries: Vec<SecretAge<'m>> =
            secrets.into_iter().map(|s| assess(s, options)).collect();
        entries.sort_by_cached_key(urgency);
        AgeReport {
            today: options.today,
            fail_on,
            entries,
        }
    }

    pub fn count(&self, status: Status) -> usize {
        self.entries.iter().filter(|e| e.status == status).count()
    }

    /// How many rotations are open longer than their window.
    pub fn open_too_long(&self) -> usize {
        self.entries.iter().filter(|e| e.open_too_long).count()
    }

    /// How many secrets with an open rotation are past their due date.
    pub fn open_overdue(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.status == Status::RotationOpen && e.overdue)
            .count()
    }

    /// True when some secret is at or past the fail level (exit 1).
    pub fn failing(&self) -> bool {
        self.entries.iter().any(|e| e.fails(self.fail_on))
    }
}

fn rank(entry: &SecretAge<'_>) -> u8 {
    match entry.status {
        Status::Overdue => 0,
        Status::RotationOpen if entry.overdue => 0,
        Status::NeverRotated => 1,
        Status::RotationOpen if entry.open_too_long => 2,
        Status::DueSoon => 3,
        Status::RotationOpen => 4,
        Status::Ok => 5,
        Status::Exempt => 6,
    }
}

/// Sort key, most urgent first: status rank, longest open, earliest due
/// (none last), name.
fn urgency<'m>(
    entry: &SecretAge<'m>,
) -> (u8, Reverse<Option<i64>>, bool, Option<NaiveDate>, &'m str) {
    (
        rank(entry),
        Reverse(entry.open_days),
        entry.due.is_none(),
        entry.due,
        entry.secret.name.as_str(),
    )
}
