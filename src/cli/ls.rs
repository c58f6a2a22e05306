//! `vaultrot ls FILE`: the keys of a secrets file, whether each is vaulted
//! and under which vault-id. Never values.

use clap::Args;

use super::common::{CliResult, VaultArgs, read_context};
use super::output::write_stdout;
use super::secret_file;
use crate::ansible::config::VaultSettings;

#[derive(Args, Debug)]
pub struct LsArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    pub file: String,
    /// table or json.
    #[arg(long, default_value = "table")]
    pub format: String,
}

pub fn run(args: &LsArgs, settings: &VaultSettings) -> CliResult {
    let ctx = read_context(&args.vault, settings)?;
    let file = secret_file::open(&args.file, &ctx)?;
    let keys = file.list();
    let text = if args.format == "json" {
        let rows: Vec<serde_json::Value> = keys
            .iter()
            .map(|k| serde_json::json!({"name": k.name, "vaulted": k.vaulted, "vault_id": k.label, "line": k.line}))
            .collect();
        format!("{}\n", serde_json::Value::Array(rows))
    } else {
        let width = keys.iter().map(|k| k.name.len()).max().unwrap_or(0);
        keys.iter()
            .map(|k| {
                let state = if k.vaulted { "vaulted" } else { "plain" };
                let label = k
                    .label
                    .as_deref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                format!("{:width$}  {state}{label}\n", k.name)
            })
            .collect()
    };
    write_stdout(text.as_bytes())
}
