#!/usr/bin/env bash
# Benchmark (issue 10): `vaultrot scan --history` on a generated repository
# (10,000 commits, a vault of 200 values, 20 of them rotated half-way, leaks
# planted in every encoding, some in files deleted later), in one run against
#   detect-secrets (PyPI)             on every blob of the history, dumped once
#   git cat-file | rg -F -f patterns  the raw yardstick: every object read once,
#                                     fixed-string search for the same patterns
# Prints time, findings, misses and false positives of each.
#
# Not part of the test suite. Scratch data in .bench/scan (gitignored).
# BENCH_COMMITS=2000 scripts/bench_scan.sh for a quicker, smaller run;
# VAULTROT=path/to/vaultrot to time another build.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null && command -v rg >/dev/null || {
  apt-get update -q >/dev/null && apt-get install -y -q hyperfine ripgrep >/dev/null
}

if [ -z "${VAULTROT:-}" ]; then
  VAULTROT="$(scripts/build-release.sh --quiet)"
fi
BENCH="$PWD/.bench/scan"
DS_VENV="$PWD/.bench/venv-detect-secrets"
COMMITS="${BENCH_COMMITS:-10000}"
if [ ! -x "$DS_VENV/bin/detect-secrets" ]; then
  python3 -m venv "$DS_VENV"
  "$DS_VENV/bin/pip" install --quiet --disable-pip-version-check "detect-secrets==1.5.0"
fi

rm -rf "$BENCH" && mkdir -p "$BENCH"
printf 'scan-bench-password' > "$BENCH/pw"

# 1. The vault: 200 values (generated passwords, tokens, some with the
#    characters that make encodings differ), v1, and v2 with 20 rotated.
python3 - "$BENCH" <<'PY'
import json, random, sys
bench = sys.argv[1]
rng = random.Random(10)
alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
special = alnum + "!#%&*+-/=?@^_~"
def value(i):
    if i % 10 == 3:
        return "".join(rng.choice(special) for _ in range(20)) + '"\\'[i % 2]
    if i % 2:
        return "".join(rng.choice(special) for _ in range(24))
    return "".join(rng.choice(alnum) for _ in range(32))
v1 = {f"vault_secret_{i:03}": value(i) for i in range(200)}
v2 = dict(v1)
for i in range(0, 200, 10):
    v2[f"vault_secret_{i:03}"] = value(1000 + i)
def dump(values):
    return "".join(f"{k}: {json.dumps(v)}\n" for k, v in values.items())
open(f"{bench}/vault_v1.yml", "w").write(dump(v1))
open(f"{bench}/vault_v2.yml", "w").write(dump(v2))
json.dump({"v1": v1, "v2": v2}, open(f"{bench}/values.json", "w"))
PY
"$VAULTROT" encrypt --vault-password-file "$BENCH/pw" "$BENCH/vault_v1.yml" "$BENCH/vault_v2.yml" 2>/dev/null

# 2. The repository, streamed into git fast-import: each commit edits one of
#    300 files of harmless noise (checksums, UUIDs, commit ids, base64 blobs:
#    what entropy scanners flag); leaks are planted in new files.
python3 - "$BENCH" "$COMMITS" <<'PY' > "$BENCH/stream"
import base64, hashlib, json, random, sys, urllib.parse, uuid
bench, commits = sys.argv[1], int(sys.argv[2])
rng = random.Random(11)
vals = json.load(open(f"{bench}/values.json"))
v1, v2 = vals["v1"], vals["v2"]
rotate_at = commits // 2
out = sys.stdout.buffer
def blob(path, text):
    data = text.encode()
    out.write(b"M 100644 inline " + path.encode() + b"\ndata %d\n" % len(data) + data + b"\n")
def noise_line(k):
    kind = rng.randrange(6)
    if kind == 0:
        return f"sha256 {hashlib.sha256(str(rng.random()).encode()).hexdigest()}  dist/pkg-{k}.tar.gz"
    if kind == 1:
        return f'  id: "{uuid.UUID(int=rng.getrandbits(128))}"'
    if kind == 2:
        return f"commit {hashlib.sha1(str(rng.random()).encode()).hexdigest()}"
    if kind == 3:
        return f'  integrity: "sha512-{base64.b64encode(rng.randbytes(64)).decode()}"'
    if kind == 4:
        return f'icon = "{base64.b64encode(rng.randbytes(30)).decode()}"'
    return f"step {k}: ok in {rng.randrange(1000)} ms"
files = [f"src/module_{i:03}/{['config.yml', 'lock.txt', 'notes.md', 'app.py'][i % 4]}" for i in range(300)]
contents = {f: [noise_line(j) for j in range(40)] for f in files}

def b64(data, alphabet_url=False):
    e = base64.b64encode(data)
    return (e.replace(b"+", b"-").replace(b"/", b"_") if alphabet_url else e).decode()
