//! What each subcommand does. Each returns a [`CommandOutcome`] or a
//! [`CommandError`]; [`outcome::exit_code`] alone turns that into the exit code.

pub mod bundle;
mod idp_loop;
mod list;
pub mod load;
pub mod outcome;
pub mod schema;

use std::io::Write;

use crate::auth::keys::{self, Alg, SigningKey};
use crate::cli::{
    CheckArgs, CompletionsArgs, IdpArgs, KeyGenAlg, KeysCommand, MockArgs, RunArgs, SelftestArgs,
    TargetArgs,
};
use crate::report::console::{Console, color_wanted};
use crate::report::model::Outcome;
use crate::report::write_report_file;
use crate::run::{RunOptions, run_suite, select};
use crate::scenario;
use crate::scenario::profile::{self, Profile};
use crate::session::{Target, TargetOptions};
use outcome::{CommandError, CommandOutcome};

/// What a command returns: how it ended, or why it stopped.
pub type CommandResult = Result<CommandOutcome, CommandError>;

fn usage(message: impl Into<String>) -> CommandError {
    CommandError::Usage(message.into())
}

pub fn check(args: &CheckArgs) -> CommandResult {
    let scenarios = scenario::load_suite(&args.paths).map_err(CommandError::Diagnostics)?;
    let _ = writeln!(
        std::io::stdout(),
        "ok: {} scenario(s) are valid",
        scenarios.len()
    );
    Ok(CommandOutcome::Passed)
}

/// `tollgate completions SHELL`: the script on stdout, for the shell to source.
pub fn completions(args: &CompletionsArgs) -> CommandResult {
    let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
    let name = command.get_name().to_string();
    // Into memory first: clap_complete panics on a failed write, and a closed
    // pipe (`tollgate completions bash | head`) is no bug.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    let _ = std::io::stdout().write_all(&script);
    Ok(CommandOutcome::Passed)
}

/// `--target`, `--idp`, `--ca-cert`, `--insecure`, `--var` and `--secret` as
/// run and load take them.
fn target_options(args: &TargetArgs) -> Result<TargetOptions, CommandError> {
    if let Some(idp) = &args.idp {
        crate::session::refuse_userinfo("--idp", idp).map_err(|e| usage(e.to_string()))?;
    }
    Ok(TargetOptions {
        target: parse_target(args.url.as_deref())?,
        vars: given_vars(args),
        secrets: args
            .secrets
            .iter()
            .map(|(_, value)| value.clone())
            .collect(),
        idp: args.idp.clone(),
        ca_cert: args.ca_cert.clone(),
        insecure: args.insecure,
        allow_defaults: args.allow_defaults,
        confluence_version: args.confluence_version.clone(),
        setups: Vec::new(),
        idp_loop: None,
    })
}

