//! The token recipes of `playbooks/` end to end: the real `vaultrot` binary
//! drives the real `ansible-playbook` through each recipe's roles against
//! local stand-ins for the vendors (tests/fixtures/standins/): a webhook
//! receiver checking HMAC signatures, and one HTTP server faking a token
//! minting API, Telegram, Discord, Slack and Matrix.
//!
//! Each test builds its own infra tree (ansible.cfg, inventory, encrypted
//! vault, manifest) whose `playbooks/` is the repository's, starts its own
//! stand-ins on free loopback ports, and checks what the vendors accept in
//! each phase, that a sender posting without pause never fails across a
//! window, and that nothing vaultrot printed holds a secret value.
//!
//! Needs ansible-core (`VAULTROT_ANSIBLE_BIN`, default `<repo>/.venv/bin`) and
//! python3; without them the tests fail, they never skip.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::Mutex;

use common::infra::Skeleton;
use common::{repo_root, show, text};
use tempfile::TempDir;

const VAULT_PASSWORD: &str = "recipes-vault-pw-Hq73kLz";
const VAULT: &str = "group_vars/all/vault.yml";
const MANIFEST: &str = "group_vars/all/_secrets_manifest.yml";
const NOW: &str = "2026-03-15T10:00:00Z";

const ADMIN_TOKEN: &str = "admin-credential-Pk29sLq8";
const OLD_WEBHOOK: &str = "old-webhook-secret-Ab12Cd34";
const OLD_TELEGRAM: &str = "111111:old-telegram-AAEhx9Kq";
const NEW_TELEGRAM: &str = "222222:new-telegram-BBFqz3Lm";
const OLD_DISCORD: &str = "old.discord-token.Xy81Qw";
const NEW_DISCORD: &str = "new.discord-token.Zr52Vb";
const OLD_SLACK_BOT: &str = "xoxb-old-slack-bot-9Kd2Lp";
const OLD_SLACK_APP: &str = "xapp-old-slack-app-7Jc4Mn";
const OLD_SLACK_SIGNING: &str = "old-slack-signing-5Hb6Tg";
const NEW_SLACK_BOT: &str = "xoxb-new-slack-bot-1Mn8Qr";
const NEW_SLACK_APP: &str = "xapp-new-slack-app-3Pq0Ws";
const NEW_SLACK_SIGNING: &str = "new-slack-signing-2Rs7Yu";
const MATRIX_USER: &str = "@bot:example.org";
const MATRIX_PASSWORD: &str = "matrix-bot-password-Wq47Ez";

const SLACK: [&str; 3] = [
    "vault_slack_bot_token",
    "vault_slack_app_token",
    "vault_slack_signing_secret",
];

// ---- the stand-ins --------------------------------------------------------------------

/// A stand-in started with `python3 SCRIPT ARGS`, fed `input` on stdin, which
/// prints `PORT <n>` once listening; killed when dropped.
struct Standin {
    child: Child,
    port: u16,
    _stdout: BufReader<ChildStdout>,
}

