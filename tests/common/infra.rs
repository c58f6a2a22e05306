//! The skeleton every rotation test's infra starts from: a temp dir holding
//! the infra's root, a HOME of its own and the vault password file beside
//! them (outside the root, as an operator keeps it); `ansible.cfg` naming the
//! inventory and that password file; an inventory of localhost alone, run
//! locally with the playbook's own Python.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::repo_root;

/// The inventory's `all:` group with localhost alone, connected locally.
pub const LOCALHOST: &str = "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n";

pub struct Skeleton {
    pub tmp: TempDir,
    /// `infra/`, where every command runs.
    pub root: PathBuf,
    /// `home/`, with `.ansible/tmp`.
    pub home: PathBuf,
    pub password_file: PathBuf,
}

impl Skeleton {
    /// Makes `dirs` under the root and writes the password file.
    pub fn new(vault_password: &str, dirs: &[&str]) -> Skeleton {
        let tmp = TempDir::new().unwrap();
        let root = tmp.path().join("infra");
        let home = tmp.path().join("home");
        let password_file = tmp.path().join("vault-pass.txt");
        fs::write(&password_file, format!("{vault_password}\n")).unwrap();
        fs::create_dir_all(&root).unwrap();
        for dir in dirs {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        fs::create_dir_all(home.join(".ansible/tmp")).unwrap();
        Skeleton {
            tmp,
            root,
            home,
            password_file,
        }
    }

    /// The example infra's Redis rotation: its deploy and verify playbooks
    /// and client template copied from `infra/` (they use the library role
    /// `redis_acl`), the inventory `inventory/staging.yml` with the port of
    /// the test's Redis, group_vars linked beside it.
    pub fn redis(vault_password: &str, redis_port: Option<u16>) -> Skeleton {
        let skeleton = Skeleton::new(
            vault_password,
            &[
                "inventory",
                "group_vars/all",
                "playbooks",
                "templates",
                "deployed",
            ],
        );
        for file in [
            "playbooks/deploy_redis.yml",
            "playbooks/verify_redis.yml",
            "templates/redis_client.conf.j2",
        ] {
            fs::copy(
                repo_root().join("infra").join(file),
                skeleton.root.join(file),
            )
            .unwrap();
        }
        skeleton.ansible_cfg("inventory/staging.yml", true);
        let host_vars = redis_port
            .map(|port| format!("      redis_port: {port}\n"))
            .unwrap_or_default();
        skeleton.inventory("inventory/staging.yml", &host_vars);
        skeleton.link_group_vars();
        skeleton
    }

    /// `ansible.cfg` naming `inventory` and the password file; with
    /// `library_roles`, the repository's `playbooks/roles` as roles_path.
    pub fn ansible_cfg(&self, inventory: &str, library_roles: bool) {
        let mut cfg = format!(
            "[defaults]\ninventory = {inventory}\nvault_password_file = {}\nretry_files_enabled = False\n",
            self.password_file.display()
        );
        if library_roles {
            cfg.push_str(&format!(
                "roles_path = {}\n",
                repo_root().join("playbooks/roles").display()
            ));
        }
        fs::write(self.root.join("ansible.cfg"), cfg).unwrap();
    }

    /// The inventory at `path`: [`LOCALHOST`] followed by `more` (host
    /// variables at 6 spaces, or a group's `vars:`).
    pub fn inventory(&self, path: &str, more: &str) {
        fs::write(self.root.join(path), format!("{LOCALHOST}{more}")).unwrap();
    }

    /// `inventory/group_vars` pointing at the root's `group_vars`: playbooks
    /// load group_vars beside the inventory, as in the example infra.
    pub fn link_group_vars(&self) {
        symlink("../group_vars", self.root.join("inventory/group_vars")).unwrap();
    }
}

/// Calls `each` for every file and symlink below `dir`, in name order;
/// directories are entered, symlinks are not followed.
pub fn walk(dir: &Path, each: &mut dyn FnMut(&Path, &fs::Metadata)) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            walk(&path, each);
        } else {
            each(&path, &meta);
        }
    }
}

/// Every file below `root` with its bytes (a symlink as its target), by its
/// path relative to `root`: two snapshots compare a whole tree.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    walk(root, &mut |path, meta| {
        let bytes = if meta.is_symlink() {
            fs::read_link(path)
                .unwrap()
                .into_os_string()
                .into_encoded_bytes()
        } else {
            fs::read(path).unwrap()
        };
        files.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
    });
    files
}
