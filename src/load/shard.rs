//! Past one machine: which share of a load this process runs (`--shard I/N`,
//! `--shard auto/N`), when every shard starts (`--start-at`), and the record each
//! shard leaves in its JSON report so `tollgate merge` can tell the shards apart.
//!
//! The start is bounded both ways: a time more than [`MAX_START_AHEAD`] away
//! would leave a pod (or a CI job) idle for hours on a typo, and one more than
//! [`LATE_START_GRACE`] in the past means this shard would start after the others
//! and its figures would not line up with theirs.

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Set by Kubernetes in each pod of an Indexed Job (`completionMode: Indexed`).
pub const INDEX_ENV: &str = "JOB_COMPLETION_INDEX";
/// The farthest ahead `--start-at` may be.
pub const MAX_START_AHEAD: Duration = Duration::from_secs(3600);
/// How late a shard may still start: a pod scheduled a moment after the time
/// starts at once, one that missed it by more is refused.
pub const LATE_START_GRACE: Duration = Duration::from_secs(5);
/// How far apart planned starts may be and still count as one start: shards
/// given `+30s` each compute it on their own clock.
pub const START_SPREAD: Duration = Duration::from_secs(1);
/// The key under which a shard's JSON report records its share and start.
pub const RECORD_KEY: &str = "tollgate_shard";

/// Which shard this is, as the command line says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    /// `None` for `auto`: read from [`INDEX_ENV`].
    index: Option<usize>,
    count: usize,
}

/// This process's shard: the `index`-th (from 0) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let wanted = || {
            format!(
                "--shard '{text}' is not I/N (shard I of N, from 0, such as 0/4) or auto/N (I from {INDEX_ENV})"
            )
        };
        let (index, count) = text.trim().split_once('/').ok_or_else(wanted)?;
        let count: usize = count.parse().map_err(|_| wanted())?;
        if count == 0 {
            return Err(format!(
                "--shard '{text}': N, the number of shards, must be at least 1"
            ));
        }
        let index = match index {
            "auto" => None,
            digits => Some(digits.parse::<usize>().map_err(|_| wanted())?),
        };
        let spec = ShardSpec { index, count };
        if let Some(index) = index {
            spec.check(index)?;
        }
        Ok(spec)
    }
}

impl ShardSpec {
    /// The shard, with `auto`'s index read from `env_index` ([`INDEX_ENV`]'s value).
    pub fn resolve(self, env_index: Option<&str>) -> Result<Shard, String> {
        let index = match (self.index, env_index) {
            (Some(index), _) => index,
            (None, Some(value)) => value.trim().parse().map_err(|_| {
                format!(
                    "--shard auto/{}: {INDEX_ENV} is '{value}', not a shard index",
                    self.count
                )
            })?,
            (None, None) => {
                return Err(format!(
                    "--shard auto/{} reads the index from {INDEX_ENV}, which is not set; give I/{} instead",
                    self.count, self.count
                ));
            }
        };
        self.check(index)?;
        Ok(Shard {
            index,
            count: self.count,
        })
    }

    fn check(self, index: usize) -> Result<(), String> {
        if index >= self.count {
            return Err(format!(
                "--shard {index}/{}: the index counts from 0, so it must be below {}",
                self.count, self.count
            ));
        }
        Ok(())
    }
}

/// `--start-at`: an RFC 3339 time (`2026-01-01T12:00:00Z`, `…+02:00`) or
/// `+DURATION` from `now` (`+30s`, `+2m`), within the bounds.
pub fn parse_start_at(text: &str, now: SystemTime) -> Result<SystemTime, String> {
    let text = text.trim();
    let at = match text.strip_prefix('+') {
        Some(delay) => {
            let delay = humantime::parse_duration(delay.trim())
                .map_err(|e| format!("--start-at '{text}': {e}"))?;
            now + delay
        }
        None => parse_rfc3339(text).ok_or_else(|| {
            format!(
                "--start-at '{text}' is neither an RFC 3339 time (2026-01-01T12:00:00Z) nor +DURATION (+30s)"
            )
        })?,
    };
    check_start(at, now)?;
    Ok(at)
}

/// [`parse_start_at`] from now: clap's parser for `--start-at`.
pub fn parse_start_at_now(text: &str) -> Result<SystemTime, String> {
    parse_start_at(text, SystemTime::now())
}

/// How long to wait from `now` until `at`; an error when `at` is out of bounds.
pub fn check_start(at: SystemTime, now: SystemTime) -> Result<Duration, String> {
    match at.duration_since(now) {
        Ok(ahead) if ahead > MAX_START_AHEAD => Err(format!(
            "--start-at {} is {} away; the most is {}",
            rfc3339(at),
            humantime::format_duration(whole_seconds(ahead)),
            humantime::format_duration(MAX_START_AHEAD)
        )),
        Ok(ahead) => Ok(ahead),
        Err(past) if past.duration() > LATE_START_GRACE => Err(format!(
            "--start-at {} was {} ago; the other shards have started (a shard may be at most {} late)",
            rfc3339(at),
            humantime::format_duration(whole_seconds(past.duration())),
            humantime::format_duration(LATE_START_GRACE)
        )),
        Err(_) => Ok(Duration::ZERO),
    }
}

