//! `run --bundle` and `tollgate verify`: what goes into an evidence bundle is
//! gathered here (from the arguments, the scenarios, the target and the run's
//! report); `crate::bundle` packs and checks it.

use std::io::Write;
use std::path::Path;

use super::outcome::{CommandError, CommandOutcome};
use super::{CommandResult, usage};
use crate::auth::keys::{KeyRing, SigningKey, read_pem_file};
use crate::bundle::about::{
    About, Build, BundledFile, KeyFingerprint, RunFacts, TargetFacts, TargetRead, Var,
};
use crate::bundle::sign::{SignKey, VerifyKey};
use crate::bundle::verify::{VerifyError, verify_bundle};
use crate::bundle::write::{BundleFile, write_bundle};
use crate::bundle::{FORMAT, paths, pem};
use crate::cli::{RunArgs, TargetArgs, VerifyArgs};
use crate::client::Clients;
use crate::client::manifest::{MANIFEST_PATH, read_manifest};
use crate::report::ReportFormat;
use crate::report::model::RunReport;
use crate::report::redact::{REDACTED, Redactor};
use crate::scenario::Scenario;
use crate::scenario::profile;

/// What a bundle needs from before the run: the signing key (read first, so a
/// bad one stops the run before anything is sent), the keys' fingerprints and
/// what the target said of itself.
#[derive(Debug)]
pub struct Plan {
    sign_key: Option<SignKey>,
    keys: Vec<KeyFingerprint>,
    target: TargetRead,
}

/// The plan for `args.bundle`, or none without `--bundle`.
pub fn prepare(
    args: &RunArgs,
    scenarios: &[Scenario],
    runtime: &tokio::runtime::Runtime,
) -> Result<Option<Plan>, CommandError> {
    if args.bundle.path.is_none() {
        return Ok(None);
    }
    let sign_key = match &args.bundle.sign_key {
        None => None,
        Some(path) => {
            let text = read_pem_file(path)
                .map_err(|e| usage(format!("cannot read --sign-key {}: {e}", path.display())))?;
            let key = SignKey::from_pem(&text)
                .map_err(|e| usage(format!("--sign-key {}: {e}", path.display())))?;
            Some(key)
        }
    };
    let mut keys = Vec::new();
    if let Some(key) = &sign_key {
        keys.push(fingerprint(
            "bundle signature",
            &path_text(args.bundle.sign_key.as_deref()),
            "Ed25519",
            Some(key.fingerprint()),
            None,
        ));
    }
    keys.extend(scenario_keys(scenarios));
    keys.extend(argument_keys(args));
    let target = runtime.block_on(read_target(&args.target));
    Ok(Some(Plan {
        sign_key,
        keys,
        target,
    }))
}

fn path_text(path: Option<&Path>) -> String {
    path.map(|p| p.display().to_string()).unwrap_or_default()
}

fn fingerprint(
    role: &str,
    name: &str,
    alg: &str,
    fingerprint: Option<String>,
    note: Option<String>,
) -> KeyFingerprint {
    KeyFingerprint {
        role: role.into(),
        name: name.into(),
        alg: alg.into(),
        fingerprint,
        note,
    }
}

/// Every `keys:` entry of the scenarios, once per file or name: a PEM key by
/// its public half's fingerprint, a key made per run or a shared secret by a
/// note only (a secret's hash would be a way to test guesses of it).
fn scenario_keys(scenarios: &[Scenario]) -> Vec<KeyFingerprint> {
    let mut found: Vec<KeyFingerprint> = Vec::new();
    for scenario in scenarios {
        for (name, spec) in &scenario.keys {
            let alg = spec.inner.alg.to_string();
            let entry = match &spec.inner.private_key {
                _ if spec.inner.secret.is_some() => fingerprint(
                    "scenario key",
                    name,
                    &alg,
                    None,
                    Some("a shared secret: it has no public half, and is not recorded".into()),
                ),
                None => fingerprint(
                    "scenario key",
                    name,
                    &alg,
                    None,
                    Some("made for the run and not kept".into()),
                ),
                Some(path) => {
                    let shown = format!("{name} ({})", path.display());
                    match KeyRing::from_specs([(name, &spec.inner)]) {
                        Ok(ring) => {
                            let print = ring
                                .keys()
                                .first()
                                .and_then(SigningKey::public_pem)
                                .and_then(pem::fingerprint_of_public_pem);
                            fingerprint("scenario key", &shown, &alg, print, None)
                        }
                        Err(e) => fingerprint(
                            "scenario key",
                            &shown,
                            &alg,
                            None,
                            Some(format!("not read: {e}")),
                        ),
                    }
                }
            };
            if !found.iter().any(|k| k.name == entry.name) {
                found.push(entry);
            }
        }
    }
    found
}

