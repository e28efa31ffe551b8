//! Prompts driven through a pseudo-terminal.

use std::time::Duration;

use crate::PASSWORD;
use crate::support::{Daemon, run};

/// Types a line into a hidden-input prompt once the prompt reads from the terminal. The prompt
/// text is printed before the terminal is switched to hidden input, and that switch (tcsetattr
/// with TCSAFLUSH) discards whatever was typed before it; the echo flag alone is no sign that
/// the discard is over (seen losing the line on Linux 6.18). A child blocked in read(2) on its
/// stdin has finished switching.
fn send_secret(pty: &mut expectrl::Session, line: &str) {
    let pid = pty.get_process().pid().as_raw();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !reading_stdin(pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "omegactl never waited for input on its terminal"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    pty.send_line(line).unwrap();
}

/// Whether some thread of `pid` is blocked in read(0, …): /proc/PID/task/TID/syscall starts with
/// the syscall number and its first argument.
fn reading_stdin(pid: i32) -> bool {
    #[cfg(target_arch = "x86_64")]
    const SYS_READ: &str = "0";
    #[cfg(target_arch = "aarch64")]
    const SYS_READ: &str = "63";
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|task| {
        let syscall = std::fs::read_to_string(task.path().join("syscall")).unwrap_or_default();
        let mut fields = syscall.split_whitespace();
        fields.next() == Some(SYS_READ) && fields.next() == Some("0x0")
    })
}

#[test]
fn prompts_run_on_a_terminal_with_hidden_password_input() {
    use expectrl::{Eof, Session};
    let daemon = Daemon::start();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_omegactl"));
    cmd.args(["--socket", daemon.socket.to_str().unwrap()])
        .args(["user", "create", "kate", "--email", "kate@example.org"]);
    let mut pty = Session::spawn(cmd).expect("spawn omegactl on a pseudo-terminal");
    pty.set_expect_timeout(Some(Duration::from_secs(20)));
    pty.expect("New password for kate").unwrap();
    send_secret(&mut pty, "first try of a secret");
    pty.expect("Repeat it").unwrap();
    send_secret(&mut pty, "a different secret");
    pty.expect("The passwords differ").unwrap();
    pty.expect("New password for kate").unwrap();
    send_secret(&mut pty, PASSWORD);
    pty.expect("Repeat it").unwrap();
    send_secret(&mut pty, PASSWORD);
    let done = pty.expect("created user kate").unwrap();
    // Hidden input: the terminal never echoed what was typed.
    let shown = String::from_utf8_lossy(done.before()).to_string();
    assert!(
        !shown.contains(PASSWORD),
        "the password was echoed: {shown}"
    );
    pty.expect(Eof).unwrap();
    daemon.login("kate", PASSWORD);

    // Confirmation names the user; answering no changes nothing.
    for (answer, kept) in [("n", true), ("y", false)] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_omegactl"));
        cmd.args([
            "--socket",
            daemon.socket.to_str().unwrap(),
            "user",
            "delete",
            "kate",
        ]);
        let mut pty = Session::spawn(cmd).unwrap();
        pty.set_expect_timeout(Some(Duration::from_secs(20)));
        pty.expect("Delete user kate (kate@example.org)?").unwrap();
        pty.send(answer).unwrap();
        pty.expect(Eof).unwrap();
        let exists = run(daemon.omegactl(&["user", "show", "kate"])).code == 0;
        assert_eq!(exists, kept, "after answering {answer}");
    }
}
