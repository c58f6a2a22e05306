//! The command line: one file per subcommand (arguments, calling the
//! library, printing); this file parses, dispatches and maps errors to exit
//! codes. The ansible-vault commands print errors as ansible does
//! (`[ERROR]: ...`); every other command as `vaultrot: error: ...`. Run
//! through a link named `ansible-vault`, the binary is that command set.

pub mod abort;
pub mod ansible_vault;
pub mod check_age;
pub mod common;
pub mod completions;
pub mod create;
pub mod decrypt;
pub mod edit;
pub mod encrypt;
pub mod encrypt_string;
pub mod error;
pub mod finish;
pub mod get;
pub mod init;
pub mod install_hook;
pub mod lint;
pub mod ls;
pub mod man;
pub mod output;
pub mod password_client;
pub mod recipients;
pub mod rekey;
pub mod restore;
pub mod rollback;
pub mod rotate;
pub mod rotate_due;
pub mod rotate_password;
pub mod rotation_common;
pub mod scan;
pub mod secret_file;
pub mod set;
pub mod start;
pub mod status;
pub mod textconv;
pub mod verify;
pub mod view;

use clap::{Parser, Subcommand};

use crate::ansible::config::VaultSettings;
use crate::exit_codes;
use common::CliResult;

/// vaultrot: rotate the secrets of an Ansible deployment, and a fast,
/// byte-compatible drop-in for ansible-vault.
#[derive(Parser, Debug)]
#[command(name = "vaultrot", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new encrypted file in the editor.
    Create(create::CreateArgs),
    /// Decrypt vault files (in place, to --output, or stdin to stdout).
    Decrypt(decrypt::DecryptArgs),
    /// Edit an encrypted file in the editor.
    Edit(edit::EditArgs),
    /// Show decrypted content.
    View(view::ViewArgs),
    /// Encrypt files (in place, to --output, or stdin to stdout).
    Encrypt(encrypt::EncryptArgs),
    /// Encrypt a string as a YAML `!vault` block.
    #[command(name = "encrypt_string", visible_alias = "encrypt-string")]
    EncryptString(encrypt_string::EncryptStringArgs),
    /// Re-encrypt files, directories and inline values with a new password or vault-id.
    Rekey(rekey::RekeyArgs),
    /// Print one value's exact bytes.
    Get(get::GetArgs),
    /// Set one value (inside a whole-file vault, or as an inline `!vault`).
    Set(set::SetArgs),
    /// Remove one key.
    Unset(set::UnsetArgs),
    /// List the keys of a secrets file (never values).
    Ls(ls::LsArgs),
    /// Decrypted (or --redact'ed) rendering for `git diff` textconv.
    Textconv(textconv::TextconvArgs),
    /// Open a dual rotation: add X_new, deploy accepting both, verify.
    Start(start::StartArgs),
    /// Promote X_new (old value kept as X_previous), redeploy, verify, revoke, record.
    Finish(finish::FinishArgs),
    /// Withdraw a started rotation.
    Abort(abort::AbortArgs),
    /// Swap rotation in one step (or --compromised --reason WHY for an incident).
    Rotate(rotate::RotateArgs),
    /// The nightly job: start, finish or swap the `auto: true` secrets that are due; list the files changed.
    RotateDue(rotate_due::RotateDueArgs),
    /// Put the previous value back after a promotion, before revoke removed it.
    Rollback(rollback::RollbackArgs),
    /// Open rotations and what to run next.
    Status(status::StatusArgs),
    /// Run the verify steps outside a rotation.
    Verify(verify::VerifyArgs),
    /// List or restore the backups kept before each vault write.
    Restore(restore::RestoreArgs),
    /// Report every secret's age against its policy (CI gate; no password needed).
    CheckAge(check_age::CheckAgeArgs),
    /// Check that manifest, vault files and playbooks agree (CI gate).
    Lint(LintCommand),
    /// Write a first secrets manifest for a repository that already has vaults.
    Init(init::InitArgs),
    /// Print the shell completion script (bash, zsh, fish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff): `vaultrot man > vaultrot.1`.
    Man(man::ManArgs),
    /// Find every vaulted value wherever it leaked (tree, logs, --staged, --history).
    Scan(scan::ScanArgs),
    /// Write .git/hooks/pre-commit running `vaultrot scan --staged`.
    InstallHook(install_hook::InstallHookArgs),
    /// Print a vault-id's password from its age file: a client script for Ansible.
    PasswordClient(password_client::PasswordClientArgs),
    /// Manage who can open the age-encrypted vault password file (ls, add, remove).
    Recipients(recipients::RecipientsArgs),
    /// A new vault password for one vault-id: every value under it rekeyed, its store updated.
    RotatePassword(rotate_password::RotatePasswordArgs),
}

