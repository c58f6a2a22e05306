//! `init`: a first manifest for a repository that already has vaults. Finds
//! every vaulted variable (whole-file vaults and inline `!vault` values),
//! guesses a policy from each name, dates each from git (the last commit
//! that changed its ciphertext), and renders `_secrets_manifest.yml` text
//! with every guess marked for review. Writing it is the caller's job.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, NaiveDate};

use super::raw::top_level_keys;
use crate::vault::{self, DecryptOptions, VaultSecret};
use crate::yaml::Doc;

/// Where the new manifest goes, relative to the infra root.
pub const MANIFEST_PATH: &str = "group_vars/all/_secrets_manifest.yml";

/// One vaulted variable found in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSecret {
    pub name: String,
    /// The file holding it, relative to the infra root.
    pub vault: PathBuf,
    /// The date of the last commit that changed its ciphertext.
    pub last_rotation: Option<NaiveDate>,
    /// How `last_rotation` was found, for the comment beside it.
    pub dated_by: Dating,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dating {
    /// `git blame` of the inline value's ciphertext lines (author dates:
    /// when the change was made, which a rebase keeps).
    ValueLines,
    /// `git log` of the whole-file vault (any key's change re-encrypts it all).
    VaultFile,
    /// Not committed (or no git): left out, so check-age reports it never rotated.
    Unknown,
}

/// What the scan found, and what it left out and why.
#[derive(Debug, Default)]
pub struct Scan {
    pub secrets: Vec<FoundSecret>,
    /// `file: why`, for the review list.
    pub skipped: Vec<String>,
}

/// The policy a name suggests: (policy, max_age).
pub fn guess_policy(name: &str) -> (&'static str, &'static str) {
    let name = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&["dsn", "webhook_url"]) {
        ("on_demand", "never")
    } else if has(&["token", "api_key", "apikey"]) {
        ("api_token", "6mo")
    } else if has(&["password", "passwd", "pass"]) {
        ("password", "12mo")
    } else if has(&["secret", "key", "cert", "salt"]) {
        ("signing_secret", "12mo")
    } else {
        ("default", "12mo")
    }
}

/// Every vaulted top-level variable under `scope` (the infra `root` or one
/// environment's directory below it), with paths relative to `root`:
/// whole-file vaults are opened with `secrets` to list their keys; a
/// `<name>_new` next to `<name>` (a rotation left open) is skipped and
/// reported. One name in two files is an error: a manifest lists a variable
/// once, so each environment gets its own manifest.
pub fn scan(root: &Path, scope: &Path, secrets: &[VaultSecret]) -> Result<Scan, String> {
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(scope)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .build()
        .flatten()
    {
        let path = entry.path();
        let yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml")
            || path.extension().is_none()
                && path.ancestors().any(|a| {
                    a.file_name()
                        .is_some_and(|n| n == "group_vars" || n == "host_vars")
                });
        if entry.file_type().is_some_and(|t| t.is_file())
            && yaml
            && !path.components().any(|c| c.as_os_str() == ".git")
        {
            files.push(path.to_path_buf());
        }
    }
    files.sort();
    let git = GitDates::new(root);
    let mut scan = Scan::default();
    for file in files {
        let Ok(bytes) = fs::read(&file) else { continue };
        let relative = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
        let found = if vault::is_encrypted(&bytes) {
            whole_file_keys(&relative, &bytes, secrets)?
                .into_iter()
                .map(|name| FoundSecret {
                    name,
                    vault: relative.clone(),
                    last_rotation: git.file_date(&relative),
                    dated_by: Dating::VaultFile,
                })
                .collect()
        } else if bytes.windows(6).any(|w| w == b"!vault") {
            inline_keys(&relative, &bytes, &git, &mut scan.skipped)
        } else {
            continue;
        };
        scan.secrets.extend(found);
    }
    let names: Vec<(String, PathBuf)> = scan
        .secrets
        .iter()
        .map(|s| (s.name.clone(), s.vault.clone()))
        .collect();
    scan.secrets.retain(|s| {
        let open_rotation = s
            .name
            .strip_suffix("_new")
            .is_some_and(|stem| names.iter().any(|(n, v)| n == stem && *v == s.vault));
        if open_rotation {
            scan.skipped.push(format!(
                "{}: `{}` looks like the new value of a rotation left open; finish it or remove the key",
                s.vault.display(),
                s.name
            ));
        }
        !open_rotation
    });
    for (i, secret) in scan.secrets.iter().enumerate() {
        if let Some(other) = scan.secrets[..i].iter().find(|s| s.name == secret.name) {
            return Err(format!(
                "`{}` is in both {} and {}: a manifest lists each variable once; run init once per environment (vaultrot init inventories/ENV)",
                secret.name,
                other.vault.display(),
                secret.vault.display()
            ));
        }
    }
    Ok(scan)
}

