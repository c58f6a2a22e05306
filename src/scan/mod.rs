//! `vaultrot scan`: find every vaulted value wherever it leaked (working
//! tree, files such as CI logs, the staged index, every blob in git
//! history), exactly and in the encodings leaks take, and nothing else.
//!
//! Pipeline: [`values`] decrypts what to look for, [`matcher`] builds one
//! automaton, the sources ([`worktree`], [`git`]) feed it bytes, findings
//! are grouped and filtered by [`ignorefile`], [`render`] prints them and
//! [`scope`] turns them into the incident record of `rotate --compromised`.

pub mod encode;
pub mod finding;
pub mod git;
pub mod hook;
pub mod ignorefile;
pub mod matcher;
pub mod render;
pub mod scope;
pub mod values;
pub mod worktree;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::exit_codes::{self, ExitCode};
use crate::manifest::{self, Manifest, ManifestError};
use crate::vault::crypto::Fingerprinter;
use crate::vaultfile::{FileError, VaultContext};
pub use encode::Encoding;
pub use finding::{Finding, Source};
use matcher::{Hit, Matcher};
pub use scope::{ExposureScope, scope_for};
pub use values::{Generation, Unscannable, ValueSet};

/// Why a scan could not run. Every one means "not scanned", never "clean".
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{}: not inside a git repository (--history and --staged read git)", .0.display())]
    NotARepository(PathBuf),
    #[error("reading git: {0}")]
    Git(String),
    /// `.vaultrot-scan-ignore` cannot be read, or a line of it is wrong.
    #[error("{file}{}: {cause}", line.map_or(String::new(), |n| format!(":{n}")))]
    IgnoreFile {
        file: String,
        line: Option<usize>,
        cause: String,
    },
    #[error("{0}")]
    Matcher(String),
    /// `install-hook` found a pre-commit hook it did not write.
    #[error(
        "{} exists and was not written by vaultrot: add `vaultrot scan --staged` to it, or replace it with --force",
        .0.display()
    )]
    ForeignHook(PathBuf),
}

/// A scan that could not run is never "clean": every failure is exit 2,
/// never the 1 of a finding.
impl ExitCode for ScanError {
    fn exit_code(&self) -> i32 {
        exit_codes::USAGE
    }
}

/// Where a scan runs: the infra whose vaults give the values, and the root
/// whose files (and git repository) are searched.
#[derive(Debug)]
pub struct Place {
    pub manifest: Option<Manifest>,
    /// Where the vault files are looked for (and `ansible.cfg` read).
    pub infra_root: PathBuf,
    /// The git work tree root, else the infra root: paths are shown relative
    /// to it, `.vaultrot-scan-ignore` lives there.
    pub root: PathBuf,
}

impl Place {
    /// From the current directory: the manifest (as given, else discovered;
    /// none is fine), its infra root, the repository around it.
    pub fn locate(cwd: &Path, manifest: Option<&Path>) -> Result<Place, ScanError> {
        let manifest = match manifest {
            Some(path) => Some(Manifest::load(path)?),
            None => manifest::discover(None, cwd)
                .ok()
                .and_then(|p| Manifest::load(&p).ok()),
        };
        let cwd = std::path::absolute(cwd).unwrap_or_else(|_| cwd.to_path_buf());
        let infra_root = manifest
            .as_ref()
            .map_or_else(|| cwd.clone(), |m| m.root.clone());
        let root = git::work_tree_root(&infra_root)
            .or_else(|| git::work_tree_root(&cwd))
            .unwrap_or_else(|| infra_root.clone());
        Ok(Place {
            manifest,
            infra_root,
            root,
        })
    }

    /// `path` relative to the root when below it, else as it is.
    pub fn show(&self, path: &Path) -> String {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        match absolute.strip_prefix(&self.root) {
            Ok(relative) => relative.display().to_string(),
            Err(_) => path.display().to_string(),
        }
    }
}

/// What to search.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Files and directories named on the command line; none: the working
    /// tree (unless only the index is asked for).
    pub paths: Vec<PathBuf>,
    /// Every blob in the git history.
    pub history: bool,
    /// The staged index (a pre-commit hook).
    pub staged: bool,
    /// Include files `.gitignore` leaves out.
    pub no_ignore: bool,
}

impl ScanOptions {
    fn scans_work_tree(&self) -> bool {
        self.paths.is_empty() && !self.staged
    }
}

/// How much was searched.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Coverage {
    pub vault_files: usize,
    pub current_values: usize,
    pub previous_values: usize,
    pub files: usize,
    pub blobs: usize,
    /// Old vault versions the password does not open (their values are not searched).
    pub old_vault_versions_unopened: usize,
}

/// The result of a scan.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    /// Findings `.vaultrot-scan-ignore` accepts (not reported).
    pub accepted: usize,
    pub unscannable: Vec<Unscannable>,
    pub coverage: Coverage,
}

/// One match before grouping: where, and which hit.
struct Raw {
    /// History: the commit's rank, oldest first (unreachable blobs last).
    age_rank: usize,
    source: Source,
    path: String,
    commit: Option<String>,
    reachable: Option<bool>,
    hit: Hit,
}

