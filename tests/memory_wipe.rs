//! Proof that plaintext does not outlive its use in freed heap memory.
//!
//! This test binary installs its own global allocator. Every block freed (or moved by a
//! `realloc`) is scanned for a marker plaintext before it goes back to the system, then
//! zeroed: a hit means some copy of the secret was dropped without being wiped. The library
//! calls behind `vaultrot get`, `set`, `rekey` and `view` run while the scan is armed; the
//! fixtures are built (and their copies wiped) before arming. Method and limits:
//! docs/architecture.md, "Secrets in memory".

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use vaultrot::vault::{self, DecryptOptions, SaltSource, VaultSecret};
use vaultrot::vaultfile::document::{PathChange, SecretsFile, ValueStyle};
use vaultrot::vaultfile::{self, Input, RekeyScope, VaultContext};
use zeroize::Zeroizing;

/// The plaintext looked for; no ciphertext, key, path or message can contain it by chance.
const MARKER: &[u8] = b"MEMWIPE-4c1e9b7f-plaintext";

static ARMED: AtomicBool = AtomicBool::new(false);
/// Freed blocks that held the marker, freed by vaultrot's code (or std on its behalf).
static HITS: AtomicUsize = AtomicUsize::new(0);
/// Those freed inside the YAML reader vaultrot cross-checks with (see `THIRD_PARTY`).
static THIRD_PARTY_HITS: AtomicUsize = AtomicUsize::new(0);

/// Crates whose internal buffers vaultrot cannot reach: serde-saphyr and its scanner
/// (granit-parser) copy every scalar while reading a document for the cross-check. The last
/// entry is serde-saphyr's `deserialize_any`, instantiated for vaultrot's visitor: it drops
/// its own copy of a scalar after handing the visitor a borrowed `&str`.
const THIRD_PARTY: &[&str] = &[
    "granit_parser::",
    "serde_saphyr::",
    "<serde_saphyr::",
    "deserialize_any<vaultrot::yaml::verify::SapVisitor>",
];
/// Sizes of the first blocks found holding the marker (for the failure message).
static HIT_SIZES: [AtomicUsize; 8] = [const { AtomicUsize::new(0) }; 8];
/// Where the first hits were freed (the functions on the stack), for the failure message.
static HIT_STACKS: Mutex<Vec<String>> = Mutex::new(Vec::new());

thread_local! {
    /// Set while a hit's stack is being recorded (that allocates too).
    static RECORDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The functions on the stack, innermost first, without the allocator's and std's frames.
/// Returns whether the block was freed by a third-party crate (the first frame left).
fn record_stack() -> bool {
    let bt = std::backtrace::Backtrace::force_capture().to_string();
    let frames: Vec<&str> = bt
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("at "))
        .filter_map(|l| l.split_once(": ").map(|(_, f)| f))
        .filter(|f| {
            !(f.starts_with("std::")
                || f.starts_with("core::")
                || f.starts_with("alloc::")
                || f.starts_with("<alloc::")
                || f.starts_with("<core::")
                || f.starts_with("<std::")
                || f.starts_with("memory_wipe::")
                || f.starts_with("<memory_wipe::")
                || f.starts_with("__rust")
                || f.starts_with("drop_in_place")
                || matches!(
                    *f,
                    "record_stack" | "scan_and_clear" | "dealloc" | "realloc"
                ))
        })
        .take(6)
        .collect();
    let third_party = frames
        .first()
        .is_some_and(|f| THIRD_PARTY.iter().any(|c| f.starts_with(c)));
    let mut stacks = HIT_STACKS.lock().unwrap_or_else(|e| e.into_inner());
    if stacks.len() < 12 && !third_party {
        stacks.push(frames.join(" <- "));
    }
    third_party
}

struct Scanning;

fn holds_marker(block: &[u8]) -> bool {
    block.len() >= MARKER.len() && block.windows(MARKER.len()).any(|w| w == MARKER)
}

