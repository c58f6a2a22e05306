//! The validated manifest as the rest of vaultrot sees it: every secret with
//! its policy already applied, and where in the file each item was written.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use super::duration::{MaxAge, Period};

/// Where an item was written in the manifest (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// `warn_before` when neither the policy nor `defaults` sets one.
pub const DEFAULT_WARN_BEFORE: Period = Period::days(30);

/// Values shorter than this (in bytes) are not scrubbed from playbook output
/// (they would match everywhere), so `lint` warns about them.
pub const MIN_REDACTED_LEN: usize = 6;

/// The manifest version this vaultrot reads.
pub const MANIFEST_VERSION: u32 = 1;

/// A loaded `_secrets_manifest.yml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The manifest file, as given or discovered.
    pub path: PathBuf,
    /// The infra root: every relative path in the manifest is relative to it.
    pub root: PathBuf,
    pub version: u32,
    pub defaults: Defaults,
    /// In file order.
    pub policies: Vec<Policy>,
    /// In file order.
    pub secrets: Vec<Secret>,
    /// `secrets_manifest.vault_passwords`, in file order.
    pub vault_passwords: Vec<VaultPassword>,
    /// `owners:`: who is told about the secrets they own, in file order.
    pub owners: Vec<Owner>,
}

/// `secrets_manifest.owners.<name>`: a team and the steps that tell it of
/// its secrets' events (rotation started, failed, drift, overdue, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    pub name: String,
    pub pos: Pos,
    pub notify: Vec<Step>,
}

impl Manifest {
    pub fn secret(&self, name: &str) -> Option<&Secret> {
        self.secrets.iter().find(|s| s.name == name)
    }

    pub fn vault_password(&self, vault_id: &str) -> Option<&VaultPassword> {
        self.vault_passwords.iter().find(|v| v.vault_id == vault_id)
    }

    pub fn owner(&self, name: &str) -> Option<&Owner> {
        self.owners.iter().find(|o| o.name == name)
    }

    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.name == name)
    }

    /// A manifest path (vault, playbook, inventory, ...) on disk.
    pub fn resolve(&self, relative: &Path) -> PathBuf {
        self.root.join(relative)
    }
}

/// `secrets_manifest.defaults`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// The vault file of secrets that name none; when the manifest does not
    /// say, `vault.yml` beside the manifest.
    pub vault: PathBuf,
    /// The inventory of playbook steps that name none.
    pub inventory: Option<PathBuf>,
    /// The Keep-a-Changelog file rotation events are written to.
    pub changelog: Option<PathBuf>,
    pub warn_before: Period,
}

