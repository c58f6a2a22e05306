//! The server recipes of `playbooks/` (redis_acl, postgresql_login, nats_user)
//! end to end: the real `vaultrot` binary runs start → verify → finish, abort
//! and rollback through the recipes' playbooks against real Redis,
//! PostgreSQL and NATS servers on loopback.
//!
//! While a rotation runs, a client plays the application: it holds a
//! connection and makes requests continuously, and when the deployed client
//! file changes it opens a connection with the new credentials before
//! dropping the old one, as a pool refresh does. The zero-downtime recipes
//! must not fail one request. After finish (and revoke) the old password must
//! be refused. Every byte vaultrot prints, and every file it leaves in the
//! infra tree but the vault, is checked for the values.
//!
//! Needs ansible-core (`VAULTROT_ANSIBLE_BIN`, default `<repo>/.venv/bin`),
//! redis-server, postgresql and nats-server (`scripts/install-test-deps.sh`);
//! without them the tests fail, they never skip.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle, sleep};
use std::time::Duration;

use common::infra::Skeleton;
use common::nats::{Nats, NatsClient};
use common::postgres::Postgres;
use common::redis::Redis;
use common::{contains, repo_root, show, text};
use tempfile::TempDir;

const VAULT_PASSWORD: &str = "recipes-vault-pw-Hq72LmZx";
const NOW: &str = "2026-03-15T10:00:00Z";
const VAULT: &str = "group_vars/all/vault.yml";
const MANIFEST: &str = "group_vars/all/_secrets_manifest.yml";
const CHANGELOG: &str = "# Changelog\n\n## [Unreleased]\n";

// ---- the infra fixture -----------------------------------------------------------------

/// A temp infra tree using the library: `<tmp>/infra` is the infra root (its
/// ansible.cfg finds the roles in the repository's playbooks/roles), the
/// recipe playbooks copied into `<tmp>/infra/playbooks`, and `<tmp>/deployed`
/// where the recipes write client files (secret by design, outside the tree).
struct Infra {
    root: PathBuf,
    home: PathBuf,
    deployed: PathBuf,
    printed: Mutex<Vec<u8>>,
    _tmp: TempDir,
}