fn whole_file_keys(
    file: &Path,
    bytes: &[u8],
    secrets: &[VaultSecret],
) -> Result<Vec<String>, String> {
    if secrets.is_empty() {
        return Err(format!(
            "{} is a whole-file vault: give its password (--vault-id or --vault-password-file) so that init can list its keys",
            file.display()
        ));
    }
    let opened = vault::decrypt(bytes, secrets, DecryptOptions::default())
        .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let text = std::str::from_utf8(&opened.plaintext)
        .map_err(|_| format!("{}: the decrypted content is not UTF-8", file.display()))?;
    let keys = top_level_keys(text).map_err(|e| {
        format!(
            "{}: decrypts but is not a YAML mapping of variables: {e}",
            file.display()
        )
    })?;
    Ok(keys.into_iter().map(|(k, _)| k).collect())
}

fn inline_keys(
    relative: &Path,
    bytes: &[u8],
    git: &GitDates,
    skipped: &mut Vec<String>,
) -> Vec<FoundSecret> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        skipped.push(format!("{}: not UTF-8 text", relative.display()));
        return Vec::new();
    };
    let doc = match Doc::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            skipped.push(format!("{}: not readable YAML: {e}", relative.display()));
            return Vec::new();
        }
    };
    let mut found = Vec::new();
    for value in doc.inline_vaults() {
        if value.path.len() != 1 {
            skipped.push(format!(
                "{}:{}: `{}` is nested; the manifest lists top-level variables",
                relative.display(),
                value.line,
                value.path.join(".")
            ));
            continue;
        }
        let first = text[..value.span.start].matches('\n').count() + 1;
        let last = first
            + text[value.span.clone()]
                .trim_end_matches('\n')
                .matches('\n')
                .count();
        let date = git.lines_date(relative, first, last);
        found.push(FoundSecret {
            name: value.path[0].clone(),
            vault: relative.to_path_buf(),
            last_rotation: date,
            dated_by: if date.is_some() {
                Dating::ValueLines
            } else {
                Dating::Unknown
            },
        });
    }
    found
}

/// Dates from the git history of the infra (none outside a work tree).
struct GitDates {
    root: PathBuf,
}

impl GitDates {
    fn new(root: &Path) -> GitDates {
        GitDates {
            root: root.to_path_buf(),
        }
    }

    fn git(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The newest commit among those that last changed lines `first..=last`.
    /// Uncommitted lines (blame's all-zero id) make the value undated.
    fn lines_date(&self, file: &Path, first: usize, last: usize) -> Option<NaiveDate> {
        let range = format!("{first},{last}");
        let file = file.to_string_lossy();
        let out = self.git(&["blame", "--porcelain", "-L", &range, "--", &file])?;
        let mut newest = None;
        for line in out.lines() {
            if line.starts_with("0000000000000000000000000000000000000000 ") {
                return None;
            }
            if let Some(time) = line.strip_prefix("author-time ") {
                let date = DateTime::from_timestamp(time.trim().parse().ok()?, 0)?.date_naive();
                newest = newest.max(Some(date));
            }
        }
        newest
    }

    /// The date of the last commit that changed `file`, if it has no uncommitted change.
    fn file_date(&self, file: &Path) -> Option<NaiveDate> {
        let file = file.to_string_lossy();
        let dirty = self.git(&["status", "--porcelain", "--", &file])?;
        if !dirty.trim().is_empty() {
            return None;
        }
        let date = self.git(&["log", "-1", "--format=%as", "--", &file])?;
        NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()
    }
}

/// The manifest text: the file most secrets live in is `defaults.vault`;
/// the guessed policies, each `# guessed`; every secret with its policy,
/// its date (or a note why none), and an empty owner to fill in.
pub fn render(scan: &Scan) -> String {
    let mut counts: BTreeMap<&Path, usize> = BTreeMap::new();
    for secret in &scan.secrets {
        *counts.entry(secret.vault.as_path()).or_default() += 1;
    }
    let default_vault = counts
        .iter()
        .max_by_key(|(path, n)| (**n, std::cmp::Reverse(**path)))
        .map(|(path, _)| path.to_path_buf());
    let mut policies: Vec<(&str, &str)> =
        scan.secrets.iter().map(|s| guess_policy(&s.name)).collect();
    policies.sort();
    policies.dedup();

    let mut out = String::from(
        "# Rotation manifest written by `vaultrot init`: review every line marked\n\
         # `guessed`, fill in the owners, and add deploy/verify steps to each secret.\n\
         # vaultrot updates last_rotation, rotation and history; everything else is\n\
         # yours. Paths are relative to the infra root.\n\
         secrets_manifest:\n  version: 1\n",
    );
    if let Some(vault) = &default_vault {
        out.push_str(&format!(
            "\n  defaults:\n    vault: {}\n    warn_before: 30d\n",
            yaml_path(vault)
        ));
    }
    out.push_str("\n  policies:\n");
    if policies.is_empty() {
        out.push_str("    default: { max_age: 12mo }   # guessed\n");
    }
    let width = policies.iter().map(|(p, _)| p.len()).max().unwrap_or(0) + 1;
    for (policy, max_age) in &policies {
        out.push_str(&format!(
            "    {:width$} {{ max_age: {max_age} }}   # guessed\n",
            format!("{policy}:")
        ));
    }
    out.push_str(if scan.secrets.is_empty() {
        "\n  secrets: {}\n"
    } else {
        "\n  secrets:\n"
    });
    for secret in &scan.secrets {
        let (policy, _) = guess_policy(&secret.name);
        out.push_str(&format!("    {}:\n", yaml_key(&secret.name)));
        out.push_str(&format!(
            "      policy: {policy}   # guessed from the name\n"
        ));
        if Some(&secret.vault) != default_vault.as_ref() {
            out.push_str(&format!("      vault: {}\n", yaml_path(&secret.vault)));
        }
        match (secret.last_rotation, secret.dated_by) {
            (Some(date), Dating::ValueLines) => out.push_str(&format!(
                "      last_rotation: {date}   # last commit that changed its ciphertext\n"
            )),
            (Some(date), _) => out.push_str(&format!(
                "      last_rotation: {date}   # last commit that changed the vault file: check\n"
            )),
            (None, _) => out.push_str(
                "      # last_rotation: not in git history; set it to the date it was last changed\n",
            ),
        }
        out.push_str("      owner:\n");
    }
    out
}

/// A path as a plain YAML scalar (quoted if it would read as something else).
fn yaml_path(path: &Path) -> String {
    yaml_key(&path.to_string_lossy())
}

fn yaml_key(text: &str) -> String {
    crate::yaml::quote_scalar(text)
}

/// The `.gitignore` lines vaultrot's own files need that `<root>/.gitignore` lacks.
pub fn missing_ignores_in(root: &Path) -> Vec<&'static str> {
    let current = fs::read_to_string(root.join(".gitignore")).unwrap_or_default();
    missing_ignores(&current)
}

