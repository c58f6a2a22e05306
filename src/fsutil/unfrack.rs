//! Paths as Ansible resolves them from its settings (`unfrackpath`): used
//! for password files named in `ansible.cfg` and for the manifest's stores.

use std::env;
use std::path::{Component, Path, PathBuf};

/// ansible's `unfrackpath(follow=False)`: expand `$VARS` and `~`, make
/// absolute against `basedir` (or the cwd), normalise without touching symlinks.
pub fn unfrack(value: &str, basedir: Option<&Path>) -> PathBuf {
    let expanded = expand_user(&expand_vars(value));
    let path = PathBuf::from(expanded);
    let absolute = if path.is_absolute() {
        path
    } else {
        let base = basedir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| env::current_dir().unwrap_or_default());
        base.join(path)
    };
    normalize(&absolute)
}

fn expand_user(value: &str) -> String {
    if (value == "~" || value.starts_with("~/"))
        && let Some(home) = env::var_os("HOME")
    {
        return format!("{}{}", home.to_string_lossy(), &value[1..]);
    }
    value.to_string()
}

/// Python's `os.path.expandvars`: `$NAME` and `${NAME}`; unknown ones stay.
fn expand_vars(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match (name.is_empty(), env::var(name)) {
            (false, Ok(v)) => out.push_str(&v),
            _ => out.push_str(&rest[pos..pos + 1 + consumed]),
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// `os.path.normpath` for absolute paths.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(part) => out.push(part),
            _ => {}
        }
    }
    out
}
