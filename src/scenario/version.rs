//! Confluence versions, and the ranges a scenario requires of them
//! (`requires: { confluence: ">=7.9" }`).
//!
//! A version is read leniently, the way Confluence and its users write it: `8.5`
//! is 8.5.0, and a suffix after the numbers (`9.0.0-m100`, `7.19.6-beta1`) is kept
//! for display but ignored in comparisons, so a milestone of 9.0 counts as 9.0.
//! A range is a semver requirement as Cargo writes it: `>=7.9`, `>=7.9, <9`,
//! `<8.0`, `~8.5` (any 8.5.x), `=7.19.6`; a bare `7.9` means `^7.9` (7.9 up to,
//! not including, 8.0).

use std::fmt;
use std::str::FromStr;

/// A Confluence version such as `8.5.4`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfluenceVersion {
    numbers: semver::Version,
    /// As written, for messages and reports.
    text: String,
}

impl ConfluenceVersion {
    /// What the embedded mock says it is unless configured otherwise: 9.2.0, the
    /// newest Long Term Support release when the emulator was last checked
    /// against the fact table.
    pub fn emulated() -> Self {
        let numbers = semver::Version::new(9, 2, 0);
        ConfluenceVersion {
            text: numbers.to_string(),
            numbers,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Default for ConfluenceVersion {
    fn default() -> Self {
        Self::emulated()
    }
}

/// As its text: `version: 8.5` in a `mock:` block reads back as written.
impl serde::Serialize for ConfluenceVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// From text (`"8.5.4"`) or a whole number (`9`). A YAML float such as `8.10`
/// is refused rather than read as 8.1: it must be quoted.
impl<'de> serde::Deserialize<'de> for ConfluenceVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VersionVisitor;

        impl serde::de::Visitor<'_> for VersionVisitor {
            type Value = ConfluenceVersion;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Confluence version in quotes, such as \"8.5.4\"")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ConfluenceVersion, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ConfluenceVersion, E> {
                self.visit_str(&v.to_string())
            }

            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ConfluenceVersion, E> {
                Err(E::custom(format_args!(
                    "write the version in quotes (\"{v}\"): YAML reads 8.10 as the number 8.1"
                )))
            }
        }

        deserializer.deserialize_any(VersionVisitor)
    }
}

impl schemars::JsonSchema for ConfluenceVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ConfluenceVersion".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Confluence version: 8.5 or 8.5.4, optionally with a suffix such as -m12",
            "type": "string",
            "pattern": "^[0-9]+(\\.[0-9]+){0,2}([-+].*)?$"
        })
    }
}

impl FromStr for ConfluenceVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bad = || {
            format!(
                "'{text}' is not a Confluence version: write it as 8.5 or 8.5.4 (a suffix such as -m12 is allowed)"
            )
        };
        let digits_and_dots = text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .map_or(text, |end| &text[..end]);
        let parts: Vec<&str> = digits_and_dots.split('.').collect();
        if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        let mut numbers = [0u64; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            *slot = part.parse().map_err(|_| bad())?;
        }
        let suffix = &text[digits_and_dots.len()..];
        if !(suffix.is_empty() || suffix.starts_with('-') || suffix.starts_with('+')) {
            return Err(bad());
        }
        Ok(ConfluenceVersion {
            numbers: semver::Version::new(numbers[0], numbers[1], numbers[2]),
            text: text.to_string(),
        })
    }
}

impl fmt::Display for ConfluenceVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The Confluence versions a scenario holds for.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionRange {
    requirement: semver::VersionReq,
    text: String,
}

impl VersionRange {
    pub fn contains(&self, version: &ConfluenceVersion) -> bool {
        self.requirement.matches(&version.numbers)
    }
}

impl FromStr for VersionRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let requirement = semver::VersionReq::parse(text).map_err(|e| {
            format!(
                "'{text}' is not a version range ({e}): write \">=7.9\", \">=7.9, <9\" or \"~8.5\""
            )
        })?;
        Ok(VersionRange {
            requirement,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> ConfluenceVersion {
        text.parse().unwrap()
    }

    fn range(text: &str) -> VersionRange {
        text.parse().unwrap()
    }

    #[test]
    fn versions_are_read_as_confluence_writes_them() {
        assert_eq!(version("8.5"), version("8.5.0").clone_with_text("8.5"));
        assert_eq!(version(" 9.0.0-m100 ").as_str(), "9.0.0-m100");
        for bad in ["", "x", "8.", "8..1", "1.2.3.4", "8.5beta", "-1"] {
            assert!(bad.parse::<ConfluenceVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_follow_cargo_and_ignore_a_milestone_suffix() {
        assert!(range(">=7.9").contains(&version("7.9")));
        assert!(range(">=7.9").contains(&version("10.2.1")));
        assert!(!range(">=7.9").contains(&version("7.4.11")));
        assert!(range(">=7.9, <9").contains(&version("8.9.9")));
        assert!(!range(">=7.9, <9").contains(&version("9.0.0-m100")));
        assert!(range("~8.5").contains(&version("8.5.14")));
        assert!(!range("~8.5").contains(&version("8.6")));
        assert!("7.9 or newer".parse::<VersionRange>().is_err());
    }

    impl ConfluenceVersion {
        fn clone_with_text(&self, text: &str) -> Self {
            ConfluenceVersion {
                numbers: self.numbers.clone(),
                text: text.into(),
            }
        }
    }
}
