//! The README's shell commands, run verbatim as a newcomer would type them.
//!
//! Every ```sh block in README.md carries an annotation on the line above it:
//! `<!-- readme-test: run NAME -->` (a story below runs exactly that text) or
//! `<!-- readme-test: skip — why -->` (it cannot run here, and the reason says what covers it).
//! A block without one fails the first test, so a new command cannot slip past unrun.
//!
//! The install story writes to `/usr` and `/etc`: it runs in a private mount namespace whose
//! `/usr` and `/etc` are overlays over the real ones (writes land in a temporary directory) and
//! whose `/run` is an empty tmpfs, so the machine running the tests is left as it was.
//! Both stories build release binaries with cargo (several minutes on a fresh checkout); they
//! share one lock so the two builds never compete for the cores.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Release builds inside these stories take minutes on a fresh checkout of a 2-core machine.
const BUILD_AND_START: Duration = Duration::from_secs(30 * 60);

static ONE_BUILD_AT_A_TIME: Mutex<()> = Mutex::new(());

#[derive(Debug, PartialEq)]
enum Verdict {
    Run(String),
    Skip(String),
}

#[derive(Debug)]
struct Block {
    line: usize,
    verdict: Option<Verdict>,
    text: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shell_blocks() -> Vec<Block> {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("read README.md");
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() != "```sh" {
            i += 1;
            continue;
        }
        let verdict = lines[..i]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| annotation(l));
        let start = i + 1;
        let end = (start..lines.len())
            .find(|&j| lines[j].trim_end() == "```")
            .unwrap_or_else(|| panic!("README.md:{}: the ```sh block is never closed", i + 1));
        blocks.push(Block {
            line: i + 1,
            verdict,
            text: lines[start..end].join("\n") + "\n",
        });
        i = end + 1;
    }
    blocks
}

fn annotation(line: &str) -> Option<Verdict> {
    let inner = line
        .trim()
        .strip_prefix("<!-- readme-test:")?
        .strip_suffix("-->")?
        .trim();
    if let Some(name) = inner.strip_prefix("run ") {
        return Some(Verdict::Run(name.trim().to_owned()));
    }
    let why = inner
        .strip_prefix("skip")?
        .trim_start_matches([' ', '—', '-']);
    Some(Verdict::Skip(why.trim().to_owned()))
}

/// The text of the block annotated `run NAME`.
fn block(name: &str) -> String {
    let found: Vec<Block> = shell_blocks()
        .into_iter()
        .filter(|b| b.verdict == Some(Verdict::Run(name.to_owned())))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "README.md should have exactly one block annotated `run {name}`"
    );
    found.into_iter().next().unwrap().text
}

const STORIES: [&str; 3] = ["quickstart", "install", "admin-curl"];

