//! Command-line definitions (clap) only; [`crate::commands`] carries them out.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod help;

use help::{
    COMPLETIONS_AFTER_HELP, SCHEMA_AFTER_HELP, load_after_help, merge_after_help, run_after_help,
    selftest_after_help,
};

use crate::load::shard::ShardSpec;
use crate::report::ReportSpec;
use crate::report::redact::{REDACTED, Redactor};
use crate::scenario::mock_config::Fault;
use crate::scenario::model::Setup;
use crate::scenario::version::ConfluenceVersion;

#[derive(Debug, Parser)]
#[command(
    name = "tollgate",
    version,
    about = "Conformance and load-testing harness for Confluence REST API authentication"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios against the embedded mock (default) or a real target.
    #[command(after_help = run_after_help())]
    Run(RunArgs),
    /// Validate scenario files; send nothing.
    Check(CheckArgs),
    /// Prove the suite catches a non-conforming server: run it against the mock
    /// clean and once per fault, and check every fact is cited.
    #[command(after_help = selftest_after_help())]
    Selftest(SelftestArgs),
    /// Drive a scenario under load (goose) and report throughput and latency per
    /// step, judged by thresholds; or, with --compare, the auth cost table.
    #[command(after_help = load_after_help())]
    Load(LoadArgs),
    /// Add up load reports (goose JSON reports or summaries) from several machines
    /// or shards, and judge the thresholds on the sum.
    #[command(after_help = merge_after_help())]
    Merge(MergeArgs),
    /// Serve the mock Confluence until Ctrl-C.
    Mock(MockArgs),
    /// Serve the identity provider alone (OpenID discovery, JWKS, token,
    /// introspection, userinfo, revocation, Crowd's SSO session service) until
    /// Ctrl-C: for a real Confluence's plugin or Crowd client to be pointed at.
    Idp(IdpArgs),
    /// Signing keys and their public halves (PEM, JWKS) for a real server's admin.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check an evidence bundle (`run --bundle`): its signature, every file's
    /// hash, nothing added or missing; print what it certifies. Exit 0 when it
    /// verifies, 1 when it does not (each problem named), 2 on a usage error.
    Verify(VerifyArgs),
    /// Print a JSON Schema: of scenario files (default), profiles or the JSON
    /// run report, for editors and scripts.
    #[command(after_help = SCHEMA_AFTER_HELP)]
    Schema(SchemaArgs),
    /// Print the completion script of a shell, to be sourced by it.
    #[command(after_help = COMPLETIONS_AFTER_HELP)]
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which file's schema.
    #[arg(long, value_enum, default_value = "scenario")]
    pub kind: SchemaKind,
}

/// The files tollgate reads or writes that have a JSON Schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// A scenario file (scenarios/**/*.yaml).
    Scenario,
    /// A certification profile (profiles/*.yaml).
    Profile,
    /// The JSON run report (`run --report json=FILE`).
    Report,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell whose script to print.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a key and write it to DIR/NAME.pem (HS256: DIR/NAME.secret).
    ///
    /// The private key is written readable by its owner only, and never over an
    /// existing file; its public half is printed as PEM (`keys export` prints it
    /// as a JWKS too). A scenario names the file under `keys:` (`private_key:`),
    /// `tollgate idp --key` and `run --idp-key` take it as the IdP's signing key.
    #[command(after_help = "Examples:
  tollgate keys gen ci-plugin                  # fixtures/keys/ci-plugin.pem, RS256
  tollgate keys gen edge --alg ES256 --out keys/
  tollgate keys gen connect --alg HS256        # fixtures/keys/connect.secret")]
    Gen {
        /// The key's name: its file's, and the `kid` of `keys export`'s JWKS.
        /// Letters, digits, '-' and '_'.
        name: String,
        /// RS256, ES256 or HS256 (JWT signing keys), or Ed25519 (signs evidence
        /// bundles: DIR/NAME.pem and its public half DIR/NAME.pub.pem).
        #[arg(long, default_value = "RS256")]
        alg: KeyGenAlg,
        /// The folder to write the key in (made if missing).
        #[arg(long, value_name = "DIR", default_value = "fixtures/keys")]
        out: PathBuf,
    },
    /// Print the public half of DIR/NAME.pem as PEM and as a JWKS.
    Export {
        /// A key name (read from DIR/NAME.pem) or a path to a PEM file.
        name: String,
        #[arg(long, value_name = "DIR", default_value = "fixtures/keys")]
        dir: PathBuf,
    },
}

