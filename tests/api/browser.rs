//! The web app end to end: web/e2e (Node's test runner, playwright-core) drives Debian's Chromium
//! against this build's omegachatd, which serves the embedded app itself. The suite starts and
//! restarts its own daemons, so it gets the binary rather than an in-process server.

use std::path::Path;

#[tokio::test]
async fn the_web_app_works_end_to_end_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "Chromium is missing: apt-get install chromium (.ci/run does)"
    );
    assert!(
        root.join("web/node_modules/playwright-core").is_dir(),
        "web has no node_modules: run `npm ci --prefix web` (.ci/test does)"
    );
    let output = tokio::process::Command::new("npm")
        .args(["run", "--silent", "e2e"])
        .current_dir(root.join("web"))
        .env("OMEGACHAT_DAEMON_BIN", env!("CARGO_BIN_EXE_omegachatd"))
        .env("OMEGACHAT_ARTIFACTS", root.join("test-artifacts"))
        .output()
        .await
        .expect("npm runs (install Node.js and npm)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "browser tests failed:\n{report}");
    assert!(
        report.contains("fail 0") && !report.contains("pass 0"),
        "unexpected browser test report:\n{report}"
    );
}
