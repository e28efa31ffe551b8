//! man/omegactl.8 is generated from the clap definition in `omegactl::args`: one page holding the
//! global options and a subsection per command (`omegactl user create` …), so `man omegactl`
//! answers every question without a page per subcommand. This test fails when the committed page
//! is stale; `OMEGACHAT_UPDATE_MAN=1 cargo test -p omegactl --test man_page` rewrites it.

use std::path::Path;

use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, roman};
use omegactl::args::{Args, EXIT_STATUS, SOCKET_LOOKUP};

const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../man/omegactl.8");

/// Each chunk clap_mangen renders starts with the definition of the `Aq` string; the page needs it
/// once, at the top.
fn is_preamble(line: &str) -> bool {
    line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq")
}

/// One chunk clap_mangen renders, without the repeated preamble and, when `keep_heading` is
/// false, without its `.SH` heading, to sit under our own.
fn chunk(render: impl Fn(&mut Vec<u8>) -> std::io::Result<()>, keep_heading: bool) -> String {
    let mut out = Vec::new();
    render(&mut out).expect("render");
    String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .filter(|line| !is_preamble(line) && (keep_heading || !line.starts_with(".SH ")))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Every runnable command with its full name, depth first in definition order.
fn leaves(cmd: &clap::Command, prefix: &str, out: &mut Vec<(String, clap::Command)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{prefix} {}", sub.get_name());
        if sub.has_subcommands() {
            leaves(sub, &name, out);
        } else {
            out.push((name, sub.clone()));
        }
    }
}

/// `EXIT_STATUS` as a tagged list: each line is a status, two spaces, and what it means.
fn exit_statuses(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for line in EXIT_STATUS.lines() {
        let (status, meaning) = line.split_once("  ").expect("STATUS  meaning");
        roff.control("TP", []);
        roff.control("B", [status]);
        roff.text([roman(meaning)]);
    }
}

fn page() -> String {
    let man = Man::new(Args::command()).section("8").manual("OmegaChat");
    let mut page = String::new();
    let mut title = Vec::new();
    man.render_title(&mut title).expect("render");
    page.push_str(&String::from_utf8(title).expect("utf-8"));
    for part in [
        Man::render_name_section,
        Man::render_synopsis_section,
        Man::render_description_section,
        Man::render_options_section,
    ] {
        page.push_str(&chunk(|out| part(&man, out), true));
    }

    page.push_str(".SH COMMANDS\n");
    // Taken from the unbuilt definition so each command's options are its own, not the global
    // flags again (those are under OPTIONS above).
    let mut commands = Vec::new();
    leaves(&Args::command(), "omegactl", &mut commands);
    for (name, cmd) in commands {
        let mut heading = Roff::default();
        heading.control("SS", [name.as_str()]);
        page.push_str(&heading.to_roff());
        // `-h` is said once under OPTIONS; repeating it for every command would only be noise.
        let cmd = cmd.bin_name(&name).disable_help_flag(true);
        let man = Man::new(cmd).section("8");
        page.push_str(&chunk(|out| man.render_synopsis_section(out), false));
        page.push_str(".PP\n");
        page.push_str(&chunk(|out| man.render_description_section(out), false));
        page.push_str(&chunk(|out| man.render_options_section(out), false));
    }

    let mut tail = Roff::default();
    exit_statuses(&mut tail);
    tail.control("SH", ["FILES"]);
    tail.text([roman(SOCKET_LOOKUP)]);
    tail.control("SH", ["SEE ALSO"]);
    tail.text([roman("omegachatd(8), omegachat.toml(5)")]);
    page.push_str(&tail.to_roff());
    page.push_str(&chunk(|out| man.render_version_section(out), true));
    page
}

#[test]
fn the_committed_man_page_is_current() {
    let generated = page();
    if std::env::var_os("OMEGACHAT_UPDATE_MAN").is_some() {
        std::fs::write(PAGE, &generated).expect("write man/omegactl.8");
        return;
    }
    let committed = std::fs::read_to_string(Path::new(PAGE)).unwrap_or_default();
    assert!(
        committed == generated,
        "man/omegactl.8 is stale: regenerate it with `OMEGACHAT_UPDATE_MAN=1 cargo test -p omegactl --test man_page` and commit it"
    );
}

#[test]
fn the_man_page_documents_every_command() {
    let page = page();
    let mut commands = Vec::new();
    leaves(&Args::command(), "omegactl", &mut commands);
    assert!(commands.len() >= 25, "{} commands", commands.len());
    for (name, _) in commands {
        assert!(
            page.contains(&format!(".SS \"{name}\"\n")),
            "{name} missing from omegactl(8)"
        );
    }
    assert!(page.contains("\\-\\-password\\-stdin"));
}
