//! Runs one deploy/verify/revoke step: `ansible-playbook` with the vault
//! passwords on inherited pipes, or a plain shell command; output live, tail kept.
//!
//! A password never appears in the child's argv, its environment or a file:
//! each one is written into an OS pipe before the child starts, the read end
//! is inherited (close-on-exec cleared in the child only) and named on the
//! command line as `--vault-id LABEL@/dev/fd/N`. ansible's `FileVaultSecret`
//! opens that path like a file (a pipe has no x bit, so it is not run as a
//! script) and reads it to EOF.

use std::collections::{BTreeMap, VecDeque};
use std::env;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use super::redact::Redactor;
use crate::manifest::{PlaybookStep, StepAction};
use crate::vault::VaultSecret;

/// Lines of a step's output kept for the error message when it fails.
pub const TAIL_LINES: usize = 40;

/// Environment variable naming the `ansible-playbook` to run instead of the one on PATH.
pub const ANSIBLE_PLAYBOOK_ENV: &str = "VAULTROT_ANSIBLE_PLAYBOOK";

/// How `--dry-run` shows a vault password source: the pipe exists only at run time.
pub const PIPE_PLACEHOLDER: &str = "<pipe>";

/// Password sources ansible-playbook would read on its own from our environment.
/// vaultrot has already resolved them into the secrets it passes on pipes, so the
/// child does not get them: no second prompt, no script run twice, and the
/// secrets ansible sees are exactly the ones vaultrot chose.
const STRIPPED_VAULT_ENV: [&str; 2] =
    ["ANSIBLE_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_IDENTITY_LIST"];

/// A password longer than this might not fit an empty pipe (a page on Linux) and
/// would block the write that happens before the child exists.
const MAX_PIPED_PASSWORD: usize = 4096;

/// Which part of the runbook a deploy runs for (`vaultrot_phase`). Playbooks
/// treat an absent phase as a plain deploy of the current values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Dual window opens: services accept the old and the `_new` value.
    Start,
    /// The new value was promoted: services accept only it.
    Finish,
    /// `_new` was removed: services accept only the old value again.
    Abort,
    /// Swap or compromised rotation: the new value is already canonical.
    Rotate,
    /// Revoke steps: the replaced value is `<name>_previous`.
    Revoke,
    /// `rollback`: the previous value is canonical again.
    Rollback,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Start => "start",
            Phase::Finish => "finish",
            Phase::Abort => "abort",
            Phase::Rotate => "rotate",
            Phase::Revoke => "revoke",
            Phase::Rollback => "rollback",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The variables every step receives: names and ids, never values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhaseVars {
    /// `vaultrot_phase` / `VAULTROT_PHASE`; absent when `None`.
    pub phase: Option<Phase>,
    /// `vaultrot_secrets` (a list) / `VAULTROT_SECRETS` (space-separated).
    pub secrets: Vec<String>,
    /// `vaultrot_rotation_id` / `VAULTROT_ROTATION_ID`; absent when `None`.
    pub rotation_id: Option<String>,
}

/// Where a step's output goes while it runs. The child's stdout and stderr are
/// merged; by default they go to our stderr so `--format json` stdout stays clean.
#[derive(Clone, Copy, Default)]
pub enum LiveOutput<'a> {
    #[default]
    Stderr,
    /// Only kept (for the failure tail), not shown.
    Discard,
    Writer(&'a Mutex<dyn Write + Send>),
}

/// Everything a step needs besides the step itself.
pub struct RunContext<'a> {
    /// The directory holding `ansible.cfg`: the child's working directory, and
    /// what playbook and inventory paths are relative to.
    pub infra_root: PathBuf,
    /// `-i` for playbook steps that name no inventory (the manifest default);
    /// `None` leaves it to ansible.cfg.
    pub inventory: Option<String>,
    /// Passed to ansible-playbook, one pipe each.
    pub secrets: &'a [VaultSecret],
    pub vars: PhaseVars,
    /// Added to the child's environment (which is otherwise ours). `PATH` here
    /// is also where `ansible-playbook` is looked up.
    pub env: Vec<(OsString, OsString)>,
    pub output: LiveOutput<'a>,
    /// Values scrubbed from the echoed and kept output should a playbook print
    /// one, raw or encoded (the vault passwords always are). Values under
    /// [`super::redact::MIN_REDACTED_LEN`] bytes are not.
    pub redact: Vec<Zeroizing<Vec<u8>>>,
    /// The `ansible-playbook` to run; `None` looks it up on PATH.
    /// [`RunContext::new`] fills it from `VAULTROT_ANSIBLE_PLAYBOOK`.
    pub ansible_playbook: Option<PathBuf>,
}