/// How a rotation replaces a value (docs/rotation.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// `start` adds `<name>_new` beside the old value; `finish` promotes it.
    #[default]
    Dual,
    /// The new value replaces the old one in a single `rotate`.
    Swap,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Dual => "dual",
            Strategy::Swap => "swap",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A class of secrets (`secrets_manifest.policies.<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    pub pos: Pos,
    pub max_age: MaxAge,
    pub warn_before: Option<Period>,
    pub strategy: Option<Strategy>,
    /// How long a dual window stays open at least before `finish` promotes.
    pub min_window: Option<Period>,
    /// `auto: true`: `vaultrot rotate-due` rotates its secrets on schedule.
    pub auto: Option<bool>,
}

/// One secret, with its policy, the defaults and its own settings merged
/// (own setting > policy > defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    /// The vault variable, e.g. `vault_nats_password`.
    pub name: String,
    /// Where the secret's key is written.
    pub pos: Pos,
    pub policy: Option<String>,
    pub max_age: MaxAge,
    pub warn_before: Period,
    pub strategy: Strategy,
    pub min_window: Option<Period>,
    /// `auto: true`: `vaultrot rotate-due` starts, finishes and swaps it
    /// unattended when it is due.
    pub auto: bool,
    /// `None`: never rotated.
    pub last_rotation: Option<NaiveDate>,
    pub owner: Option<String>,
    pub description: Option<String>,
    /// The vault file holding it (relative to the infra root).
    pub vault: PathBuf,
    pub generate: Option<Generate>,
    /// `derived_from: vault_x`: the value is minted from that secret's value
    /// (its `generate.command` reads it on stdin), so it rotates in the
    /// source's window and a repair mints it again instead of redeploying it.
    pub derived_from: Option<String>,
    /// For a derived secret, the source's `last_rotation`: rotating the
    /// source rotates it too (filled in when the manifest is loaded).
    pub source_rotation: Option<NaiveDate>,
    pub deploy: Vec<Step>,
    pub verify: Vec<Step>,
    /// `verify: {skip: true, reason: ...}`: why this secret rotates without a
    /// verify step (rotation commands refuse a secret with neither).
    pub verify_skip: Option<String>,
    pub revoke: Vec<Step>,
    pub notify: Vec<Step>,
    /// Present only while a rotation is open (written by vaultrot).
    pub rotation: Option<Rotation>,
    /// Past rotation events, oldest first (written by vaultrot).
    pub history: Vec<HistoryEntry>,
}

impl Secret {
    /// The key that holds the next value during a dual rotation.
    pub fn new_key(&self) -> String {
        format!("{}_new", self.name)
    }

    /// The key that holds the replaced value between promotion and revoke
    /// (AWSPREVIOUS): revoke steps read it to find what to kill.
    pub fn previous_key(&self) -> String {
        format!("{}_previous", self.name)
    }

    /// Why nobody-at-the-keyboard cannot rotate it (`auto: true` needs a
    /// value vaultrot makes itself and no step a person must do), or `None`.
    pub fn unattended_problem(&self) -> Option<String> {
        match &self.generate {
            None => return Some("it has no `generate` (vaultrot cannot make its value)".into()),
            Some(Generate::External { .. }) => {
                return Some("its value is issued elsewhere (`generate: {external: true}`)".into());
            }
            Some(Generate::Random { .. } | Generate::Command { .. }) => {}
        }
        let steps = [&self.deploy, &self.verify, &self.revoke];
        let manual = steps
            .into_iter()
            .flatten()
            .find_map(|step| match &step.action {
                StepAction::Manual(text) => Some(text),
                _ => None,
            });
        manual.map(|text| format!("it has a manual step (`manual: {text}`)"))
    }

    /// When it was last rotated, counting a rotation of its source.
    pub fn rotated_on(&self) -> Option<NaiveDate> {
        self.last_rotation.max(self.source_rotation)
    }
}

/// Character sets for generated values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charset {
    /// `A-Z a-z 0-9`
    Alnum,
    /// Printable ASCII without space (`!` to `~`).
    Ascii,
    /// `0-9 a-f`
    Hex,
    /// `A-Z a-z 0-9 - _`
    Base64url,
}

impl Charset {
    pub fn as_str(self) -> &'static str {
        match self {
            Charset::Alnum => "alnum",
            Charset::Ascii => "ascii",
            Charset::Hex => "hex",
            Charset::Base64url => "base64url",
        }
    }

    /// Every character of the set, in ASCII order.
    pub fn chars(self) -> Vec<char> {
        let keep: fn(&char) -> bool = match self {
            Charset::Alnum => |c| c.is_ascii_alphanumeric(),
            Charset::Ascii => |c| c.is_ascii_graphic(),
            Charset::Hex => |c| c.is_ascii_digit() || ('a'..='f').contains(c),
            Charset::Base64url => |c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_',
        };
        ('!'..='~').filter(keep).collect()
    }
}

/// Default length of a generated value.
pub const DEFAULT_GENERATE_LENGTH: u32 = 32;

/// Where a new value comes from (`generate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generate {
    /// vaultrot draws `length` characters from the charset minus `exclude`
    /// (see [`Generate::alphabet`]).
    Random {
        length: u32,
        charset: Charset,
        exclude: String,
    },
    /// Issued elsewhere (BotFather, a provider console): the operator types it
    /// in, after `instructions` (how to issue it) are shown.
    External { instructions: Option<String> },
    /// A mint command (relative to the infra root when it is a path) prints it.
    Command { command: String },
}

impl Generate {
    /// The characters a random value is drawn from, in ASCII order (empty
    /// unless `Random`).
    pub fn alphabet(&self) -> Vec<char> {
        match self {
            Generate::Random {
                charset, exclude, ..
            } => charset
                .chars()
                .into_iter()
                .filter(|c| !exclude.contains(*c))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// One `deploy`/`verify`/`revoke`/`notify` step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub pos: Pos,
    pub action: StepAction,
    /// `retries: N, delay: 5m` (verify steps): a failed check runs again up
    /// to N times, `delay` apart, before it counts as failed (a service
    /// still restarting, a token still propagating).
    pub retry: Option<Retry>,
}

/// How a failed verify step is re-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Retry {
    pub retries: u32,
    /// Seconds between two attempts.
    pub delay_secs: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    Playbook(PlaybookStep),
    /// A shell command, run from the infra root.
    Run(String),
    /// Something a person does (revoke a token in a dashboard): shown, then
    /// confirmed on a terminal or with `--confirm`.
    Manual(String),
}

impl StepAction {
    /// How plans, progress and errors name the step: the playbook, the command
    /// or the instruction.
    pub fn describe(&self) -> String {
        match self {
            StepAction::Playbook(p) => p.playbook.display().to_string(),
            StepAction::Run(command) => command.clone(),
            StepAction::Manual(text) => format!("manual: {text}"),
        }
    }
}

/// An `ansible-playbook` run.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaybookStep {
    pub playbook: PathBuf,
    /// The step's own inventory, else `defaults.inventory`.
    pub inventory: Option<PathBuf>,
    pub tags: Vec<String>,
    pub limit: Option<String>,
    /// Passed with `-e` as JSON, beside vaultrot's own `vaultrot_*` variables.
    pub extra_vars: BTreeMap<String, serde_json::Value>,
}

/// Where an open rotation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RotationPhase {
    /// `start` is storing the new value and deploying it.
    Starting,
    /// Old and new value both valid; waiting for `finish`.
    Dual,
    /// `finish` recorded its intent to promote; the vault may or may not be written.
    Promoting,
    /// The vault holds the new value only; redeploy/verify/revoke pending.
    Promoted,
    /// The revoke steps succeeded; `<name>_previous` is being removed.
    Revoked,
    /// `abort` is undoing the rotation.
    Aborting,
    /// `rollback` recorded its intent to put the previous value back.
    RollingBack,
}