/// Scans a block about to be freed, then zeroes it so that stale bytes never reach a later
/// allocation (a hit is always a copy made and dropped since the block was handed out).
///
/// # Safety
/// `ptr` must be a live block of `size` bytes.
unsafe fn scan_and_clear(ptr: *mut u8, size: usize) {
    // SAFETY: the caller passes a live block of `size` bytes that nobody else uses.
    let block = unsafe { std::slice::from_raw_parts_mut(ptr, size) };
    if ARMED.load(Ordering::SeqCst) && holds_marker(block) && !RECORDING.with(|r| r.replace(true)) {
        if record_stack() {
            THIRD_PARTY_HITS.fetch_add(1, Ordering::SeqCst);
        } else {
            let n = HITS.fetch_add(1, Ordering::SeqCst);
            if let Some(slot) = HIT_SIZES.get(n) {
                slot.store(size, Ordering::SeqCst);
            }
        }
        RECORDING.with(|r| r.set(false));
    }
    block.fill(0);
}

// SAFETY: every call forwards to `System` with the caller's layout; `realloc` is a fresh
// allocation, a copy and a free, which the GlobalAlloc contract allows.
unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes, freed right after.
        unsafe {
            scan_and_clear(ptr, layout.size());
            System.dealloc(ptr, layout)
        }
    }

    // Always moving the block makes every growth visible: a String that grows while it
    // holds a secret leaves its old buffer behind, exactly as the system allocator may.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the new layout is valid per the realloc contract; both blocks are live
        // for the copy, and the old one is freed with its own layout.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = System.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[global_allocator]
static GLOBAL: Scanning = Scanning;

/// One armed run at a time, and no fixture built during one: the scan is process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `f` with the scan armed; returns how many freed blocks held the marker and their
/// sizes. `f` must drop everything it makes before returning.
fn armed(f: impl FnOnce()) -> (usize, Vec<usize>, Vec<String>) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    HIT_STACKS.lock().unwrap_or_else(|e| e.into_inner()).clear();
    HITS.store(0, Ordering::SeqCst);
    THIRD_PARTY_HITS.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    let third_party = THIRD_PARTY_HITS.load(Ordering::SeqCst);
    if third_party > 0 {
        eprintln!(
            "{third_party} freed block(s) inside serde-saphyr/granit-parser (not vaultrot's)"
        );
    }
    let hits = HITS.load(Ordering::SeqCst);
    let sizes = HIT_SIZES
        .iter()
        .take(hits)
        .map(|s| s.load(Ordering::SeqCst))
        .collect();
    let stacks = std::mem::take(&mut *HIT_STACKS.lock().unwrap_or_else(|e| e.into_inner()));
    (hits, sizes, stacks)
}

fn secret(label: &str) -> VaultSecret {
    VaultSecret::new(label, Zeroizing::new(b"memwipe-password".to_vec()))
}

fn context() -> VaultContext {
    VaultContext {
        secrets: vec![secret("default")],
        options: DecryptOptions::default(),
        salt: SaltSource::Random,
    }
}

/// `MARKER` with a suffix, in a zeroizing buffer.
fn plaintext(suffix: &str) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(MARKER.len() + suffix.len()));
    s.push_str(std::str::from_utf8(MARKER).unwrap());
    s.push_str(suffix);
    s
}

fn seal(plain: &[u8]) -> String {
    vault::encrypt(plain, &secret("default"), &SaltSource::Random).unwrap()
}

struct Fixtures {
    _dir: tempfile::TempDir,
    /// A whole-file vault whose plaintext is a YAML mapping holding the marker (nested, in
    /// a list, and repeated through an alias).
    whole: PathBuf,
    /// A vars file with inline `!vault` values holding the marker (one in a list).
    vars: PathBuf,
}

/// Built while the scan is off; every plaintext copy made here is wiped by the allocator's
/// clearing on free, so none can be mistaken for a later leak.
fn fixtures() -> Fixtures {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let m = std::str::from_utf8(MARKER).unwrap();
    let whole_plain = Zeroizing::new(format!(
        "db:\n  user: app\n  password: &pw \"{m}-db\"\nreplica_password: *pw\napi_token: {m}-api\nkeys:\n  - {m}-k1\n  - plain\nnote: |\n  {m}-note\n"
    ));
    let whole = dir.path().join("whole.yml");
    std::fs::write(&whole, seal(whole_plain.as_bytes())).unwrap();

    let indent = |t: &str, pad: &str| -> String {
        t.lines().map(|l| format!("{pad}{l}\n")).collect::<String>()
    };
    let api = indent(&seal(format!("{m}-api").as_bytes()), "  ");
    let db = indent(&seal(format!("{m}-db").as_bytes()), "    ");
    let item = indent(&seal(format!("{m}-k1").as_bytes()), "    ");
    let vars_text = format!(
        "api_token: !vault |\n{api}db:\n  user: app\n  password: !vault |\n{db}keys:\n  - !vault |\n{item}  - plain\n"
    );
    let vars = dir.path().join("vars.yml");
    std::fs::write(&vars, vars_text).unwrap();
    Fixtures {
        _dir: dir,
        whole,
        vars,
    }
}