impl Infra {
    /// `host_vars`: YAML lines (6-space indent) of the recipe's variables;
    /// `secret`: the manifest entry of the one secret; `vault`: vault.yml's plaintext.
    fn new(host_vars: &str, secret: &str, vault: &str) -> Infra {
        let skeleton = Skeleton::new(VAULT_PASSWORD, &["group_vars/all", "playbooks"]);
        let root = &skeleton.root;
        let deployed = skeleton.tmp.path().join("deployed");
        fs::create_dir_all(&deployed).unwrap();
        for entry in fs::read_dir(repo_root().join("playbooks")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yml") {
                fs::copy(
                    &path,
                    root.join("playbooks").join(path.file_name().unwrap()),
                )
                .unwrap();
            }
        }
        skeleton.ansible_cfg("inventory.yml", true);
        skeleton.inventory("inventory.yml", host_vars);
        fs::write(
            root.join(MANIFEST),
            format!(
                "secrets_manifest:\n  version: 1\n  defaults:\n    vault: {VAULT}\n    inventory: inventory.yml\n    changelog: CHANGELOG.md\n  policies:\n    database_password: {{ max_age: 12mo }}\n  secrets:\n{secret}"
            ),
        )
        .unwrap();
        fs::write(root.join("CHANGELOG.md"), CHANGELOG).unwrap();
        fs::write(root.join(VAULT), vault).unwrap();
        let infra = Infra {
            root: skeleton.root,
            home: skeleton.home,
            deployed,
            printed: Mutex::new(Vec::new()),
            _tmp: skeleton.tmp,
        };
        let out = infra
            .command_of(&common::vaultrot(), &["encrypt", VAULT])
            .output()
            .unwrap();
        assert!(out.status.success(), "encrypt failed:\n{}", show(&out));
        infra
    }

    fn deployed(&self, name: &str) -> PathBuf {
        self.deployed.join(name)
    }

    fn command_of(&self, program: &Path, args: &[&str]) -> Command {
        common::infra_command(program, &self.root, &self.home, NOW, args)
    }

    /// Runs vaultrot and records what it printed.
    fn run(&self, args: &[&str]) -> Output {
        let out = self.command_of(&common::vaultrot(), args).output().unwrap();
        let mut printed = self.printed.lock().unwrap();
        printed.extend_from_slice(&out.stdout);
        printed.extend_from_slice(&out.stderr);
        out
    }

    fn ok(&self, args: &[&str]) {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "vaultrot {args:?} failed:\n{}",
            show(&out)
        );
    }

    /// A plain deploy (no vaultrot_phase), as before any rotation.
    fn plain_deploy(&self, playbook: &str) {
        let out = self
            .command_of(&common::ansible("ansible-playbook"), &[playbook])
            .output()
            .unwrap();
        assert!(out.status.success(), "{playbook}:\n{}", show(&out));
    }

    /// `vaultrot get` of a vault key (not recorded: asking for a value prints it).
    fn get(&self, key: &str) -> Option<String> {
        let out = self
            .command_of(&common::vaultrot(), &["get", VAULT, key])
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

    fn phase(&self, name: &str) -> Option<String> {
        let manifest = vaultrot::manifest::Manifest::load(&self.root.join(MANIFEST)).unwrap();
        manifest
            .secret(name)
            .unwrap()
            .rotation
            .as_ref()
            .map(|r| format!("{:?}", r.phase))
    }

    /// No value in anything vaultrot printed, nor in any file of the infra
    /// tree but the vault ciphertext and its backups.
    fn assert_no_leaks(&self, values: &[&str]) {
        let printed = self.printed.lock().unwrap();
        assert!(!printed.is_empty());
        let mut values = values.to_vec();
        values.push(VAULT_PASSWORD);
        for value in &values {
            assert!(value.len() >= 8, "too short to scan for: {value:?}");
            assert!(
                !contains(&printed, value),
                "a secret value was printed:\n{}",
                text(&printed)
            );
        }
        let vault = self.root.join(VAULT);
        let backups = self.root.join(".vaultrot/backups");
        walk(&self.root, &mut |path| {
            let bytes = fs::read(path).unwrap();
            if path == vault || path.starts_with(&backups) {
                assert!(bytes.starts_with(b"$ANSIBLE_VAULT;"), "{}", path.display());
                return;
            }
            for value in &values {
                assert!(
                    !contains(&bytes, value),
                    "{} holds a secret value",
                    path.display()
                );
            }
        });
    }
}

fn walk(dir: &Path, each: &mut dyn FnMut(&Path)) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            walk(&path, each);
        } else if meta.is_file() {
            each(&path);
        }
    }
}

/// `KEY=value` (or `key=value`) of a deployed client file's text.
fn field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in the client file"))
        .to_string()
}

// ---- the application: continuous requests across the window ----------------------------

/// What the client saw: requests made, connections switched, failures (their
/// error lines, which never hold a password).
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    switches: u64,
    failures: Vec<String>,
}

/// A client running in a thread until `finish`: it connects with the
/// credentials in `client_file`, makes a request every 10 ms, and when the
/// file changes connects anew with what it now holds (then drops the old
/// connection). A failed connect or request is counted, never retried silently.
struct Traffic {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Tally>,
}