fn whole_seconds(duration: Duration) -> Duration {
    Duration::from_secs(duration.as_secs())
}

/// Sleeps until `at`, checking its bounds once more: the scenario was read and
/// the target resolved since the command line was.
pub async fn wait_until(at: SystemTime) -> Result<(), String> {
    let wait = check_start(at, SystemTime::now())?;
    if !wait.is_zero() {
        eprintln!(
            "waiting {} for the planned start {}",
            humantime::format_duration(Duration::from_millis(wait.as_millis() as u64)),
            rfc3339(at)
        );
        tokio::time::sleep(wait).await;
    }
    Ok(())
}

/// `at` as RFC 3339 in UTC, to the millisecond.
pub fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

/// RFC 3339 with `Z` or a `±HH:MM` offset; humantime reads only UTC.
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    if text.ends_with(['Z', 'z']) {
        return humantime::parse_rfc3339_weak(text).ok();
    }
    let split = text.len().checked_sub(6)?;
    let (local, offset) = (text.get(..split)?, text.get(split..)?);
    let sign = match offset.as_bytes().first()? {
        b'+' => 1i64,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = offset.get(1..)?.split_once(':')?;
    let (hours, minutes): (u64, u64) = (hours.parse().ok()?, minutes.parse().ok()?);
    if hours > 23 || minutes > 59 || !local.contains(['T', 't']) {
        return None;
    }
    let as_utc = humantime::parse_rfc3339_weak(&format!("{local}Z")).ok()?;
    let offset = Duration::from_secs(hours * 3600 + minutes * 60);
    // 12:00+02:00 is 10:00Z.
    if sign > 0 {
        as_utc.checked_sub(offset)
    } else {
        as_utc.checked_add(offset)
    }
}

/// What a shard's report records about its run, besides goose's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardRecord {
    pub shard: Option<Shard>,
    /// `--start-at`, RFC 3339 in UTC.
    pub planned_start: Option<String>,
    /// This shard's users and throttle (its share of the whole).
    pub users: Option<usize>,
    pub throttle: Option<usize>,
}

