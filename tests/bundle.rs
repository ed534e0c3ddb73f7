//! The signed evidence bundle (issue 15, item 8), through the binary where the
//! issue speaks of the CLI: `keys gen --alg Ed25519`, `run --bundle --sign-key
//! --describe-target`, `verify`; and hostile bundles through the library.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use tollgate::bundle::about::About;
use tollgate::bundle::verify::{VerifyError, verify_bundle};

mod common;
use common::cli::{text, tollgate_in as tollgate};

const SCENARIO: &str = "id: BUNDLE-001\ntitle: anonymous current user\nsteps:\n  - name: one\n    request: { path: /rest/api/user/current }\n    expect: { status: 200 }\n";
const PROFILE: &str = "name: tiny\ntitle: one scenario\nscenarios:\n  - BUNDLE-001\n";

/// Every entry of a bundle: path and bytes, in order.
fn entries(bundle: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(bundle).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().display().to_string();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (path, bytes)
        })
        .collect()
}

/// A tar.gz of `entries` written as tollgate writes bundles (same gzip header),
/// each name put in the header as it is, `..` and all.
fn pack(path: &Path, entries: &[(&str, &[u8], tar::EntryType)]) {
    let gzip = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(
            std::fs::File::create(path).unwrap(),
            flate2::Compression::default(),
        );
    let mut tar = tar::Builder::new(gzip);
    for (name, bytes, kind) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(*kind);
        header.set_cksum();
        tar.append(&header, *bytes).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

fn repack(from: &[(String, Vec<u8>)], to: &Path) {
    let owned: Vec<(&str, &[u8], tar::EntryType)> = from
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice(), tar::EntryType::Regular))
        .collect();
    pack(to, &owned);
}

struct Signed {
    dir: tempfile::TempDir,
    bundle: PathBuf,
    public: PathBuf,
    run_output: String,
}

