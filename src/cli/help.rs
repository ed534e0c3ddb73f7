//! The help text under `--help` of the commands: exit codes and examples.

use crate::commands::outcome::{EXIT_FAIL, EXIT_PASS, EXIT_REPORT, EXIT_USAGE};

pub const SCHEMA_AFTER_HELP: &str = "\
Examples:
  tollgate schema > tollgate.schema.json
  tollgate schema --kind profile > tollgate-profile.schema.json
  tollgate schema --kind report > tollgate-report.schema.json
then, as the first line of a scenario (the path relative to that file):
  # yaml-language-server: $schema=../tollgate.schema.json";

pub const COMPLETIONS_AFTER_HELP: &str = "\
Examples:
  tollgate completions bash > ~/.local/share/bash-completion/completions/tollgate
  tollgate completions zsh > ~/.zfunc/_tollgate    # with fpath+=~/.zfunc before compinit
  tollgate completions fish > ~/.config/fish/completions/tollgate.fish
  tollgate completions powershell >> $PROFILE";

/// The exit codes lines of a command's help: `(code, meaning)`.
fn exit_codes(codes: &[(u8, &str)]) -> String {
    let mut text = String::from("Exit codes:\n");
    for (code, meaning) in codes {
        text.push_str(&format!("  {code}  {meaning}\n"));
    }
    text
}

pub fn run_after_help() -> String {
    let codes = exit_codes(&[
        (
            EXIT_PASS,
            "every selected scenario passed, warnings and skips allowed (--list: the run would start)",
        ),
        (
            EXIT_FAIL,
            "a scenario failed or errored (with --strict, also one that passed with warnings)",
        ),
        (
            EXIT_USAGE,
            "a usage, scenario or profile error, or a missing credential: nothing was sent",
        ),
        (
            EXIT_REPORT,
            "a report could not be written (its path is on stderr); wins over 1",
        ),
    ]);
    format!(
        "{codes}
Examples:
  tollgate run                                    # the suite against the embedded mock
  tollgate run --tag basic --exclude-tag slow --report junit=reports/junit.xml
  tollgate run --list --target https://staging.example.com --setup rate-limit
  CONF_USER=ci-bot CONF_PASSWORD=... tollgate run --target https://staging.example.com \\
      --report junit=reports/junit.xml --report md=reports/summary.md
  tollgate run --profile connect-jwt --target https://staging.example.com --strict"
    )
}

pub fn load_after_help() -> String {
    let codes = exit_codes(&[
        (EXIT_PASS, "every threshold held"),
        (
            EXIT_FAIL,
            "a threshold was breached, or the load could not be carried out",
        ),
        (
            EXIT_USAGE,
            "a usage or scenario error, or a missing credential: nothing was sent",
        ),
        (
            EXIT_REPORT,
            "a report could not be written (its path is on stderr)",
        ),
    ]);
    format!(
        "{codes}
Examples:
  tollgate load scenarios/load/basic.yaml --users 16 --run-time 30s --threshold 'p99<50ms'
  tollgate load scenarios/load/basic.yaml --report load.html --report load.json
  tollgate load --compare scenarios/load --repeat 3 --report cost.md
  tollgate load scenarios/load/basic.yaml --shard auto/4 --start-at +30s --report shard.json"
    )
}

pub fn merge_after_help() -> String {
    exit_codes(&[
        (EXIT_PASS, "every threshold held on the merged runs"),
        (EXIT_FAIL, "a threshold was breached on the merged runs"),
        (
            EXIT_USAGE,
            "a report that does not read, or a shard given twice",
        ),
        (
            EXIT_REPORT,
            "the merged report could not be written (its path is on stderr)",
        ),
    ])
}

pub fn selftest_after_help() -> String {
    exit_codes(&[
        (
            EXIT_PASS,
            "the clean mock passes, every fault is caught and every fact cited",
        ),
        (
            EXIT_FAIL,
            "a fault went uncaught, a fact is uncited, or the clean mock fails",
        ),
        (EXIT_USAGE, "a usage or scenario error"),
        (
            EXIT_REPORT,
            "a report could not be written (its path is on stderr)",
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_and_load_help_list_every_exit_code_with_examples() {
        for help in [run_after_help(), load_after_help()] {
            for code in [EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_REPORT] {
                assert!(help.contains(&format!("\n  {code}  ")), "{code}: {help}");
            }
            assert!(help.contains("Examples:\n  tollgate "), "{help}");
        }
    }
}