/// The `.gitignore` lines vaultrot's own files need that `current` lacks.
fn missing_ignores(current: &str) -> Vec<&'static str> {
    let have: Vec<&str> = current.lines().map(str::trim).collect();
    [".vaultrot/", ".vaultrot.lock"]
        .into_iter()
        .filter(|line| !have.contains(line) && !have.contains(&line.trim_end_matches('/')))
        .collect()
}

/// Writes the new manifest (refusing to replace one) and adds `ignores`
/// to `<root>/.gitignore`, each file atomically.
pub fn write(manifest: &Path, text: &str, root: &Path, ignores: &[&str]) -> Result<(), String> {
    if manifest.exists() {
        return Err(format!(
            "{} already exists: init never overwrites a manifest (move it away, or edit it)",
            manifest.display()
        ));
    }
    if let Some(dir) = manifest.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    crate::fsutil::write_atomic(
        manifest,
        text.as_bytes(),
        crate::fsutil::FileMode::Exactly(0o644),
    )
    .map_err(|e| format!("cannot write {}: {e}", manifest.display()))?;
    if ignores.is_empty() {
        return Ok(());
    }
    let gitignore = root.join(".gitignore");
    let mut current = fs::read_to_string(&gitignore).unwrap_or_default();
    if !current.is_empty() && !current.ends_with('\n') {
        current.push('\n');
    }
    current.push_str("# vaultrot: backups and the manifest lock (local state, never committed)\n");
    for line in ignores {
        current.push_str(line);
        current.push('\n');
    }
    let mode = match gitignore.exists() {
        true => crate::fsutil::FileMode::Keep,
        false => crate::fsutil::FileMode::Exactly(0o644),
    };
    crate::fsutil::write_atomic(&gitignore, current.as_bytes(), mode)
        .map_err(|e| format!("cannot write {}: {e}", gitignore.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_guessed_from_names() {
        assert_eq!(guess_policy("vault_db_password").0, "password");
        assert_eq!(guess_policy("vault_github_token").0, "api_token");
        assert_eq!(guess_policy("vault_stripe_api_key").0, "api_token");
        assert_eq!(guess_policy("vault_jwt_signing_key").0, "signing_secret");
        assert_eq!(guess_policy("vault_sentry_dsn").0, "on_demand");
        assert_eq!(guess_policy("vault_misc").0, "default");
    }

    #[test]
    fn gitignore_lines_are_added_once() {
        assert_eq!(missing_ignores(""), [".vaultrot/", ".vaultrot.lock"]);
        assert_eq!(
            missing_ignores("target\n.vaultrot\n.vaultrot.lock\n"),
            Vec::<&str>::new()
        );
    }
}
