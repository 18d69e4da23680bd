//! `vjp-fuzzgen run`: the long run. Generates the functions in chunks into a throwaway crate
//! under `target/fuzzgen/run-SEED/` (never into the repository's `tests/`), builds and runs
//! each chunk, and reports what failed.
//!
//! A function the compiler rejects is taken out of its chunk together with the functions that
//! call it (the build is retried without them) and reported as *rejected*: a construct the
//! generator considers supported did not compile. Each failing check is reported with its
//! kind (`VJP`: the vjp disagrees with central differences; `DOT`: the dot-product test
//! between `_jvp` and `_vjp` fails; `PRIMAL`: `_vjp` / `_jvp` return another value than the
//! function; `GRAD`: `_grad` differs from `_vjp` with `v = 1`), and written out as a
//! standalone test file (the function, its callees and the harness) under `failures/`. A
//! failure whose callees all pass is a *root*; the others may only inherit a callee's bug.

use crate::gen::Opts;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub struct RunArgs {
    pub seed: u64,
    pub count: usize,
    pub chunk: usize,
    /// Test against this git revision of the repository instead of the working tree.
    pub rev: Option<String>,
    pub opts: Opts,
    pub threads: usize,
}

/// One function's group in a generated file: marker, definition, twin and test.
struct Group {
    name: String,
    calls: Vec<String>,
    text: String,
    /// First and last line (1-based) in the file as written.
    lines: (usize, usize),
}

fn split(text: &str) -> (String, Vec<Group>) {
    let mut header = String::new();
    let mut groups: Vec<Group> = Vec::new();
    for (k, line) in text.split_inclusive('\n').enumerate() {
        if let Some(rest) = line.strip_prefix("// ---- ") {
            let rest = rest.trim_end();
            let (name, calls) = match rest.split_once(" (calls ") {
                Some((n, c)) => (
                    n.to_string(),
                    c.trim_end_matches(')')
                        .split(", ")
                        .map(str::to_string)
                        .collect(),
                ),
                None => (rest.to_string(), Vec::new()),
            };
            groups.push(Group {
                name,
                calls,
                text: String::new(),
                lines: (k + 1, k + 1),
            });
        }
        match groups.last_mut() {
            Some(g) => {
                g.text.push_str(line);
                g.lines.1 = k + 1;
            }
            None => header.push_str(line),
        }
    }
    (header, groups)
}

/// `names` and every group that calls one of them, directly or not.
fn with_callers(groups: &[Group], names: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = names.clone();
    for g in groups {
        if g.calls.iter().any(|c| out.contains(c)) {
            out.insert(g.name.clone());
        }
    }
    out
}

/// `name` and its callees, directly or not, in definition order.
fn with_callees(groups: &[Group], name: &str) -> Vec<usize> {
    let index: BTreeMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(k, g)| (g.name.as_str(), k))
        .collect();
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_string()];
    while let Some(n) = todo.pop() {
        if let Some(&k) = index.get(n.as_str()) {
            if seen.insert(k) {
                todo.extend(groups[k].calls.iter().cloned());
            }
        }
    }
    seen.into_iter().collect()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// The path of the `vjp` package to test: the working tree, or an export of `rev`.
fn vjp_path(root: &Path, rev: &Option<String>) -> Result<PathBuf, String> {
    let Some(rev) = rev else {
        return Ok(root.to_path_buf());
    };
    let out = Command::new("git")
        .args(["-C", &root.to_string_lossy(), "rev-parse", "--short", rev])
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if !out.status.success() {
        return Err(format!("git rev-parse {rev} failed"));
    }
    let short = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dir = root.join("target/fuzzgen").join(format!("snap-{short}"));
    if !dir.join("Cargo.toml").exists() {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "git -C '{}' archive '{short}' | tar -x -C '{}'",
                root.display(),
                dir.display()
            ))
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("exporting {rev} failed"));
        }
    }
    Ok(dir)
}

struct Failure {
    name: String,
    kind: String,
    message: String,
    chunk: usize,
}