/// With a real target, a credential nobody gave (the default of an unset
/// `${env:NAME:-default}`, which is the emulator's) is refused before anything is
/// sent, unless `--allow-defaults`: a CI job whose secret is missing must not send
/// `alice-pw` to staging without a word.
fn refuse_emulator_defaults(
    scenarios: &[scenario::Scenario],
    target: &TargetOptions,
) -> Result<(), CommandError> {
    if target.target == Target::Embedded || target.allow_defaults {
        return Ok(());
    }
    let mut lines = Vec::new();
    for scenario in scenarios {
        if scenario.only == Some(scenario::model::Only::Mock) {
            continue;
        }
        for found in scenario.defaulted_credentials(&target.vars) {
            lines.push(format!(
                "{}: {} is the default of ${{env:{}}}, which is not set",
                scenario.id.inner, found.place, found.env
            ));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    lines.dedup();
    Err(usage(format!(
        "a real target would receive credentials nobody gave:\n  {}\nset the environment variables (or --var), or pass --allow-defaults; nothing was sent",
        lines.join("\n  ")
    )))
}

/// `--secret` and `--var` values by name, `--secret` first: it wins over a
/// `--var` of the same name.
fn given_vars(args: &TargetArgs) -> Vec<(String, String)> {
    args.secrets.iter().chain(&args.vars).cloned().collect()
}

fn parse_target(target: Option<&str>) -> Result<Target, CommandError> {
    let Some(text) = target else {
        return Ok(Target::Embedded);
    };
    match crate::session::http_url(text) {
        Some(_) => {
            crate::session::refuse_userinfo("--target", text).map_err(|e| usage(e.to_string()))?;
            Ok(Target::Remote(text.to_string()))
        }
        None => Err(CommandError::NotAnHttpUrl {
            flag: "--target",
            text: text.to_string(),
        }),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CommandError::Runtime)
}

pub fn run(args: &RunArgs) -> CommandResult {
    if args.list {
        return list::list(args);
    }
    let mut target = target_options(&args.target)?;
    let profile = args.profile.as_deref().map(load_profile).transpose()?;
    target.setups = args.setups.clone();
    target.idp_loop = idp_loop::plan(&args.idp_loop)?;
    target.setups.extend(profile.as_ref().and_then(|p| p.setup));
    let scenarios = match &profile {
        None => select::select(
            scenario::load_suite(&args.paths).map_err(CommandError::Diagnostics)?,
            &selection(args),
        ),
        Some(profile) => {
            check_profile_vars(profile, args, &target.target)?;
            profile_suite(profile, args)?
        }
    };
    if scenarios.is_empty() {
        return Err(nothing_selected());
    }
    refuse_emulator_defaults(&scenarios, &target)?;
    let runtime = runtime()?;
    let bundle_plan = bundle::prepare(args, &scenarios, &runtime)?;
    let options = RunOptions {
        target,
        jobs: args.jobs.unwrap_or_else(|| RunOptions::default().jobs),
        fail_fast: args.fail_fast,
        profile: profile.map(|p| p.name.inner),
        strict: args.strict,
    };
    let console = Console::new(color_wanted()).verbose(args.verbose);
    let report = runtime.block_on(run_suite(scenarios, &options, |finished| {
        let _ = console.scenario_finished(&mut std::io::stdout().lock(), finished);
    }));
    // Stop the embedded mocks' leftover tasks now rather than at exit.
    runtime.shutdown_background();
    let report = report.map_err(|e| CommandError::Usage(e.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    let warned_strictly = args.strict && report.counts.warned > 0;
    let mut outcome =
        CommandOutcome::passed_if(report.outcome() <= Outcome::Skip && !warned_strictly);
    for spec in &args.reports {
        if let Err(e) = write_report_file(spec, &report) {
            outcome = outcome.and(outcome::report_not_written(&spec.path, e));
        }
    }
    if let Some(plan) = bundle_plan {
        outcome = outcome.and(bundle::write(args, plan, &report));
    }
    let _ = console.summary(&mut stdout, &report);
    Ok(outcome)
}

/// `--profile NAME`: the profile file, or a usage error naming the profiles there are.
fn load_profile(name: &str) -> Result<Profile, CommandError> {
    let path = profile::resolve(name);
    if !path.is_file() {
        let available = profile::available(std::path::Path::new(profile::PROFILE_DIR));
        let list = if available.is_empty() {
            format!("none in ./{}", profile::PROFILE_DIR)
        } else {
            available.join(", ")
        };
        return Err(usage(format!(
            "no profile '{name}' ({} does not exist); available profiles: {list}",
            path.display()
        )));
    }
    profile::load_file(&path).map_err(CommandError::Diagnostics)
}

/// `--tag`, `--exclude-tag` and `--id`.
fn selection(args: &RunArgs) -> select::Selection<'_> {
    select::Selection {
        tags: &args.tags,
        exclude_tags: &args.exclude_tags,
        ids: &args.ids,
    }
}

fn nothing_selected() -> CommandError {
    usage("no scenario matches the given paths, --tag, --exclude-tag and --id")
}

/// Against a real target, every var `profile` requires must be given first: a
/// run with a default credential would fail for the wrong reason, after
/// requests were sent.
fn check_profile_vars(
    profile: &Profile,
    args: &RunArgs,
    target: &Target,
) -> Result<(), CommandError> {
    let real_env = |name: &str| std::env::var(name).ok();
    if matches!(target, Target::Remote(_)) {
        let missing = profile.missing_vars(&given_vars(&args.target), &real_env);
        if !missing.is_empty() {
            return Err(CommandError::MissingVars {
                profile: profile.name.inner.clone(),
                vars: missing.into_iter().cloned().collect(),
            });
        }
    }
    Ok(())
}

/// The suite under `args.paths`, cut to exactly `profile`'s scenarios.
fn profile_suite(
    profile: &Profile,
    args: &RunArgs,
) -> Result<Vec<scenario::Scenario>, CommandError> {
    let real_env = |name: &str| std::env::var(name).ok();
    // A required var given with --var also fills `${env:ENV}` in the files.
    let overrides = profile.env_overrides(&given_vars(&args.target));
    let env = |name: &str| {
        overrides
            .iter()
            .find(|(env, _)| env == name)
            .map(|(_, value)| value.clone())
            .or_else(|| real_env(name))
    };
    let suite =
        scenario::load_suite_with_env(&args.paths, &env).map_err(CommandError::Diagnostics)?;
    select::select_profile(suite, profile).map_err(CommandError::Diagnostics)
}

pub fn mock(args: &MockArgs) -> CommandResult {
    let file = mock_file(args.config.as_deref())?;
    let keys = key_ring(&file)?;
    let mut config = file.config;
    config.tls |= args.tls;
    if config.tls {
        let written = crate::mock::tls::ca().map_err(String::from).and_then(|ca| {
            if let Some(parent) = args.ca_out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&args.ca_out, ca.cert_pem()).map_err(|e| e.to_string())
        });
        if let Err(e) = written {
            return Err(usage(format!(
                "cannot write the mock CA to {}: {e}",
                args.ca_out.display()
            )));
        }
    }
    let runtime = runtime()?;
    runtime.block_on(async {
        let running = crate::mock::start_on_with_keys(&config, args.bind, keys.keys())
            .await
            .map_err(|e| usage(format!("cannot listen on {}: {e}", args.bind)))?;
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
        drop(out);
        until_ctrl_c().await;
        running.shutdown().await;
        Ok(CommandOutcome::Passed)
    })
}

/// Says how to stop a server started in the foreground, then waits for Ctrl-C.
async fn until_ctrl_c() {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "press Ctrl-C to stop");
    let _ = out.flush();
    drop(out);
    let _ = tokio::signal::ctrl_c().await;
}

/// `--config FILE` of `tollgate mock` and `tollgate idp`: a scenario or a mock
/// file, or the defaults.
fn mock_file(config: Option<&std::path::Path>) -> Result<scenario::MockFile, CommandError> {
    match config {
        None => Ok(scenario::MockFile::default()),
        Some(path) => scenario::load_mock_file(path).map_err(CommandError::Diagnostics),
    }
}

/// The key ring of a mock file's `keys:`.
fn key_ring(file: &scenario::MockFile) -> Result<keys::KeyRing, CommandError> {
    keys::KeyRing::from_specs(file.keys.iter().map(|(name, spec)| (name, &spec.inner)))
        .map_err(|e| usage(e.to_string()))
}

/// `tollgate idp`: the identity provider alone, until Ctrl-C.
pub fn idp(args: &IdpArgs) -> CommandResult {
    let mut file = mock_file(args.config.as_deref())?;
    if let Some(public) = &args.public_url {
        if crate::session::http_url(public).is_none() {
            return Err(usage(format!(
                "--public-url '{public}' is not an http(s) URL such as https://idp.example.com"
            )));
        }
    }
    let mut keys = key_ring(&file)?.keys().to_vec();
    if let Some(path) = &args.key {
        let key = idp_loop::signing_key(path, args.alg, "--key")?;
        file.config.idp.signing_key = Some(key.name().to_owned());
        keys.push(key);
    }
    let runtime = runtime()?;
    runtime.block_on(async {
        let running = crate::mock::idp_server::start_idp_on(
            &file.config,
            args.listen,
            &keys,
            args.public_url.as_deref(),
        )
        .await
        .map_err(|e| {
            usage(format!(
                "cannot serve the identity provider on {}: {e}",
                args.listen
            ))
        })?;
        // The first line is for scripts: it ends with the URL.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "identity provider listening on http://{} as {}",
            running.local_addr(),
            running.url()
        );
        drop(out);
        until_ctrl_c().await;
        running.shutdown().await;
        Ok(CommandOutcome::Passed)
    })
}