impl Standin {
    fn start(script: &str, args: &[&Path], input: &str) -> Standin {
        let mut child = Command::new("python3")
            .arg(repo_root().join("tests/fixtures/standins").join(script))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 is needed by the recipe tests (ansible needs it too)");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("{script} did not start: {line:?}"));
        Standin {
            child,
            port,
            _stdout: stdout,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// One HTTP request; (status, body).
    fn request(&self, method: &str, path: &str, auth: Option<&str>, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().unwrap();
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        (status, body.to_string())
    }

    /// Replaces parts of the vendor's state, as a dashboard would.
    fn set(&self, state: serde_json::Value) {
        let (status, _) = self.request("POST", "/_standin/set", None, &state.to_string());
        assert_eq!(status, 200);
    }

    fn state(&self) -> serde_json::Value {
        let (_, body) = self.request("GET", "/_standin/state", None, "");
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn vendor(state: serde_json::Value) -> Standin {
    Standin::start("vendor_apis.py", &[], &format!("{state}\n"))
}

/// A sender posting signed requests to `url` without pause, signing with
/// whatever `<dir>/sender_secret` holds (the test moves it to the new secret
/// as an operator would move the webhook's sender).
struct Sender {
    child: Child,
    dir: PathBuf,
}

impl Sender {
    fn start(url: &str, dir: &Path, secret: &str, slack: bool) -> Sender {
        fs::write(dir.join("sender_secret"), secret).unwrap();
        let mut cmd = Command::new("python3");
        cmd.arg(repo_root().join("tests/fixtures/standins/webhook_client.py"))
            .arg(url)
            .arg(dir.join("sender_secret"))
            .arg(dir.join("sender_stop"));
        if slack {
            cmd.arg("slack");
        }
        let child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        Sender {
            child,
            dir: dir.to_path_buf(),
        }
    }

    /// Five requests signed with `secret`; what the sender printed.
    fn once(url: &str, dir: &Path, secret: &str, slack: bool) -> String {
        fs::write(dir.join("sender_secret"), secret).unwrap();
        let mut cmd = Command::new("python3");
        cmd.arg(repo_root().join("tests/fixtures/standins/webhook_client.py"))
            .arg(url)
            .arg(dir.join("sender_secret"))
            .arg("-");
        if slack {
            cmd.arg("slack");
        }
        let out = cmd.output().unwrap();
        text(&out.stdout)
    }

    fn switch_to(&self, secret: &str) {
        let tmp = self.dir.join("sender_secret.tmp");
        fs::write(&tmp, secret).unwrap();
        fs::rename(tmp, self.dir.join("sender_secret")).unwrap();
    }

    /// Stops it; (requests sent, what it printed).
    fn stop(self) -> (u64, String) {
        fs::write(self.dir.join("sender_stop"), "").unwrap();
        let out = self.child.wait_with_output().unwrap();
        let printed = text(&out.stdout);
        let sent = printed
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        (sent, printed)
    }
}

// ---- the infra fixture ------------------------------------------------------------------

/// A temp infra tree whose `playbooks/` is the repository's.
struct Infra {
    root: PathBuf,
    home: PathBuf,
    printed: Mutex<Vec<u8>>,
    _tmp: TempDir,
}

fn user_and_group() -> (String, String) {
    let id = |flag: &str| {
        let out = Command::new("id").arg(flag).output().unwrap();
        text(&out.stdout).trim().to_string()
    };
    (id("-un"), id("-gn"))
}

impl Infra {
    /// `vars`: inventory variables of `all` (role settings); `vault`: the
    /// vault's `key: value` lines; `secrets`: the manifest's secrets.
    fn new(vars: &str, vault: &[(&str, &str)], secrets: &str) -> Infra {
        let skeleton = Skeleton::new(VAULT_PASSWORD, &["inventory", "group_vars/all", "deployed"]);
        let root = &skeleton.root;
        std::os::unix::fs::symlink(repo_root().join("playbooks"), root.join("playbooks")).unwrap();
        skeleton.link_group_vars();
        skeleton.ansible_cfg("inventory/hosts.yml", false);
        let (user, group) = user_and_group();
        let deployed = root.join("deployed");
        let vars = vars.replace("DEPLOYED", &deployed.display().to_string());
        let mut inventory = String::from("  vars:\n");
        for role in [
            "webhook_secret",
            "api_token",
            "telegram_bot",
            "discord_bot",
            "slack_app",
            "matrix_bot",
        ] {
            inventory.push_str(&format!(
                "    {role}_owner: \"{user}\"\n    {role}_group: \"{group}\"\n"
            ));
        }
        for line in vars.lines() {
            inventory.push_str(&format!("    {line}\n"));
        }
        skeleton.inventory("inventory/hosts.yml", &inventory);
        fs::write(
            root.join(MANIFEST),
            format!(
                "secrets_manifest:\n  version: 1\n  defaults:\n    vault: {VAULT}\n    inventory: inventory/hosts.yml\n    changelog: CHANGELOG.md\n  policies:\n    bot_token: {{ max_age: 12mo, strategy: swap }}\n  secrets:\n{secrets}"
            ),
        )
        .unwrap();
        fs::write(
            root.join("CHANGELOG.md"),
            "# Changelog\n\n## [Unreleased]\n",
        )
        .unwrap();
        let mut vault_text = String::new();
        for (key, value) in vault {
            vault_text.push_str(&format!("{key}: '{value}'\n"));
        }
        fs::write(root.join(VAULT), vault_text).unwrap();
        let infra = Infra {
            root: skeleton.root,
            home: skeleton.home,
            printed: Mutex::new(Vec::new()),
            _tmp: skeleton.tmp,
        };
        let out = infra.command(&["encrypt", VAULT]).output().unwrap();
        assert!(out.status.success(), "encrypt failed:\n{}", show(&out));
        infra
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = common::infra_command(&common::vaultrot(), &self.root, &self.home, NOW, args);
        // The mint scripts read credentials with `vaultrot get`.
        cmd.env("VAULTROT", common::vaultrot());
        cmd
    }

    /// Runs vaultrot (stdin: `input`) and records what it printed.
    fn run(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut cmd = self.command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = input {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let mut printed = self.printed.lock().unwrap();
        printed.extend_from_slice(&out.stdout);
        printed.extend_from_slice(&out.stderr);
        out
    }

    fn ok(&self, args: &[&str]) -> Output {
        self.ok_with(args, None)
    }

    fn ok_with(&self, args: &[&str], input: Option<&str>) -> Output {
        let out = self.run(args, input);
        assert!(
            out.status.success(),
            "vaultrot {args:?} failed:\n{}",
            show(&out)
        );
        out
    }

    fn fails(&self, args: &[&str], code: i32) -> Output {
        let out = self.run(args, None);
        assert_eq!(
            out.status.code(),
            Some(code),
            "vaultrot {args:?}:\n{}",
            show(&out)
        );
        out
    }

    /// A vault value (not recorded: asking for a value may print it).
    fn get(&self, key: &str) -> Option<String> {
        let out = self
            .command(&["get", VAULT, key])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    }

    fn value(&self, key: &str) -> String {
        self.get(key)
            .unwrap_or_else(|| panic!("the vault has no `{key}`"))
    }

    /// What an earlier deploy left (instead of running one: the tests stay fast).
    fn predeploy(&self, file: &str, content: &str) {
        let path = self.root.join("deployed").join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    fn deployed(&self, file: &str) -> String {
        fs::read_to_string(self.root.join("deployed").join(file)).unwrap_or_default()
    }

    /// The open rotation's phase in the manifest (None: closed).
    fn phase(&self, name: &str) -> Option<String> {
        let manifest = vaultrot::manifest::Manifest::load(&self.root.join(MANIFEST)).unwrap();
        let secret = manifest.secret(name).unwrap().clone();
        secret.rotation.map(|r| format!("{:?}", r.phase))
    }

    /// Neither vaultrot's output nor a file of the tree but the vault, its
    /// backups and `deployed/` (what services read, secret by design) holds
    /// one of `values`.
    fn assert_no_leaks(&self, values: &[&str]) {
        let printed = self.printed.lock().unwrap();
        assert!(!printed.is_empty());
        let holds =
            |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
        for value in values.iter().chain([&VAULT_PASSWORD]) {
            assert!(value.len() >= 8, "too short to scan for");
            assert!(
                !holds(&printed, value),
                "a secret value was printed:\n{}",
                text(&printed)
            );
        }
        for file in ["CHANGELOG.md", MANIFEST, "inventory/hosts.yml"] {
            let bytes = fs::read(self.root.join(file)).unwrap();
            for value in values {
                assert!(!holds(&bytes, value), "{file} holds a secret value");
            }
        }
    }
}

/// The line `NAME=value` of an environment file, its value.
fn env_value(file: &str, name: &str) -> Option<String> {
    file.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .map(str::to_string)
}

// ---- webhook signing secret ------------------------------------------------------------

const WEBHOOK_SECRET: &str = "    vault_webhook_secret:
      max_age: 12mo
      generate: { length: 40, charset: base64url }
      deploy:
        - playbook: playbooks/webhook_secret_deploy.yml
          extra_vars: { webhook_secret_var: vault_webhook_secret, recipe_hosts: localhost, recipe_serial: 1 }
      verify:
        - playbook: playbooks/webhook_secret_verify.yml
          extra_vars: { webhook_secret_var: vault_webhook_secret }
";

#[test]
fn webhook_receiver_accepts_both_secrets_across_the_window_with_zero_failures() {
    let scratch = TempDir::new().unwrap();
    let secrets_file = scratch.path().join("hooks/accepted");
    fs::create_dir_all(secrets_file.parent().unwrap()).unwrap();
    // Deployed before: the receiver accepts the current secret.
    fs::write(&secrets_file, format!("{OLD_WEBHOOK}\n")).unwrap();
    let receiver = Standin::start("webhook_receiver.py", &[&secrets_file], "");
    let vars = format!(
        "webhook_secret_file: {}\nwebhook_secret_verify_url: {}/hook\nwebhook_secret_reload_command: [kill, -HUP, \"{}\"]",
        secrets_file.display(),
        receiver.url(),
        receiver.pid()
    );
    let infra = Infra::new(
        &vars,
        &[("vault_webhook_secret", OLD_WEBHOOK)],
        WEBHOOK_SECRET,
    );
    let accepted = || fs::read_to_string(&secrets_file).unwrap_or_default();
    let sender = Sender::start(
        &format!("{}/hook", receiver.url()),
        scratch.path(),
        OLD_WEBHOOK,
        false,
    );

    // An aborted window: the receiver is back to the old secret alone.
    infra.ok(&["start", "vault_webhook_secret"]);
    let aborted = infra.value("vault_webhook_secret_new");
    assert_eq!(accepted(), format!("{OLD_WEBHOOK}\n{aborted}\n"));
    infra.ok(&["abort", "vault_webhook_secret"]);
    assert_eq!(accepted(), format!("{OLD_WEBHOOK}\n"));

    // The real window: both accepted; the sender moves to the new secret
    // while it is open; finish leaves only the new one.
    infra.ok(&["start", "vault_webhook_secret"]);
    let new = infra.value("vault_webhook_secret_new");
    assert_eq!(accepted(), format!("{OLD_WEBHOOK}\n{new}\n"));
    sender.switch_to(&new);
    std::thread::sleep(std::time::Duration::from_millis(300));
    infra.ok(&["finish", "vault_webhook_secret", "--force"]);
    assert_eq!(infra.phase("vault_webhook_secret"), None);
    assert_eq!(infra.value("vault_webhook_secret"), new);
    assert_eq!(accepted(), format!("{new}\n"));
    let (sent, printed) = sender.stop();
    assert!(sent >= 20, "the sender barely ran: {printed}");
    assert!(
        printed.starts_with(&format!("sent {sent} failed 0\n")),
        "{printed}"
    );

    // After finish a sender still on the old secret is refused.
    let late = Sender::once(
        &format!("{}/hook", receiver.url()),
        &scratch.path().join("hooks"),
        OLD_WEBHOOK,
        false,
    );
    assert!(late.starts_with("sent 5 failed 5\n"), "{late}");
    assert!(late.contains("HTTP 401"), "{late}");
    infra.assert_no_leaks(&[OLD_WEBHOOK, &aborted, &new]);
}

// ---- minted API token --------------------------------------------------------------------

fn api_secret() -> String {
    "    vault_api_token:
      max_age: 6mo
      generate:
        command: playbooks/scripts/mint_token.py --base-url http://127.0.0.1:PORT --admin-var vault_api_admin_token --name vault_api_token
      deploy:
        - playbook: playbooks/api_token_deploy.yml
          extra_vars: { api_token_var: vault_api_token }
      verify:
        - playbook: playbooks/api_token_verify.yml
          extra_vars: { api_token_var: vault_api_token }
      revoke:
        - playbook: playbooks/api_token_revoke.yml
          extra_vars: { api_token_var: vault_api_token }
"
    .to_string()
}

/// A vendor API with one token named vault_api_token already minted, and an
/// infra holding it; (vendor, infra, the token `ID:SECRET`).
fn api_fixture() -> (Standin, Infra, String) {
    api_fixture_with("")
}

/// [`api_fixture`] with more inventory variables (`name: value` lines).
fn api_fixture_with(more_vars: &str) -> (Standin, Infra, String) {
    let api = vendor(serde_json::json!({ "admin_token": ADMIN_TOKEN }));
    let (status, body) = api.request(
        "POST",
        "/v1/tokens",
        Some(&format!("Bearer {ADMIN_TOKEN}")),
        r#"{"name": "vault_api_token"}"#,
    );
    assert_eq!(status, 201);
    let minted: serde_json::Value = serde_json::from_str(&body).unwrap();
    let old = format!(
        "{}:{}",
        minted["id"].as_str().unwrap(),
        minted["token"].as_str().unwrap()
    );
    let vars = format!(
        "api_token_base_url: {}\napi_token_env_file: DEPLOYED/api/env\napi_token_admin_var: vault_api_admin_token\napi_token_name: vault_api_token{more_vars}",
        api.url()
    );
    let secret = api_secret().replace("PORT", &api.port.to_string());
    let infra = Infra::new(
        &vars,
        &[
            ("vault_api_token", &old),
            ("vault_api_admin_token", ADMIN_TOKEN),
        ],
        &secret,
    );
    infra.predeploy("api/env", &format!("API_TOKEN={}\n", token_of(&old)));
    (api, infra, old)
}

fn token_of(value: &str) -> &str {
    value.split_once(':').unwrap().1
}

fn whoami(api: &Standin, value: &str) -> u16 {
    api.request(
        "GET",
        "/v1/whoami",
        Some(&format!("Bearer {}", token_of(value))),
        "",
    )
    .0
}

#[test]
fn api_token_minted_then_previous_deleted_by_id_and_abort_prunes_the_unused_one() {
    let (api, infra, old) = api_fixture();
    let old_id = old.split_once(':').unwrap().0.to_string();
    assert_eq!(
        env_value(&infra.deployed("api/env"), "API_TOKEN").as_deref(),
        Some(token_of(&old))
    );

    // abort: the token minted for the window is deleted at the vendor.
    infra.ok(&["start", "vault_api_token"]);
    let aborted = infra.value("vault_api_token_new");
    assert_eq!(whoami(&api, &aborted), 200);
    infra.ok(&["abort", "vault_api_token"]);
    assert_eq!(whoami(&api, &aborted), 401, "the aborted token still works");
    assert_eq!(api.state()["api_token_ids"], serde_json::json!([old_id]));
    assert_eq!(
        env_value(&infra.deployed("api/env"), "API_TOKEN").as_deref(),
        Some(token_of(&old))
    );

    // start: both work, clients use the new one; finish deletes the old by id.
    infra.ok(&["start", "vault_api_token"]);
    let new = infra.value("vault_api_token_new");
    assert_eq!((whoami(&api, &old), whoami(&api, &new)), (200, 200));
    assert_eq!(
        env_value(&infra.deployed("api/env"), "API_TOKEN").as_deref(),
        Some(token_of(&new))
    );
    infra.ok(&["finish", "vault_api_token"]);
    assert_eq!(infra.phase("vault_api_token"), None);
    assert_eq!((whoami(&api, &old), whoami(&api, &new)), (401, 200));
    assert_eq!(infra.get("vault_api_token_previous"), None);
    assert_eq!(
        env_value(&infra.deployed("api/env"), "API_TOKEN").as_deref(),
        Some(token_of(&new))
    );
    infra.assert_no_leaks(&[
        ADMIN_TOKEN,
        token_of(&old),
        token_of(&aborted),
        token_of(&new),
    ]);
}

#[test]
fn api_token_abort_deletes_the_withdrawn_token_by_id_without_pruning() {
    // No listing and pruning by name: the revoke step alone must delete it.
    let (api, infra, old) = api_fixture_with("\napi_token_prune_on_abort: false");
    let old_id = old.split_once(':').unwrap().0.to_string();
    infra.ok(&["start", "vault_api_token"]);
    let aborted = infra.value("vault_api_token_new");
    assert_eq!(whoami(&api, &aborted), 200);
    infra.ok(&["abort", "vault_api_token"]);
    assert_eq!(whoami(&api, &aborted), 401, "the aborted token still works");
    assert_eq!(whoami(&api, &old), 200);
    assert_eq!(api.state()["api_token_ids"], serde_json::json!([old_id]));
    assert_eq!(infra.get("vault_api_token_previous"), None);
    infra.assert_no_leaks(&[ADMIN_TOKEN, token_of(&old), token_of(&aborted)]);
}

#[test]
fn api_token_rollback_after_a_failed_revoke_puts_the_old_token_back() {
    let (api, infra, old) = api_fixture();
    infra.ok(&["start", "vault_api_token"]);
    let new = infra.value("vault_api_token_new");
    // The admin credential stops working: revoke fails after promotion.
    api.set(serde_json::json!({ "admin_token": "rotated-elsewhere-Zz99" }));
    infra.fails(&["finish", "vault_api_token"], 1);
    assert_eq!(infra.phase("vault_api_token").as_deref(), Some("Promoted"));
    infra.ok(&["rollback", "vault_api_token"]);
    assert_eq!(infra.phase("vault_api_token"), None);
    assert_eq!(infra.value("vault_api_token"), old);
    assert_eq!(
        env_value(&infra.deployed("api/env"), "API_TOKEN").as_deref(),
        Some(token_of(&old))
    );
    assert_eq!(whoami(&api, &old), 200);
    infra.assert_no_leaks(&[ADMIN_TOKEN, token_of(&old), token_of(&new)]);
}

// ---- Telegram and Discord: swap ----------------------------------------------------------

const BOT_SECRETS: &str = "    vault_telegram_bot_token:
      policy: bot_token
      generate:
        external: true
        instructions: \"In Telegram, message @BotFather: /revoke, pick the bot; paste the token it answers\"
      deploy:
        - playbook: playbooks/telegram_bot_deploy.yml
          extra_vars: { telegram_bot_token_var: vault_telegram_bot_token }
      verify:
        - playbook: playbooks/telegram_bot_verify.yml
          extra_vars: { telegram_bot_token_var: vault_telegram_bot_token }
    vault_discord_bot_token:
      policy: bot_token
      generate:
        external: true
        instructions: \"Discord Developer Portal > Applications > the bot > Bot > Reset Token; paste the new token\"
      deploy:
        - playbook: playbooks/discord_bot_deploy.yml
          extra_vars: { discord_bot_token_var: vault_discord_bot_token }
      verify:
        - playbook: playbooks/discord_bot_verify.yml
          extra_vars: { discord_bot_token_var: vault_discord_bot_token }
";

#[test]
fn telegram_and_discord_tokens_swap_and_verify_through_the_api() {
    let api = vendor(serde_json::json!({ "telegram": [OLD_TELEGRAM], "discord": [OLD_DISCORD] }));
    let vars = format!(
        "telegram_bot_api_url: {url}\ntelegram_bot_env_file: DEPLOYED/bots/env\ndiscord_bot_api_url: {url}\ndiscord_bot_env_file: DEPLOYED/bots/env",
        url = api.url()
    );
    let infra = Infra::new(
        &vars,
        &[
            ("vault_telegram_bot_token", OLD_TELEGRAM),
            ("vault_discord_bot_token", OLD_DISCORD),
        ],
        BOT_SECRETS,
    );
    infra.ok(&["verify", "--repair"]);
    let env = infra.deployed("bots/env");
    assert_eq!(
        env_value(&env, "TELEGRAM_BOT_TOKEN").as_deref(),
        Some(OLD_TELEGRAM)
    );
    assert_eq!(
        env_value(&env, "DISCORD_BOT_TOKEN").as_deref(),
        Some(OLD_DISCORD)
    );

    // The tokens are reset in the dashboards: the old ones die at once, so
    // verify reports drift (it really asks the APIs).
    api.set(serde_json::json!({ "telegram": [NEW_TELEGRAM], "discord": [NEW_DISCORD] }));
    let drift = infra.fails(&["verify"], 1);
    assert!(text(&drift.stdout).contains("drift"), "{}", show(&drift));

    // start refuses a swap secret; rotate stores, deploys and verifies.
    infra.fails(&["start", "vault_telegram_bot_token"], 1);
    let out = infra.ok_with(
        &["rotate", "vault_telegram_bot_token", "--value-stdin"],
        Some(&format!("{NEW_TELEGRAM}\n")),
    );
    assert!(text(&out.stderr).contains("@BotFather"), "{}", show(&out));
    infra.ok_with(
        &["rotate", "vault_discord_bot_token", "--value-stdin"],
        Some(&format!("{NEW_DISCORD}\n")),
    );
    let env = infra.deployed("bots/env");
    assert_eq!(
        env_value(&env, "TELEGRAM_BOT_TOKEN").as_deref(),
        Some(NEW_TELEGRAM)
    );
    assert_eq!(
        env_value(&env, "DISCORD_BOT_TOKEN").as_deref(),
        Some(NEW_DISCORD)
    );
    assert_eq!(infra.value("vault_telegram_bot_token"), NEW_TELEGRAM);
    assert_eq!(infra.get("vault_telegram_bot_token_previous"), None);
    infra.ok(&["verify"]);
    let calls = &api.state()["calls"];
    assert!(calls["telegram.getMe"].as_u64().unwrap() >= 3, "{calls}");
    assert!(calls["discord.me"].as_u64().unwrap() >= 3, "{calls}");
    infra.assert_no_leaks(&[OLD_TELEGRAM, NEW_TELEGRAM, OLD_DISCORD, NEW_DISCORD]);
}

// ---- Slack: three credentials, one window ------------------------------------------------

fn slack_secrets() -> String {
    let step = |playbook: &str| {
        format!(
            "        - playbook: playbooks/slack_app_{playbook}.yml\n          extra_vars: {{ slack_app_bot_token_var: vault_slack_bot_token, slack_app_app_token_var: vault_slack_app_token, slack_app_signing_secret_var: vault_slack_signing_secret }}\n"
        )
    };
    let mut text = String::new();
    for (name, instructions) in SLACK.iter().zip([
        "api.slack.com/apps > the app > OAuth & Permissions > Reinstall to Workspace; paste the Bot User OAuth Token",
        "api.slack.com/apps > the app > Basic Information > App-Level Tokens > Generate Token and Scopes (connections:write); paste it",
        "api.slack.com/apps > the app > Basic Information > App Credentials > Signing Secret > Regenerate; paste it",
    ]) {
        text.push_str(&format!(
            "    {name}:\n      max_age: 12mo\n      generate:\n        external: true\n        instructions: \"{instructions}\"\n      deploy:\n{}      verify:\n{}      revoke:\n{}        - manual: \"api.slack.com/apps > the app > Basic Information > App-Level Tokens: Revoke the old token\"\n",
            step("deploy"),
            step("verify"),
            step("revoke"),
        ));
    }
    text
}

#[test]
fn slack_trio_rotates_in_one_window_with_a_confirmed_manual_revoke() {
    let scratch = TempDir::new().unwrap();
    let signing_file = scratch.path().join("slack/signing");
    fs::create_dir_all(signing_file.parent().unwrap()).unwrap();
    fs::write(&signing_file, format!("{OLD_SLACK_SIGNING}\n")).unwrap();
    let receiver = Standin::start("webhook_receiver.py", &[&signing_file], "");
    let api =
        vendor(serde_json::json!({ "slack_bot": [OLD_SLACK_BOT], "slack_app": [OLD_SLACK_APP] }));
    let vars = format!(
        "slack_app_api_url: {}/api\nslack_app_env_file: DEPLOYED/slack/env\nslack_app_signing_secrets_file: {}\nslack_app_events_url: {}/slack/events\nslack_app_reload_command: [kill, -HUP, \"{}\"]",
        api.url(),
        signing_file.display(),
        receiver.url(),
        receiver.pid()
    );
    let infra = Infra::new(
        &vars,
        &[
            ("vault_slack_bot_token", OLD_SLACK_BOT),
            ("vault_slack_app_token", OLD_SLACK_APP),
            ("vault_slack_signing_secret", OLD_SLACK_SIGNING),
        ],
        &slack_secrets(),
    );
    infra.predeploy(
        "slack/env",
        &format!("SLACK_BOT_TOKEN={OLD_SLACK_BOT}\nSLACK_APP_TOKEN={OLD_SLACK_APP}\n"),
    );
    let sender = Sender::start(
        &format!("{}/slack/events", receiver.url()),
        scratch.path(),
        OLD_SLACK_SIGNING,
        true,
    );
    let auth_test = |token: &str| {
        let (_, body) = api.request(
            "POST",
            "/api/auth.test",
            Some(&format!("Bearer {token}")),
            "",
        );
        body.contains("\"ok\": true")
    };

    // The new credentials are issued in the dashboard (both bot tokens work
    // until the old one is revoked), then pasted: one line per secret.
    api.set(serde_json::json!({
        "slack_bot": [OLD_SLACK_BOT, NEW_SLACK_BOT],
        "slack_app": [OLD_SLACK_APP, NEW_SLACK_APP],
    }));
    let mut args = vec!["start"];
    args.extend(SLACK);
    args.push("--value-stdin");
    infra.ok_with(
        &args,
        Some(&format!(
            "{NEW_SLACK_BOT}\n{NEW_SLACK_APP}\n{NEW_SLACK_SIGNING}\n"
        )),
    );
    let env = infra.deployed("slack/env");
    assert_eq!(
        env_value(&env, "SLACK_BOT_TOKEN").as_deref(),
        Some(NEW_SLACK_BOT)
    );
    assert_eq!(
        env_value(&env, "SLACK_APP_TOKEN").as_deref(),
        Some(NEW_SLACK_APP)
    );
    assert_eq!(
        fs::read_to_string(&signing_file).unwrap(),
        format!("{OLD_SLACK_SIGNING}\n{NEW_SLACK_SIGNING}\n")
    );
    // Slack starts signing with the new secret once it is regenerated.
    sender.switch_to(NEW_SLACK_SIGNING);
    std::thread::sleep(std::time::Duration::from_millis(300));

    // finish: the old bot token is revoked through the API, then the manual
    // revoke of the app-level token waits (exit 10) until confirmed.
    let mut finish = vec!["finish"];
    finish.extend(SLACK);
    finish.push("--force");
    let waiting = infra.fails(&finish, 10);
    assert!(
        text(&waiting.stderr).contains("App-Level Tokens"),
        "{}",
        show(&waiting)
    );
    assert!(
        !auth_test(OLD_SLACK_BOT),
        "the old bot token was not revoked"
    );
    assert!(auth_test(NEW_SLACK_BOT));
    finish.push("--confirm");
    infra.ok(&finish);
    for name in SLACK {
        assert_eq!(infra.phase(name), None, "{name} still open");
        assert_eq!(infra.get(&format!("{name}_previous")), None);
    }
    assert_eq!(
        fs::read_to_string(&signing_file).unwrap(),
        format!("{NEW_SLACK_SIGNING}\n")
    );
    let (sent, printed) = sender.stop();
    assert!(
        sent >= 20 && printed.starts_with(&format!("sent {sent} failed 0\n")),
        "{printed}"
    );
    // An event signed with the old secret is refused now.
    let late = Sender::once(
        &format!("{}/slack/events", receiver.url()),
        signing_file.parent().unwrap(),
        OLD_SLACK_SIGNING,
        true,
    );
    assert!(
        late.starts_with("sent 5 failed 5\n") && late.contains("HTTP 401"),
        "{late}"
    );
    infra.assert_no_leaks(&[
        OLD_SLACK_BOT,
        OLD_SLACK_APP,
        OLD_SLACK_SIGNING,
        NEW_SLACK_BOT,
        NEW_SLACK_APP,
        NEW_SLACK_SIGNING,
    ]);
}

// ---- Matrix: a token minted from the bot's password --------------------------------------

#[test]
fn matrix_token_derived_from_the_password_is_minted_again_and_the_previous_logged_out() {
    const NEW_PASSWORD: &str = "matrix-bot-password-Nv63Rk";
    let api = vendor(serde_json::json!({ "matrix_users": { MATRIX_USER: MATRIX_PASSWORD } }));
    let login = |password: &str| {
        let body = serde_json::json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": MATRIX_USER}, "password": password});
        let (status, body) =
            api.request("POST", "/_matrix/client/v3/login", None, &body.to_string());
        assert_eq!(status, 200);
        let login: serde_json::Value = serde_json::from_str(&body).unwrap();
        login["access_token"].as_str().unwrap().to_string()
    };
    let first = login(MATRIX_PASSWORD);
    let vars = format!(
        "matrix_bot_homeserver_url: {}\nmatrix_bot_env_file: DEPLOYED/matrix/env\nmatrix_bot_user_id: \"{MATRIX_USER}\"",
        api.url()
    );
    let step = |playbook: &str| {
        format!(
            "        - playbook: playbooks/matrix_bot_{playbook}.yml\n          extra_vars: {{ matrix_bot_token_var: vault_matrix_bot_token }}\n"
        )
    };
    let secrets = format!(
        "    vault_matrix_bot_password:
      max_age: 12mo
      generate:
        external: true
        instructions: \"Set the bot's new password on the homeserver keeping its sessions, then paste it\"
      deploy:
{deploy}      verify:
{verify}    vault_matrix_bot_token:
      max_age: 6mo
      derived_from: vault_matrix_bot_password
      generate:
        command: playbooks/scripts/mint_matrix_token.py --homeserver {url} --user {MATRIX_USER} --password-stdin
      deploy:
{deploy}      verify:
{verify}      revoke:
{revoke}",
        url = api.url(),
        deploy = step("deploy"),
        verify = step("verify"),
        revoke = step("revoke"),
    );
    let infra = Infra::new(
        &vars,
        &[
            ("vault_matrix_bot_password", MATRIX_PASSWORD),
            ("vault_matrix_bot_token", &first),
        ],
        &secrets,
    );
    infra.predeploy("matrix/env", &format!("MATRIX_ACCESS_TOKEN={first}\n"));
    let whoami = |token: &str| {
        api.request(
            "GET",
            "/_matrix/client/v3/account/whoami",
            Some(&format!("Bearer {token}")),
            "",
        )
        .0
    };
    let deployed = || env_value(&infra.deployed("matrix/env"), "MATRIX_ACCESS_TOKEN");

    // The token alone: minted from the current password.
    infra.ok(&["start", "vault_matrix_bot_token"]);
    let second = infra.value("vault_matrix_bot_token_new");
    assert_eq!((whoami(&first), whoami(&second)), (200, 200));
    assert_eq!(deployed(), Some(second.clone()));
    infra.ok(&["finish", "vault_matrix_bot_token"]);
    assert_eq!((whoami(&first), whoami(&second)), (401, 200));

    // The password changes on the homeserver (sessions kept); rotating it
    // mints the token again from the new password, in the same window.
    api.set(serde_json::json!({ "matrix_users": { MATRIX_USER: NEW_PASSWORD } }));
    infra.ok_with(
        &["start", "vault_matrix_bot_password", "--value-stdin"],
        Some(&format!("{NEW_PASSWORD}\n")),
    );
    let third = infra.value("vault_matrix_bot_token_new");
    assert_eq!((whoami(&second), whoami(&third)), (200, 200));
    assert_eq!(deployed(), Some(third.clone()));
    infra.ok(&["finish", "vault_matrix_bot_password"]);
    for name in ["vault_matrix_bot_password", "vault_matrix_bot_token"] {
        assert_eq!(infra.phase(name), None, "{name} still open");
    }
    assert_eq!(infra.value("vault_matrix_bot_password"), NEW_PASSWORD);
    assert_eq!(infra.value("vault_matrix_bot_token"), third);
    assert_eq!((whoami(&second), whoami(&third)), (401, 200));
    assert_eq!(api.state()["matrix_tokens"], 1);
    infra.assert_no_leaks(&[MATRIX_PASSWORD, NEW_PASSWORD, &first, &second, &third]);
}
