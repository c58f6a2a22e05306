//! `vaultrot ls FILE|DIR...`: the keys of secrets files, whether each is
//! vaulted and under which vault-id. A directory lists every file in it that
//! holds vault data (as `view` and `rekey` walk it). Never values.

use std::path::Path;

use clap::Args;

use super::common::{CliResult, VaultArgs, read_context};
use super::output::write_stdout;
use super::secret_file;
use crate::ansible::config::VaultSettings;
use crate::vaultfile::tree;

#[derive(Args, Debug)]
pub struct LsArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Secrets files, or directories to search for files holding vault data.
    #[arg(value_name = "FILE|DIR", required = true)]
    pub files: Vec<String>,
    /// table or json.
    #[arg(long, default_value = "table")]
    pub format: String,
}

pub fn run(args: &LsArgs, settings: &VaultSettings) -> CliResult {
    let ctx = read_context(&args.vault, settings)?;
    let several = args.files.len() > 1 || args.files.iter().any(|f| Path::new(f).is_dir());
    let mut listed = Vec::new();
    for path in tree::expand(&args.files)? {
        let shown = path.display().to_string();
        let file = secret_file::open(&shown, &ctx)?;
        listed.push((shown, file.list_leaves()));
    }
    let text = if args.format == "json" {
        let rows: Vec<serde_json::Value> = listed
            .iter()
            .flat_map(|(file, keys)| {
                keys.iter().map(move |k| {
                    let mut row = serde_json::json!({"name": k.name, "vaulted": k.vaulted, "vault_id": k.label, "line": k.line});
                    if several {
                        row["file"] = serde_json::Value::String(file.clone());
                    }
                    row
                })
            })
            .collect();
        format!("{}\n", serde_json::Value::Array(rows))
    } else {
        let width = listed
            .iter()
            .flat_map(|(_, keys)| keys.iter().map(|k| k.name.len()))
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for (file, keys) in &listed {
            if several {
                out.push_str(&format!("{file}:\n"));
            }
            for k in keys {
                let state = if k.vaulted { "vaulted" } else { "plain" };
                let label = k
                    .label
                    .as_deref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                let indent = if several { "  " } else { "" };
                out.push_str(&format!("{indent}{:width$}  {state}{label}\n", k.name));
            }
        }
        out
    };
    write_stdout(text.as_bytes())
}