impl RotationPhase {
    pub const ALL: [RotationPhase; 7] = [
        RotationPhase::Starting,
        RotationPhase::Dual,
        RotationPhase::Promoting,
        RotationPhase::Promoted,
        RotationPhase::Revoked,
        RotationPhase::Aborting,
        RotationPhase::RollingBack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RotationPhase::Starting => "starting",
            RotationPhase::Dual => "dual",
            RotationPhase::Promoting => "promoting",
            RotationPhase::Promoted => "promoted",
            RotationPhase::Revoked => "revoked",
            RotationPhase::Aborting => "aborting",
            RotationPhase::RollingBack => "rolling_back",
        }
    }
}

impl fmt::Display for RotationPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `secrets.<name>.rotation`: an open rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub pos: Pos,
    pub id: String,
    pub phase: RotationPhase,
    pub started: DateTime<Utc>,
    pub by: Option<String>,
    /// The other secrets started in the same command (rotated together).
    pub group: Vec<String>,
    /// Which command opened it (`start`: dual; `rotate`: swap or compromised).
    pub kind: RotationKind,
    /// Keyed fingerprints (never values) of the value the rotation replaces
    /// and of the one it brings, so a command can tell whether the vault
    /// still holds what this record says.
    pub old_fingerprint: Option<String>,
    pub new_fingerprint: Option<String>,
    /// `rotate --compromised --reason`, kept so a resumed run records it.
    pub reason: Option<String>,
    /// The manual step the rotation stopped at, waiting for `--confirm`.
    pub awaiting: Option<String>,
}

