//! What each subcommand does, returning the documented exit code:
//! 0 all selected scenarios passed, 1 one failed or errored, 2 usage or scenario
//! file error (nothing was sent).

pub mod load;

use std::io::Write;
use std::process::ExitCode;

use crate::auth::keys::{self, Alg, SigningKey};
use crate::cli::{CheckArgs, KeysCommand, MockArgs, RunArgs, SelftestArgs};
use crate::report::console::{Console, color_wanted};
use crate::report::model::Outcome;
use crate::report::write_report_file;
use crate::run::{RunOptions, Target, plan, run_suite};
use crate::scenario::profile::{self, Profile};
use crate::scenario::{self, Diagnostic};

pub const EXIT_PASS: u8 = 0;
pub const EXIT_FAIL: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{d}");
    }
    let files: std::collections::BTreeSet<_> = diagnostics.iter().map(|d| &d.file).collect();
    let _ = writeln!(
        err,
        "{} error(s) in {} file(s); nothing was sent",
        diagnostics.len(),
        files.len()
    );
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_USAGE)
}

pub fn check(args: &CheckArgs) -> ExitCode {
    match scenario::load_suite(&args.paths) {
        Ok(scenarios) => {
            let _ = writeln!(
                std::io::stdout(),
                "ok: {} scenario(s) are valid",
                scenarios.len()
            );
            ExitCode::from(EXIT_PASS)
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            ExitCode::from(EXIT_USAGE)
        }
    }
}

pub fn schema() -> ExitCode {
    let schema = schemars::schema_for!(scenario::model::Scenario);
    match serde_json::to_string_pretty(&schema) {
        Ok(text) => {
            // A closed pipe (`tollgate schema | head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{text}");
            ExitCode::from(EXIT_PASS)
        }
        Err(e) => usage_error(&format!("cannot render the schema: {e}")),
    }
}

fn parse_target(target: Option<&str>) -> Result<Target, String> {
    let Some(text) = target else {
        return Ok(Target::Embedded);
    };
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(Target::Remote(text.to_string()))
        }
        _ => Err(format!(
            "--target '{text}' is not an http(s) URL such as https://confluence.example.com"
        )),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

pub fn run(args: &RunArgs) -> ExitCode {
    let target = match parse_target(args.target.url.as_deref()) {
        Ok(target) => target,
        Err(e) => return usage_error(&e),
    };
    let profile = match args.profile.as_deref().map(load_profile).transpose() {
        Ok(profile) => profile,
        Err(exit) => return exit,
    };
    let scenarios = match &profile {
        None => match scenario::load_suite(&args.paths) {
            Ok(scenarios) => plan::select(scenarios, &args.tags, &args.ids),
            Err(diagnostics) => {
                print_diagnostics(&diagnostics);
                return ExitCode::from(EXIT_USAGE);
            }
        },
        Some(profile) => match profile_scenarios(profile, args, &target) {
            Ok(scenarios) => scenarios,
            Err(exit) => return exit,
        },
    };
    if scenarios.is_empty() {
        return usage_error("no scenario matches the given paths, --tag and --id");
    }
    let options = RunOptions {
        target,
        jobs: args.jobs.unwrap_or_else(|| RunOptions::default().jobs),
        fail_fast: args.fail_fast,
        vars: args.target.vars.clone(),
        idp: args.target.idp.clone(),
        ca_cert: args.target.ca_cert.clone(),
        insecure: args.target.insecure,
        profile: profile.map(|p| p.name.inner),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return usage_error(&e),
    };
    let console = Console::new(color_wanted());
    let report = runtime.block_on(run_suite(scenarios, &options, |finished| {
        let _ = console.scenario_finished(&mut std::io::stdout().lock(), finished);
    }));
    // Stop the embedded mocks' leftover tasks now rather than at exit.
    runtime.shutdown_background();
    let report = match report {
        Ok(report) => report,
        Err(e) => return usage_error(&e),
    };
    let mut stdout = std::io::stdout().lock();
    let mut exit = if report.outcome() <= Outcome::Skip {
        EXIT_PASS
    } else {
        EXIT_FAIL
    };
    for spec in &args.reports {
        if let Err(e) = write_report_file(spec, &report) {
            eprintln!("error: cannot write {}: {e}", spec.path.display());
            exit = EXIT_FAIL;
        }
    }
    let _ = console.summary(&mut stdout, &report);
    ExitCode::from(exit)
}