impl<'a> RunContext<'a> {
    pub fn new(infra_root: impl Into<PathBuf>, secrets: &'a [VaultSecret]) -> Self {
        RunContext {
            infra_root: infra_root.into(),
            inventory: None,
            secrets,
            vars: PhaseVars::default(),
            env: Vec::new(),
            output: LiveOutput::Stderr,
            redact: Vec::new(),
            ansible_playbook: env::var_os(ANSIBLE_PLAYBOOK_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }

    fn path_var(&self) -> Option<OsString> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
            .or_else(|| env::var_os("PATH"))
    }

    fn env_is_set(&self, name: &str) -> bool {
        self.env.iter().any(|(k, _)| k == name) || env::var_os(name).is_some()
    }
}

/// A step that ran to success.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    /// The playbook path or the command.
    pub step: String,
    /// The command line as [`plan_command_line`] shows it.
    pub argv: Vec<String>,
    pub duration: Duration,
    /// The last [`TAIL_LINES`] lines of output (redacted, without colour codes).
    pub tail: Vec<String>,
}

/// Why a step did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "ansible-playbook was not found on PATH: install ansible-core (`pip install ansible-core`, or the virtualenv from the README's setup) or set {ANSIBLE_PLAYBOOK_ENV} to its path"
    )]
    AnsibleMissing,
    #[error("{ANSIBLE_PLAYBOOK_ENV} names {}, which is not an executable file", .0.display())]
    AnsibleOverrideMissing(PathBuf),
    #[error("playbook {} not found in the infra root {}", .playbook.display(), .infra_root.display())]
    PlaybookMissing {
        playbook: PathBuf,
        infra_root: PathBuf,
    },
    #[error("`{0}` is a manual step: a person does it, nothing runs it")]
    Manual(String),
    #[error(
        "the vault password for vault-id `{label}` cannot be passed to ansible-playbook: {reason}"
    )]
    UnsendablePassword { label: String, reason: &'static str },
    #[error("step `{step}` could not be started: {source}")]
    Spawn { step: String, source: io::Error },
    #[error("step `{step}`: reading its output failed: {source}")]
    Output { step: String, source: io::Error },
    #[error("step `{step}` failed ({}){}", exit_text(*.code, *.signal), tail_text(.tail))]
    StepFailed {
        step: String,
        code: Option<i32>,
        signal: Option<i32>,
        tail: Vec<String>,
    },
}

fn exit_text(code: Option<i32>, signal: Option<i32>) -> String {
    match (code, signal) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "no exit status".to_string(),
    }
}

fn tail_text(tail: &[String]) -> String {
    if tail.is_empty() {
        return "; it printed nothing".to_string();
    }
    let mut text = format!("; last {} lines of its output:", tail.len());
    for line in tail {
        text.push_str("\n  | ");
        text.push_str(line);
    }
    text
}

/// The exact command line a step runs, for `--dry-run`: each vault password
/// source shows as `--vault-id LABEL@<pipe>`, never a value.
pub fn plan_command_line(step: &StepAction, ctx: &RunContext) -> Result<Vec<String>, RunError> {
    let program = match &ctx.ansible_playbook {
        Some(path) => path.display().to_string(),
        None => "ansible-playbook".to_string(),
    };
    let sources = vec![PIPE_PLACEHOLDER.to_string(); ctx.secrets.len()];
    build_argv(step, ctx, program, &sources)
}

/// `[program, -i INV, --tags T, --limit L, -e JSON, --vault-id L@SRC..., PLAYBOOK]`,
/// or `[sh, -c, CMD]`.
fn build_argv(
    step: &StepAction,
    ctx: &RunContext,
    program: String,
    sources: &[String],
) -> Result<Vec<String>, RunError> {
    let PlaybookStep {
        playbook,
        inventory,
        tags,
        limit,
        extra_vars,
    } = match step {
        StepAction::Run(run) => return Ok(vec!["sh".into(), "-c".into(), run.clone()]),
        StepAction::Manual(text) => return Err(RunError::Manual(text.clone())),
        StepAction::Playbook(p) => p,
    };
    let mut argv = vec![program];
    let inventory = inventory
        .as_ref()
        .map(|i| i.display().to_string())
        .or_else(|| ctx.inventory.clone());
    if let Some(inventory) = inventory {
        argv.extend(["-i".to_string(), inventory]);
    }
    if !tags.is_empty() {
        argv.extend(["--tags".to_string(), tags.join(",")]);
    }
    if let Some(limit) = limit {
        argv.extend(["--limit".to_string(), limit.clone()]);
    }
    argv.extend(["-e".to_string(), extra_vars_json(extra_vars, &ctx.vars)]);
    for (secret, source) in ctx.secrets.iter().zip(sources) {
        argv.extend([
            "--vault-id".to_string(),
            format!("{}@{}", secret.label, source),
        ]);
    }
    argv.push(playbook.display().to_string());
    Ok(argv)
}