/// `--idp-key` by its public half, `--ca-cert` by its certificate's SHA-256.
fn argument_keys(args: &RunArgs) -> Vec<KeyFingerprint> {
    let mut found = Vec::new();
    if let Some(path) = &args.idp_loop.idp_key {
        let shown = path.display().to_string();
        let alg = format!("{:?}", args.idp_loop.idp_alg).to_uppercase();
        found.push(
            match super::idp_loop::signing_key(path, args.idp_loop.idp_alg, "--idp-key") {
                Ok(key) => fingerprint(
                    "--idp-key",
                    &shown,
                    &alg,
                    key.public_pem().and_then(pem::fingerprint_of_public_pem),
                    None,
                ),
                Err(e) => fingerprint(
                    "--idp-key",
                    &shown,
                    &alg,
                    None,
                    Some(format!("not read: {e}")),
                ),
            },
        );
    }
    if let Some(path) = &args.target.ca_cert {
        let read = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| pem::decode(&text));
        let shown = path.display().to_string();
        found.push(match read {
            Ok((label, der)) if label == "CERTIFICATE" => fingerprint(
                "--ca-cert",
                &shown,
                "X.509 certificate",
                Some(pem::fingerprint(&der)),
                None,
            ),
            Ok((label, _)) => fingerprint(
                "--ca-cert",
                &shown,
                "",
                None,
                Some(format!("a {label} block, not a CERTIFICATE")),
            ),
            Err(e) => fingerprint(
                "--ca-cert",
                &shown,
                "",
                None,
                Some(format!("not read: {e}")),
            ),
        });
    }
    found
}

/// What a real target's applinks manifest says of it (one request, no
/// credentials). Never an error: what cannot be read is `unknown`, and why.
async fn read_target(args: &TargetArgs) -> TargetRead {
    let from = format!("GET {MANIFEST_PATH}");
    let Some(url) = &args.url else {
        return TargetRead::unknown(
            &from,
            "not read: the target is the embedded mock (each scenario ran against its own)",
        );
    };
    let trust = match crate::session::given_trust(args.ca_cert.as_deref(), args.insecure) {
        Ok(trust) => trust,
        Err(e) => return TargetRead::unknown(&from, e.to_string()),
    };
    let clients = match Clients::shared(&trust) {
        Ok(clients) => clients,
        Err(e) => return TargetRead::unknown(&from, e.to_string()),
    };
    match read_manifest(&clients, url.trim_end_matches('/')).await {
        Err(why) => TargetRead::unknown(&from, why),
        Ok(facts) => {
            let known = |field: Option<String>| {
                field.unwrap_or_else(|| crate::bundle::about::UNKNOWN.into())
            };
            TargetRead {
                from,
                name: known(facts.name),
                type_id: known(facts.type_id),
                version: known(facts.version),
                build_number: known(facts.build_number),
                applinks_version: known(facts.applinks_version),
                note: None,
            }
        }
    }
}

/// The reports a bundle holds, rendered from the run's model whether or not
/// `--report` wrote them too.
const REPORTS: [(ReportFormat, &str); 4] = [
    (ReportFormat::Json, "reports/report.json"),
    (ReportFormat::Junit, "reports/junit.xml"),
    (ReportFormat::Markdown, "reports/report.md"),
    (ReportFormat::Html, "reports/report.html"),
];