/// What happened in a past rotation event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryEvent {
    Started,
    Finished,
    Aborted,
    Rotated,
    Compromised,
    RolledBack,
    /// `verify --repair` redeployed a drifted secret and its verify passed.
    Repaired,
    /// `verify --repair` redeployed a drifted secret and it still fails.
    RepairFailed,
}

impl HistoryEvent {
    pub const ALL: [HistoryEvent; 8] = [
        HistoryEvent::Started,
        HistoryEvent::Finished,
        HistoryEvent::Aborted,
        HistoryEvent::Rotated,
        HistoryEvent::Compromised,
        HistoryEvent::RolledBack,
        HistoryEvent::Repaired,
        HistoryEvent::RepairFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryEvent::Started => "started",
            HistoryEvent::Finished => "finished",
            HistoryEvent::Aborted => "aborted",
            HistoryEvent::Rotated => "rotated",
            HistoryEvent::Compromised => "compromised",
            HistoryEvent::RolledBack => "rolled_back",
            HistoryEvent::Repaired => "repaired",
            HistoryEvent::RepairFailed => "repair_failed",
        }
    }
}

/// One `history` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub event: HistoryEvent,
    /// When it happened (a date alone reads as midnight UTC).
    pub at: DateTime<Utc>,
    pub id: Option<String>,
    pub by: Option<String>,
    pub reason: Option<String>,
}

/// What kind of rotation is open: it decides which command resumes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationKind {
    /// `start` … `finish`: the `_new` window.
    Dual,
    /// `rotate`: swap in one step.
    Swap,
    /// `rotate --compromised`: swap at once, the entry says why.
    Compromised,
}

impl RotationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RotationKind::Dual => "dual",
            RotationKind::Swap => "swap",
            RotationKind::Compromised => "compromised",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "dual" => Some(RotationKind::Dual),
            "swap" => Some(RotationKind::Swap),
            "compromised" => Some(RotationKind::Compromised),
            _ => None,
        }
    }
}

/// A vault password managed as a secret (`secrets_manifest.vault_passwords.<vault-id>`):
/// where it is kept, and its age, policy, history and open rotation as for any secret.
#[derive(Debug, Clone, PartialEq)]
pub struct VaultPassword {
    /// The vault-id (`default` for 1.1 files and unlabelled 1.2 ones).
    pub vault_id: String,
    pub store: PasswordStore,
    /// The settings shared with secrets. Its name is
    /// [`VaultPassword::secret_name`], which no Ansible variable can be, and
    /// it has no vault, steps or generator.
    pub secret: Secret,
}

impl VaultPassword {
    /// How reports name a vault password: `vault_password.<vault-id>`.
    pub fn secret_name(vault_id: &str) -> String {
        format!("vault_password.{vault_id}")
    }
}

/// Where a vault password is kept (paths as written, relative to the infra root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordStore {
    /// An age-encrypted file, re-encrypted to the recipients listed beside it.
    AgeFile(String),
    /// A plain password file (its mode is kept).
    File(String),
    /// A command (a password manager's CLI) that stores the password it
    /// receives on stdin; run from the infra root.
    Command(String),
}

impl PasswordStore {
    pub fn describe(&self) -> String {
        match self {
            PasswordStore::AgeFile(p) => format!("age file {p}"),
            PasswordStore::File(p) => format!("file {p}"),
            PasswordStore::Command(c) => format!("command `{c}`"),
        }
    }
}