impl Traffic {
    fn start<C: 'static>(
        client_file: PathBuf,
        connect: impl Fn(&str) -> Result<C, String> + Send + 'static,
        request: impl Fn(&mut C) -> Result<(), String> + Send + 'static,
    ) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = channel();
        let handle = {
            let stop = stop.clone();
            thread::spawn(move || {
                let mut tally = Tally::default();
                let mut creds = fs::read_to_string(&client_file).unwrap();
                let mut conn = connect(&creds).expect("the first connection failed");
                ready_tx.send(()).unwrap();
                while !stop.load(Ordering::SeqCst) {
                    let now = fs::read_to_string(&client_file).unwrap_or_else(|_| creds.clone());
                    if now != creds {
                        match connect(&now) {
                            Ok(new) => {
                                conn = new;
                                tally.switches += 1;
                            }
                            Err(e) => tally.failures.push(format!("connect: {e}")),
                        }
                        creds = now;
                    }
                    tally.requests += 1;
                    if let Err(e) = request(&mut conn) {
                        tally.failures.push(format!("request: {e}"));
                    }
                    sleep(Duration::from_millis(10));
                }
                tally
            })
        };
        ready_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the client did not connect");
        Traffic { stop, handle }
    }

    fn finish(self) -> Tally {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap()
    }
}

fn assert_no_failed_request(tally: &Tally, switches: u64) {
    assert!(
        tally.failures.is_empty(),
        "{} of {} requests failed, first: {:?}",
        tally.failures.len(),
        tally.requests,
        &tally.failures[..tally.failures.len().min(5)]
    );
    assert_eq!(tally.switches, switches, "{tally:?}");
    assert!(tally.requests >= 50, "too few requests to tell: {tally:?}");
}

// ---- Redis ACL -----------------------------------------------------------------------

/// A Redis connection (RESP over TCP) authenticated as user/password.
fn redis_connect(port: u16, user: &str, password: &str) -> Result<BufReader<TcpStream>, String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut conn = BufReader::new(stream);
    redis_call(&mut conn, &["AUTH", user, password], "+OK")?;
    Ok(conn)
}

