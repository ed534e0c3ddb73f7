//! How many connections the process's open-file limit leaves each mock server:
//! beyond it, `accept` fails for every client (the good ones too) and so does
//! every other file the process opens, so `max_connections` never goes past it.

/// Descriptors kept for everything but served connections: listeners, stdio,
/// the plugin's introspection client, report files.
const RESERVED: usize = 64;
/// Confluence and the IdP share the process's descriptors.
const SERVERS: usize = 2;

/// The connections each server may hold under the soft `RLIMIT_NOFILE`
/// (`ulimit -n`), at least 1; `None` where the limit is unknown or unlimited.
pub fn per_server() -> Option<usize> {
    let limit = soft_open_files_limit()?;
    Some((limit.saturating_sub(RESERVED) / SERVERS).max(1))
}

/// Read from `/proc/self/limits` (Linux), so no binding to `getrlimit` is
/// needed; elsewhere unknown.
fn soft_open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_soft_open_files(&limits)
}

fn parse_soft_open_files(limits: &str) -> Option<usize> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_read_and_unlimited_is_none() {
        let table = "Limit                     Soft Limit           Hard Limit           Units     \n\
                     Max processes             63704                63704                processes \n\
                     Max open files            256                  4096                 files     \n";
        assert_eq!(parse_soft_open_files(table), Some(256));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_soft_open_files(unlimited), None);
        assert_eq!(parse_soft_open_files(""), None);
        assert!(per_server().is_none_or(|n| n >= 1));
    }
}
