//! Notifications: which steps hear of an event (the owner's `notify` steps
//! from `owners:`, plus each secret's own), and sending it to them with the
//! event, the secret names, the rotation id, the owner and a one-line
//! summary in their environment; never a value. A notify step that fails is
//! reported and changes nothing else: the event already happened.

use crate::ansible::playbook::Phase;
use crate::manifest::{Manifest, StepAction};

use super::execute::World;
use super::plan::merge_steps;

/// What happened (`VAULTROT_EVENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    Started,
    /// A rotation stopped at a manual step nobody confirmed.
    Awaiting,
    Finished,
    Aborted,
    RolledBack,
    /// A rotation command stopped on an error.
    Failed,
    Drift,
    Repaired,
    Overdue,
    DueSoon,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Started => "started",
            Event::Awaiting => "awaiting",
            Event::Finished => "finished",
            Event::Aborted => "aborted",
            Event::RolledBack => "rolled_back",
            Event::Failed => "failed",
            Event::Drift => "drift",
            Event::Repaired => "repaired",
            Event::Overdue => "overdue",
            Event::DueSoon => "due_soon",
        }
    }
}

/// One event about some secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub event: Event,
    pub secrets: Vec<String>,
    pub rotation_id: Option<String>,
    /// One line naming secrets, steps and commands; never a value.
    pub summary: String,
}

/// The steps one owner's share of a notice goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// `None`: secrets without an owner (only their own steps).
    pub owner: Option<String>,
    pub secrets: Vec<String>,
    /// The owner's steps, then the secrets' own (each distinct step once).
    pub steps: Vec<StepAction>,
}

/// Who hears of an event about `secrets`: one route per owner, in the
/// order the secrets come; routes without a step are left out.
pub fn routes(manifest: &Manifest, secrets: &[String]) -> Vec<Route> {
    let mut out: Vec<Route> = Vec::new();
    for name in secrets {
        let Some(secret) = manifest.secret(name) else {
            continue;
        };
        match out.iter_mut().find(|r| r.owner == secret.owner) {
            Some(route) => route.secrets.push(name.clone()),
            None => out.push(Route {
                owner: secret.owner.clone(),
                secrets: vec![name.clone()],
                steps: Vec::new(),
            }),
        }
    }
    for route in &mut out {
        let team = route
            .owner
            .as_deref()
            .and_then(|o| manifest.owner(o))
            .map(|o| o.notify.as_slice())
            .unwrap_or_default();
        let own = route
            .secrets
            .iter()
            .filter_map(|n| manifest.secret(n))
            .flat_map(|s| &s.notify);
        route.steps = merge_steps(team.iter().chain(own));
    }
    out.retain(|r| !r.steps.is_empty());
    out
}

/// Sends `notice` to every route's steps. A manual step is shown as a
/// reminder; a failing step is reported (`say`) and the others still run.
pub fn send<W: World>(world: &mut W, manifest: &Manifest, notice: &Notice, phase: Option<Phase>) {
    for route in routes(manifest, &notice.secrets) {
        let share = Notice {
            secrets: route.secrets.clone(),
            ..notice.clone()
        };
        for step in &route.steps {
            if let StepAction::Manual(text) = step {
                world.say(&format!("to do (notify {}): {text}", notice.event.as_str()));
                continue;
            }
            if let Err(e) = world.notify(step, phase, &share, route.owner.as_deref()) {
                world.say(&format!(
                    "warning: notify step {} failed ({} is not undone): {e}",
                    step.describe(),
                    notice.event.as_str()
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const MANIFEST: &str = r#"secrets_manifest:
  version: 1
  owners:
    platform: { notify: [{run: notify-platform}, {run: notify-shared}] }
    chat: { notify: [{run: notify-chat}] }
  secrets:
    vault_a: { max_age: 6mo, owner: platform, notify: [{run: notify-a}, {run: notify-shared}] }
    vault_b: { max_age: 6mo, owner: chat }
    vault_c: { max_age: 6mo, owner: platform }
    vault_d: { max_age: 6mo, owner: nobody-listed }
    vault_e: { max_age: 6mo }
"#;

    fn run(cmd: &str) -> StepAction {
        StepAction::Run(cmd.into())
    }

    #[test]
    fn each_owner_hears_of_its_secrets_through_its_steps_and_theirs() {
        let m = Manifest::parse(MANIFEST, Path::new("/i/m.yml"), Path::new("/i")).unwrap();
        let names: Vec<String> = ["vault_a", "vault_b", "vault_c", "vault_d", "vault_e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let routes = routes(&m, &names);
        assert_eq!(routes.len(), 2, "{routes:?}");
        assert_eq!(routes[0].owner.as_deref(), Some("platform"));
        assert_eq!(routes[0].secrets, ["vault_a", "vault_c"]);
        assert_eq!(
            routes[0].steps,
            [
                run("notify-platform"),
                run("notify-shared"),
                run("notify-a")
            ],
            "a step the owner and the secret share runs once"
        );
        assert_eq!(routes[1].owner.as_deref(), Some("chat"));
        assert_eq!(routes[1].steps, [run("notify-chat")]);
        // An owner missing from `owners:` is a typo lint names.
        let lint = crate::manifest::lint::lint(&m, None);
        let unknown: Vec<_> = lint
            .findings
            .iter()
            .filter(|f| f.message.contains("not under `owners:`"))
            .collect();
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert_eq!(unknown[0].secret.as_deref(), Some("vault_d"));
    }
}