impl Command {
    /// ansible-vault's own commands, which keep ansible's error text.
    pub fn is_ansible_vault(&self) -> bool {
        matches!(
            self,
            Command::Create(_)
                | Command::Decrypt(_)
                | Command::Edit(_)
                | Command::View(_)
                | Command::Encrypt(_)
                | Command::EncryptString(_)
                | Command::Rekey(_)
        )
    }
}

/// `lint` plus the vault flags that let it compare vault keys with the manifest.
#[derive(clap::Args, Debug)]
pub struct LintCommand {
    #[command(flatten)]
    pub lint: lint::LintArgs,
    #[command(flatten)]
    pub vault: common::VaultArgs,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    if ansible_vault::invoked_as_ansible_vault() {
        return ansible_vault::main();
    }
    if password_client::invoked_as_client() {
        return run_as_client();
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let parsed = match parse_one_command(&args) {
        Some(cli) => Ok(cli),
        None => Cli::try_parse_from(args),
    };
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            let _ = e.print();
            return code;
        }
    };
    let prefix = if cli.command.is_ansible_vault() {
        "[ERROR]:"
    } else {
        "vaultrot: error:"
    };
    finish(dispatch(&cli.command), prefix)
}

/// The commands that scripts and git run many times a minute (`view`,
/// `get`, `textconv`), parsed with only their own arguments built: building
/// all thirty commands' arguments cost a small `view` 75 page faults and
/// about 0.1 ms (docs/benchmarks.md). `None`
/// for any other command line, and for anything but a clean parse (help,
/// version, a usage error): the whole command line parses those, so what
/// they print does not change.
fn parse_one_command(args: &[std::ffi::OsString]) -> Option<Cli> {
    use clap::{Args, FromArgMatches};
    let name = args.get(1)?.to_str()?;
    let command = match name {
        "view" => view::ViewArgs::augment_args(clap::Command::new("view")),
        "get" => get::GetArgs::augment_args(clap::Command::new("get")),
        "textconv" => textconv::TextconvArgs::augment_args(clap::Command::new("textconv")),
        _ => return None,
    };
    let matches = clap::Command::new("vaultrot")
        .subcommand(command)
        .try_get_matches_from(args)
        .ok()?;
    Cli::from_arg_matches(&matches).ok()
}

/// Run through a link named `vaultrot-client`: the arguments are Ansible's
/// (`--vault-id LABEL`), as for `vaultrot password-client`.
fn run_as_client() -> i32 {
    #[derive(Parser)]
    #[command(name = "vaultrot-client")]
    struct ClientCli {
        #[command(flatten)]
        args: password_client::PasswordClientArgs,
    }
    match ClientCli::try_parse() {
        Ok(cli) => finish(password_client::run(&cli.args), "vaultrot-client: error:"),
        Err(e) => {
            let code = e.exit_code();
            let _ = e.print();
            code
        }
    }
}

/// The exit code of a command's result, its error printed on one line.
fn finish(result: CliResult, prefix: &str) -> i32 {
    match result {
        Ok(()) => exit_codes::OK,
        Err(e) if e.message.is_empty() => e.code,
        Err(e) => {
            eprintln!("{prefix} {}", e.message);
            e.code
        }
    }
}

