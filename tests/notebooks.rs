//! The notebook runner: executes every notebook in `notebooks/` through the
//! evcxr library, the same compiler driver the Jupyter kernel uses, with the
//! kernel's own configuration (it re-starts itself through `scripts/kernel`,
//! exactly as the registered kernel is started).
//!
//! For each notebook it checks, as separate tests:
//! - `format`: valid nbformat 4 JSON, the Rust kernelspec, no outputs or
//!   execution counts committed, one setup cell loading llm-math;
//! - `run`: every code cell in order in a fresh context; a compile error, a
//!   panic, an error result (`?` prints to stderr) or any other stderr output
//!   fails the test, naming the cell. Cells tagged `raises-exception` must
//!   fail instead;
//! - `recovery`: after the notebook ran, a cell that does not compile, one that
//!   panics and one that returns an error each report a clear message, and
//!   none of the notebook's variables is lost.
//!
//! Usage: `cargo test --test notebooks [-- NAME_FILTER]`. Prints
//! `N passed, N failed` at the end.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evcxr::{CommandContext, Error as EvcxrError};
use serde_json::Value;

/// How long stderr must stay quiet after a cell returns before its output is
/// taken as complete (the child's stderr reaches us on its own thread).
const STDERR_SETTLE: Duration = Duration::from_millis(150);

fn main() -> ExitCode {
    // Must come first: evcxr re-runs this binary as the process that executes
    // compiled cells and as its rustc wrapper.
    evcxr::runtime_hook();

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf();
    if std::env::var_os("LLM_MATH_KERNEL_SLOT").is_none() {
        return restart_through_kernel_script(&root);
    }

    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let notebooks_dir = root.join("notebooks");
    let mut notebooks: Vec<PathBuf> = std::fs::read_dir(&notebooks_dir)
        .expect("notebooks/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ipynb"))
        .filter(|p| filter.is_empty() || filter.iter().any(|f| p.to_string_lossy().contains(f.as_str())))
        .collect();
    notebooks.sort();
    // The kernel runs with the notebook's folder as its working directory;
    // relative `:dep` paths and evcxr.toml are found from there.
    std::env::set_current_dir(&notebooks_dir).expect("cd notebooks/");

    let mut results: Vec<(String, Result<(), String>)> = Vec::new();
    for path in &notebooks {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let notebook = match load(path) {
            Ok(nb) => nb,
            Err(e) => {
                report(&mut results, format!("format {name}"), Err(e));
                continue;
            }
        };
        report(&mut results, format!("format {name}"), check_format(&notebook));
        let started = Instant::now();
        match run_notebook(&name, &notebook) {
            Ok(mut ctx) => {
                report(&mut results, format!("run {name} ({:.1} s)", started.elapsed().as_secs_f64()), Ok(()));
                report(&mut results, format!("recovery {name}"), check_recovery(&mut ctx));
            }
            Err(e) => report(&mut results, format!("run {name}"), Err(e)),
        }
    }
    if notebooks.is_empty() {
        report(&mut results, "notebooks found".into(), Err(format!("no .ipynb in {} matched {filter:?}", notebooks_dir.display())));
    }

    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    if failed > 0 {
        eprintln!("\nfailures:");
        for (name, r) in &results {
            if let Err(e) = r {
                eprintln!("\n---- {name} ----\n{e}");
            }
        }
    }
    println!("\n{} passed, {} failed", results.len() - failed, failed);
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Runs this binary again under `scripts/kernel`, which sets the kernel's
/// environment and holds a build directory for us.
fn restart_through_kernel_script(root: &Path) -> ExitCode {
    let script = root.join("scripts/kernel");
    let status = Command::new(&script)
        .arg(std::env::current_exe().expect("current exe"))
        .args(std::env::args().skip(1))
        .status()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
    ExitCode::from(status.code().unwrap_or(1) as u8)
}

fn report(results: &mut Vec<(String, Result<(), String>)>, name: String, result: Result<(), String>) {
    println!("test {name} ... {}", if result.is_ok() { "ok" } else { "FAILED" });
    results.push((name, result));
}