/// Writes the bundle of `args.bundle.path`; says where on stdout, or why not on
/// stderr (a bundle that cannot be written exits as a report that cannot).
pub fn write(args: &RunArgs, plan: Plan, report: &RunReport) -> CommandOutcome {
    let Some(path) = &args.bundle.path else {
        return CommandOutcome::Passed;
    };
    let written = files(args, report).and_then(|(files, listed)| {
        let about = about(args, plan.keys, plan.target, report, listed);
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        write_bundle(path, &about, &files, plan.sign_key.as_ref(), now).map_err(|e| e.to_string())
    });
    match written {
        Ok(written) => {
            let signed = match &written.signed_by {
                Some(print) => format!("signed by {print}"),
                None => "unsigned: give --sign-key to sign it".into(),
            };
            let _ = writeln!(
                std::io::stdout(),
                "bundle: {} ({} files, {} bytes, {signed})",
                path.display(),
                written.files,
                written.bytes
            );
            CommandOutcome::Passed
        }
        Err(e) => super::outcome::report_not_written(path, format_args!("the bundle: {e}")),
    }
}

/// The reports, scenario files and profile file, and where each came from.
fn files(
    args: &RunArgs,
    report: &RunReport,
) -> Result<(Vec<BundleFile>, Vec<BundledFile>), String> {
    let mut files = Vec::new();
    let mut listed = Vec::new();
    for (format, name) in REPORTS {
        let mut bytes = Vec::new();
        format
            .write(report, &mut bytes)
            .map_err(|e| format!("cannot render the {format} report: {e}"))?;
        files.push(BundleFile {
            path: name.into(),
            bytes,
        });
        listed.push(BundledFile {
            path: name.into(),
            role: "report".into(),
            source: None,
        });
    }
    let suite = &report.certification.scenario_files;
    let sources: Vec<String> = suite.iter().map(|f| f.path.clone()).collect();
    for (file, bundled) in suite.iter().zip(paths::bundled_paths("suite", &sources)) {
        let bytes =
            std::fs::read(&file.path).map_err(|e| format!("cannot read {}: {e}", file.path))?;
        // The bundle must hold the bytes the run judged with, which the report hashed.
        if crate::bundle::sha256_hex(&bytes) != file.sha256 {
            return Err(format!("{} changed since the run read it", file.path));
        }
        files.push(BundleFile {
            path: bundled.clone(),
            bytes,
        });
        listed.push(BundledFile {
            path: bundled,
            role: "scenario".into(),
            source: Some(file.path.clone()),
        });
    }
    if let Some(name) = &args.profile {
        let source = profile::resolve(name);
        let bytes =
            std::fs::read(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        let shown = source.display().to_string();
        let bundled = paths::bundled_paths("profile", std::slice::from_ref(&shown)).remove(0);
        files.push(BundleFile {
            path: bundled.clone(),
            bytes,
        });
        listed.push(BundledFile {
            path: bundled,
            role: "profile".into(),
            source: Some(shown),
        });
    }
    Ok((files, listed))
}

fn about(
    args: &RunArgs,
    keys: Vec<KeyFingerprint>,
    read: TargetRead,
    report: &RunReport,
    files: Vec<BundledFile>,
) -> About {
    let (vars, redactor) = vars(&args.target);
    About {
        format: FORMAT.into(),
        tollgate: Build::current(),
        host: hostname(),
        run: RunFacts::of(report),
        target: TargetFacts {
            url: report.certification.target.clone(),
            described: args
                .bundle
                .describe_target
                .as_deref()
                .map(|d| redactor.text(d)),
            confluence_version_judged: report.certification.confluence_version.clone(),
            read,
        },
        vars,
        keys,
        files,
    }
}

/// `--var` and `--secret` for the bundle, and a redactor that knows every
/// secret among them (for the free text of `--describe-target`).
fn vars(args: &TargetArgs) -> (Vec<Var>, Redactor) {
    let mut redactor = Redactor::new();
    let mut vars = Vec::new();
    for (name, value) in &args.secrets {
        redactor.add_secret(value.clone());
        vars.push(Var {
            name: name.clone(),
            value: REDACTED.into(),
            given_as: "--secret".into(),
        });
    }
    for (name, value) in &args.vars {
        if crate::scenario::vars::names_a_secret(name) {
            redactor.add_secret(value.clone());
        }
    }
    for (name, value) in &args.vars {
        let shown = if crate::scenario::vars::names_a_secret(name) {
            REDACTED.to_string()
        } else {
            redactor.text(value)
        };
        vars.push(Var {
            name: name.clone(),
            value: shown,
            given_as: "--var".into(),
        });
    }
    (vars, redactor)
}

/// The machine's name: the kernel's, else the environment's, else `unknown`.
fn hostname() -> String {
    let from_file = |path: &str| std::fs::read_to_string(path).ok();
    from_file("/proc/sys/kernel/hostname")
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| crate::bundle::about::UNKNOWN.into())
}

