//! ansible.cfg discovery and the vault-related settings, resolved exactly as
//! ansible-core does: environment first, then the `[defaults]` section of the
//! first config file found (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg,
//! /etc/ansible/ansible.cfg). Relative `path` settings resolve against the
//! config file's directory; `{{CWD}}`, `~` and `$VARS` are expanded.

use std::collections::HashMap;
use std::env;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub use crate::fsutil::unfrack;

/// The vault settings ansible would use for this process.
#[derive(Debug, Clone, Default)]
pub struct VaultSettings {
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// `DEFAULT_VAULT_IDENTITY_LIST`: `label@source` items tried first.
    pub identity_list: Vec<String>,
    /// `DEFAULT_VAULT_PASSWORD_FILE`, already resolved to an absolute path.
    pub password_file: Option<PathBuf>,
    /// `DEFAULT_VAULT_ID_MATCH`: any non-empty string turns it on (it has no type in base.yml).
    pub id_match: bool,
    /// `DEFAULT_VAULT_IDENTITY`: the label of unlabelled secrets.
    pub identity: String,
    /// `DEFAULT_VAULT_ENCRYPT_IDENTITY`.
    pub encrypt_identity: Option<String>,
    /// `VAULT_ENCRYPT_SALT`: the salt string's bytes (empty means random).
    pub encrypt_salt: Option<String>,
    /// `DEFAULT_ASK_VAULT_PASS`.
    pub ask_vault_pass: bool,
    /// `EDITOR` (ANSIBLE_EDITOR, then EDITOR, then ini `editor`, default `vi`).
    pub editor: String,
    /// `PAGER` (ANSIBLE_PAGER, then PAGER, then ini `pager`, default `less`).
    pub pager: String,
}

impl VaultSettings {
    /// Reads the environment and the config file ansible would read.
    pub fn load() -> Self {
        Self::load_in(env::current_dir().ok().as_deref())
    }

    /// As [`VaultSettings::load`], for ansible run from `dir` (the infra root
    /// for playbook steps, whose `ansible.cfg` is the one that counts there).
    pub fn load_in(dir: Option<&Path>) -> Self {
        let config_file = find_config_file(dir);
        let ini = config_file
            .as_deref()
            .and_then(|p| fs::read(p).ok())
            .map(|bytes| parse_ini_defaults(&String::from_utf8_lossy(&bytes)))
            .unwrap_or_default();
        let config_dir = config_file
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        Self::from_sources(
            &|name| env::var(name).ok(),
            &ini,
            config_dir.as_deref(),
            config_file,
        )
    }

    fn from_sources(
        env: &dyn Fn(&str) -> Option<String>,
        ini: &HashMap<String, String>,
        config_dir: Option<&Path>,
        config_file: Option<PathBuf>,
    ) -> Self {
        // Each setting: (value, directory relative paths resolve against).
        let lookup = |env_names: &[&str], ini_key: &str| -> Option<(String, Option<PathBuf>)> {
            env_names
                .iter()
                .find_map(|n| env(n).map(|v| (v, None)))
                .or_else(|| {
                    ini.get(ini_key)
                        .map(|v| (v.clone(), config_dir.map(Path::to_path_buf)))
                })
        };
        let list = |v: String| -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        VaultSettings {
            identity_list: lookup(&["ANSIBLE_VAULT_IDENTITY_LIST"], "vault_identity_list")
                .map(|(v, _)| list(v))
                .unwrap_or_default(),
            password_file: lookup(&["ANSIBLE_VAULT_PASSWORD_FILE"], "vault_password_file")
                .filter(|(v, _)| !v.is_empty())
                .map(|(v, base)| resolve_path(&v, base.as_deref())),
            id_match: lookup(&["ANSIBLE_VAULT_ID_MATCH"], "vault_id_match")
                .is_some_and(|(v, _)| !v.is_empty()),
            identity: lookup(&["ANSIBLE_VAULT_IDENTITY"], "vault_identity")
                .map(|(v, _)| v)
                .unwrap_or_else(|| "default".to_string()),
            encrypt_identity: lookup(
                &["ANSIBLE_VAULT_ENCRYPT_IDENTITY"],
                "vault_encrypt_identity",
            )
            .map(|(v, _)| v)
            .filter(|v| !v.is_empty()),
            encrypt_salt: lookup(&["ANSIBLE_VAULT_ENCRYPT_SALT"], "vault_encrypt_salt")
                .map(|(v, _)| v)
                .filter(|v| !v.is_empty()),
            ask_vault_pass: lookup(&["ANSIBLE_ASK_VAULT_PASS"], "ask_vault_pass")
                .is_some_and(|(v, _)| is_true(&v)),
            editor: lookup(&["ANSIBLE_EDITOR", "EDITOR"], "editor")
                .map(|(v, _)| v)
                .unwrap_or_else(|| "vi".to_string()),
            pager: lookup(&["ANSIBLE_PAGER", "PAGER"], "pager")
                .map(|(v, _)| v)
                .unwrap_or_else(|| "less".to_string()),
            config_file,
        }
    }
}