pub fn run(args: &RunArgs) -> Result<bool, String> {
    let root = root();
    let vjp = vjp_path(&root, &args.rev)?;
    let work = root
        .join("target/fuzzgen")
        .join(format!("run-{}", args.seed));
    let krate = work.join("crate");
    let failures_dir = work.join("failures");
    for d in [krate.join("src"), krate.join("tests"), failures_dir.clone()] {
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let write =
        |p: PathBuf, s: &str| std::fs::write(&p, s).map_err(|e| format!("{}: {e}", p.display()));
    write(
        krate.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"fuzzgen-run\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nvjp = {{ path = \"{}\" }}\n\n[workspace]\n",
            vjp.display()
        ),
    )?;
    write(krate.join("src/lib.rs"), "")?;
    if let Ok(lock) = std::fs::read_to_string(root.join("Cargo.lock")) {
        if !krate.join("Cargo.lock").exists() {
            write(krate.join("Cargo.lock"), &lock)?;
        }
    }
    let target = root.join("target/fuzzgen/target");
    let chunks = args.count.div_ceil(args.chunk);
    let mut failures: Vec<Failure> = Vec::new();
    let mut rejected: Vec<(String, String)> = Vec::new();
    let mut all_groups: Vec<(usize, String, Vec<Group>)> = Vec::new();
    let (mut compiled, mut passed, mut skipped) = (0usize, 0usize, 0usize);
    let (mut build_time, mut test_time) = (0.0f64, 0.0f64);
    for k in 0..chunks {
        let first = k * args.chunk;
        let n = args.chunk.min(args.count - first);
        let seed = args.seed.wrapping_add(k as u64);
        let command = format!(
            "cargo run -p vjp-fuzzgen -- --seed {seed} --count {n} --first {first} {}",
            args.opts.flags()
        );
        let text = crate::generate(seed, n, first, &args.opts, &command);
        let (header, mut groups) = split(&text);
        let file = krate.join("tests/chunk.rs");
        // Build, taking out what the compiler rejects.
        let exe = loop {
            let body: String = groups.iter().map(|g| g.text.as_str()).collect();
            write(file.clone(), &format!("{header}{body}"))?;
            let (_, groups_now) = split(&format!("{header}{body}"));
            groups = groups_now;
            let start = Instant::now();
            let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args([
                    "test",
                    "--test",
                    "chunk",
                    "--no-run",
                    "--message-format=short",
                ])
                .arg("--manifest-path")
                .arg(krate.join("Cargo.toml"))
                .env("CARGO_TARGET_DIR", &target)
                // A chunk is built once: its incremental cache (gigabytes over a long run)
                // would only fill the disk.
                .env("CARGO_INCREMENTAL", "0")
                .output()
                .map_err(|e| format!("cargo: {e}"))?;
            build_time += start.elapsed().as_secs_f64();
            let stderr = String::from_utf8_lossy(&out.stderr).to_string();
            if out.status.success() {
                let exe = stderr
                    .lines()
                    .find_map(|l| {
                        l.trim()
                            .strip_prefix("Executable tests/chunk.rs (")
                            .map(|r| r.trim_end_matches(')').to_string())
                    })
                    .ok_or("no test executable in cargo's output")?;
                break exe;
            }
            // `tests/chunk.rs:LINE:COL: error...`
            let mut bad: BTreeMap<String, String> = BTreeMap::new();
            for line in stderr.lines() {
                let Some(rest) = line.strip_prefix("tests/chunk.rs:") else {
                    continue;
                };
                let mut parts = rest.splitn(3, ':');
                let (Some(l), Some(_), Some(msg)) = (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                if !msg.trim_start().starts_with("error") {
                    continue;
                }
                let Ok(l) = l.parse::<usize>() else { continue };
                if let Some(g) = groups.iter().find(|g| g.lines.0 <= l && l <= g.lines.1) {
                    bad.entry(g.name.clone())
                        .or_insert_with(|| msg.trim().to_string());
                }
            }
            if bad.is_empty() {
                return Err(format!("chunk {k} does not build:\n{stderr}"));
            }
            let names: BTreeSet<String> = bad.keys().cloned().collect();
            let drop = with_callers(&groups, &names);
            for g in &groups {
                if names.contains(&g.name) {
                    let idx = with_callees(&groups, &g.name);
                    let mut t = header.clone();
                    for i in idx {
                        t.push_str(&groups[i].text);
                    }
                    write(failures_dir.join(format!("{}-rejected.rs", g.name)), &t)?;
                    rejected.push((g.name.clone(), bad[&g.name].clone()));
                }
            }
            eprintln!(
                "chunk {k}: the compiler rejects {} function(s), {} with their callers: {:?}",
                names.len(),
                drop.len(),
                names
            );
            groups.retain(|g| !drop.contains(&g.name));
        };
        compiled += groups.len();
        let start = Instant::now();
        let out = Command::new(&exe)
            .args(["--test-threads", &args.threads.to_string()])
            .env("FUZZGEN_STRICT", "1")
            .env("RUST_BACKTRACE", "0")
            .output()
            .map_err(|e| format!("{exe}: {e}"))?;
        test_time += start.elapsed().as_secs_f64();
        // Each chunk's test executable (tens to hundreds of megabytes) is run once; the
        // failures are kept as source files.
        let _ = std::fs::remove_file(&exe);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        passed += stdout
            .lines()
            .filter(|l| l.starts_with("test ") && l.ends_with("... ok"))
            .count();
        // Failure sections: `---- fN_check stdout ----` up to the next section.
        let mut current: Option<(String, String)> = None;
        let mut sections = Vec::new();
        for line in stdout.lines() {
            if let Some(rest) = line.strip_prefix("---- ") {
                if let Some(c) = current.take() {
                    sections.push(c);
                }
                let name = rest.split("_check").next().unwrap_or("").to_string();
                current = Some((name, String::new()));
            } else if line == "failures:" || line.starts_with("test result:") {
                if let Some(c) = current.take() {
                    sections.push(c);
                }
            } else if let Some((_, s)) = current.as_mut() {
                s.push_str(line);
                s.push('\n');
            }
        }
        for (name, message) in sections {
            let kind = message
                .split("FUZZGEN-")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or("PANIC")
                .to_string();
            if kind == "SKIP" {
                skipped += 1;
                continue;
            }
            let idx = with_callees(&groups, &name);
            let mut t = header.clone();
            for i in idx {
                t.push_str(&groups[i].text);
            }
            write(failures_dir.join(format!("{name}.rs")), &t)?;
            failures.push(Failure {
                name,
                kind,
                message: message.trim().to_string(),
                chunk: k,
            });
        }
        eprintln!(
            "chunk {}/{chunks} (seed {seed}): {} functions built, {} failures so far, {:.0} s building, {:.0} s testing",
            k + 1,
            groups.len(),
            failures.len(),
            build_time,
            test_time
        );
        all_groups.push((k, header, groups));
    }
    // Roots: failures none of whose callees failed.
    let failed: BTreeSet<(usize, String)> =
        failures.iter().map(|f| (f.chunk, f.name.clone())).collect();
    let mut roots = 0;
    let mut report = String::new();
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for f in &failures {
        *by_kind.entry(f.kind.clone()).or_default() += 1;
    }
    let _ = writeln!(
        report,
        "# vjp-fuzzgen run: seed {}, {} functions\n\n- vjp tested: `{}`{}\n- chunks of {} (chunk k has seed {} + k)\n- switches: {}\n- built: {compiled}; rejected by the compiler: {} (and their callers)\n- passed: {passed}; skipped (no input away from the kinks): {skipped}\n- mismatches: {} {:?}\n- build {:.0} s, tests {:.0} s\n",
        args.seed,
        args.count,
        vjp.display(),
        args.rev.as_ref().map(|r| format!(" (revision {r})")).unwrap_or_default(),
        args.chunk,
        args.seed,
        args.opts.describe(),
        rejected.len(),
        failures.len(),
        by_kind,
        build_time,
        test_time
    );
    for (name, msg) in &rejected {
        let _ = writeln!(report, "## {name}: rejected by the compiler\n\n```text\n{msg}\n```\n\nfailures/{name}-rejected.rs\n");
    }
    for f in &failures {
        let groups = &all_groups.iter().find(|(k, ..)| *k == f.chunk).unwrap().2;
        let callees = with_callees(groups, &f.name);
        let failing_callees: Vec<&str> = callees
            .iter()
            .map(|&i| groups[i].name.as_str())
            .filter(|n| *n != f.name && failed.contains(&(f.chunk, n.to_string())))
            .collect();
        let root = failing_callees.is_empty();
        roots += usize::from(root);
        let _ = writeln!(
            report,
            "## {} ({}){}\n\n```text\n{}\n```\n\nfailures/{}.rs\n",
            f.name,
            f.kind,
            if root {
                " root".to_string()
            } else {
                format!(" (its callees {failing_callees:?} fail too)")
            },
            f.message,
            f.name
        );
    }
    let summary = format!(
        "vjp-fuzzgen run: seed {}, {} functions: {} built ({} rejected by the compiler), {} passed, {} skipped, {} mismatches ({} roots) {:?}",
        args.seed,
        args.count,
        compiled,
        rejected.len(),
        passed,
        skipped,
        failures.len(),
        roots,
        by_kind
    );
    let report = format!("{summary}\n\n{report}");
    write(work.join("report.md"), &report)?;
    println!("{summary}");
    println!("report: {}", work.join("report.md").display());
    Ok(failures.is_empty() && rejected.is_empty())
}