/// What `keys gen --alg` makes: a JWT signing key, or an Ed25519 key that signs
/// evidence bundles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyGenAlg {
    Jwt(crate::auth::keys::Alg),
    Ed25519,
}

impl std::str::FromStr for KeyGenAlg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if text.eq_ignore_ascii_case("ed25519") {
            return Ok(KeyGenAlg::Ed25519);
        }
        text.parse()
            .map(KeyGenAlg::Jwt)
            .map_err(|_| format!("'{text}' is not one of RS256, ES256, HS256, Ed25519"))
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle (FILE.tar.gz) `run --bundle` wrote.
    pub bundle: PathBuf,
    /// The signer's public key (SPKI PEM, the .pub.pem of `keys gen --alg Ed25519`).
    #[arg(long, value_name = "PUB.pem", conflicts_with = "allow_unsigned")]
    pub key: Option<PathBuf>,
    /// Accept a bundle written without --sign-key (its hashes are checked, but
    /// they prove nothing about who wrote it).
    #[arg(long)]
    pub allow_unsigned: bool,
}

/// Where requests go and what they may use: shared by `run` and `load`.
#[derive(Args)]
pub struct TargetArgs {
    /// Base URL of a real Confluence; without it, the embedded mock.
    #[arg(long = "target", value_name = "URL")]
    pub url: Option<String>,
    /// Base URL of the identity provider a real target trusts [default: the embedded one, or the target].
    #[arg(long, value_name = "URL")]
    pub idp: Option<String>,
    /// Trust this CA certificate (PEM) besides the system's, e.g. a staging server's.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub ca_cert: Option<PathBuf>,
    /// Accept any TLS certificate. For a throwaway staging server only.
    #[arg(long)]
    pub insecure: bool,
    /// Set a variable, overriding the scenario's own (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = VarParser("--var"))]
    pub vars: Vec<(String, String)>,
    /// Set a variable whose value is secret: like --var, and the value is
    /// `[redacted]` in every output (repeatable).
    #[arg(long = "secret", value_name = "NAME=VALUE", value_parser = VarParser("--secret"))]
    pub secrets: Vec<(String, String)>,
    /// With --target, send credentials that are the default of an unset
    /// `${env:NAME:-default}` (the emulator's) instead of refusing to start.
    #[arg(long)]
    pub allow_defaults: bool,
    /// The target's Confluence version (e.g. 8.5.4), which `requires:` is judged
    /// against [default: read from a real target's /rest/applinks/1.0/manifest;
    /// the embedded mock plays the newest version it emulates].
    #[arg(long, value_name = "VERSION")]
    pub confluence_version: Option<ConfluenceVersion>,
}

