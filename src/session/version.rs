//! Which Confluence version a scenario meets, for `requires: { confluence: … }`.
//!
//! Embedded: the scenario's `mock.confluence.version`, else `--confluence-version`,
//! else the emulator's own ([`ConfluenceVersion::emulated`]); the mock then says
//! the same in its manifest. A real target: `--confluence-version`, else what its
//! applinks manifest says, read once per run and only when a selected scenario
//! requires a version.

use crate::client::{Clients, manifest};
use crate::scenario::Scenario;
use crate::scenario::version::ConfluenceVersion;

/// A target's version as far as the run knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KnownVersion {
    /// From `--confluence-version`.
    Given(ConfluenceVersion),
    /// Read from the target's applinks manifest.
    Read(ConfluenceVersion),
    /// The manifest could not say; why.
    Unknown(String),
    /// Not asked: embedded, or no scenario requires a version.
    NotNeeded,
}

impl KnownVersion {
    /// For a real target: the flag, else the manifest when a scenario needs it.
    pub async fn of_remote(
        given: Option<&ConfluenceVersion>,
        scenarios: &[Scenario],
        clients: &Clients,
        base_url: &str,
    ) -> Self {
        if let Some(version) = given {
            return KnownVersion::Given(version.clone());
        }
        if scenarios.iter().all(|s| s.requires_confluence.is_none()) {
            return KnownVersion::NotNeeded;
        }
        match manifest::read_version(clients, base_url).await {
            Ok(version) => KnownVersion::Read(version),
            Err(reason) => KnownVersion::Unknown(reason),
        }
    }

    /// The version and where it came from, when known.
    fn known(&self) -> Option<(&ConfluenceVersion, &'static str)> {
        match self {
            KnownVersion::Given(v) => Some((v, "--confluence-version")),
            KnownVersion::Read(v) => Some((v, manifest::MANIFEST_PATH)),
            KnownVersion::Unknown(_) | KnownVersion::NotNeeded => None,
        }
    }

    /// For reports: `8.5.4 (from --confluence-version)`, or none.
    pub fn describe(&self) -> Option<String> {
        match self {
            KnownVersion::Unknown(why) => Some(format!("unknown ({why})")),
            known => known.known().map(|(v, from)| format!("{v} (from {from})")),
        }
    }
}

/// The version the embedded mock plays for `scenario`.
pub fn embedded(scenario: &Scenario, given: Option<&ConfluenceVersion>) -> ConfluenceVersion {
    scenario
        .mock
        .confluence
        .version
        .clone()
        .or_else(|| given.cloned())
        .unwrap_or_default()
}

/// Why `scenario` does not apply to a target of `version`, if it does not.
pub fn excluded(scenario: &Scenario, version: &KnownVersion) -> Option<String> {
    let range = scenario.requires_confluence.as_ref()?;
    if let KnownVersion::Unknown(why) = version {
        return Some(format!(
            "needs Confluence {range}, and the target's version is unknown ({why}); pass --confluence-version"
        ));
    }
    let (found, from) = version.known()?;
    (!range.contains(found))
        .then(|| format!("needs Confluence {range}; the target is {found} (from {from})"))
}

/// Why `scenario` does not apply to the embedded mock it would get, if it does not.
pub fn excluded_embedded(scenario: &Scenario, given: Option<&ConfluenceVersion>) -> Option<String> {
    let range = scenario.requires_confluence.as_ref()?;
    let version = embedded(scenario, given);
    (!range.contains(&version))
        .then(|| format!("needs Confluence {range}; the embedded mock plays {version}"))
}
