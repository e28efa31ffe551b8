//! Prompts driven through a pseudo-terminal.

use std::time::Duration;

use crate::PASSWORD;
use crate::support::{Daemon, run};

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
    pty.send_line("first try of a secret").unwrap();
    pty.expect("Repeat it").unwrap();
    pty.send_line("a different secret").unwrap();
    pty.expect("The passwords differ").unwrap();
    pty.expect("New password for kate").unwrap();
    pty.send_line(PASSWORD).unwrap();
    pty.expect("Repeat it").unwrap();
    pty.send_line(PASSWORD).unwrap();
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