/// A `--var` value is often a credential: Debug shows the names only, and the
/// target without its userinfo password.
impl std::fmt::Debug for TargetArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redactor = Redactor::new();
        let names = |vars: &[(String, String)]| -> Vec<String> {
            vars.iter()
                .map(|(name, _)| format!("{name}={REDACTED}"))
                .collect()
        };
        f.debug_struct("TargetArgs")
            .field("url", &self.url.as_deref().map(|u| redactor.url(u)))
            .field("idp", &self.idp.as_deref().map(|u| redactor.url(u)))
            .field("ca_cert", &self.ca_cert)
            .field("insecure", &self.insecure)
            .field("vars", &names(&self.vars))
            .field("secrets", &names(&self.secrets))
            .field("allow_defaults", &self.allow_defaults)
            .field("confluence_version", &self.confluence_version)
            .finish()
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or folders (searched recursively for *.yaml, *.yml).
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Run only scenarios with this tag (repeatable; any matches).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Leave out scenarios with this tag (repeatable; wins over --tag and --id).
    #[arg(long = "exclude-tag", value_name = "TAG")]
    pub exclude_tags: Vec<String>,
    /// Print what would run (ids, titles) and what would be skipped and why; send
    /// nothing, start nothing, write no report. Exits 2 where the run would stop
    /// before sending (e.g. a missing credential).
    #[arg(long)]
    pub list: bool,
    /// Run only the scenario with this id (repeatable).
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<String>,
    /// Run exactly a certification profile's scenarios: profiles/NAME.yaml, or a
    /// path. With --target, its required vars must be given first.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["tags", "ids", "exclude_tags"])]
    pub profile: Option<String>,
    /// Also write a report: junit=FILE, json=FILE, md=FILE or html=FILE (repeatable).
    #[arg(long = "report", value_name = "FORMAT=FILE")]
    pub reports: Vec<ReportSpec>,
    /// Scenarios run at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Start no more scenarios after the first that fails or errors.
    #[arg(long)]
    pub fail_fast: bool,
    /// Hold the target to `expect.should` too: a scenario that passed with
    /// warnings fails the run (exit 1) and the verdict.
    #[arg(long)]
    pub strict: bool,
    /// Show every check of every step on the console, passed or not, with what
    /// was expected, what came and where the check is written.
    #[arg(long)]
    pub verbose: bool,
    /// With --target: the target is set up for NAME (docs/profiles.md), so the
    /// scenarios that require it run (repeatable; --profile says its own). One of
    /// tollgate-idp, oauth-introspection, oauth-userinfo, jwt-public-key,
    /// crowd-sso, rate-limit, plugin-rate-limit, plugin-policies.
    #[arg(long = "setup", value_name = "NAME", value_parser = parse_setup)]
    pub setups: Vec<Setup>,
    #[command(flatten)]
    pub idp_loop: IdpLoopArgs,
    #[command(flatten)]
    pub bundle: BundleArgs,
}

/// `run --bundle`: the signed evidence bundle (docs/bundle.md).
#[derive(Debug, Args)]
pub struct BundleArgs {
    /// Also write an evidence bundle: every report, the scenario and profile
    /// files, what the target is, tollgate's build, and a manifest of SHA-256s,
    /// signed with --sign-key. Check it with `tollgate verify`.
    #[arg(long = "bundle", value_name = "FILE.tar.gz")]
    pub path: Option<PathBuf>,
    /// Sign the bundle's manifest with this Ed25519 private key (PKCS#8 PEM, from
    /// `tollgate keys gen NAME --alg Ed25519`) [default: unsigned].
    #[arg(long, value_name = "FILE", requires = "path")]
    pub sign_key: Option<PathBuf>,
    /// What the target is, in words, for the bundle: e.g. 'Confluence 9.2.3,
    /// Acme OAuth 4.1'. tollgate adds what the target says of itself.
    #[arg(long, value_name = "TEXT", requires = "path")]
    pub describe_target: Option<String>,
}

fn parse_setup(text: &str) -> Result<Setup, String> {
    text.parse()
}

/// tollgate's identity provider and Crowd service in the loop of a run against
/// a real target (issue 13): the target's plugin or Crowd client asks it, and
/// tollgate moves its state and reads what it was asked.
#[derive(Debug, Args)]
pub struct IdpLoopArgs {
    /// Serve tollgate's identity provider and Crowd service on ADDR for the whole
    /// run, where the target can reach it (e.g. 0.0.0.0:8091); each scenario
    /// sets its users, clients and token lifetimes.
    #[arg(long, value_name = "ADDR")]
    pub idp_listen: Option<SocketAddr>,
    /// What the IdP calls itself (issuer, discovery, JWKS and introspection URLs)
    /// when a proxy or NAT stands between it and the target [default: http(s)://ADDR].
    #[arg(long, value_name = "URL", requires = "idp_listen")]
    pub idp_public_url: Option<String>,
    /// The IdP's signing key (PKCS#8 PEM, e.g. from `tollgate keys gen`), so the
    /// JWKS the target caches stays the same across runs [default: made at start].
    #[arg(long, value_name = "FILE", requires = "idp_listen")]
    pub idp_key: Option<PathBuf>,
    /// The algorithm of --idp-key.
    #[arg(long, value_enum, default_value = "rs256", requires = "idp_key")]
    pub idp_alg: KeyAlg,
    /// Serve the IdP over HTTPS with a certificate from a CA made at start; the
    /// CA's certificate is written to FILE for the target's truststore.
    #[arg(
        long,
        value_name = "FILE",
        requires = "idp_listen",
        conflicts_with = "idp_tls_cert"
    )]
    pub idp_tls_ca_out: Option<PathBuf>,
    /// Serve the IdP over HTTPS with this certificate chain (PEM) and --idp-tls-key.
    #[arg(long, value_name = "FILE", requires_all = ["idp_listen", "idp_tls_key"])]
    pub idp_tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --idp-tls-cert.
    #[arg(long, value_name = "FILE", requires = "idp_tls_cert")]
    pub idp_tls_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["scenario", "compare"])))]
