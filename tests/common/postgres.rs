//! A throwaway PostgreSQL on loopback (own port, own directory), stopped when
//! dropped. PostgreSQL refuses to run as root, so as root the cluster is
//! created and run as the `postgres` user the package makes (else `nobody`).
//! The admin connection is the unix socket in that directory (trust, test
//! only); clients use TCP on 127.0.0.1 with SCRAM passwords. The test command
//! installs postgresql; a missing one fails the test instead of skipping it.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

pub struct Postgres {
    dir: TempDir,
    bin: PathBuf,
    /// The unprivileged user the server runs as, when the tests run as root.
    run_as: Option<String>,
    pub port: u16,
}

/// The newest /usr/lib/postgresql/<version>/bin holding initdb (off PATH on Debian).
fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .expect("initdb not found in /usr/lib/postgresql/*/bin: run scripts/install-test-deps.sh")
}

fn id(args: &[&str]) -> String {
    let out = Command::new("id").args(args).output().unwrap();
    assert!(out.status.success(), "id {args:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = bin_dir();
        let found = Command::new("sh")
            .args(["-c", "command -v psql"])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "psql not found: run scripts/install-test-deps.sh"
        );
        let run_as = (id(&["-u"]) == "0").then(|| {
            let user = if Command::new("id")
                .arg("postgres")
                .output()
                .unwrap()
                .status
                .success()
            {
                "postgres"
            } else {
                "nobody"
            };
            user.to_string()
        });
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = TempDir::new().unwrap();
        if let Some(user) = &run_as {
            let uid = id(&["-u", user]).parse().unwrap();
            let gid = id(&["-g", user]).parse().unwrap();
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let pg = Postgres {
            dir,
            bin,
            run_as,
            port,
        };
        let data = pg.data();
        pg.server_command(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} -c fsync=off",
            pg.dir.path().display()
        );
        let log = pg.dir.path().join("server.log");
        pg.server_command(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The directory of the server's unix socket: the admin connection's host.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs a server program (initdb, pg_ctl) as the unprivileged user.
    fn server_command(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(&path);
                cmd
            }
            None => Command::new(&path),
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed:\n{}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    /// Runs `sql` as the superuser over the socket; its output, unaligned.
    pub fn admin(&self, sql: &str) -> String {
        let mut child = Command::new("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(self.socket_dir())
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "psql: {sql}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Logs in over TCP as `user` with `password` (from a 0600 service file,
    /// never argv) to `database`: Ok(session_user) or Err(psql's error).
    pub fn login(&self, database: &str, user: &str, password: &str) -> Result<String, String> {
        let file = tempfile::Builder::new()
            .suffix(".pg_service.conf")
            .tempfile()
            .unwrap();
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(
            file.path(),
            format!(
                "[login]\nhost=127.0.0.1\nport={}\ndbname={database}\nuser={user}\npassword={password}\n",
                self.port
            ),
        )
        .unwrap();
        let out = Command::new("psql")
            .args([
                "-X",
                "-w",
                "-A",
                "-t",
                "-c",
                "SELECT session_user",
                "service=login",
            ])
            .env("PGSERVICEFILE", file.path())
            .env("PGCONNECT_TIMEOUT", "10")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let path = self.bin.join("pg_ctl");
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(&path);
                cmd
            }
            None => Command::new(&path),
        };
        let _ = cmd
            .args([
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output();
    }
}