/// The step's extra vars plus the phase vars, as the single JSON `-e` argument.
fn extra_vars_json(extra_vars: &BTreeMap<String, Value>, vars: &PhaseVars) -> String {
    let mut all: serde_json::Map<String, Value> = extra_vars
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(phase) = vars.phase {
        all.insert("vaultrot_phase".into(), phase.as_str().into());
    }
    all.insert("vaultrot_secrets".into(), vars.secrets.clone().into());
    if let Some(id) = &vars.rotation_id {
        all.insert("vaultrot_rotation_id".into(), id.clone().into());
    }
    Value::Object(all).to_string()
}

/// Runs one step from the infra root, streaming its output, and fails with the
/// step, its exit status and the tail of its output unless it exits 0.
///
/// The child's environment is ours plus `ctx.env`. Playbook steps also lose
/// `ANSIBLE_VAULT_PASSWORD_FILE`/`ANSIBLE_VAULT_IDENTITY_LIST` (vaultrot has
/// already resolved them into `ctx.secrets`) and get `ANSIBLE_ASK_VAULT_PASS=False`;
/// `vault_password_file`/`vault_identity_list` in ansible.cfg are still read by
/// ansible itself, which at worst adds the same secret twice. Command steps get
/// `VAULTROT_PHASE`, `VAULTROT_SECRETS` and `VAULTROT_ROTATION_ID`, never a password.
pub fn run_step(step: &StepAction, ctx: &RunContext) -> Result<StepOutcome, RunError> {
    let started = Instant::now();
    let description = step.describe();
    let planned = plan_command_line(step, ctx)?;
    let redactor = redactor(ctx);

    // Kept open until the child has been spawned: the child's copies are the pipes.
    let mut read_ends: Vec<OwnedFd> = Vec::new();
    let expression = match step {
        StepAction::Run(run) => command_expression(run, ctx),
        StepAction::Manual(text) => return Err(RunError::Manual(text.clone())),
        StepAction::Playbook(PlaybookStep { playbook, .. }) => {
            let program = resolve_ansible_playbook(ctx)?;
            if !ctx.infra_root.join(playbook).is_file() {
                return Err(RunError::PlaybookMissing {
                    playbook: playbook.clone(),
                    infra_root: ctx.infra_root.clone(),
                });
            }
            for secret in ctx.secrets {
                read_ends.push(password_pipe(secret)?);
            }
            let sources: Vec<String> = read_ends
                .iter()
                .map(|fd| format!("/dev/fd/{}", fd.as_raw_fd()))
                .collect();
            let argv = build_argv(step, ctx, program.display().to_string(), &sources)?;
            playbook_expression(&argv, ctx, &read_ends)
        }
    };

    let reader = expression
        .dir(&ctx.infra_root)
        .stderr_to_stdout()
        .unchecked()
        .reader()
        .map_err(|source| RunError::Spawn {
            step: description.clone(),
            source,
        })?;
    drop(read_ends);

    let tail = stream_output(&reader, ctx.output, &redactor).map_err(|source| {
        let _ = reader.kill();
        RunError::Output {
            step: description.clone(),
            source,
        }
    })?;
    // At EOF duct has waited for the child, so its status is there.
    let status = match reader.try_wait() {
        Ok(Some(output)) => output.status,
        Ok(None) => {
            return Err(RunError::Output {
                step: description,
                source: io::Error::other("the child had not exited at the end of its output"),
            });
        }
        Err(source) => {
            return Err(RunError::Output {
                step: description,
                source,
            });
        }
    };
    if !status.success() {
        return Err(RunError::StepFailed {
            step: description,
            code: status.code(),
            signal: status.signal(),
            tail: tail.into(),
        });
    }
    Ok(StepOutcome {
        step: description,
        argv: planned,
        duration: started.elapsed(),
        tail: tail.into(),
    })
}