encodings = ["raw", "base64", "base64url", "url-encoded", "hex", "json-escaped"]
def planted_line(value, encoding, k):
    v = value.encode()
    if encoding == "raw":
        return [f"API_TOKEN={value}", f"  password: {value}", f"curl -H 'Authorization: Bearer {value}'"][k % 3]
    if encoding == "base64":
        return f"  token: {b64(b'xy'[:k % 3] + v)}"
    if encoding == "base64url":
        return f"jwt_part={b64(v, True).rstrip('=')}"
    if encoding == "url-encoded":
        return f"GET /callback?secret={urllib.parse.quote(value, safe='')} 200"
    if encoding == "hex":
        return f"key_hex: {v.hex()}"
    return json.dumps({"token": value})

# 60 leaks at distinct commits: 40 of current values, 10 of values later
# rotated (planted before the rotation: reported as previous), 10 in files
# deleted 50 commits later.
names = sorted(v1)
leak_commits = sorted(rng.sample(range(5, commits - 60), 60))
plan = {}
truth = []
for n, c in enumerate(leak_commits):
    if n < 10:
        name = rng.choice([k for k in names if v1[k] != v2[k]])
        c = min(c, rotate_at - 60)
        value = v1[name]
    else:
        name = rng.choice([k for k in names if v1[k] == v2[k]])
        value = v2[name]
    encoding = encodings[n % len(encodings)]
    path = f"leaks/leak_{n:02}.{['log', 'env', 'yml', 'json'][n % 4]}"
    deleted = n >= 50
    plan.setdefault(c, []).append((path, f"line one\n{planted_line(value, encoding, n)}\nline three\n"))
    if deleted:
        plan.setdefault(c + 50, []).append((path, None))
    truth.append({"secret": name, "path": path, "encoding": encoding, "line": 2,
                  "previous": n < 10, "deleted": deleted, "commit_index": c})

for c in range(commits):
    t = 1_700_000_000 + c * 60
    msg = f"change {c}\n".encode()
    out.write(b"commit refs/heads/main\nmark :%d\n" % (c + 1))
    out.write(b"author Bench <bench@example.invalid> %d +0000\ncommitter Bench <bench@example.invalid> %d +0000\n" % (t, t))
    out.write(b"data %d\n" % len(msg) + msg)
    if c == 0:
        blob("group_vars/all/vault.yml", open(f"{bench}/vault_v1.yml").read())
        for f in files:
            blob(f, "\n".join(contents[f]) + "\n")
    elif c == rotate_at:
        blob("group_vars/all/vault.yml", open(f"{bench}/vault_v2.yml").read())
    else:
        f = rng.choice(files)
        lines = contents[f]
        lines[rng.randrange(len(lines))] = noise_line(c)
        blob(f, "\n".join(lines) + "\n")
    for path, text in plan.get(c, []):
        if text is None:
            out.write(b"D " + path.encode() + b"\n")
        else:
            blob(path, text)
    out.write(b"\n")
json.dump(truth, open(f"{bench}/truth.json", "w"), indent=1)
PY
git init -q "$BENCH/repo"
git -C "$BENCH/repo" fast-import --quiet --export-marks="$BENCH/marks" < "$BENCH/stream"
git -C "$BENCH/repo" checkout -q main
git -C "$BENCH/repo" gc -q
echo "repository: $(git -C "$BENCH/repo" rev-list --count main) commits, $(git -C "$BENCH/repo" cat-file --batch-all-objects --batch-check | grep -c ' blob ') blobs, $(du -sh "$BENCH/repo/.git" | cut -f1) in .git"

# 3. The yardstick's pattern file: every value (current and previous) in
#    every encoding vaultrot searches for, computed independently here.
python3 - "$BENCH" <<'PY'
import json, sys, urllib.parse
bench = sys.argv[1]
vals = json.load(open(f"{bench}/values.json"))
values = set(vals["v1"].values()) | set(vals["v2"].values())
STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
def core(v, k, alphabet):
    bits = "".join(f"{b:08b}" for b in v)
    start, end = 8 * k, 8 * k + len(bits)
    c, out = -(-start // 6), []
    while (c + 1) * 6 <= end:
        out.append(alphabet[int(bits[c * 6 - start:c * 6 - start + 6], 2)])
        c += 1
    return "".join(out)
pats = set()
for s in values:
    v = s.encode()
    pats.add(s)
    for k in range(3):
        pats.add(core(v, k, STD))
        pats.add(core(v, k, STD.replace("+", "-").replace("/", "_")))
    pats.add(urllib.parse.quote(s, safe="-._~"))
    pats.add(v.hex()); pats.add(v.hex().upper())
    pats.add(json.dumps(s)[1:-1]); pats.add(json.dumps(s)[1:-1].replace("/", "\\/"))
open(f"{bench}/patterns.txt", "w").write("\n".join(sorted(pats)) + "\n")
PY

# 4. detect-secrets scans files: dump every blob once (outside the timing).
#    It finds nothing when given a directory outside the current one: it runs
#    from inside the dump.
mkdir -p "$BENCH/blobs"
git -C "$BENCH/repo" cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)' \
  | awk '$2 == "blob" {print $1}' > "$BENCH/blob-ids"
