//! A throwaway Redis on loopback from `scripts/redis-test-server.sh` (own
//! port, own directory), stopped when dropped. The test command installs
//! redis-server; a missing one fails the test instead of skipping it.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use tempfile::TempDir;

pub struct Redis {
    dir: TempDir,
    pub port: u16,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/redis-test-server.sh")
}

impl Redis {
    pub fn start() -> Redis {
        let found = Command::new("sh")
            .args(["-c", "command -v redis-server && command -v redis-cli"])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "redis-server/redis-cli not found: run scripts/install-test-deps.sh"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = TempDir::new().unwrap();
        let out = Command::new(script())
            .arg("start")
            .arg(dir.path())
            .arg(port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "redis-test-server.sh start failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Redis { dir, port }
    }

    /// What Redis answers to `AUTH app PASSWORD` (the password on stdin, never argv).
    pub fn auth(&self, password: &str) -> String {
        let mut child = Command::new("redis-cli")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-x",
                "AUTH",
                "app",
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
            .write_all(password.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Whether user `app` authenticates with `password`.
    pub fn accepts(&self, password: &str) -> bool {
        match self.auth(password).as_str() {
            "OK" => true,
            answer if answer.starts_with("WRONGPASS") => false,
            answer => panic!("unexpected answer from redis-cli AUTH: {answer:?}"),
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}
