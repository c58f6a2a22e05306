//! `vaultrot status`: open rotations, their phase and age, and the command
//! that moves each one on. Needs no vault password.

use clap::Args;

use super::common::CliResult;
use super::output::write_stdout;
use super::rotation_common::{load_manifest, manifest_path, now};
use crate::manifest::{RotationKind, RotationPhase};

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The manifest (default: discovered).
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<std::path::PathBuf>,
    /// table or json.
    #[arg(long, default_value = "table")]
    pub format: String,
}

pub fn run(args: &StatusArgs) -> CliResult {
    let manifest = load_manifest(&manifest_path(args.manifest.as_deref())?)?;
    let now = now()?;
    let mut rows = Vec::new();
    for secret in &manifest.secrets {
        let Some(r) = &secret.rotation else { continue };
        let hours = (now - r.started).num_hours().max(0);
        let next = match r.phase {
            // An interrupted swap or compromised rotation resumes as it began.
            _ if r.kind != RotationKind::Dual => format!(
                "{} (resume)",
                crate::rotation::engine::resume_rotate_command(&secret.name, r.kind)
            ),
            RotationPhase::Starting => format!(
                "vaultrot start {} (resume) or vaultrot abort {0}",
                secret.name
            ),
            RotationPhase::Dual => format!("vaultrot finish {} (or abort)", secret.name),
            RotationPhase::Promoting | RotationPhase::Promoted => {
                format!("vaultrot finish {} (resume)", secret.name)
            }
            RotationPhase::Aborting => format!("vaultrot abort {} (resume)", secret.name),
        };
        rows.push((
            secret.name.clone(),
            r.id.clone(),
            r.phase.to_string(),
            r.started,
            hours,
            next,
        ));
    }
    let text = if args.format == "json" {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, id, phase, started, hours, next)| {
                serde_json::json!({"name": name, "id": id, "phase": phase,
                    "started": started.format("%Y-%m-%dT%H:%M:%SZ").to_string(), "open_hours": hours, "next": next})
            })
            .collect();
        format!(
            "{}\n",
            serde_json::json!({"manifest": manifest.path.display().to_string(), "open": list})
        )
    } else if rows.is_empty() {
        "no open rotations\n".to_string()
    } else {
        let mut out = String::new();
        for (name, id, phase, _, hours, next) in &rows {
            let age = if *hours >= 48 {
                format!("{}d", hours / 24)
            } else {
                format!("{hours}h")
            };
            out.push_str(&format!(
                "{name}  {phase}  {id}  open {age}  next: {next}\n"
            ));
        }
        out
    };
    write_stdout(text.as_bytes())
}
