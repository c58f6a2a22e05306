//! A throwaway nats-server on loopback (own port, own directory), killed when
//! dropped. Its config includes `users.conf` in the authorization block, the
//! file the nats_user recipe manages; it starts with one placeholder user so
//! nothing logs in before the first deploy. The test command installs
//! nats-server; a missing one fails the test instead of skipping it.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub struct Nats {
    dir: TempDir,
    child: Child,
    pub port: u16,
}

/// A client connection speaking the NATS text protocol, subscribed to one
/// subject: each `request` publishes on it and waits for the message.
pub struct NatsClient {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl NatsClient {
    /// Connects as `user`; Err carries the server's answer (never the password).
    pub fn connect(port: u16, user: &str, password: &str) -> Result<NatsClient, String> {
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut client = NatsClient {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        };
        let info = client.line()?;
        if !info.starts_with("INFO ") {
            return Err(format!("no INFO from nats-server: {info:?}"));
        }
        let connect = format!(
            "CONNECT {{\"user\":{},\"pass\":{},\"verbose\":false,\"pedantic\":false}}\r\nSUB traffic 1\r\nPING\r\n",
            json_string(user),
            json_string(password)
        );
        client.send(connect.as_bytes())?;
        client.until_pong(false)?;
        Ok(client)
    }

    /// Publishes a message to itself and waits for it (then the PONG).
    pub fn request(&mut self) -> Result<(), String> {
        self.send(b"PUB traffic 2\r\nhi\r\nPING\r\n")?;
        self.until_pong(true)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream.write_all(bytes).map_err(|e| e.to_string())
    }

    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => Err("connection closed by nats-server".into()),
            Ok(_) => Ok(line.trim_end().to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn until_pong(&mut self, want_message: bool) -> Result<(), String> {
        let mut got = false;
        loop {
            let line = self.line()?;
            if line.starts_with("-ERR") {
                return Err(line);
            } else if line.starts_with("MSG ") {
                got = self.line()? == "hi";
            } else if line == "PING" {
                self.send(b"PONG\r\n")?;
            } else if line == "PONG" {
                return if got || !want_message {
                    Ok(())
                } else {
                    Err("PONG before the published message came back".into())
                };
            }
        }
    }
}

fn json_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Nats {
    pub fn start() -> Nats {
        let found = Command::new("sh")
            .args(["-c", "command -v nats-server"])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "nats-server not found: run scripts/install-test-deps.sh"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = TempDir::new().unwrap();
        fs::write(
            dir.path().join("users.conf"),
            "users = [\n  {\"user\": \"placeholder\", \"password\": \"placeholder-not-a-secret\"}\n]\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("nats.conf"),
            format!(
                "# Throwaway test instance (tests/common/nats.rs).\nlisten: 127.0.0.1:{port}\npid_file: {}\nauthorization {{\n  include ./users.conf\n}}\n",
                dir.path().join("nats.pid").display()
            ),
        )
        .unwrap();
        let log = fs::File::create(dir.path().join("nats.log")).unwrap();
        let child = Command::new("nats-server")
            .arg("-c")
            .arg(dir.path().join("nats.conf"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let nats = Nats { dir, child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !nats.pid_file().exists() || TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not listen on 127.0.0.1:{port} within 10s:\n{}",
                fs::read_to_string(nats.dir.path().join("nats.log")).unwrap_or_default()
            );
            sleep(Duration::from_millis(50));
        }
        nats
    }

    /// The users file the config includes (the recipe's nats_user_users_file).
    pub fn users_file(&self) -> PathBuf {
        self.dir.path().join("users.conf")
    }

    pub fn pid_file(&self) -> PathBuf {
        self.dir.path().join("nats.pid")
    }

    /// Whether `user` can connect with `password` and get a message through.
    pub fn accepts(&self, user: &str, password: &str) -> bool {
        match NatsClient::connect(self.port, user, password).and_then(|mut c| c.request()) {
            Ok(()) => true,
            Err(e) if e.contains("Authorization Violation") => false,
            Err(e) => panic!("unexpected answer from nats-server: {e}"),
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