pub struct LoadArgs {
    /// The scenario to drive (its `load:` block gives the defaults).
    pub scenario: Option<PathBuf>,
    /// Run every scenario in DIR in turn under the same load and print one table:
    /// req/s and latency per flow and its cost over `anonymous.yaml`.
    #[arg(long, value_name = "DIR", conflicts_with = "scenario")]
    pub compare: Option<PathBuf>,
    /// With --compare: measured rounds of each flow, interleaved across flows;
    /// the table shows each flow's median and its range [default: 1].
    // Options without a default, so `load` can refuse them without --compare
    // (clap's `requires` is met by another member of the `what` group).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: Option<u32>,
    /// With --compare: how long each flow runs unmeasured before each measured
    /// run [default: 2s].
    #[arg(long, value_name = "TIME", value_parser = humantime::parse_duration)]
    pub warm_up: Option<std::time::Duration>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Concurrent virtual users [default: load.users, else 8].
    #[arg(long, value_name = "N")]
    pub users: Option<usize>,
    /// Users started per second [default: load.increase_rate, else all at once].
    #[arg(long, value_name = "RATE")]
    pub increase_rate: Option<f64>,
    /// How long the load runs, e.g. 30s or 2m [default: load.run_time, else 30s].
    #[arg(long, value_name = "TIME", value_parser = humantime::parse_duration)]
    pub run_time: Option<std::time::Duration>,
    /// Each user runs the steps N times, then stops (with --run-time, whichever ends first).
    #[arg(long, value_name = "N")]
    pub iterations: Option<usize>,
    /// The open model: start iterations at this rate whatever the latency, e.g.
    /// 500/s, 30000/m, or a ramp 100/s..2000/s (over --over, else the whole
    /// run). Latency counts from when each iteration was due; iterations the
    /// users could not start on time are reported late or dropped. --users is
    /// the pool [default: enough for 250 ms per iteration at the peak rate].
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub rate: Option<crate::load::arrival::RateSpec>,
    /// With a ramped --rate: how long the ramp takes; the last rate holds
    /// after it until the run ends [default: the whole run].
    #[arg(long, value_name = "TIME", value_parser = humantime::parse_duration, requires = "rate")]
    pub over: Option<std::time::Duration>,
    /// At most this many requests per second over all users; turns on
    /// coordinated-omission mitigation.
    #[arg(long, value_name = "RPS")]
    pub throttle: Option<usize>,
    /// A pass/fail rule in goose's syntax, e.g. 'p99<50ms', 'error-rate<1%',
    /// 'rps>=1000' (repeatable; replaces load.thresholds). A breach exits 1.
    #[arg(long = "threshold", value_name = "RULE")]
    pub thresholds: Vec<String>,
    /// Judge thresholds only when the run ends, instead of stopping it at the
    /// first breach (checked each second once all users run).
    #[arg(long)]
    pub no_threshold_abort: bool,
    /// Write a report: FILE.html (self-contained, with plots), FILE.json (the
    /// summary `tollgate merge` reads; docs/load-report.schema.json) or FILE.md
    /// (repeatable); with --baseline, each shows the change. With --compare:
    /// the cost table in that format, and each flow's report as FILE-FLOW.EXT.
    #[arg(long = "report", alias = "report-file", value_name = "FILE")]
    pub reports: Vec<PathBuf>,
    /// Coordinated-omission mitigation [default: average with --throttle, else disabled].
    #[arg(long, value_enum, value_name = "MODE")]
    pub co_mitigation: Option<crate::load::plan::CoMitigation>,
    /// An earlier run's JSON report (or a merged one): the console and every
    /// report show, per step, the change in req/s, p50, p99, p99.9 and error rate.
    #[arg(
        long,
        alias = "baseline-file",
        value_name = "FILE.json",
        conflicts_with = "compare"
    )]
    pub baseline: Option<PathBuf>,
    /// Switch on a fault in the embedded mock, e.g. slow_auth (repeatable).
    #[arg(long = "fault", value_name = "NAME", value_parser = parse_fault)]
    pub faults: Vec<Fault>,
    /// Run shard I of N (from 0): its share of the users and the throttle, the
    /// remainder going to the lowest indices. auto/N reads I from
    /// JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). Add the shards' JSON
    /// reports up with `tollgate merge`, which judges the thresholds on the sum.
    #[arg(long, value_name = "I/N", conflicts_with = "compare", value_parser = parse_shard)]
    pub shard: Option<ShardSpec>,
    /// Start sending at TIME, so that shards start together: RFC 3339
    /// (2026-01-01T12:00:00Z) or +DURATION from now (+30s); at most 1h ahead,
    /// at most 5s past.
    #[arg(long, value_name = "TIME", value_parser = crate::load::shard::parse_start_at_now)]
    pub start_at: Option<std::time::SystemTime>,
    /// No live progress lines on stderr (each second, per iteration step: req/s,
    /// errors, p50 and p99 of that second).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn parse_rate(text: &str) -> Result<crate::load::arrival::RateSpec, String> {
    text.parse()
}