python3 - "$BENCH" <<'PY'
import subprocess, sys
bench = sys.argv[1]
ids = open(f"{bench}/blob-ids").read().split()
p = subprocess.Popen(["git", "-C", f"{bench}/repo", "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
data, _ = p.communicate("\n".join(ids).encode() + b"\n")
pos = 0
for i in ids:
    nl = data.index(b"\n", pos)
    size = int(data[pos:nl].split()[2])
    open(f"{bench}/blobs/{i}", "wb").write(data[nl + 1:nl + 1 + size])
    pos = nl + 1 + size + 1
PY

# 5. Time each, once with the results kept.
cd "$BENCH/repo"
hyperfine --style basic --warmup 1 --runs 3 --export-json "$BENCH/times.json" -i \
  -n "vaultrot scan --history" \
    "$VAULTROT scan --history --format json --vault-password-file $BENCH/pw > $BENCH/vaultrot.json" \
  -n "git cat-file --batch-all-objects --batch | rg -F -f" \
    "git cat-file --batch-all-objects --batch | rg -a -F -c -f $BENCH/patterns.txt > /dev/null"
hyperfine --style basic --runs 1 --export-json "$BENCH/times-ds.json" -i \
  -n "detect-secrets scan (every blob)" \
    "cd $BENCH/blobs && $DS_VENV/bin/detect-secrets scan --all-files . > $BENCH/detect-secrets.json"
git cat-file --batch-all-objects --batch | rg -a -F -o -f "$BENCH/patterns.txt" > "$BENCH/rg-matches" || true
cd - >/dev/null

# 6. Findings, misses and false positives against the planted set.
python3 - "$BENCH" <<'PY'
import json, subprocess, sys, urllib.parse
bench = sys.argv[1]
truth = json.load(open(f"{bench}/truth.json"))
marks = dict(l.split() for l in open(f"{bench}/marks"))
def blob_of(t):
    commit = marks[":%d" % (t["commit_index"] + 1)]
    return subprocess.run(["git", "-C", f"{bench}/repo", "rev-parse", f"{commit}:{t['path']}"],
                          capture_output=True, text=True, check=True).stdout.strip()
planted = {(t["secret"], t["path"]) for t in truth}

times = {r["command"]: r for r in json.load(open(f"{bench}/times.json"))["results"]}
times.update({r["command"]: r for r in json.load(open(f"{bench}/times-ds.json"))["results"]})

vr = json.load(open(f"{bench}/vaultrot.json"))["findings"]
vr_keys = {(f["secret"], f["path"]) for f in vr}
vr_prev_ok = all(any(f["secret"] == t["secret"] and f["path"] == t["path"] and f["value"] == "previous" for f in vr)
                 for t in truth if t["previous"])

ds = json.load(open(f"{bench}/detect-secrets.json"))["results"]
ds_hits = {(path.rsplit("/", 1)[-1], h["line_number"]) for path, hs in ds.items() for h in hs}
planted_lines = {(blob_of(t), t["line"]) for t in truth}

vals = json.load(open(f"{bench}/values.json"))
patterns = set(open(f"{bench}/patterns.txt").read().split("\n")) - {""}
matched = set(open(f"{bench}/rg-matches", errors="replace").read().split("\n")) - {""}

def row(name, found, missed, fp):
    t = times[name]
    print(f"| {name} | {t['median']:.2f} s | {found} | {missed} | {fp} |")
print(f"planted: {len(truth)} leaks ({sum(t['previous'] for t in truth)} of previous values, "
      f"{sum(t['deleted'] for t in truth)} in files deleted later)")
print("| tool | median time | planted leaks found | missed | false positives |")
print("|---|---|---|---|---|")
row("vaultrot scan --history", len(planted & vr_keys), len(planted - vr_keys), len(vr_keys - planted))
ds_found = sum((blob_of(t), t["line"]) in ds_hits for t in truth)
row("detect-secrets scan (every blob)", ds_found, len(truth) - ds_found, len(ds_hits - planted_lines))
print(f"| git cat-file --batch-all-objects --batch \\| rg -F -f | {times['git cat-file --batch-all-objects --batch | rg -F -f']['median']:.2f} s "
      f"| {len(matched)} distinct planted strings matched, without paths or names | - | - |")
print(f"vaultrot reported every previous-value leak as previous: {vr_prev_ok}")
ratio = times["vaultrot scan --history"]["median"] / times["git cat-file --batch-all-objects --batch | rg -F -f"]["median"]
print(f"vaultrot / yardstick: {ratio:.2f}x; detect-secrets / vaultrot: "
      f"{times['detect-secrets scan (every blob)']['median'] / times['vaultrot scan --history']['median']:.1f}x")
PY