/// `--profile NAME`: the profile file, or exit 2 naming the profiles there are.
fn load_profile(name: &str) -> Result<Profile, ExitCode> {
    let path = profile::resolve(name);
    if !path.is_file() {
        let available = profile::available(std::path::Path::new(profile::PROFILE_DIR));
        let list = if available.is_empty() {
            format!("none in ./{}", profile::PROFILE_DIR)
        } else {
            available.join(", ")
        };
        return Err(usage_error(&format!(
            "no profile '{name}' ({} does not exist); available profiles: {list}",
            path.display()
        )));
    }
    profile::load_file(&path).map_err(|diagnostics| {
        print_diagnostics(&diagnostics);
        ExitCode::from(EXIT_USAGE)
    })
}

/// The suite under `args.paths`, cut to exactly `profile`'s scenarios. Against a
/// real target, every required var must be given first: a run with a default
/// credential would fail for the wrong reason, after requests were sent.
fn profile_scenarios(
    profile: &Profile,
    args: &RunArgs,
    target: &Target,
) -> Result<Vec<scenario::model::Scenario>, ExitCode> {
    let real_env = |name: &str| std::env::var(name).ok();
    if matches!(target, Target::Remote(_)) {
        let missing = profile.missing_vars(&args.target.vars, &real_env);
        if !missing.is_empty() {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "error: profile '{}' needs {} var(s) that were not given:",
                profile.name.inner,
                missing.len()
            );
            for var in &missing {
                let _ = writeln!(err, "  {}: {}", var.spelling(), var.description);
            }
            let _ = writeln!(err, "nothing was sent");
            return Err(ExitCode::from(EXIT_USAGE));
        }
    }
    // A required var given with --var also fills `${env:ENV}` in the files.
    let overrides = profile.env_overrides(&args.target.vars);
    let env = |name: &str| {
        overrides
            .iter()
            .find(|(env, _)| env == name)
            .map(|(_, value)| value.clone())
            .or_else(|| real_env(name))
    };
    let suite = scenario::load_suite_with_env(&args.paths, &env).map_err(|diagnostics| {
        print_diagnostics(&diagnostics);
        ExitCode::from(EXIT_USAGE)
    })?;
    plan::select_profile(suite, profile).map_err(|diagnostics| {
        print_diagnostics(&diagnostics);
        ExitCode::from(EXIT_USAGE)
    })
}

pub fn mock(args: &MockArgs) -> ExitCode {
    let file = match &args.config {
        None => scenario::MockFile::default(),
        Some(path) => match scenario::load_mock_file(path) {
            Ok(file) => file,
            Err(diagnostics) => {
                print_diagnostics(&diagnostics);
                return ExitCode::from(EXIT_USAGE);
            }
        },
    };
    let mut config = file.config;
    config.tls |= args.tls;
    if config.tls {
        let written = crate::mock::tls::ca().and_then(|ca| {
            if let Some(parent) = args.ca_out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&args.ca_out, ca.cert_pem()).map_err(|e| e.to_string())
        });
        if let Err(e) = written {
            return usage_error(&format!(
                "cannot write the mock CA to {}: {e}",
                args.ca_out.display()
            ));
        }
    }
    let keys =
        match keys::KeyRing::from_specs(file.keys.iter().map(|(name, spec)| (name, &spec.inner))) {
            Ok(keys) => keys,
            Err(e) => return usage_error(&e.to_string()),
        };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return usage_error(&e),
    };
    runtime.block_on(async {
        let running = match crate::mock::start_on_with_keys(&config, args.bind, keys.keys()).await {
            Ok(running) => running,
            Err(e) => return usage_error(&format!("cannot listen on {}: {e}", args.bind)),
        };
        // The first line is for scripts: it ends with the URL. A closed stdout (a
        // script that read that line and left) must not stop the server.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "mock Confluence listening on {}", running.base_url());
        let _ = writeln!(out, "identity provider listening on {}", running.idp_url());
        if config.tls {
            let _ = writeln!(
                out,
                "trust the mock's CA with --ca-cert {}",
                args.ca_out.display()
            );
        }
        let _ = writeln!(out, "press Ctrl-C to stop");
        let _ = out.flush();
        drop(out);
        let _ = tokio::signal::ctrl_c().await;
        running.shutdown().await;
        ExitCode::from(EXIT_PASS)
    })
}

pub fn keys(command: &KeysCommand) -> ExitCode {
    match command {
        KeysCommand::Gen { name, alg, out } => keys_gen(name, *alg, out),
        KeysCommand::Export { name, dir } => keys_export(name, dir),
    }
}