pub fn keys(command: &KeysCommand) -> CommandResult {
    match command {
        KeysCommand::Gen { name, alg, out } => keys_gen(name, *alg, out),
        KeysCommand::Export { name, dir } => keys_export(name, dir),
    }
}

fn keys_gen(name: &str, alg: KeyGenAlg, out: &std::path::Path) -> CommandResult {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(usage(format!(
            "key name '{name}' may hold only letters, digits, '-' and '_'"
        )));
    }
    let alg = match alg {
        KeyGenAlg::Ed25519 => return bundle::keys_gen_ed25519(name, out),
        KeyGenAlg::Jwt(alg) => alg,
    };
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
            Err(e) => return Err(usage(e.to_string())),
        }
    };
    if path.exists() {
        return Err(usage(format!(
            "{} exists; remove it first to make a new key",
            path.display()
        )));
    }
    if let Err(e) = std::fs::create_dir_all(out).and_then(|_| write_private(&path, &contents)) {
        return Err(usage(format!("cannot write {}: {e}", path.display())));
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
    Ok(CommandOutcome::Passed)
}

/// Writes a private key readable by its owner only.
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

fn keys_export(name: &str, dir: &std::path::Path) -> CommandResult {
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
    let pem = keys::read_pem_file(&path).map_err(|e| {
        usage(format!(
            "cannot read {}: {e} (HS256 secrets have no public half)",
            path.display()
        ))
    })?;
    let key = SigningKey::from_pem_any(&key_name, &pem).map_err(|e| usage(e.to_string()))?;
    let jwks = keys::jwks([&key]);
    let jwks = serde_json::to_string_pretty(&jwks).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{}", key.public_pem().unwrap_or_default());
    let _ = writeln!(stdout, "{jwks}");
    Ok(CommandOutcome::Passed)
}

pub fn selftest(args: &SelftestArgs) -> CommandResult {
    use crate::report::ReportFormat;

    if let Some(spec) = args
        .reports
        .iter()
        .find(|s| !matches!(s.format, ReportFormat::Markdown | ReportFormat::Json))
    {
        return Err(usage(format!(
            "selftest writes md=FILE or json=FILE, not {spec}"
        )));
    }
    let scenarios = scenario::load_suite(&args.paths).map_err(CommandError::Diagnostics)?;
    let runtime = runtime()?;
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
    let report = report.map_err(|e| CommandError::Usage(e.to_string()))?;
    let mut outcome = CommandOutcome::passed_if(report.passed());
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
            outcome = outcome.and(outcome::report_not_written(&spec.path, e));
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
    Ok(outcome)
}