#[test]
fn every_shell_block_is_run_or_says_why_not() {
    let blocks = shell_blocks();
    assert!(blocks.len() >= 5, "README.md lost its shell blocks?");
    for b in &blocks {
        match &b.verdict {
            None => panic!(
                "README.md:{}: a ```sh block without `<!-- readme-test: run NAME -->` or \
                 `<!-- readme-test: skip — why -->` on the line above it",
                b.line
            ),
            Some(Verdict::Run(name)) => assert!(
                STORIES.contains(&name.as_str()),
                "README.md:{}: `run {name}`, but tests/readme.rs has no story of that name",
                b.line
            ),
            Some(Verdict::Skip(why)) => assert!(
                why.len() >= 10,
                "README.md:{}: a skipped block must say why it cannot run here",
                b.line
            ),
        }
    }
    for story in STORIES {
        block(story);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Status code and body of a plain HTTP/1.1 GET, or `None` while nothing listens.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// Runs `script` with bash in the process group it leads, from the repository root.
fn spawn_shell(script: &str, envs: &[(&str, String)]) -> Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new("bash");
    cmd.args(["-euo", "pipefail", "-c", script])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for (key, value) in envs {
        cmd.env(key, value);
    }
    cmd.spawn().expect("start bash")
}

#[test]
fn quickstart_runs_the_daemon_on_the_embedded_default() {
    let _one = ONE_BUILD_AT_A_TIME
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    // The README's port (8080) may be taken on the machine running the tests, and its ./data
    // must not land in the checkout: the two keys it names move, the command stays verbatim.
    let mut child = spawn_shell(
        &block("quickstart"),
        &[
            ("OMEGACHAT_SERVER__LISTEN", format!("127.0.0.1:{port}")),
            (
                "OMEGACHAT_DATABASE__DATA_DIR",
                data.path().display().to_string(),
            ),
        ],
    );
    let stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            lines.push(line);
        }
        lines.join("\n")
    });
    let deadline = Instant::now() + BUILD_AND_START;
    let health = loop {
        if let Some(answer) = http_get(port, "/healthz") {
            break answer;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the quickstart command exited ({status}) before serving:\n{}",
                log.join().unwrap()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the daemon did not answer within {BUILD_AND_START:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(health.0, 200, "GET /healthz: {}", health.1);
    let (status, page) = http_get(port, "/").expect("GET /");
    assert_eq!(status, 200);
    assert!(page.contains("<html"), "the web app is served at /: {page}");
    assert!(data.path().join("omegachat.db").exists());

    // Ctrl-C at the terminal signals the whole foreground group: cargo and the daemon.
    let group = child.id() as i32;
    assert_eq!(kill_group(group, "INT"), 0);
    let status = child.wait().unwrap();
    let log = log.join().unwrap();
    assert!(
        log.contains("stopped"),
        "the daemon said it stopped cleanly:\n{log}"
    );
    assert!(
        status.success() || status.code() == Some(130),
        "exit status {status}:\n{log}"
    );
}

/// Signals a process group with the `kill` command, as a terminal does on Ctrl-C.
fn kill_group(group: i32, signal: &str) -> i32 {
    Command::new("kill")
        .args([format!("-{signal}"), "--".into(), format!("-{group}")])
        .status()
        .expect("run kill")
        .code()
        .unwrap_or(-1)
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// Runs `script` as root in a private mount namespace where /usr and /etc are overlays whose
/// writes land under `sandbox`, and /run is empty. Returns (success, stdout, stderr).
fn in_sandbox(sandbox: &Path, script: &str) -> (bool, String, String) {
    for dir in ["usr-up", "usr-work", "etc-up", "etc-work"] {
        std::fs::create_dir_all(sandbox.join(dir)).unwrap();
    }
    let s = sandbox.display();
    let prelude = format!(
        "mount -t overlay overlay -o lowerdir=/usr,upperdir={s}/usr-up,workdir={s}/usr-work /usr\n\
         mount -t overlay overlay -o lowerdir=/etc,upperdir={s}/etc-up,workdir={s}/etc-work /etc\n\
         mount -t tmpfs tmpfs /run\n"
    );
    let mut cmd = Command::new("unshare");
    if !is_root() {
        cmd.args(["--user", "--map-root-user"]);
    }
    cmd.args(["--mount", "--propagation", "private", "--"])
        .args(["bash", "-euo", "pipefail", "-c"])
        .arg(prelude + script)
        .current_dir(repo())
        .stdin(Stdio::null());
    let out = cmd.output().expect("run unshare (util-linux)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn install_puts_binaries_man_pages_and_completions_in_place_and_admin_curl_works() {
    let _one = ONE_BUILD_AT_A_TIME
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let sandbox = tempfile::tempdir().unwrap();
    let s = sandbox.path().display();
    let port = free_port();
    // After installing, start the installed daemon as the shipped unit would place its admin
    // socket (/run/omegachat/admin.sock) and run the curl examples against it.
    let script = format!(
        "{install}\
         mkdir -p /run/omegachat {s}/data\n\
         OMEGACHAT_ADMIN__SOCKET=/run/omegachat/admin.sock OMEGACHAT_DATABASE__DATA_DIR={s}/data \
         OMEGACHAT_SERVER__LISTEN=127.0.0.1:{port} /usr/bin/omegachatd 2>{s}/daemon.log &\n\
         daemon=$!\n\
         until [ -S /run/omegachat/admin.sock ]; do kill -0 $daemon; sleep 0.05; done\n\
         echo '--- admin-curl'\n\
         {curl}\
         echo\n\
         kill -TERM $daemon\n\
         wait $daemon\n",
        install = block("install"),
        curl = block("admin-curl"),
    );
    let (ok, stdout, stderr) = in_sandbox(sandbox.path(), &script);
    let daemon_log = std::fs::read_to_string(sandbox.path().join("daemon.log")).unwrap_or_default();
    assert!(
        ok,
        "the README's install and curl blocks failed:\n{stdout}\n{stderr}\n{daemon_log}"
    );

    let up = sandbox.path().join("usr-up");
    for binary in ["bin/omegachatd", "bin/omegactl"] {
        let meta = std::fs::metadata(up.join(binary)).expect(binary);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o755, "{binary}");
    }
    for page in [
        "share/man/man8/omegachatd.8",
        "share/man/man8/omegactl.8",
        "share/man/man5/omegachat.toml.5",
    ] {
        assert!(up.join(page).exists(), "{page} installed");
    }
    let completions =
        std::fs::read_to_string(up.join("share/bash-completion/completions/omegactl"))
            .expect("bash completions installed");
    assert!(completions.contains("omegactl"), "{completions}");

    // The curl examples: each answer is a JSON object and none is an error.
    let answers = stdout
        .split_once("--- admin-curl\n")
        .map(|(_, a)| a)
        .expect("the curl block ran");
    let answers: Vec<serde_json::Value> = serde_json::Deserializer::from_str(answers)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|err| panic!("the curl answers are not JSON ({err}): {answers}"));
    assert_eq!(answers.len(), 5, "one answer per curl command: {answers:?}");
    for answer in &answers {
        assert!(
            answer.get("error").is_none(),
            "an admin example answered an error: {answer}"
        );
    }
    assert_eq!(answers[0]["status"], "healthy");
    assert_eq!(answers[2]["username"], "bob");
    assert_eq!(answers[3]["user"]["state"], "disabled");
    assert!(answers[4]["new_kid"].is_string(), "{}", answers[4]);
}