pub(crate) fn dispatch(command: &Command) -> CliResult {
    let settings = VaultSettings::load();
    match command {
        Command::Create(a) => create::run(a, &settings),
        Command::Decrypt(a) => decrypt::run(a, &settings),
        Command::Edit(a) => edit::run(a, &settings),
        Command::View(a) => view::run(a, &settings),
        Command::Encrypt(a) => encrypt::run(a, &settings),
        Command::EncryptString(a) => encrypt_string::run(a, &settings),
        Command::Rekey(a) => rekey::run(a, &settings),
        Command::Get(a) => get::run(a, &settings),
        Command::Set(a) => set::run_set(a, &settings),
        Command::Unset(a) => set::run_unset(a, &settings),
        Command::Ls(a) => ls::run(a, &settings),
        Command::Textconv(a) => textconv::run(a),
        Command::Start(a) => start::run(a),
        Command::Finish(a) => finish::run(a),
        Command::Abort(a) => abort::run(a),
        Command::Rotate(a) => rotate::run(a),
        Command::RotateDue(a) => rotate_due::run(a),
        Command::Rollback(a) => rollback::run(a),
        Command::Status(a) => status::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Restore(a) => restore::run(a),
        Command::CheckAge(a) => exit_with(check_age::run(a)),
        Command::Lint(a) => run_lint(a),
        Command::Init(a) => init::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
        Command::Scan(a) => scan::run(a),
        Command::InstallHook(a) => install_hook::run(a),
        Command::PasswordClient(a) => password_client::run(a),
        Command::Recipients(a) => recipients::run(a),
        Command::RotatePassword(a) => rotate_password::run(a, &settings),
    }
}

/// Commands that compute their own exit code (check-age, lint) report it through here.
fn exit_with(code: i32) -> CliResult {
    match code {
        exit_codes::OK => Ok(()),
        code => Err(common::CliError {
            code,
            message: String::new(),
        }),
    }
}

/// lint compares vault keys with the manifest when a password is at hand
/// (flags, environment, or the infra's ansible.cfg); never prompts.
fn run_lint(command: &LintCommand) -> CliResult {
    let secrets_for = |root: &std::path::Path| {
        let settings = VaultSettings::load_in(Some(root));
        let secrets = common::load_secrets(
            &command.vault,
            &settings,
            crate::passwords::sources::Purpose::Read,
            false,
        )
        .unwrap_or_default();
        (!secrets.is_empty()).then_some(secrets)
    };
    exit_with(lint::run(&command.lint, &secrets_for))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_both(line: &str) -> (Option<String>, Result<String, String>) {
        let args: Vec<std::ffi::OsString> = line.split(' ').map(Into::into).collect();
        let fast = parse_one_command(&args).map(|cli| format!("{cli:?}"));
        let full = Cli::try_parse_from(&args)
            .map(|cli| format!("{cli:?}"))
            .map_err(|e| e.to_string());
        (fast, full)
    }

    #[test]
    fn one_command_parses_as_the_whole_command_line() {
        for line in [
            "vaultrot view f.yml",
            "vaultrot view --vault-password-file pw -v -v a.yml b/ -",
            "vaultrot view --vault-id dev@pw --vault-id prod@prompt --age-identity id.txt -- --odd",
            "vaultrot view",
            "vaultrot get group_vars/all/vault.yml db.password --vault-pass-file pw",
            "vaultrot textconv --redact secrets.yml",
            "vaultrot textconv -J secrets.yml",
        ] {
            let (fast, full) = parse_both(line);
            assert_eq!(fast.as_ref(), full.as_ref().ok(), "{line}");
        }
    }

    #[test]
    fn help_version_and_mistakes_go_to_the_whole_command_line() {
        for line in [
            "vaultrot view --help",
            "vaultrot view --version",
            "vaultrot view --no-such-flag f",
            "vaultrot view --vault-password-file pw -J f",
            "vaultrot get",
            "vaultrot status",
            "vaultrot --version",
        ] {
            let (fast, _) = parse_both(line);
            assert_eq!(fast, None, "{line}");
        }
    }
}