fn redis_call(conn: &mut BufReader<TcpStream>, args: &[&str], want: &str) -> Result<(), String> {
    let mut command = format!("*{}\r\n", args.len());
    for arg in args {
        command.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    conn.get_mut()
        .write_all(command.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    conn.read_line(&mut line).map_err(|e| e.to_string())?;
    match line.trim_end() {
        answer if answer == want => Ok(()),
        "" => Err("connection closed by Redis".into()),
        answer => Err(answer.to_string()),
    }
}

/// Where the recipes write their client file, as an inventory value.
fn client_file_var(name: &str) -> String {
    format!("\"{{{{ playbook_dir }}}}/../../deployed/{name}\"")
}

/// The manifest entry of a dual secret whose deploy, verify (and revoke) are
/// the recipe's playbooks. `deployed/fail-verify` makes verify fail, to
/// stop a finish after promotion (the only way to reach rollback).
fn dual_secret(name: &str, deploy: &str, verify: &str, revoke: bool) -> String {
    let revoke = if revoke {
        format!("      revoke:\n        - playbook: {deploy}\n")
    } else {
        String::new()
    };
    format!(
        "    {name}:\n      policy: database_password\n      last_rotation: 2025-06-01\n      generate: {{ length: 32, charset: alnum }}\n      deploy:\n        - playbook: {deploy}\n      verify:\n        - playbook: {verify}\n        - run: test ! -e ../deployed/fail-verify\n{revoke}"
    )
}

/// Runs start, then a finish that a failing verify stops after promotion,
/// then rollback; returns the value rolled back from.
fn start_finish_fails_rollback(infra: &Infra, secret: &str) -> String {
    infra.ok(&["start", secret]);
    let value = infra.value(&format!("{secret}_new"));
    fs::write(infra.deployed("fail-verify"), "").unwrap();
    let out = infra.run(&["finish", secret]);
    assert!(!out.status.success(), "{}", show(&out));
    assert_eq!(infra.phase(secret).as_deref(), Some("Promoted"));
    fs::remove_file(infra.deployed("fail-verify")).unwrap();
    infra.ok(&["rollback", secret]);
    assert_eq!(infra.phase(secret), None);
    value
}

#[test]
fn redis_acl_window_serves_every_request_and_refuses_the_old_password_after() {
    const OLD: &str = "old-redis-acl-Pw-91fa3c";
    const SECRET: &str = "vault_redis_password";
    let redis = Redis::start();
    let port = redis.port;
    let infra = Infra::new(
        &format!(
            "      redis_acl_password_var: {SECRET}\n      redis_acl_port: {port}\n      redis_acl_client_file: {}\n",
            client_file_var("redis.env")
        ),
        &dual_secret(
            SECRET,
            "playbooks/redis_acl_deploy.yml",
            "playbooks/redis_acl_verify.yml",
            false,
        ),
        &format!("{SECRET}: {OLD}\n"),
    );
    infra.plain_deploy("playbooks/redis_acl_deploy.yml");
    assert!(redis.accepts(OLD));
    let traffic = Traffic::start(
        infra.deployed("redis.env"),
        move |creds| {
            redis_connect(
                port,
                &field(creds, "REDIS_USERNAME"),
                &field(creds, "REDIS_PASSWORD"),
            )
        },
        |conn| redis_call(conn, &["PING"], "+PONG"),
    );

    infra.ok(&["start", SECRET]);
    let new = infra.value(&format!("{SECRET}_new"));
    assert!(
        redis.accepts(OLD) && redis.accepts(&new),
        "both during the window"
    );
    infra.ok(&["finish", SECRET]);
    assert!(
        !redis.accepts(OLD),
        "the old password still works after finish"
    );
    assert!(redis.accepts(&new));

    // A second window, aborted: the clients go back before the ACL drops the new one.
    infra.ok(&["start", SECRET]);
    let newer = infra.value(&format!("{SECRET}_new"));
    assert!(redis.accepts(&newer));
    infra.ok(&["abort", SECRET]);
    assert!(!redis.accepts(&newer), "the aborted password still works");
    assert!(redis.accepts(&new));
    let tally = traffic.finish();
    assert_no_failed_request(&tally, 3);
    assert_eq!(infra.phase(SECRET), None);

    // A finish stopped after promotion, rolled back: the promoted value refused again.
    let third = start_finish_fails_rollback(&infra, SECRET);
    assert_eq!(infra.value(SECRET), new);
    assert!(
        !redis.accepts(&third),
        "the rolled back password still works"
    );
    assert!(redis.accepts(&new));
    infra.assert_no_leaks(&[OLD, &new, &newer, &third]);
}

// ---- PostgreSQL ----------------------------------------------------------------------

/// A psql process holding one session (service file `creds`, copied to a
/// private file as an application reads its config): each request is a query.
struct Psql {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    _service: tempfile::NamedTempFile,
}

impl Psql {
    fn connect(creds: &str) -> Result<Psql, String> {
        let service = tempfile::NamedTempFile::new().unwrap();
        fs::write(service.path(), creds).unwrap();
        let mut child = Command::new("psql")
            .args([
                "-X",
                "-w",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "service=app",
            ])
            .env("PGSERVICEFILE", service.path())
            .env("PGCONNECT_TIMEOUT", "10")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, lines) = channel();
        let stdout = child.stdout.take().unwrap();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut psql = Psql {
            child,
            stdin,
            lines,
            _service: service,
        };
        psql.request().map(|()| psql)
    }

    fn request(&mut self) -> Result<(), String> {
        let sent = self.stdin.write_all(b"SELECT 'up';\n");
        match (sent, self.lines.recv_timeout(Duration::from_secs(10))) {
            (Ok(()), Ok(line)) if line == "up" => Ok(()),
            (_, answer) => {
                let _ = self.child.kill();
                let mut stderr = String::new();
                if let Some(mut err) = self.child.stderr.take() {
                    let _ = err.read_to_string(&mut stderr);
                }
                Err(format!("{answer:?} {}", stderr.trim()))
            }
        }
    }
}

impl Drop for Psql {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const DB_SECRET: &str = "vault_app_db_password";

fn postgres_infra(pg: &Postgres, scheme: &str, secret: &str, old: &str) -> Infra {
    pg.admin("CREATE DATABASE app;");
    Infra::new(
        &format!(
            "      postgresql_login_password_var: {DB_SECRET}\n      postgresql_login_scheme: {scheme}\n      postgresql_login_port: {}\n      postgresql_login_admin_host: {}\n      postgresql_login_client_file: {}\n",
            pg.port,
            pg.socket_dir().display(),
            client_file_var("pg_service.conf")
        ),
        secret,
        &format!("{DB_SECRET}: {old}\n"),
    )
}

#[test]
fn postgresql_alternating_users_serve_every_request_and_old_sessions_outlive_finish() {
    const OLD: &str = "old-app-db-Pw-5e02ab7c";
    let pg = Postgres::start();
    let infra = postgres_infra(
        &pg,
        "alternating",
        &dual_secret(
            DB_SECRET,
            "playbooks/postgresql_login_deploy.yml",
            "playbooks/postgresql_login_verify.yml",
            true,
        ),
        OLD,
    );
    let client_file = infra.deployed("pg_service.conf");
    infra.plain_deploy("playbooks/postgresql_login_deploy.yml");
    assert_eq!(pg.login("app", "app_blue", OLD).as_deref(), Ok("app_blue"));
    assert!(pg.login("app", "app_green", OLD).is_err());
    // An application session opened before the window, kept to the end.
    let mut pinned = Psql::connect(&fs::read_to_string(&client_file).unwrap()).unwrap();
    let traffic = Traffic::start(client_file.clone(), Psql::connect, Psql::request);

    infra.ok(&["start", DB_SECRET]);
    let new = infra.value(&format!("{DB_SECRET}_new"));
    // The new value is the other login role's password; both log in.
    assert_eq!(
        pg.login("app", "app_green", &new).as_deref(),
        Ok("app_green")
    );
    assert_eq!(pg.login("app", "app_blue", OLD).as_deref(), Ok("app_blue"));
    assert!(
        fs::read_to_string(&client_file)
            .unwrap()
            .contains("user=app_green\n")
    );
    infra.ok(&["finish", DB_SECRET]);
    let refused = pg.login("app", "app_blue", OLD).unwrap_err();
    assert!(
        refused.contains("password authentication failed"),
        "{refused}"
    );
    assert_eq!(
        pg.login("app", "app_green", &new).as_deref(),
        Ok("app_green")
    );
    // NOLOGIN and the removed password stop new sessions, not open ones.
    pinned
        .request()
        .expect("the session opened before the window was cut");
    assert_eq!(
        pg.admin("SELECT rolname, rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname LIKE 'app%' ORDER BY 1;"),
        "app|f|t\napp_blue|f|t\napp_green|t|f"
    );

    // A second window, aborted: blue takes the new value, then loses it again.
    infra.ok(&["start", DB_SECRET]);
    let newer = infra.value(&format!("{DB_SECRET}_new"));
    assert_eq!(
        pg.login("app", "app_blue", &newer).as_deref(),
        Ok("app_blue")
    );
    infra.ok(&["abort", DB_SECRET]);
    assert!(pg.login("app", "app_blue", &newer).is_err());
    assert_eq!(
        pg.login("app", "app_green", &new).as_deref(),
        Ok("app_green")
    );
    let tally = traffic.finish();
    assert_no_failed_request(&tally, 3);
    pinned.request().expect("the first session was cut");

    // A third one stopped after promotion by a failing verify, then rolled back.
    let third = start_finish_fails_rollback(&infra, DB_SECRET);
    assert_eq!(infra.value(DB_SECRET), new);
    assert_eq!(
        pg.login("app", "app_green", &new).as_deref(),
        Ok("app_green")
    );
    assert!(pg.login("app", "app_blue", &third).is_err());
    assert!(
        fs::read_to_string(&client_file)
            .unwrap()
            .contains("user=app_green\n")
    );
    infra.assert_no_leaks(&[OLD, &new, &newer, &third]);
}

#[test]
fn postgresql_password_scheme_swaps_at_once() {
    const OLD: &str = "old-app-db-Pw-0c61d9e4";
    let pg = Postgres::start();
    let secret = format!(
        "    {DB_SECRET}:\n      policy: database_password\n      strategy: swap\n      last_rotation: 2025-06-01\n      generate: {{ length: 32, charset: alnum }}\n      deploy:\n        - playbook: playbooks/postgresql_login_deploy.yml\n      verify:\n        - playbook: playbooks/postgresql_login_verify.yml\n"
    );
    let infra = postgres_infra(&pg, "password", &secret, OLD);
    infra.plain_deploy("playbooks/postgresql_login_deploy.yml");
    assert_eq!(pg.login("app", "app", OLD).as_deref(), Ok("app"));
    let pinned = Psql::connect(&fs::read_to_string(infra.deployed("pg_service.conf")).unwrap());
    let mut pinned = pinned.unwrap();

    infra.ok(&["rotate", DB_SECRET]);
    let new = infra.value(DB_SECRET);
    assert_ne!(new, OLD);
    assert!(
        pg.login("app", "app", OLD).is_err(),
        "the old password still works"
    );
    assert_eq!(pg.login("app", "app", &new).as_deref(), Ok("app"));
    // ALTER ROLE ... PASSWORD leaves open sessions alone.
    pinned.request().unwrap();
    assert_eq!(infra.phase(DB_SECRET), None);
    infra.assert_no_leaks(&[OLD, &new]);
}

// ---- NATS ----------------------------------------------------------------------------

#[test]
fn nats_two_users_serve_every_request_through_reloads() {
    const OLD: &str = "old-nats-Pw-7d3e19b0";
    const SECRET: &str = "vault_nats_password";
    let nats = Nats::start();
    let port = nats.port;
    let infra = Infra::new(
        &format!(
            "      nats_user_password_var: {SECRET}\n      nats_user_port: {port}\n      nats_user_users_file: {}\n      nats_user_pid_file: {}\n      nats_user_client_file: {}\n",
            nats.users_file().display(),
            nats.pid_file().display(),
            client_file_var("nats.env")
        ),
        &dual_secret(
            SECRET,
            "playbooks/nats_user_deploy.yml",
            "playbooks/nats_user_verify.yml",
            false,
        ),
        &format!("{SECRET}: {OLD}\n"),
    );
    infra.plain_deploy("playbooks/nats_user_deploy.yml");
    assert!(nats.accepts("app_blue", OLD));
    assert!(!nats.accepts("placeholder", "placeholder-not-a-secret"));
    let traffic = Traffic::start(
        infra.deployed("nats.env"),
        move |creds| {
            NatsClient::connect(
                port,
                &field(creds, "NATS_USER"),
                &field(creds, "NATS_PASSWORD"),
            )
        },
        NatsClient::request,
    );

    infra.ok(&["start", SECRET]);
    let new = infra.value(&format!("{SECRET}_new"));
    assert!(nats.accepts("app_blue", OLD) && nats.accepts("app_green", &new));
    infra.ok(&["finish", SECRET]);
    assert!(
        !nats.accepts("app_blue", OLD),
        "the old password still works"
    );
    assert!(nats.accepts("app_green", &new));

    infra.ok(&["start", SECRET]);
    let newer = infra.value(&format!("{SECRET}_new"));
    assert!(nats.accepts("app_blue", &newer));
    infra.ok(&["abort", SECRET]);
    assert!(
        !nats.accepts("app_blue", &newer),
        "the aborted password still works"
    );
    assert!(nats.accepts("app_green", &new));
    let tally = traffic.finish();
    assert_no_failed_request(&tally, 3);
    assert_eq!(infra.phase(SECRET), None);

    // A finish stopped after promotion (the old user already removed), rolled
    // back: the value goes back to a user, the promoted one is refused.
    let third = start_finish_fails_rollback(&infra, SECRET);
    assert_eq!(infra.value(SECRET), new);
    assert!(nats.accepts("app_green", &new));
    assert!(
        !nats.accepts("app_blue", &third),
        "the rolled back password still works"
    );
    infra.assert_no_leaks(&[OLD, &new, &newer, &third]);
}