/// Adds `record` to the JSON report at `path` under [`RECORD_KEY`]; goose (and
/// `tollgate merge`) read past a key they do not know.
pub fn stamp_report(path: &Path, record: &ShardRecord) -> Result<(), String> {
    let failed =
        |e: &dyn std::fmt::Display| format!("cannot record the shard in {}: {e}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| failed(&e))?;
    let mut report: Value = serde_json::from_str(&text).map_err(|e| failed(&e))?;
    let Some(object) = report.as_object_mut() else {
        return Err(failed(&"the report is not a JSON object"));
    };
    let record = serde_json::to_value(record).map_err(|e| failed(&e))?;
    object.insert(RECORD_KEY.to_string(), record);
    let text = serde_json::to_string(&report).map_err(|e| failed(&e))?;
    std::fs::write(path, text).map_err(|e| failed(&e))
}

/// The record a shard left in the report at `path`, if any; a report that does
/// not read has none (`tollgate merge` says why it does not read).
pub fn read_record(path: &Path) -> Option<ShardRecord> {
    let text = std::fs::read_to_string(path).ok()?;
    let report: Value = serde_json::from_str(&text).ok()?;
    serde_json::from_value(report.get(RECORD_KEY)?.clone()).ok()
}

/// What the records of the merged reports say about the shards: an error when
/// two reports are the same shard (their sum would count it twice), notes for
/// missing shards and differing starts.
pub fn check_records(records: &[Option<ShardRecord>]) -> Result<Vec<String>, String> {
    let shards: Vec<Shard> = records.iter().flatten().filter_map(|r| r.shard).collect();
    let mut notes = Vec::new();
    if shards.is_empty() {
        return Ok(notes);
    }
    let mut counts: Vec<usize> = shards.iter().map(|s| s.count).collect();
    counts.dedup();
    if counts.len() > 1 {
        return Err(format!(
            "the reports are shards of different splits ({}); merge the shards of one run",
            shards
                .iter()
                .map(Shard::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let count = shards[0].count;
    for (position, shard) in shards.iter().enumerate() {
        if shards[..position].contains(shard) {
            return Err(format!(
                "shard {shard} is given twice: its requests would count twice"
            ));
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|index| !shards.iter().any(|s| s.index == *index))
        .map(|index| format!("{index}/{count}"))
        .collect();
    if !missing.is_empty() {
        notes.push(format!(
            "note: shard(s) {} missing: the merged figures cover {} of {count} shares",
            missing.join(", "),
            shards.len()
        ));
    }
    let mut starts: Vec<(SystemTime, &str)> = records
        .iter()
        .flatten()
        .filter_map(|r| r.planned_start.as_deref())
        .filter_map(|text| Some((parse_rfc3339(text)?, text)))
        .collect();
    starts.sort_unstable();
    if let (Some((first, first_text)), Some((last, last_text))) = (starts.first(), starts.last()) {
        let spread = last.duration_since(*first).unwrap_or_default();
        notes.push(if spread <= START_SPREAD {
            format!(
                "shards {} planned to start at {first_text} (within {}ms)",
                count_text(&shards),
                spread.as_millis()
            )
        } else {
            format!(
                "note: the shards planned starts from {first_text} to {last_text}: their loads may not have overlapped"
            )
        });
    }
    Ok(notes)
}

fn count_text(shards: &[Shard]) -> String {
    let mut sorted = shards.to_vec();
    sorted.sort_by_key(|s| s.index);
    sorted
        .iter()
        .map(Shard::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_is_i_of_n_counting_from_zero() {
        let spec: ShardSpec = "1/3".parse().unwrap();
        assert_eq!(spec.resolve(None).unwrap(), Shard { index: 1, count: 3 });
        // An explicit index wins over the environment.
        assert_eq!(spec.resolve(Some("2")).unwrap().index, 1);
        for bad in ["3/3", "0/0", "1", "a/2", "-1/2", "1/2/3", "", "1/x"] {
            assert!(bad.parse::<ShardSpec>().is_err(), "{bad}");
        }
        let err = "3/3".parse::<ShardSpec>().unwrap_err();
        assert!(err.contains("below 3"), "{err}");
    }

    #[test]
    fn auto_reads_the_index_kubernetes_sets() {
        let spec: ShardSpec = "auto/4".parse().unwrap();
        assert_eq!(
            spec.resolve(Some("3")).unwrap(),
            Shard { index: 3, count: 4 }
        );
        assert!(spec.resolve(Some("4")).unwrap_err().contains("below 4"));
        assert!(spec.resolve(Some("x")).unwrap_err().contains(INDEX_ENV));
        assert!(spec.resolve(None).unwrap_err().contains("not set"));
    }

    #[test]
    fn a_start_is_a_time_or_a_delay_within_an_hour() {
        let now = humantime::parse_rfc3339("2026-01-01T12:00:00Z").unwrap();
        let in_30s = now + Duration::from_secs(30);
        assert_eq!(parse_start_at("+30s", now).unwrap(), in_30s);
        assert_eq!(parse_start_at("2026-01-01T12:00:30Z", now).unwrap(), in_30s);
        assert_eq!(
            parse_start_at("2026-01-01T14:00:30+02:00", now).unwrap(),
            in_30s
        );
        assert_eq!(
            parse_start_at("2026-01-01T11:30:30-00:30", now).unwrap(),
            in_30s
        );
        assert_eq!(
            parse_start_at("2026-01-01T12:00:00.250Z", now).unwrap(),
            now + Duration::from_millis(250)
        );
        // A moment late still starts (at once); later is refused, as is too far ahead.
        let late = parse_start_at("2026-01-01T11:59:57Z", now).unwrap();
        assert_eq!(check_start(late, now).unwrap(), Duration::ZERO);
        let err = parse_start_at("2026-01-01T11:59:50Z", now).unwrap_err();
        assert!(err.contains("10s ago"), "{err}");
        assert!(parse_start_at("+1h", now).is_ok());
        let err = parse_start_at("+61m", now).unwrap_err();
        assert!(err.contains("the most is 1h"), "{err}");
        assert!(parse_start_at("2026-01-01T13:00:01Z", now).is_err());
        for bad in [
            "soon",
            "+",
            "+3x",
            "2026-01-01 12:00:30",
            "2026-01-01T12:00:30+2",
            "12:00:30+02:00",
        ] {
            assert!(parse_start_at(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_record_rides_in_the_report_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s0.json");
        std::fs::write(&path, r#"{"raw_metrics": {}}"#).unwrap();
        assert_eq!(read_record(&path), None);
        let record = ShardRecord {
            shard: Some(Shard { index: 0, count: 2 }),
            planned_start: Some("2026-01-01T12:00:00.000Z".into()),
            users: Some(4),
            throttle: None,
        };
        stamp_report(&path, &record).unwrap();
        assert_eq!(read_record(&path), Some(record));
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(report.get("raw_metrics").is_some());
    }

    #[test]
    fn the_same_shard_twice_is_refused_and_a_missing_one_noted() {
        let (t, u) = ("2026-01-01T12:00:00.000Z", "2026-01-01T12:00:02.000Z");
        let record = |index, start: &str| {
            Some(ShardRecord {
                shard: Some(Shard { index, count: 3 }),
                planned_start: Some(start.into()),
                users: None,
                throttle: None,
            })
        };
        let err = check_records(&[record(0, t), record(0, t)]).unwrap_err();
        assert!(err.contains("twice"), "{err}");
        let notes = check_records(&[record(0, t), record(2, "2026-01-01T12:00:00.400Z")]).unwrap();
        assert!(notes[0].contains("1/3 missing"), "{notes:?}");
        assert!(
            notes[1].contains(&format!("planned to start at {t} (within 400ms)")),
            "{notes:?}"
        );
        let notes = check_records(&[record(0, t), record(1, u), record(2, t)]).unwrap();
        assert!(notes[0].contains("may not have overlapped"), "{notes:?}");
        assert_eq!(check_records(&[None, None]).unwrap(), Vec::<String>::new());
    }
}