/// Why a command git runs by itself did not use the password sources of the
/// repository's own `ansible.cfg` (see [`VaultSettings::load_for_git`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRepoConfig {
    /// The repository's `ansible.cfg`.
    pub config_file: PathBuf,
    /// The settings left out (`vault_password_file`, `vault_identity_list`).
    pub settings: Vec<&'static str>,
}

impl std::fmt::Display for SkippedRepoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dir = self.config_file.parent().unwrap_or(Path::new("."));
        write!(
            f,
            "not using {} from {}: a repository's own ansible.cfg may name any script, and git runs this command by itself; trust it with VAULTROT_TRUST_REPO_CONFIG=1 or by adding {} to ~/.config/vaultrot/trusted",
            self.settings.join(" and "),
            self.config_file.display(),
            dir.display()
        )
    }
}

/// The `ansible.cfg` settings that name a file or script to read or run.
const PASSWORD_SOURCE_KEYS: [&str; 2] = ["vault_password_file", "vault_identity_list"];

impl VaultSettings {
    /// The settings for a command that git runs by itself (`textconv` inside
    /// `git diff`): a freshly cloned repository must not get its scripts run
    /// just by being looked at, as git itself ignores repository-local
    /// config for commands. When the `ansible.cfg` found in `dir` is the
    /// repository's own (not named by `ANSIBLE_CONFIG`) and names password
    /// sources, the settings are read as if it did not exist (environment,
    /// `~/.ansible.cfg`, `/etc/ansible/ansible.cfg`), unless the user trusts
    /// the repository.
    pub fn load_for_git(dir: &Path) -> (Self, Option<SkippedRepoConfig>) {
        let full = Self::load_in(Some(dir));
        let Some(config_file) = full.config_file.clone() else {
            return (full, None);
        };
        if !is_repo_local(&config_file, dir) || repo_trusted(dir) {
            return (full, None);
        }
        let ini = fs::read(&config_file)
            .map(|bytes| parse_ini_defaults(&String::from_utf8_lossy(&bytes)))
            .unwrap_or_default();
        let settings: Vec<&'static str> = PASSWORD_SOURCE_KEYS
            .into_iter()
            .filter(|k| ini.get(*k).is_some_and(|v| !v.trim().is_empty()))
            .collect();
        if settings.is_empty() {
            return (full, None);
        }
        let user_file = find_config_file(None);
        let user_ini = user_file
            .as_deref()
            .and_then(|p| fs::read(p).ok())
            .map(|bytes| parse_ini_defaults(&String::from_utf8_lossy(&bytes)))
            .unwrap_or_default();
        let user_dir = user_file
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        let own = Self::from_sources(
            &|name| env::var(name).ok(),
            &user_ini,
            user_dir.as_deref(),
            user_file,
        );
        (
            own,
            Some(SkippedRepoConfig {
                config_file,
                settings,
            }),
        )
    }
}

/// True when `config_file` is `dir`'s own `ansible.cfg`, found because the
/// command runs there rather than named by the user's `ANSIBLE_CONFIG`.
fn is_repo_local(config_file: &Path, dir: &Path) -> bool {
    if config_file != dir.join("ansible.cfg") {
        return false;
    }
    match env::var("ANSIBLE_CONFIG") {
        Ok(named) => {
            let named = unfrack(&named, None);
            let named = if named.is_dir() {
                named.join("ansible.cfg")
            } else {
                named
            };
            named != config_file
        }
        Err(_) => true,
    }
}

/// The user's opt-in: `VAULTROT_TRUST_REPO_CONFIG=1`, or `dir` (or a parent)
/// listed in `~/.config/vaultrot/trusted` (one absolute path a line, `#`
/// comments). The list lives in the user's home, never in a repository.
pub fn repo_trusted(dir: &Path) -> bool {
    if env::var("VAULTROT_TRUST_REPO_CONFIG").is_ok_and(|v| is_true(&v)) {
        return true;
    }
    let Some(home) = env::var_os("HOME") else {
        return false;
    };
    let Ok(text) = fs::read_to_string(PathBuf::from(home).join(".config/vaultrot/trusted")) else {
        return false;
    };
    let here = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let listed = unfrack(l, None);
            fs::canonicalize(&listed).unwrap_or(listed)
        })
        .any(|listed| here.starts_with(&listed))
}