/// Told how far a long scan got (a progress bar on a terminal).
pub trait Progress: Sync {
    /// The number of files and blobs to search, once known.
    fn start(&self, total: u64);
    /// One more searched.
    fn advance(&self);
}

/// No progress shown.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64) {}
    fn advance(&self) {}
}

/// Runs a scan.
pub fn run(
    place: &Place,
    options: &ScanOptions,
    ctx: &VaultContext,
) -> Result<ScanReport, ScanError> {
    run_with_progress(place, options, ctx, &Quiet)
}

/// Runs a scan, reporting progress.
pub fn run_with_progress(
    place: &Place,
    options: &ScanOptions,
    ctx: &VaultContext,
    progress: &dyn Progress,
) -> Result<ScanReport, ScanError> {
    let files = values::vault_files(&place.infra_root, place.manifest.as_ref())?;
    let mut set = ValueSet::collect(files, ctx)?;
    let accept = ignorefile::AcceptList::load(&place.root)?;

    let repo = if options.history || options.staged {
        Some(git::open(&place.root)?)
    } else {
        git::open(&place.root).ok()
    };
    let history = match (&repo, options.history) {
        (Some(repo), true) => git::blobs(repo, true)?,
        _ => Vec::new(),
    };
    if let Some(repo) = &repo {
        add_previous_values(&mut set, place, repo, ctx)?;
    }

    let matcher = Matcher::new(&set.values).map_err(ScanError::Matcher)?;
    let mut raws: Vec<Raw> = Vec::new();
    let mut coverage = Coverage {
        vault_files: set.vault_files.len(),
        current_values: set
            .values
            .iter()
            .filter(|v| v.generation == Generation::Current)
            .count(),
        previous_values: set
            .values
            .iter()
            .filter(|v| v.generation == Generation::Previous)
            .count(),
        old_vault_versions_unopened: set.old_versions_unopened,
        ..Coverage::default()
    };

    let mut targets: Vec<(PathBuf, Source)> = Vec::new();
    if options.scans_work_tree() {
        for file in worktree::walk(&place.root, !options.no_ignore)? {
            targets.push((file, Source::WorkTree));
        }
    }
    for path in &options.paths {
        if path.is_dir() {
            for file in worktree::walk(path, !options.no_ignore)? {
                targets.push((file, Source::File));
            }
        } else {
            targets.push((path.clone(), Source::File));
        }
    }
    coverage.files = targets.len();
    let staged = match (&repo, options.staged) {
        (Some(repo), true) => git::staged(repo)?,
        _ => Vec::new(),
    };
    progress.start((targets.len() + staged.len() + history.len()) as u64);
    let found: Result<Vec<Vec<Raw>>, ScanError> = targets
        .par_iter()
        .map(|(file, source)| {
            let bytes = worktree::read(file)?;
            progress.advance();
            Ok(hits(&matcher, &bytes)
                .into_iter()
                .map(|hit| Raw {
                    source: *source,
                    path: place.show(file),
                    commit: None,
                    reachable: None,
                    hit,
                    age_rank: 0,
                })
                .collect())
        })
        .collect();
    raws.extend(found?.into_iter().flatten());

    if let (Some(repo), true) = (&repo, options.staged) {
        coverage.blobs += staged.len();
        let sync = repo.clone().into_sync();
        let found: Result<Vec<Vec<Raw>>, ScanError> = staged
            .par_iter()
            .map_init(
                || sync.to_thread_local(),
                |repo, (path, id)| {
                    let bytes = zeroize::Zeroizing::new(git::read_blob(repo, *id)?);
                    progress.advance();
                    Ok(hits(&matcher, &bytes)
                        .into_iter()
                        .map(|hit| Raw {
                            age_rank: 0,
                            source: Source::Staged,
                            path: git::show_path(path),
                            commit: None,
                            reachable: None,
                            hit,
                        })
                        .collect())
                },
            )
            .collect();
        raws.extend(found?.into_iter().flatten());
    }

    if let (Some(repo), true) = (&repo, options.history) {
        coverage.blobs += history.len();
        let sync = repo.clone().into_sync();
        let found: Result<Vec<Vec<Raw>>, ScanError> = history
            .par_iter()
            .map_init(
                || sync.to_thread_local(),
                |repo, blob| {
                    let bytes = zeroize::Zeroizing::new(git::read_blob(repo, blob.id)?);
                    progress.advance();
                    let mut found = Vec::new();
                    for hit in hits(&matcher, &bytes) {
                        if blob.places.is_empty() {
                            found.push(Raw {
                                age_rank: usize::MAX,
                                source: Source::History,
                                path: format!("<blob {}>", blob.id),
                                commit: None,
                                reachable: Some(false),
                                hit,
                            });
                        }
                        for place in &blob.places {
                            found.push(Raw {
                                age_rank: place.age_rank,
                                source: Source::History,
                                path: git::show_path(&place.path),
                                commit: Some(place.commit.to_string()),
                                reachable: Some(true),
                                hit,
                            });
                        }
                    }
                    Ok(found)
                },
            )
            .collect();
        raws.extend(found?.into_iter().flatten());
    }

    Ok(assemble(raws, &set, place, &accept, coverage))
}