fn load(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

fn code_cells(notebook: &Value) -> Vec<&Value> {
    notebook["cells"].as_array().map(|c| c.iter().filter(|c| c["cell_type"] == "code").collect()).unwrap_or_default()
}

fn source(cell: &Value) -> String {
    match &cell["source"] {
        Value::String(s) => s.clone(),
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

fn has_tag(cell: &Value, tag: &str) -> bool {
    cell["metadata"]["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == tag))
}

/// nbformat 4, Rust kernelspec, committed without outputs, one setup cell.
fn check_format(nb: &Value) -> Result<(), String> {
    let mut problems = Vec::new();
    if nb["nbformat"] != 4 {
        problems.push(format!("nbformat is {}, expected 4", nb["nbformat"]));
    }
    let spec = &nb["metadata"]["kernelspec"];
    if spec["name"] != "rust" || spec["language"] != "rust" {
        problems.push(format!("kernelspec is {spec}, expected name \"rust\", language \"rust\""));
    }
    let Some(cells) = nb["cells"].as_array() else {
        return Err("no \"cells\" array".into());
    };
    for (i, cell) in cells.iter().enumerate() {
        let kind = cell["cell_type"].as_str().unwrap_or("");
        if !["code", "markdown", "raw"].contains(&kind) {
            problems.push(format!("cell {i} has cell_type {:?}", cell["cell_type"]));
        }
        if cell["source"].is_null() {
            problems.push(format!("cell {i} has no source"));
        }
        if kind == "code" {
            if cell["outputs"].as_array().is_none_or(|o| !o.is_empty()) {
                problems.push(format!("code cell {i} carries outputs (commit notebooks without outputs)"));
            }
            if !cell["execution_count"].is_null() {
                problems.push(format!("code cell {i} carries an execution_count"));
            }
        }
    }
    let setup: Vec<usize> = code_cells(nb)
        .iter()
        .enumerate()
        .filter(|(_, c)| source(c).lines().any(|l| l.trim_start().starts_with(":dep")))
        .map(|(i, _)| i)
        .collect();
    let first = code_cells(nb).first().map(|c| source(c)).unwrap_or_default();
    if setup != [0] || !first.contains("llm_math::prelude::*") || !first.contains("../crates/llm-math") {
        problems.push(format!(
            "the first code cell, and only it, must be the setup cell (`:dep llm-math = {{ path = \"../crates/llm-math\" }}` and `use llm_math::prelude::*;`); :dep found in code cells {setup:?}"
        ));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}

/// Output of one cell: what evcxr returned and what reached stdout/stderr.
struct CellRun {
    result: Result<evcxr::EvalOutputs, EvcxrError>,
    stdout: String,
    stderr: String,
}

/// A fresh evcxr context, configured as the kernel configures itself, with
/// its output channels drained on their own threads (draining them only after
/// `execute` returns would deadlock on any `println!`).
struct Session {
    ctx: CommandContext,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    stderr_lines: quiet::Notify,
}

mod quiet {
    //! A counter of stderr lines, to wait until stderr has settled.
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    #[derive(Clone, Default)]
    pub struct Notify(Arc<(Mutex<u64>, Condvar)>);

    impl Notify {
        pub fn bump(&self) {
            *self.0.0.lock().unwrap() += 1;
            self.0.1.notify_all();
        }
        /// Waits until no line arrived for `quiet`.
        pub fn settle(&self, quiet: Duration) {
            let mut seen = self.0.0.lock().unwrap();
            loop {
                let before = *seen;
                let (guard, timeout) = self.0.1.wait_timeout(seen, quiet).unwrap();
                seen = guard;
                if timeout.timed_out() && *seen == before {
                    return;
                }
            }
        }
    }
}

impl Session {
    fn new() -> Result<Session, String> {
        let (mut ctx, outputs) = CommandContext::new().map_err(|e| format!("cannot create an evcxr context: {e}"))?;
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let notify = quiet::Notify::default();
        {
            let (buf, rx) = (stdout.clone(), outputs.stdout);
            std::thread::spawn(move || {
                while let Ok(line) = rx.recv() {
                    let mut b = buf.lock().unwrap();
                    b.push_str(&line);
                    b.push('\n');
                }
            });
        }
        {
            let (buf, rx, notify) = (stderr.clone(), outputs.stderr, notify.clone());
            std::thread::spawn(move || {
                while let Ok(line) = rx.recv() {
                    let mut b = buf.lock().unwrap();
                    b.push_str(&line);
                    b.push('\n');
                    drop(b);
                    notify.bump();
                }
            });
        }
        // What evcxr_jupyter does at start-up: read evcxr.toml and run its prelude.
        ctx.execute(":load_config").map_err(|e| format!(":load_config failed: {e}"))?;
        let mut session = Session { ctx, stdout, stderr, stderr_lines: notify };
        session.take_output();
        Ok(session)
    }

    fn take_output(&mut self) -> (String, String) {
        self.stderr_lines.settle(STDERR_SETTLE);
        (std::mem::take(&mut *self.stdout.lock().unwrap()), std::mem::take(&mut *self.stderr.lock().unwrap()))
    }

    fn run(&mut self, code: &str) -> CellRun {
        let result = self.ctx.execute(code);
        let (stdout, stderr) = self.take_output();
        CellRun { result, stdout, stderr }
    }
}

impl CellRun {
    /// Why this cell counts as failed, if it does.
    fn failure(&self) -> Option<String> {
        match &self.result {
            Err(EvcxrError::CompilationErrors(errors)) => {
                Some(errors.iter().map(|e| e.rendered()).collect::<Vec<_>>().join("\n"))
            }
            Err(e) => Some(e.to_string()),
            Ok(_) if self.stderr.contains("panicked at") => {
                // The message is what a reader needs; the backtrace (RUST_BACKTRACE=1) is noise here.
                let message = self.stderr.split("stack backtrace:").next().unwrap_or_default();
                Some(format!("panic:\n{}", message.trim_end()))
            }
            Ok(_) if !self.stderr.trim().is_empty() => Some(format!("error on stderr:\n{}", self.stderr.trim_end())),
            Ok(outputs) => outputs.content_by_mime_type.get("text/plain").and_then(|text| figure_as_debug_text(text)),
        }
    }
}

/// The crate's displayable types, by the start of their `Debug` text.
const DISPLAY_TYPES: [&str; 4] = ["Chart {", "Grid {", "Figure {", "Table {"];

/// A cell that should show a figure or table but printed its `Debug` text.
/// evcxr does that, silently, when the final expression moves a variable the
/// notebook keeps (its `evcxr_display` wrapper then fails to compile).
/// The same rule lives in `scripts/nbrun.py` (`figure_as_debug_text`).
fn figure_as_debug_text(text: &str) -> Option<String> {
    let kind = DISPLAY_TYPES.iter().find(|t| text.trim_start().starts_with(*t))?;
    Some(format!(
        "the cell ends in a {} but showed its Debug text, not the figure or table: the final expression \
         probably moves a variable of the notebook; borrow it (&x) or clone it (x.clone())",
        kind.trim_end_matches(" {")
    ))
}

fn first_lines(code: &str, n: usize) -> String {
    code.lines().take(n).map(|l| format!("    | {l}")).collect::<Vec<_>>().join("\n")
}

fn run_notebook(name: &str, nb: &Value) -> Result<Session, String> {
    let mut session = Session::new()?;
    let cells = code_cells(nb);
    for (i, cell) in cells.iter().enumerate() {
        let code = source(cell);
        let started = Instant::now();
        let run = session.run(&code);
        let seconds = started.elapsed().as_secs_f64();
        let expect_failure = has_tag(cell, "raises-exception");
        match (run.failure(), expect_failure) {
            (None, false) | (Some(_), true) => {
                println!("  {name} cell {}/{} ok ({seconds:.1} s){}", i + 1, cells.len(), if expect_failure { " (raised, as tagged)" } else { "" });
            }
            (Some(why), false) => {
                return Err(format!(
                    "{name}: code cell {} of {} failed\n{}\n{why}{}",
                    i + 1,
                    cells.len(),
                    first_lines(&code, 3),
                    if run.stdout.is_empty() { String::new() } else { format!("\nstdout:\n{}", run.stdout.trim_end()) }
                ));
            }
            (None, true) => {
                return Err(format!(
                    "{name}: code cell {} is tagged raises-exception but ran without error\n{}",
                    i + 1,
                    first_lines(&code, 3)
                ));
            }
        }
    }
    Ok(session)
}

/// Breaks three cells the way learners do and checks each gives a clear error
/// and that every variable defined before survives.
fn check_recovery(session: &mut Session) -> Result<(), String> {
    let before: Vec<(String, String)> =
        session.ctx.variables_and_types().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    let probes: [(&str, &str, &str); 3] = [
        ("a cell that does not compile", "let broken_probe: i32 = \"text\";", "mismatched types"),
        ("a cell that panics", "let empty_probe: Vec<i32> = Vec::new();\nempty_probe[3]", "index out of bounds"),
        (
            "a cell whose ? returns an error",
            "let bad_probe = matmul(&[[1.0, 2.0]], &[[1.0, 2.0]])?;",
            "shape mismatch in matmul: left is [1, 2], right is [1, 2]",
        ),
    ];
    let mut problems = Vec::new();
    for (what, code, expected) in probes {
        let run = session.run(code);
        match run.failure() {
            Some(message) if message.contains(expected) => {}
            Some(message) => problems.push(format!("{what}: the error does not say {expected:?}:\n{message}")),
            None => problems.push(format!("{what}: no error was reported")),
        }
    }
    let after: Vec<(String, String)> =
        session.ctx.variables_and_types().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    let lost: Vec<&String> = before.iter().filter(|v| !after.contains(v)).map(|(n, _)| n).collect();
    if !lost.is_empty() {
        problems.push(format!("variables lost after the broken cells: {lost:?}"));
    }
    // The variables are not just listed but usable.
    if let Some((name, _)) = before.first() {
        let run = session.run(&format!("let _ = &{name};"));
        if let Some(why) = run.failure() {
            problems.push(format!("variable `{name}` cannot be used after the broken cells:\n{why}"));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}
