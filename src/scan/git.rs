//! What git holds: every blob reachable from any ref (each once, with the
//! first commit and path that carried it), blobs no ref reaches any more,
//! and the staged index. Objects are read with `gix`, never one `git`
//! process per file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::bstr::{BString, ByteSlice};
use gix::objs::FindExt as _;

use super::ScanError;

/// One blob to scan (read once), with every path that held it.
#[derive(Debug, Clone)]
pub struct BlobSeen {
    pub id: ObjectId,
    /// Each path that held the blob, with the oldest commit holding it
    /// there; empty when no ref reaches the blob.
    pub places: Vec<BlobPlace>,
}

/// A path in one commit.
#[derive(Debug, Clone)]
pub struct BlobPlace {
    pub commit: ObjectId,
    /// The commit's rank, oldest first: orders places across blobs.
    pub age_rank: usize,
    pub path: BString,
}

fn git_error(e: impl std::fmt::Display) -> ScanError {
    ScanError::Git(e.to_string())
}

/// The repository holding `dir`.
pub fn open(dir: &Path) -> Result<gix::Repository, ScanError> {
    gix::discover(dir).map_err(|_| ScanError::NotARepository(dir.to_path_buf()))
}

/// The work tree root of the repository holding `dir`, if any.
pub fn work_tree_root(dir: &Path) -> Option<PathBuf> {
    let repo = gix::discover(dir).ok()?;
    repo.workdir()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

struct CommitInfo {
    id: ObjectId,
    tree: ObjectId,
    seconds: i64,
}

/// Every commit reachable from a ref or HEAD, oldest first.
fn commits(repo: &gix::Repository) -> Result<Vec<CommitInfo>, ScanError> {
    let mut tips: Vec<ObjectId> = Vec::new();
    if let Ok(head) = repo.head_id() {
        tips.push(head.detach());
    }
    let refs = repo.references().map_err(git_error)?;
    for reference in refs.all().map_err(git_error)? {
        let Ok(mut reference) = reference else {
            continue;
        };
        if let Ok(id) = reference.peel_to_id() {
            tips.push(id.detach());
        }
    }
    let mut commits: Vec<CommitInfo> = Vec::new();
    let mut seen: HashSet<ObjectId> = HashSet::new();
    let mut queue = tips;
    while let Some(id) = queue.pop() {
        if !seen.insert(id) {
            continue;
        }
        let object = repo.find_object(id).map_err(git_error)?;
        if object.kind != gix::object::Kind::Commit {
            continue; // a tag on a tree or blob: rare enough to leave out
        }
        let commit = object.into_commit();
        let tree = commit.tree_id().map_err(git_error)?.detach();
        let seconds = commit.time().map(|t| t.seconds).unwrap_or(0);
        queue.extend(commit.parent_ids().map(|p| p.detach()));
        commits.push(CommitInfo { id, tree, seconds });
    }
    commits.sort_by_key(|c| c.seconds);
    Ok(commits)
}

/// Every version of the files at `paths` (relative, `/`-separated) in
/// history: (index into `paths`, blob id), each once. Reads only the trees
/// on those paths.
pub fn versions_of(
    repo: &gix::Repository,
    paths: &[String],
) -> Result<Vec<(usize, ObjectId)>, ScanError> {
    let mut found = Vec::new();
    let mut seen: HashSet<(ObjectId, usize)> = HashSet::new();
    let mut buf = Vec::new();
    for commit in commits(repo)? {
        for (p, path) in paths.iter().enumerate() {
            let mut tree_id = commit.tree;
            let parts: Vec<&str> = path.split('/').collect();
            for (depth, part) in parts.iter().enumerate() {
                // A tree already walked for this path holds nothing new.
                if !seen.insert((tree_id, p)) {
                    break;
                }
                let tree = repo
                    .objects
                    .find_tree(&tree_id, &mut buf)
                    .map_err(git_error)?;
                let Some(entry) = tree.entries.iter().find(|e| e.filename == part.as_bytes())
                else {
                    break;
                };
                let id = entry.oid.to_owned();
                if depth + 1 == parts.len() {
                    if entry.mode.is_blob() && !found.contains(&(p, id)) {
                        found.push((p, id));
                    }
                } else if entry.mode.is_tree() {
                    tree_id = id;
                } else {
                    break;
                }
            }
        }
    }
    Ok(found)
}

/// Every blob reachable from a ref or HEAD, oldest commit first, then (with
/// `unreachable`) every other blob in the object database.
pub fn blobs(repo: &gix::Repository, unreachable: bool) -> Result<Vec<BlobSeen>, ScanError> {
    let commits = commits(repo)?;
    let seen_commits: HashSet<ObjectId> = commits.iter().map(|c| c.id).collect();
    let mut seen_trees: HashSet<ObjectId> = HashSet::new();
    // A tree seen at one path may come back at another (a copied directory):
    // walked again there, so that every path of a blob is known.
    let mut seen_places: HashSet<(ObjectId, BString)> = HashSet::new();
    let mut seen_blobs: std::collections::HashMap<ObjectId, usize> = Default::default();
    let mut out: Vec<BlobSeen> = Vec::new();
    let mut buf = Vec::new();
    for (age_rank, commit) in commits.iter().enumerate() {
        let mut stack: Vec<(ObjectId, BString)> = vec![(commit.tree, BString::default())];
        while let Some((tree_id, prefix)) = stack.pop() {
            seen_trees.insert(tree_id);
            if !seen_places.insert((tree_id, prefix.clone())) {
                continue;
            }
            let tree = repo
                .objects
                .find_tree(&tree_id, &mut buf)
                .map_err(git_error)?;
            for entry in &tree.entries {
                let mut path = prefix.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(entry.filename);
                let id = entry.oid.to_owned();
                if entry.mode.is_tree() {
                    stack.push((id, path));
                } else if entry.mode.is_blob_or_symlink() {
                    match seen_blobs.get(&id) {
                        Some(&i) => {
                            if !out[i].places.iter().any(|p| p.path == path) {
                                out[i].places.push(BlobPlace {
                                    commit: commit.id,
                                    age_rank,
                                    path,
                                });
                            }
                        }
                        None => {
                            seen_blobs.insert(id, out.len());
                            out.push(BlobSeen {
                                id,
                                places: vec![BlobPlace {
                                    commit: commit.id,
                                    age_rank,
                                    path,
                                }],
                            });
                        }
                    }
                }
            }
        }
    }

    if unreachable {
        let all = repo.objects.store_ref().iter().map_err(git_error)?;
        let mut extra = HashSet::new();
        for id in all {
            let Ok(id) = id else { continue };
            if seen_blobs.contains_key(&id)
                || seen_trees.contains(&id)
                || seen_commits.contains(&id)
                || !extra.insert(id)
            {
                continue;
            }
            let is_blob = repo
                .try_find_header(id)
                .ok()
                .flatten()
                .is_some_and(|h| h.kind() == gix::object::Kind::Blob);
            if is_blob {
                out.push(BlobSeen {
                    id,
                    places: Vec::new(),
                });
            }
        }
    }
    Ok(out)
}

/// The staged files: (path, blob) for every index entry that is a file.
pub fn staged(repo: &gix::Repository) -> Result<Vec<(BString, ObjectId)>, ScanError> {
    let index = repo.open_index().map_err(git_error)?;
    Ok(index
        .entries()
        .iter()
        .filter(|e| !e.mode.is_submodule() && !e.mode.is_sparse())
        .map(|e| (e.path(&index).to_owned(), e.id))
        .collect())
}

/// A blob's bytes.
pub fn read_blob(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>, ScanError> {
    Ok(repo.find_object(id).map_err(git_error)?.detach().data)
}

/// A path inside the repository as text for reports.
pub fn show_path(path: &BString) -> String {
    path.to_str_lossy().into_owned()
}