/// A whole-file vault is ciphertext: never a finding. Anything else
/// (including a vars file around its inline values) is searched.
fn hits(matcher: &Matcher, bytes: &[u8]) -> Vec<Hit> {
    if crate::vault::is_encrypted(bytes) {
        Vec::new()
    } else {
        matcher.find(bytes)
    }
}

/// Reads the old versions of each vault file from history (same path) and
/// adds the values they held that the vault no longer holds.
fn add_previous_values(
    set: &mut ValueSet,
    place: &Place,
    repo: &gix::Repository,
    ctx: &VaultContext,
) -> Result<(), ScanError> {
    let files: Vec<(String, PathBuf)> = set
        .vault_files
        .iter()
        .map(|f| (place.show(f), f.clone()))
        .filter(|(shown, _)| !Path::new(shown).has_root())
        .collect();
    let paths: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
    let fingerprinter = ctx
        .secrets
        .first()
        .map(|s| Fingerprinter::new(s.password()));
    for (i, id) in git::versions_of(repo, &paths)? {
        let bytes = zeroize::Zeroizing::new(git::read_blob(repo, id)?);
        set.add_previous(&files[i].1, &bytes, ctx, fingerprinter.as_ref());
    }
    Ok(())
}

/// Groups history matches (one finding per secret, value, encoding and
/// path: the oldest commit), dates the other findings with it, drops what
/// the accept list accepts, and sorts.
fn assemble(
    mut raws: Vec<Raw>,
    set: &ValueSet,
    place: &Place,
    accept: &ignorefile::AcceptList,
    coverage: Coverage,
) -> ScanReport {
    let mut findings: Vec<Finding> = Vec::new();
    let mut oldest: HashMap<(usize, Encoding, String), usize> = HashMap::new();
    raws.sort_by_key(|r| r.age_rank);
    for raw in raws.iter().filter(|r| r.source == Source::History) {
        let key = (raw.hit.value, raw.hit.encoding, raw.path.clone());
        if oldest.contains_key(&key) {
            continue;
        }
        oldest.insert(key, findings.len());
        findings.push(make(raw, set, place, raw.commit.clone()));
    }
    for raw in raws.iter().filter(|r| r.source != Source::History) {
        let key = (raw.hit.value, raw.hit.encoding, raw.path.clone());
        let introduced = oldest.get(&key).and_then(|&i| findings[i].commit.clone());
        findings.push(make(raw, set, place, introduced));
    }
    let before = findings.len();
    findings.retain(|f| !accept.accepts(&f.path, &f.fingerprint));
    let accepted = before - findings.len();
    findings.sort_by(|a, b| {
        (a.source, &a.path, a.line, &a.secret, a.encoding)
            .cmp(&(b.source, &b.path, b.line, &b.secret, b.encoding))
    });
    findings.dedup();
    let unscannable = set
        .unscannable
        .iter()
        .map(|u| Unscannable {
            vault_file: PathBuf::from(place.show(&u.vault_file)),
            ..u.clone()
        })
        .collect();
    ScanReport {
        findings,
        accepted,
        unscannable,
        coverage,
    }
}

fn make(raw: &Raw, set: &ValueSet, place: &Place, introduced: Option<String>) -> Finding {
    let value = &set.values[raw.hit.value];
    Finding {
        secret: value.name.clone(),
        value: value.generation,
        vault_file: place.show(&value.vault_file),
        source: raw.source,
        path: raw.path.clone(),
        line: raw.hit.line,
        encoding: raw.hit.encoding,
        commit: raw.commit.clone(),
        introduced,
        reachable: raw.reachable,
        fingerprint: value.fingerprint.clone(),
    }
}

impl ScanReport {
    /// The command that rotates each exposed current value, in name order.
    pub fn rotate_commands(&self) -> Vec<String> {
        let mut names: Vec<&str> = self
            .findings
            .iter()
            .filter(|f| f.value == Generation::Current)
            .map(|f| f.secret.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|name| {
                let first = self
                    .findings
                    .iter()
                    .find(|f| f.secret == name && f.value == Generation::Current)
                    .map(|f| f.path.clone())
                    .unwrap_or_default();
                let reason = format!("found in {first}");
                format!(
                    "vaultrot rotate {} --compromised --reason {}",
                    quote(name),
                    quote(&reason)
                )
            })
            .collect()
    }
}

/// Double quotes as people write them when that is safe, else shell quoting.
fn quote(text: &str) -> String {
    if !text.is_empty() && !text.contains(['"', '$', '`', '\\', '!', '\0', '\n']) {
        if text.contains(|c: char| !c.is_ascii_alphanumeric() && !"_-./".contains(c)) {
            return format!("\"{text}\"");
        }
        return text.to_string();
    }
    shlex::try_quote(text).map_or_else(
        |_| format!("'{}'", text.replace(['\0', '\''], "")),
        |q| q.into_owned(),
    )
}