/// A signed bundle of a profile run against a mock served as a real target
/// that says it is Confluence 8.5.4.
async fn signed_bundle() -> Signed {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("suite")).unwrap();
    std::fs::write(dir.path().join("suite/one.yaml"), SCENARIO).unwrap();
    std::fs::write(dir.path().join("tiny.yaml"), PROFILE).unwrap();
    let root = dir.path().to_path_buf();
    let made = tokio::task::spawn_blocking(move || {
        tollgate(
            &["keys", "gen", "signer", "--alg", "Ed25519", "--out", "keys"],
            &root,
        )
    })
    .await
    .unwrap();
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    assert!(
        text(&made).contains("fingerprint sha256:"),
        "{}",
        text(&made)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keys/signer.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the private key is its owner's alone: {mode:o}"
        );
    }
    let root = dir.path().to_path_buf();
    let again = tokio::task::spawn_blocking(move || {
        tollgate(
            &["keys", "gen", "signer", "--alg", "Ed25519", "--out", "keys"],
            &root,
        )
    })
    .await
    .unwrap();
    assert_eq!(
        again.status.code(),
        Some(2),
        "never overwrites: {}",
        text(&again)
    );

    let mut config = tollgate::scenario::mock_config::MockConfig::default();
    config.confluence.version = Some("8.5.4".parse().unwrap());
    let mock = tollgate::mock::start(&config).await.unwrap();
    let url = mock.base_url().to_string();
    let root = dir.path().to_path_buf();
    let run = tokio::task::spawn_blocking(move || {
        tollgate(
            &[
                "run",
                "suite",
                "--target",
                &url,
                "--profile",
                "tiny.yaml",
                "--bundle",
                "out/evidence.tar.gz",
                "--sign-key",
                "keys/signer.pem",
                "--describe-target",
                "Confluence 8.5.4, Acme OAuth 4.1",
                "--var",
                "user=alice",
                "--var",
                "api_token=Tok-Secret-1",
                "--secret",
                "pw=Pw-Secret-2",
            ],
            &root,
        )
    })
    .await
    .unwrap();
    let run_output = text(&run);
    assert_eq!(run.status.code(), Some(0), "{run_output}");
    Signed {
        bundle: dir.path().join("out/evidence.tar.gz"),
        public: dir.path().join("keys/signer.pub.pem"),
        dir,
        run_output,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_bundle_verifies_and_one_changed_byte_fails_naming_the_file() {
    let signed = signed_bundle().await;
    let (dir, bundle, public) = (signed.dir.path(), &signed.bundle, &signed.public);
    assert!(
        signed.run_output.contains("bundle: out/evidence.tar.gz"),
        "{}",
        signed.run_output
    );
    let key = public.to_str().unwrap();

    let verified = tollgate(&["verify", bundle.to_str().unwrap(), "--key", key], dir);
    let shown = text(&verified);
    assert_eq!(verified.status.code(), Some(0), "{shown}");
    for expected in [
        "Confluence 8.5.4, Acme OAuth 4.1",
        "Confluence 8.5.4 (build 0, applinks unknown)",
        "profile:  tiny",
        "verdict:  conformant",
        "1 scenarios: 1 passed",
        concat!("tollgate: ", env!("CARGO_PKG_VERSION")),
    ] {
        assert!(shown.contains(expected), "{expected} in {shown}");
    }

    // One byte of one report changed, the tarball repacked around it.
    let mut files = entries(bundle);
    let report = files
        .iter_mut()
        .find(|(p, _)| p == "reports/report.json")
        .unwrap();
    report.1[10] ^= 1;
    let tampered = dir.join("tampered.tar.gz");
    repack(&files, &tampered);
    let refused = tollgate(&["verify", tampered.to_str().unwrap(), "--key", key], dir);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let shown = text(&refused);
    assert!(shown.contains("reports/report.json: changed"), "{shown}");
    assert_eq!(
        shown.matches("changed").count(),
        1,
        "only that file: {shown}"
    );

    // One byte of the compressed file itself, anywhere after the header.
    let raw = std::fs::read(bundle).unwrap();
    for at in [0, 5, raw.len() / 2, raw.len() - 3] {
        let mut flipped = raw.clone();
        flipped[at] ^= 0x20;
        let path = dir.join(format!("flipped-{at}.tar.gz"));
        std::fs::write(&path, flipped).unwrap();
        let refused = tollgate(&["verify", path.to_str().unwrap(), "--key", key], dir);
        let shown = text(&refused);
        assert_eq!(refused.status.code(), Some(1), "byte {at}: {shown}");
        assert!(
            shown.contains(&format!("flipped-{at}.tar.gz")),
            "byte {at}: {shown}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bundle_holds_every_report_the_suite_the_profile_and_the_target_but_no_secret() {
    let signed = signed_bundle().await;
    let files = entries(&signed.bundle);
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "manifest.json",
            "manifest.json.sig",
            "about.json",
            "reports/report.json",
            "reports/junit.xml",
            "reports/report.md",
            "reports/report.html",
            "suite/suite/one.yaml",
            "profile/tiny.yaml",
        ]
    );
    let get = |name: &str| &files.iter().find(|(p, _)| p == name).unwrap().1;
    assert_eq!(get("suite/suite/one.yaml"), SCENARIO.as_bytes());
    assert_eq!(get("profile/tiny.yaml"), PROFILE.as_bytes());
    let private = std::fs::read_to_string(signed.dir.path().join("keys/signer.pem")).unwrap();
    let private_body: String = private
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for secret in [
            "Tok-Secret-1",
            "Pw-Secret-2",
            "PRIVATE KEY",
            private_body.as_str(),
        ] {
            assert!(!text.contains(secret), "{secret} in {name}");
        }
    }

    let about: About = serde_json::from_slice(get("about.json")).unwrap();
    assert_eq!(
        about.target.described.as_deref(),
        Some("Confluence 8.5.4, Acme OAuth 4.1")
    );
    assert_eq!(
        (
            about.target.read.name.as_str(),
            about.target.read.version.as_str(),
            about.target.read.build_number.as_str()
        ),
        ("Confluence", "8.5.4", "0")
    );
    assert_eq!(
        about.target.read.applinks_version, "unknown",
        "the mock does not say it"
    );
    assert_eq!(about.run.profile.as_deref(), Some("tiny"));
    assert_eq!(about.tollgate.version, env!("CARGO_PKG_VERSION"));
    assert!(!about.tollgate.target_triple.is_empty());
    let vars: Vec<(&str, &str)> = about
        .vars
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    assert!(vars.contains(&("user", "alice")), "{vars:?}");
    assert!(vars.contains(&("api_token", "[redacted]")), "{vars:?}");
    assert!(vars.contains(&("pw", "[redacted]")), "{vars:?}");
    let public = std::fs::read_to_string(&signed.public).unwrap();
    let signer = &about.keys[0];
    assert_eq!(signer.role, "bundle signature");
    assert_eq!(
        signer.fingerprint,
        tollgate::bundle::pem::fingerprint_of_public_pem(&public)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_wrong_key_and_missing_key_are_each_refused() {
    let signed = signed_bundle().await;
    let dir = signed.dir.path();
    let bundle = signed.bundle.to_str().unwrap();

    let no_key = tollgate(&["verify", bundle], dir);
    assert_eq!(no_key.status.code(), Some(2), "{}", text(&no_key));
    assert!(
        text(&no_key).contains("give its public key with --key"),
        "{}",
        text(&no_key)
    );

    let other = tollgate(
        &["keys", "gen", "other", "--alg", "ed25519", "--out", "keys"],
        dir,
    );
    assert_eq!(other.status.code(), Some(0), "{}", text(&other));
    let wrong = tollgate(&["verify", bundle, "--key", "keys/other.pub.pem"], dir);
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong));
    assert!(
        text(&wrong).contains("manifest.json: the signature does not verify"),
        "{}",
        text(&wrong)
    );

    let private = tollgate(&["verify", bundle, "--key", "keys/signer.pem"], dir);
    assert_eq!(private.status.code(), Some(2), "{}", text(&private));
    assert!(
        text(&private).contains("not an Ed25519 PUBLIC KEY"),
        "{}",
        text(&private)
    );

    // Stripping the signature does not make an unsigned bundle of a signed one.
    let files: Vec<_> = entries(&signed.bundle)
        .into_iter()
        .filter(|(p, _)| p != "manifest.json.sig")
        .collect();
    let stripped = dir.join("stripped.tar.gz");
    repack(&files, &stripped);
    let refused = tollgate(
        &["verify", stripped.to_str().unwrap(), "--allow-unsigned"],
        dir,
    );
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("manifest.json.sig: missing"),
        "{}",
        text(&refused)
    );

    let run = tollgate(&["run", "suite", "--bundle", "unsigned.tar.gz"], dir);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(text(&run).contains("unsigned"), "{}", text(&run));
    let refused = tollgate(&["verify", "unsigned.tar.gz"], dir);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("unsigned"), "{}", text(&refused));
    let allowed = tollgate(&["verify", "unsigned.tar.gz", "--allow-unsigned"], dir);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed));
    assert!(text(&allowed).contains("UNSIGNED"), "{}", text(&allowed));
    assert!(
        text(&allowed).contains("not read: the target is the embedded mock"),
        "{}",
        text(&allowed)
    );
}