/// `tollgate verify`: 0 when the bundle verifies, 1 when it does not, 2 when it
/// cannot be checked as asked (no bundle, no key for a signed one).
pub fn verify(args: &VerifyArgs) -> CommandResult {
    let shown = args.bundle.display();
    if !args.bundle.is_file() {
        return Err(usage(format!("{shown}: no such bundle file")));
    }
    let key = match &args.key {
        None => None,
        Some(path) => {
            let text = read_pem_file(path)
                .map_err(|e| usage(format!("cannot read --key {}: {e}", path.display())))?;
            Some(
                VerifyKey::from_pem(&text)
                    .map_err(|e| usage(format!("--key {}: {e}", path.display())))?,
            )
        }
    };
    match verify_bundle(&args.bundle, key.as_ref(), args.allow_unsigned) {
        Err(VerifyError::NeedsKey { signed_by }) => Err(usage(format!(
            "{shown} is signed by {signed_by}: give its public key with --key PUB.pem"
        ))),
        Err(VerifyError::Problems(problems)) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "error: {shown} does not verify:");
            for problem in problems {
                let _ = writeln!(err, "  {problem}");
            }
            Ok(CommandOutcome::Failed)
        }
        Ok(verified) => {
            let mut out = std::io::stdout().lock();
            let signed = match &verified.signed_by {
                Some(print) => format!("signed by {print}, the key given"),
                None => "UNSIGNED (--allow-unsigned): anyone could have written it".into(),
            };
            let _ = writeln!(
                out,
                "verified: {shown}: {} files match its manifest; {signed}",
                verified.files
            );
            for line in verified.about.summary_lines() {
                let _ = writeln!(out, "{line}");
            }
            Ok(CommandOutcome::Passed)
        }
    }
}

/// `keys gen NAME --alg Ed25519`: DIR/NAME.pem (PKCS#8, owner-readable) and
/// DIR/NAME.pub.pem (SPKI), the public half and its fingerprint printed.
pub fn keys_gen_ed25519(name: &str, out: &Path) -> CommandResult {
    let private = out.join(format!("{name}.pem"));
    let public = out.join(format!("{name}.pub.pem"));
    for path in [&private, &public] {
        if path.exists() {
            return Err(usage(format!(
                "{} exists; remove it first to make a new key",
                path.display()
            )));
        }
    }
    let (key, private_pem) = SignKey::generate().map_err(|e| usage(e.to_string()))?;
    let written = std::fs::create_dir_all(out)
        .and_then(|_| super::write_private(&private, &private_pem))
        .map_err(|e| (private.display().to_string(), e))
        .and_then(|_| {
            std::fs::write(&public, key.public_pem()).map_err(|e| (public.display().to_string(), e))
        });
    if let Err((path, e)) = written {
        return Err(usage(format!("cannot write {path}: {e}")));
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "wrote {} (Ed25519, signs bundles: keep it secret) and {} (its public half, for `tollgate verify --key`)\nfingerprint {}",
        private.display(),
        public.display(),
        key.fingerprint()
    );
    let _ = write!(stdout, "{}", key.public_pem());
    Ok(CommandOutcome::Passed)
}