fn keys_gen(name: &str, alg: Alg, out: &std::path::Path) -> ExitCode {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return usage_error(&format!(
            "key name '{name}' may hold only letters, digits, '-' and '_'"
        ));
    }
    let (path, contents, public) = if alg == Alg::HS256 {
        // The secret is the text itself, as a scenario's `secret:` would hold it.
        let bytes: [u8; 32] = rand::random();
        let secret =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
        (out.join(format!("{name}.secret")), secret, None)
    } else {
        match SigningKey::generate(name, alg) {
            Ok(key) => (
                out.join(format!("{name}.pem")),
                key.private_pem().unwrap_or_default().to_string(),
                key.public_pem().map(str::to_string),
            ),
            Err(e) => return usage_error(&e.to_string()),
        }
    };
    if path.exists() {
        return usage_error(&format!(
            "{} exists; remove it first to make a new key",
            path.display()
        ));
    }
    if let Err(e) = std::fs::create_dir_all(out).and_then(|_| write_private(&path, &contents)) {
        return usage_error(&format!("cannot write {}: {e}", path.display()));
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "wrote {} ({alg}); keep it out of version control unless it is a test key",
        path.display()
    );
    if let Some(public) = public {
        let _ = write!(stdout, "{public}");
    }
    ExitCode::from(EXIT_PASS)
}

/// Writes a private key readable by its owner only.
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

fn keys_export(name: &str, dir: &std::path::Path) -> ExitCode {
    let as_path = std::path::Path::new(name);
    let path = if as_path.extension().is_some_and(|e| e == "pem") {
        as_path.to_path_buf()
    } else {
        dir.join(format!("{name}.pem"))
    };
    let key_name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name)
        .to_string();
    let pem = match std::fs::read_to_string(&path) {
        Ok(pem) => pem,
        Err(e) => {
            return usage_error(&format!(
                "cannot read {}: {e} (HS256 secrets have no public half)",
                path.display()
            ));
        }
    };
    let key = match SigningKey::from_pem_any(&key_name, &pem) {
        Ok(key) => key,
        Err(e) => return usage_error(&e.to_string()),
    };
    let jwks = keys::jwks([&key]);
    let jwks = serde_json::to_string_pretty(&jwks).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{}", key.public_pem().unwrap_or_default());
    let _ = writeln!(stdout, "{jwks}");
    ExitCode::from(EXIT_PASS)
}

pub fn selftest(args: &SelftestArgs) -> ExitCode {
    use crate::report::ReportFormat;

    if let Some(spec) = args
        .reports
        .iter()
        .find(|s| !matches!(s.format, ReportFormat::Markdown | ReportFormat::Json))
    {
        return usage_error(&format!("selftest writes md=FILE or json=FILE, not {spec}"));
    }
    let scenarios = match scenario::load_suite(&args.paths) {
        Ok(scenarios) => scenarios,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return usage_error(&e),
    };
    let jobs = args.jobs.unwrap_or_else(|| RunOptions::default().jobs);
    let report = runtime.block_on(crate::selftest::run(&scenarios, jobs, |fault, failing| {
        let mut out = std::io::stdout().lock();
        let _ = match fault {
            None if failing.is_empty() => {
                writeln!(out, "clean mock: all {} scenarios pass", scenarios.len())
            }
            None => writeln!(out, "clean mock: FAILING {}", failing.join(", ")),
            Some(fault) if failing.is_empty() => writeln!(out, "{:<32} UNCAUGHT", fault.name()),
            Some(fault) => writeln!(out, "{:<32} caught by {}", fault.name(), failing.join(", ")),
        };
    }));
    runtime.shutdown_background();
    let report = match report {
        Ok(report) => report,
        Err(e) => return usage_error(&e.to_string()),
    };
    let mut exit = if report.passed() {
        EXIT_PASS
    } else {
        EXIT_FAIL
    };
    for spec in &args.reports {
        let written = spec
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::File::create(&spec.path))
            .and_then(|file| {
                let mut out = std::io::BufWriter::new(file);
                match spec.format {
                    ReportFormat::Json => report.write_json(&mut out),
                    _ => report.write_markdown(&mut out),
                }
            });
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", spec.path.display());
            exit = EXIT_FAIL;
        }
    }
    let mut out = std::io::stdout().lock();
    for fact in report.uncited() {
        let _ = writeln!(out, "fact {} is cited by no scenario", fact.id);
    }
    let _ = writeln!(
        out,
        "{} faults: {} caught, {} uncaught; {} facts: {} uncited; clean run: {} failing",
        report.faults.len(),
        report.faults.len() - report.uncaught().count(),
        report.uncaught().count(),
        report.facts.len(),
        report.uncited().count(),
        report.clean_failures.len(),
    );
    ExitCode::from(exit)
}