fn command_expression(run: &str, ctx: &RunContext) -> duct::Expression {
    let mut expression = duct::cmd("sh", ["-c", run]);
    for (key, value) in phase_env(&ctx.vars) {
        expression = match value {
            Some(value) => expression.env(key, value),
            None => expression.env_remove(key),
        };
    }
    for (key, value) in &ctx.env {
        expression = expression.env(key, value);
    }
    expression
}

fn phase_env(vars: &PhaseVars) -> [(&'static str, Option<String>); 3] {
    [
        ("VAULTROT_PHASE", vars.phase.map(|p| p.as_str().to_string())),
        ("VAULTROT_SECRETS", Some(vars.secrets.join(" "))),
        ("VAULTROT_ROTATION_ID", vars.rotation_id.clone()),
    ]
}

fn playbook_expression(
    argv: &[String],
    ctx: &RunContext,
    read_ends: &[OwnedFd],
) -> duct::Expression {
    let mut expression = duct::cmd(&argv[0], &argv[1..]);
    for name in STRIPPED_VAULT_ENV {
        expression = expression.env_remove(name);
    }
    for (key, value) in &ctx.env {
        if !STRIPPED_VAULT_ENV
            .iter()
            .any(|name| key == OsStr::new(name))
        {
            expression = expression.env(key, value);
        }
    }
    // An `ask_vault_pass = True` in ansible.cfg would prompt for passwords the
    // pipes already carry.
    expression = expression.env("ANSIBLE_ASK_VAULT_PASS", "False");
    if matches!(ctx.output, LiveOutput::Stderr)
        && io::stderr().is_terminal()
        && !ctx.env_is_set("NO_COLOR")
        && !ctx.env_is_set("ANSIBLE_NOCOLOR")
        && !ctx.env_is_set("ANSIBLE_FORCE_COLOR")
    {
        // ansible sees a pipe, not our terminal, and would drop its colours.
        expression = expression.env("ANSIBLE_FORCE_COLOR", "1");
    }
    let fds: Vec<RawFd> = read_ends.iter().map(AsRawFd::as_raw_fd).collect();
    expression.before_spawn(move |command| {
        let fds = fds.clone();
        // SAFETY: the closure runs between fork and exec and only calls
        // fcntl(2), which is async-signal-safe; it allocates nothing.
        unsafe {
            command.pre_exec(move || {
                for &fd in &fds {
                    if sys::fcntl(fd, sys::F_SETFD, 0) == -1 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        Ok(())
    })
}

/// A pipe holding one password, its write end already closed, so the child
/// reads the password and then EOF. Both ends are close-on-exec here.
fn password_pipe(secret: &VaultSecret) -> Result<OwnedFd, RunError> {
    let unsendable = |reason| RunError::UnsendablePassword {
        label: secret.label.clone(),
        reason,
    };
    let password = secret.password();
    if secret.label.is_empty()
        || secret.label.contains(['@', ','])
        || secret.label.contains(char::is_whitespace)
    {
        return Err(unsendable(
            "ansible cannot parse a vault-id label that is empty or holds '@', ',' or spaces",
        ));
    }
    if password.is_empty() {
        return Err(unsendable("it is empty"));
    }
    // FileVaultSecret strips ASCII whitespace from both ends of what it reads.
    if password.first().is_some_and(u8::is_ascii_whitespace)
        || password.last().is_some_and(u8::is_ascii_whitespace)
    {
        return Err(unsendable(
            "it begins or ends with whitespace, which ansible strips from password files",
        ));
    }
    if password.len() > MAX_PIPED_PASSWORD {
        return Err(unsendable("it is longer than 4096 bytes"));
    }
    let (reader, mut writer) = io::pipe().map_err(|source| RunError::Spawn {
        step: format!("vault-id {}", secret.label),
        source,
    })?;
    writer
        .write_all(password)
        .map_err(|source| RunError::Spawn {
            step: format!("vault-id {}", secret.label),
            source,
        })?;
    drop(writer);
    Ok(reader.into())
}

mod sys {
    use std::ffi::c_int;

    // The same value on Linux, the BSDs and macOS.
    pub const F_SETFD: c_int = 2;

    unsafe extern "C" {
        pub fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    }
}

/// The `ansible-playbook` a playbook step runs: the override if set, else PATH.
pub fn resolve_ansible_playbook(ctx: &RunContext) -> Result<PathBuf, RunError> {
    let path_var = ctx.path_var();
    match &ctx.ansible_playbook {
        Some(named) if named.components().count() > 1 => {
            let absolute = env::current_dir()
                .map(|cwd| cwd.join(named))
                .unwrap_or_else(|_| named.clone());
            if is_executable(&absolute) {
                Ok(absolute)
            } else {
                Err(RunError::AnsibleOverrideMissing(named.clone()))
            }
        }
        Some(named) => search_path(named.as_os_str(), path_var.as_deref())
            .ok_or_else(|| RunError::AnsibleOverrideMissing(named.clone())),
        None => search_path(OsStr::new("ansible-playbook"), path_var.as_deref())
            .ok_or(RunError::AnsibleMissing),
    }
}

/// The first executable `program` on PATH, made absolute: the child runs in
/// the infra root, where a relative PATH entry would mean something else.
fn search_path(program: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let found = env::split_paths(path_var?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))?;
    match env::current_dir() {
        Ok(cwd) if found.is_relative() => Some(cwd.join(found)),
        _ => Some(found),
    }
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// The redactor of a step: the vault passwords and `ctx.redact`.
fn redactor(ctx: &RunContext) -> Redactor {
    Redactor::new(
        ctx.secrets
            .iter()
            .map(|s| s.password())
            .chain(ctx.redact.iter().map(|v| &v[..])),
    )
}

/// Echoes the child's output as it comes, scrubbed, and keeps the last
/// [`TAIL_LINES`] lines (scrubbed too) for the failure message.
fn stream_output(
    mut reader: &duct::ReaderHandle,
    output: LiveOutput,
    redactor: &Redactor,
) -> io::Result<VecDeque<String>> {
    let mut tail = Tail::default();
    let mut scrubber = redactor.stream();
    let mut chunk = Zeroizing::new([0u8; 8192]);
    let mut emit = |bytes: &[u8]| {
        // A closed or failing terminal must not abort a deploy half way.
        let _ = match output {
            LiveOutput::Stderr => io::stderr().lock().write_all(bytes),
            LiveOutput::Discard => Ok(()),
            LiveOutput::Writer(sink) => match sink.lock() {
                Ok(mut sink) => sink.write_all(bytes),
                Err(poisoned) => poisoned.into_inner().write_all(bytes),
            },
        };
        tail.push(bytes);
    };
    loop {
        let read = match reader.read(&mut chunk[..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                scrubber.finish(&mut emit);
                return Err(e);
            }
        };
        scrubber.feed(&chunk[..read], &mut emit);
    }
    scrubber.finish(&mut emit);
    Ok(tail.finish())
}

/// The last [`TAIL_LINES`] lines of already scrubbed output, each cut at
/// [`TAIL_LINE_BYTES`] (a child printing megabytes without a newline must
/// not make the error message that long).
#[derive(Default)]
struct Tail {
    lines: VecDeque<String>,
    partial: Vec<u8>,
}

const TAIL_LINE_BYTES: usize = 4096;

impl Tail {
    fn push(&mut self, mut bytes: &[u8]) {
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            self.keep(&bytes[..=end]);
            self.end_line();
            bytes = &bytes[end + 1..];
        }
        self.keep(bytes);
    }

    fn keep(&mut self, bytes: &[u8]) {
        let room = TAIL_LINE_BYTES.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn end_line(&mut self) {
        if self.lines.len() == TAIL_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(plain_text(&self.partial));
        self.partial.clear();
    }

    fn finish(mut self) -> VecDeque<String> {
        if !self.partial.is_empty() {
            self.end_line();
        }
        self.lines
    }
}

/// A line as text for an error message: no line ending, no ANSI colour codes.
fn plain_text(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\n', '\r']);
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, then one final byte in @..~.
            if chars.clone().next() == Some('[') {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        plain.push(c);
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(label: &str, pw: &[u8]) -> VaultSecret {
        VaultSecret::new(label, Zeroizing::new(pw.to_vec()))
    }

    #[test]
    fn plan_shows_pipes_not_passwords() {
        let secrets = [
            secret("prod", b"hunter2-prod"),
            secret("default", b"pw-default"),
        ];
        let mut ctx = RunContext::new("/infra", &secrets);
        ctx.ansible_playbook = None;
        ctx.inventory = Some("inventory/staging.yml".into());
        ctx.vars = PhaseVars {
            phase: Some(Phase::Start),
            secrets: vec!["vault_nats_password".into()],
            rotation_id: Some("r-1".into()),
        };
        let step = StepAction::Playbook(PlaybookStep {
            playbook: "playbooks/nats.yml".into(),
            inventory: None,
            tags: vec!["nats".into()],
            limit: Some("web".into()),
            extra_vars: BTreeMap::from([("a".to_string(), Value::from(1))]),
        });
        let argv = plan_command_line(&step, &ctx).unwrap();
        assert_eq!(
            argv,
            [
                "ansible-playbook",
                "-i",
                "inventory/staging.yml",
                "--tags",
                "nats",
                "--limit",
                "web",
                "-e",
                r#"{"a":1,"vaultrot_phase":"start","vaultrot_secrets":["vault_nats_password"],"vaultrot_rotation_id":"r-1"}"#,
                "--vault-id",
                "prod@<pipe>",
                "--vault-id",
                "default@<pipe>",
                "playbooks/nats.yml",
            ]
        );
        let joined = argv.join(" ");
        assert!(!joined.contains("hunter2") && !joined.contains("pw-default"));

        let command = StepAction::Run("scripts/x.sh a".into());
        assert_eq!(
            plan_command_line(&command, &ctx).unwrap(),
            ["sh", "-c", "scripts/x.sh a"]
        );
    }

    #[test]
    fn step_inventory_wins_and_phase_is_omitted_when_absent() {
        let mut ctx = RunContext::new("/infra", &[]);
        ctx.ansible_playbook = None;
        ctx.inventory = Some("default.yml".into());
        let step = StepAction::Playbook(PlaybookStep {
            playbook: "p.yml".into(),
            inventory: Some("own.yml".into()),
            tags: Vec::new(),
            limit: None,
            extra_vars: BTreeMap::new(),
        });
        let argv = plan_command_line(&step, &ctx).unwrap();
        assert_eq!(
            argv,
            [
                "ansible-playbook",
                "-i",
                "own.yml",
                "-e",
                r#"{"vaultrot_secrets":[]}"#,
                "p.yml"
            ]
        );
    }

    #[test]
    fn refuses_passwords_ansible_would_read_differently() {
        for (label, pw) in [
            ("prod", &b" lead"[..]),
            ("prod", b"trail\n"),
            ("prod", b""),
            ("a@b", b"pw"),
        ] {
            assert!(matches!(
                password_pipe(&secret(label, pw)),
                Err(RunError::UnsendablePassword { .. })
            ));
        }
        assert!(password_pipe(&secret("prod", b"in side")).is_ok());
    }

    #[test]
    fn redacts_and_strips_colour() {
        let secrets = [secret("p", b"hunter2")];
        let mut ctx = RunContext::new("/", &secrets);
        ctx.redact = vec![
            Zeroizing::new(b"s3cret-value".to_vec()),
            Zeroizing::new(b"ab".to_vec()),
        ];
        let line = redactor(&ctx).scrub(b"x hunter2 y s3cret-value hunter2 ab\n");
        assert_eq!(&line[..], b"x <redacted> y <redacted> <redacted> ab\n");
        assert_eq!(
            plain_text(b"\x1b[0;32mok: [localhost]\x1b[0m\r\n"),
            "ok: [localhost]"
        );
    }

    #[test]
    fn tail_keeps_the_last_lines_in_pieces_and_cuts_long_ones() {
        let mut tail = Tail::default();
        for i in 0..TAIL_LINES + 5 {
            tail.push(b"li");
            tail.push(format!("ne {i}\nx").as_bytes());
        }
        tail.push(&vec![b'y'; 3 * TAIL_LINE_BYTES]);
        let lines = tail.finish();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines[0], "xline 6");
        assert_eq!(lines[TAIL_LINES - 2], format!("xline {}", TAIL_LINES + 4));
        assert_eq!(lines[TAIL_LINES - 1].len(), TAIL_LINE_BYTES);
    }

    #[test]
    fn failure_message_names_step_code_and_tail() {
        let err = RunError::StepFailed {
            step: "playbooks/x.yml".into(),
            code: Some(2),
            signal: None,
            tail: vec!["TASK [boom]".into(), "fatal: failed".into()],
        };
        assert_eq!(
            err.to_string(),
            "step `playbooks/x.yml` failed (exit code 2); last 2 lines of its output:\n  | TASK [boom]\n  | fatal: failed"
        );
    }
}