fn path(p: &str) -> Vec<String> {
    p.split('.').map(str::to_string).collect()
}

fn get(file: &Path, key: &str, ctx: &VaultContext) {
    let f = SecretsFile::load(file, ctx).unwrap();
    let value = f
        .get_path(&path(key), ctx)
        .unwrap()
        .expect("the key exists");
    assert!(value.starts_with(MARKER));
}

fn set(file: &Path, key: &str, ctx: &VaultContext) {
    let f = SecretsFile::load(file, ctx).unwrap();
    let change = PathChange::Set {
        path: path(key),
        value: plaintext("-new"),
        style: ValueStyle::Keep,
    };
    let new_secret = secret("default");
    let bytes = f
        .plan_paths(std::slice::from_ref(&change), ctx, Some(&new_secret))
        .unwrap()
        .expect("the value changes");
    assert!(!holds_marker(&bytes), "set writes ciphertext only");
}

fn rekey(file: &Path, ctx: &VaultContext) {
    let r = vaultfile::rekeyed(file, ctx, &secret("default"), RekeyScope::All).unwrap();
    assert!(r.bytes.is_some());
}

fn view(file: &Path, ctx: &VaultContext) {
    let input = Input::File(file.to_path_buf());
    let bytes = input.read().unwrap();
    let shown = vaultfile::decrypted_view(&input, &bytes, ctx).unwrap();
    assert!(holds_marker(&shown));
}

fn assert_clean(what: &str, run: impl FnOnce()) {
    let (hits, sizes, stacks) = armed(run);
    assert_eq!(
        hits,
        0,
        "{what}: {hits} freed heap block(s) still held the plaintext (sizes {sizes:?}), freed in:\n{}",
        stacks.join("\n")
    );
}

#[test]
fn the_scan_sees_an_unwiped_copy() {
    // The method itself: a plain String holding the plaintext is caught when dropped, a
    // Zeroizing one is not.
    let (hits, _, _) = armed(|| {
        let copy = String::from_utf8(MARKER.to_vec()).unwrap();
        drop(std::hint::black_box(copy));
    });
    assert_eq!(hits, 1);
    let (hits, _, _) = armed(|| drop(std::hint::black_box(plaintext(""))));
    assert_eq!(hits, 0);
}

#[test]
fn get_leaves_no_plaintext_in_freed_memory() {
    let fx = fixtures();
    let ctx = context();
    assert_clean("get (whole-file vault)", || {
        get(&fx.whole, "db.password", &ctx)
    });
    assert_clean("get through an alias (whole-file vault)", || {
        get(&fx.whole, "replica_password", &ctx)
    });
    assert_clean("get (inline vault)", || get(&fx.vars, "db.password", &ctx));
}

#[test]
fn set_leaves_no_plaintext_in_freed_memory() {
    let fx = fixtures();
    let ctx = context();
    assert_clean("set (whole-file vault)", || {
        set(&fx.whole, "api_token", &ctx)
    });
    assert_clean("set (inline vault)", || set(&fx.vars, "db.password", &ctx));
    assert_clean("set of a new key (inline vault)", || {
        set(&fx.vars, "db.new_password", &ctx)
    });
}

#[test]
fn rekey_leaves_no_plaintext_in_freed_memory() {
    let fx = fixtures();
    let ctx = context();
    assert_clean("rekey (whole-file vault)", || rekey(&fx.whole, &ctx));
    assert_clean("rekey (inline vaults, one in a list)", || {
        rekey(&fx.vars, &ctx)
    });
}

#[test]
fn view_leaves_no_plaintext_in_freed_memory() {
    let fx = fixtures();
    let ctx = context();
    assert_clean("view (whole-file vault)", || view(&fx.whole, &ctx));
    assert_clean("view (inline vaults)", || view(&fx.vars, &ctx));
}
