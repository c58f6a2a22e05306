//! Every exit code vaultrot returns, in one table (README "Exit codes"),
//! and the trait through which each error type says which one it ends in.
//!
//! The ansible-vault compatible commands keep ansible's codes (1 error,
//! 2 usage, 5 bad options); the reporting commands use 0/1/2 as a CI gate.

/// Success; for `check-age`/`lint`: nothing at or past the fail level.
pub const OK: i32 = 0;
/// A command failed (ansible's `AnsibleError`); for `check-age`/`lint`: findings at the fail level.
pub const ERROR: i32 = 1;
/// Command-line usage error (as argparse); for `check-age`/`lint`: bad manifest or usage.
pub const USAGE: i32 = 2;
/// Invalid combination of options (ansible's `AnsibleOptionsError`).
pub const OPTIONS: i32 = 5;
/// A rotation stopped at a manual step and waits for the same command with
/// `--confirm` (nothing failed; CI without a terminal sees this).
pub const AWAITING: i32 = 10;
/// Another vaultrot command holds the manifest lock.
pub const LOCKED: i32 = 75;
/// Interrupted by Ctrl-C (as ansible), or by SIGHUP/SIGTERM while `edit`
/// had the editor open (its plaintext wiped, nothing written).
pub const INTERRUPTED: i32 = 99;

/// An error that knows its exit code. Each error type of a command path
/// decides its code once, where the error is made, so that the CLI turns
/// any of them into an exit status without matching on variants.
pub trait ExitCode {
    fn exit_code(&self) -> i32;
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Every `pub const NAME: i32 = N;` of this file.
    fn table() -> BTreeSet<i32> {
        include_str!("exit_codes.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("pub const ")?.split_once(": i32 = "))
            .map(|(_, n)| n.trim_end_matches(';').parse().expect("a number"))
            .collect()
    }

    /// The codes of the README's "Exit codes" table (`| N | meaning |` rows).
    fn readme() -> BTreeSet<i32> {
        let text = include_str!("../README.md");
        let section = text
            .split("\n## Exit codes\n")
            .nth(1)
            .expect("README has an `## Exit codes` section");
        let section = section.split("\n## ").next().unwrap_or(section);
        section
            .lines()
            .filter_map(|l| l.strip_prefix("| ")?.split_once(" |"))
            .filter_map(|(code, _)| code.trim().parse().ok())
            .collect()
    }

    #[test]
    fn readme_lists_exactly_the_codes_of_the_table() {
        let table = table();
        assert!(table.len() >= 7, "read the constants: {table:?}");
        assert_eq!(readme(), table);
    }
}
