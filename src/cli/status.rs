//! `vaultrot status`: open rotations, their phase and age, and the command
//! that moves each one on. Needs no vault password.

use clap::Args;

use super::common::CliResult;
use super::output::write_stdout;
use super::rotation_common::{load_manifest, manifest_path, now};
use crate::manifest::{RotationKind, RotationPhase};
use crate::rotation::due::{self, AUTO_BY};
use crate::rotation::plan::next_command;

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub manifest: super::common::ManifestArg,
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
        let group = r.group_or(&secret.name);
        let command = next_command(r, &group);
        let next = match (r.kind, r.phase) {
            _ if r.awaiting.is_some() => command,
            (RotationKind::Compromised, _) => format!("{command} --reason ... (resume)"),
            (RotationKind::Dual, RotationPhase::Starting) => {
                format!("{command} (resume) or vaultrot abort {}", group.join(" "))
            }
            (RotationKind::Dual, RotationPhase::Dual) => format!("{command} (or abort)"),
            (RotationKind::Dual, RotationPhase::Promoted) => format!(
                "{command} (resume) or vaultrot rollback {}",
                group.join(" ")
            ),
            _ => format!("{command} (resume)"),
        };
        // rotate-due's rotations: what it does next, and when.
        let auto = (r.by.as_deref() == Some(AUTO_BY))
            .then(|| due::decide(secret, now.date_naive()))
            .flatten()
            .map(|d| (d.action.map(due::AutoAction::as_str), d.on));
        rows.push((
            secret.name.clone(),
            r.id.clone(),
            r.phase.to_string(),
            r.started,
            hours,
            next,
            r.awaiting.clone(),
            auto,
        ));
    }
    // A vault password's rotation resumes by running rotate-password again.
    for password in &manifest.vault_passwords {
        let Some(r) = &password.secret.rotation else {
            continue;
        };
        let id = &password.vault_id;
        rows.push((
            password.secret.name.clone(),
            r.id.clone(),
            r.phase.to_string(),
            r.started,
            (now - r.started).num_hours().max(0),
            format!("vaultrot rotate-password {id} (resume)"),
            None,
            None,
        ));
    }
    let text = if args.format == "json" {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, id, phase, started, hours, next, awaiting, auto)| {
                let mut row = serde_json::json!({"name": name, "id": id, "phase": phase,
                    "started": started.format("%Y-%m-%dT%H:%M:%SZ").to_string(), "open_hours": hours,
                    "awaiting": awaiting, "next": next, "auto": auto.is_some()});
                if let Some((action, on)) = auto {
                    row["auto_action"] = serde_json::json!(action);
                    row["auto_on"] = serde_json::json!(on.map(|d| d.to_string()));
                }
                row
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
        for (name, id, phase, _, hours, next, awaiting, auto) in &rows {
            let age = if *hours >= 48 {
                format!("{}d", hours / 24)
            } else {
                format!("{hours}h")
            };
            let waiting = awaiting
                .as_ref()
                .map_or(String::new(), |step| format!("  awaiting: {step}"));
            let auto = match auto {
                Some((action, Some(on))) => {
                    format!("  auto: rotate-due {} on {on}", action.unwrap_or("finish"))
                }
                Some((_, None)) => "  auto".to_string(),
                None => String::new(),
            };
            out.push_str(&format!(
                "{name}  {phase}  {id}  open {age}{waiting}{auto}  next: {next}\n"
            ));
        }
        out
    };
    write_stdout(text.as_bytes())
}