fn parse_shard(text: &str) -> Result<ShardSpec, String> {
    text.parse()
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Load reports: goose JSON reports (`tollgate load --report x.json`) or merged
    /// summaries (`tollgate merge --report x.json`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the merged summary: FILE.json (mergeable again), FILE.md or FILE.html (repeatable).
    #[arg(long = "report", value_name = "FILE")]
    pub reports: Vec<PathBuf>,
    /// A pass/fail rule judged on the merged runs, in `load.thresholds` syntax,
    /// e.g. 'p99<50ms' (repeatable; replaces the thresholds the runs carried).
    /// A breach exits 1.
    #[arg(long = "threshold", value_name = "RULE")]
    pub thresholds: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SelftestArgs {
    /// Scenario files or folders.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Also write the matrix: md=FILE or json=FILE (repeatable).
    #[arg(long = "report", value_name = "FORMAT=FILE")]
    pub reports: Vec<ReportSpec>,
    /// Scenarios run at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files or folders.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MockArgs {
    /// A scenario (its `mock:` block is used) or a YAML file holding a mock configuration.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on; the identity provider listens on the next port.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub bind: SocketAddr,
    /// Serve HTTPS with a certificate from a CA made at start; the CA is written to --ca-out.
    #[arg(long)]
    pub tls: bool,
    /// Where `--tls` writes the CA certificate for clients (`tollgate run --ca-cert`).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "reports/tollgate-mock-ca.pem"
    )]
    pub ca_out: PathBuf,
}

#[derive(Debug, Args)]
pub struct IdpArgs {
    /// A scenario (its `mock.idp` block and `keys:` are used) or a mock
    /// configuration file: clients, users, token lifetimes and format.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8091")]
    pub listen: SocketAddr,
    /// The signing key (PKCS#8 PEM, e.g. from `tollgate keys gen`): the JWKS and
    /// every token stay the same across restarts, so a plugin is configured once.
    /// Without it, the configuration's `idp.signing_key`, else a fresh key.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The algorithm of --key.
    #[arg(long, value_enum, default_value = "rs256", requires = "key")]
    pub alg: KeyAlg,
    /// What the IdP calls itself (issuer, discovery and JWKS URLs) when a proxy
    /// or NAT stands between it and Confluence [default: http://LISTEN].
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

/// The algorithms an IdP signing key may be for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyAlg {
    Rs256,
    Es256,
}

/// Why an argument's value was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    #[error("unknown fault '{name}'; known: {}", known_faults())]
    UnknownFault { name: String },
    /// No `=` at all, so nothing in it is a value.
    #[error("'{0}' is not NAME=VALUE")]
    NoEquals(String),
    /// What follows `=` may be a credential: it is not shown.
    #[error("'={REDACTED}' is not NAME=VALUE: the name is empty")]
    EmptyName,
}

fn known_faults() -> String {
    let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
    names.join(", ")
}

fn parse_fault(text: &str) -> Result<Fault, ArgError> {
    Fault::ALL
        .iter()
        .find(|f| f.name() == text)
        .copied()
        .ok_or_else(|| ArgError::UnknownFault {
            name: text.to_string(),
        })
}