fn problems(path: &Path) -> Vec<String> {
    match verify_bundle(path, None, true) {
        Err(VerifyError::Problems(problems)) => problems.iter().map(|p| p.to_string()).collect(),
        other => panic!("{other:?}"),
    }
}

/// A bundle with extra files, a missing one, a path that climbs out, a link
/// and a twin: each named; and streams cut, padded or followed by bytes.
#[test]
fn hostile_bundles_are_refused_naming_each_entry() {
    let dir = tempfile::tempdir().unwrap();
    let unsigned = dir.path().join("ok.tar.gz");
    let about = serde_json::json!({"format": "x"});
    let about_bytes = serde_json::to_vec(&about).unwrap();
    let manifest = tollgate::bundle::manifest::Manifest::of(
        [
            ("about.json", about_bytes.as_slice()),
            ("listed.txt", &b"here"[..]),
        ],
        "2026-01-01T00:00:00Z".into(),
        None,
    )
    .to_bytes();
    use tar::EntryType::{Regular, Symlink};
    pack(
        &unsigned,
        &[
            ("manifest.json", &manifest, Regular),
            ("about.json", &about_bytes, Regular),
            ("../../etc/cron.d/evil", b"x", Regular),
            ("/abs", b"x", Regular),
            ("link", b"", Symlink),
            ("extra.txt", b"x", Regular),
            ("extra.txt", b"x", Regular),
        ],
    );
    let found = problems(&unsigned);
    for expected in [
        "../../etc/cron.d/evil: refused",
        "/abs: refused",
        "link: not a plain file",
        "extra.txt: in the bundle twice",
    ] {
        assert!(
            found.iter().any(|p| p.starts_with(expected)),
            "{expected} in {found:?}"
        );
    }

    let clean = dir.path().join("clean.tar.gz");
    pack(
        &clean,
        &[
            ("manifest.json", &manifest, Regular),
            ("about.json", &about_bytes, Regular),
            ("extra.txt", b"x", Regular),
        ],
    );
    let found = problems(&clean);
    assert!(
        found.contains(&"listed.txt: listed in the manifest, missing from the bundle".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"extra.txt: in the bundle, not in the manifest".to_string()),
        "{found:?}"
    );

    let mut appended = std::fs::read(&clean).unwrap();
    appended.extend_from_slice(b"trailing");
    let path = dir.path().join("appended.tar.gz");
    std::fs::write(&path, appended).unwrap();
    assert!(
        problems(&path)[0].ends_with("bytes after the gzip stream"),
        "{:?}",
        problems(&path)
    );

    let raw = std::fs::read(&clean).unwrap();
    let path = dir.path().join("cut.tar.gz");
    std::fs::write(&path, &raw[..raw.len() / 2]).unwrap();
    assert!(
        problems(&path)[0].starts_with(&path.display().to_string()),
        "{:?}",
        problems(&path)
    );

    let mut other_header = raw.clone();
    other_header[4] = 1; // the gzip mtime, which no checksum covers
    std::fs::write(&path, other_header).unwrap();
    assert!(
        problems(&path)[0].contains("gzip header"),
        "{:?}",
        problems(&path)
    );
}

#[test]
fn a_bundle_that_inflates_past_the_limit_is_refused_without_reading_it_all() {
    // 0-filled data compresses ~1000:1; the entry header claims more than a file may hold.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tar.gz");
    let gzip = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::default(),
        );
    let mut tar = tar::Builder::new(gzip);
    let mut header = tar::Header::new_gnu();
    header.set_path("huge.bin").unwrap();
    header.set_size(tollgate::bundle::limits::MAX_FILE_BYTES + 1);
    header.set_mode(0o644);
    header.set_cksum();
    let raw = tar.get_mut();
    raw.write_all(header.as_bytes()).unwrap();
    raw.write_all(&vec![0u8; 1024 * 1024]).unwrap();
    tar.into_inner().unwrap().finish().unwrap();
    let found = problems(&path);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("huge.bin: ") && p.contains("over the")),
        "{found:?}"
    );
}