/// ansible's `boolean()` for config values.
fn is_true(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "y" | "yes" | "on" | "1" | "true" | "t"
    )
}

/// `find_ini_config_file` as run from `cwd`: the first existing, readable candidate.
pub fn find_config_file(cwd: Option<&Path>) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(from_env) = env::var("ANSIBLE_CONFIG") {
        let path = unfrack(&from_env, None);
        candidates.push(if path.is_dir() {
            path.join("ansible.cfg")
        } else {
            path
        });
    }
    if let Some(cwd) = cwd
        && let Ok(meta) = fs::metadata(cwd)
        // ansible ignores ./ansible.cfg in a world-writable directory.
        && meta.permissions().mode() & 0o002 == 0
    {
        candidates.push(cwd.join("ansible.cfg"));
    }
    if let Some(home) = env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".ansible.cfg"));
    }
    candidates.push(PathBuf::from("/etc/ansible/ansible.cfg"));
    candidates
        .into_iter()
        .find(|p| fs::File::open(p).is_ok() && !p.is_dir())
}

/// The `[defaults]` section as Python's configparser (with `;` inline comments) reads it.
pub fn parse_ini_defaults(text: &str) -> HashMap<String, String> {
    let mut values = HashMap::new();
    let mut in_defaults = false;
    let mut last_key: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation line extends the previous value.
            if in_defaults && let Some(key) = &last_key {
                let v: &mut String = values.entry(key.clone()).or_default();
                v.push('\n');
                v.push_str(strip_inline_comment(trimmed));
            }
            continue;
        }
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            in_defaults = &trimmed[1..trimmed.len() - 1] == "defaults";
            last_key = None;
            continue;
        }
        let Some(sep) = trimmed.find(['=', ':']) else {
            continue;
        };
        let key = trimmed[..sep].trim().to_ascii_lowercase();
        let value = strip_inline_comment(trimmed[sep + 1..].trim()).to_string();
        if in_defaults {
            values.insert(key.clone(), value);
            last_key = Some(key);
        }
    }
    values
}

fn strip_inline_comment(value: &str) -> &str {
    // configparser only treats ';' as a comment when whitespace precedes it.
    let bytes = value.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b';' && bytes[i - 1].is_ascii_whitespace() {
            return value[..i].trim_end();
        }
    }
    value
}

/// `resolve_path`: `{{CWD}}`, then `unfrackpath(follow=False, basedir)`.
pub fn resolve_path(value: &str, basedir: Option<&Path>) -> PathBuf {
    let value = if value.contains("{{CWD}}") {
        let cwd = env::current_dir().unwrap_or_default();
        value.replace("{{CWD}}", &cwd.to_string_lossy())
    } else {
        value.to_string()
    };
    unfrack(&value, basedir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_defaults_like_configparser() {
        let ini = parse_ini_defaults(
            "# comment\n[defaults]\nvault_password_file = pw.txt ; note\nVault_Identity_List: a@x, b@y\n[other]\nvault_id_match=1\n",
        );
        assert_eq!(ini["vault_password_file"], "pw.txt");
        assert_eq!(ini["vault_identity_list"], "a@x, b@y");
        assert!(!ini.contains_key("vault_id_match"));
    }

    #[test]
    fn env_wins_and_ini_paths_are_relative_to_the_config() {
        let ini = parse_ini_defaults(
            "[defaults]\nvault_password_file = ../pw\nvault_identity_list = dev@a , prod@b\n",
        );
        let none = |_: &str| None;
        let s = VaultSettings::from_sources(&none, &ini, Some(Path::new("/infra/cfg")), None);
        assert_eq!(s.password_file.as_deref(), Some(Path::new("/infra/pw")));
        assert_eq!(s.identity_list, vec!["dev@a", "prod@b"]);
        assert_eq!(s.identity, "default");
        let env = |n: &str| (n == "ANSIBLE_VAULT_PASSWORD_FILE").then(|| "/abs/pw".to_string());
        let s = VaultSettings::from_sources(&env, &ini, Some(Path::new("/infra/cfg")), None);
        assert_eq!(s.password_file.as_deref(), Some(Path::new("/abs/pw")));
    }

    #[test]
    fn id_match_is_any_non_empty_string() {
        let ini = parse_ini_defaults("[defaults]\nvault_id_match = False\n");
        let none = |_: &str| None;
        assert!(VaultSettings::from_sources(&none, &ini, None, None).id_match);
    }

    #[test]
    fn unfrack_normalises_without_following_links() {
        assert_eq!(
            unfrack("a/../b/./c", Some(Path::new("/x"))),
            PathBuf::from("/x/b/c")
        );
        assert_eq!(
            unfrack("/abs", Some(Path::new("/x"))),
            PathBuf::from("/abs")
        );
    }
}