fn parse_var(text: &str) -> Result<(String, String), ArgError> {
    match text.split_once('=') {
        Some(("", _)) => Err(ArgError::EmptyName),
        Some((name, value)) => Ok((name.to_string(), value.to_string())),
        None => Err(ArgError::NoEquals(text.to_string())),
    }
}

/// `--var NAME=VALUE` and `--secret NAME=VALUE` (the flag's name is kept for
/// the message). clap's own message for a refused value quotes the value whole;
/// this one says only what [`ArgError`] shows.
#[derive(Clone)]
struct VarParser(&'static str);

impl clap::builder::TypedValueParser for VarParser {
    type Value = (String, String);

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let refuse = |message: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!(
                    "invalid value for '{} <NAME=VALUE>': {message}\n\n\
                     For more information, try '--help'.\n",
                    self.0
                ),
            )
            .with_cmd(cmd)
        };
        let text = value
            .to_str()
            .ok_or_else(|| refuse("not valid UTF-8".into()))?;
        parse_var(text).map_err(|e| refuse(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_var_is_split_at_its_first_equals_sign() {
        assert_eq!(
            parse_var("token=a=b"),
            Ok(("token".to_string(), "a=b".to_string()))
        );
        assert_eq!(
            parse_var("password"),
            Err(ArgError::NoEquals("password".into()))
        );
        assert_eq!(parse_var("=Hunter2-secret"), Err(ArgError::EmptyName));
    }

    #[test]
    fn a_refused_var_does_not_show_its_value() {
        let refused = Cli::try_parse_from(["tollgate", "run", "--var", "=Hunter2-secret"]);
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("the name is empty"), "{message}");
        assert!(!message.contains("Hunter2-secret"), "{message}");
    }

    #[test]
    fn debug_of_the_arguments_hides_var_values_and_url_passwords() {
        let cli = Cli::try_parse_from([
            "tollgate",
            "run",
            "--target",
            "https://admin:Url-secret@confluence.example.com",
            "--var",
            "password=Hunter2-secret",
            "--secret",
            "ticket=Cli-secret-value",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        assert!(shown.contains("password="), "{shown}");
        assert!(shown.contains("ticket="), "{shown}");
        assert!(!shown.contains("Hunter2-secret"), "{shown}");
        assert!(!shown.contains("Url-secret"), "{shown}");
        assert!(!shown.contains("Cli-secret-value"), "{shown}");
    }

    #[test]
    fn secret_is_repeatable_for_run_and_load_and_hides_a_refused_value() {
        for command in ["run", "load"] {
            let cli = Cli::try_parse_from([
                "tollgate", command, "x.yaml", "--secret", "a=1=2", "--secret", "b=c",
            ])
            .unwrap();
            let target = match cli.command {
                Command::Run(args) => args.target,
                Command::Load(args) => args.target,
                _ => unreachable!(),
            };
            let expected = [
                ("a".to_string(), "1=2".to_string()),
                ("b".into(), "c".into()),
            ];
            assert_eq!(target.secrets, expected);
        }
        let refused = Cli::try_parse_from(["tollgate", "run", "--secret", "=Hunter2-secret"]);
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("'--secret <NAME=VALUE>'"), "{message}");
        assert!(!message.contains("Hunter2-secret"), "{message}");
    }

    #[test]
    fn the_definitions_hold_together() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn exclude_tag_is_repeatable_and_list_is_a_run_flag() {
        let cli = Cli::try_parse_from([
            "tollgate",
            "run",
            "--exclude-tag",
            "slow",
            "--exclude-tag",
            "plugin",
            "--list",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            unreachable!()
        };
        assert_eq!(args.exclude_tags, ["slow", "plugin"]);
        assert!(args.list);
        // A certification run must not quietly run less than its profile.
        let refused =
            Cli::try_parse_from(["tollgate", "run", "--profile", "pat", "--exclude-tag", "x"]);
        assert!(refused.is_err());
    }

    #[test]
    fn an_unknown_fault_lists_the_known_ones() {
        let message = parse_fault("nope").unwrap_err().to_string();
        assert!(
            message.starts_with("unknown fault 'nope'; known: "),
            "{message}"
        );
        assert!(message.contains("slow_auth"), "{message}");
    }
}
