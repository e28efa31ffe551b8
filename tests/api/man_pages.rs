//! The man pages in man/ are generated: omegachatd(8) from the clap definition, omegachat.toml(5)
//! from the shipped sample (itself checked against the config struct). This test fails when a
//! committed page is stale; `OMEGACHAT_UPDATE_MAN=1 cargo test --test api man_pages` rewrites them.

use std::path::Path;

use clap::CommandFactory;

fn omegachatd_page() -> String {
    let mut out = Vec::new();
    clap_mangen::Man::new(omegachatd::cli::Args::command())
        .section("8")
        .manual("OmegaChat")
        .render(&mut out)
        .expect("render omegachatd.8");
    String::from_utf8(out).expect("utf-8")
}

fn roff_escape(text: &str) -> String {
    let text = text.replace('\\', "\\e");
    if text.starts_with('.') || text.starts_with('\'') {
        format!("\\&{text}")
    } else {
        text
    }
}

fn toml_type(value: &str) -> &'static str {
    match toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|t| t.get("v").cloned())
    {
        Some(toml::Value::String(_)) => "string",
        Some(toml::Value::Integer(_)) => "integer",
        Some(toml::Value::Boolean(_)) => "boolean",
        Some(toml::Value::Array(_)) => "array",
        Some(toml::Value::Table(_)) => "table",
        _ => "value",
    }
}

/// Renders the sample's comments as the reference of every key, its type and its default.
fn config_page(sample: &str) -> String {
    let mut page = String::from(
        ".TH OMEGACHAT.TOML 5 \"\" \"OmegaChat\" \"OmegaChat\"\n.SH NAME\nomegachat.toml \\- configuration of omegachatd\n.SH DESCRIPTION\n",
    );
    let mut pending: Vec<String> = Vec::new();
    let mut section = String::new();
    let flush = |page: &mut String, pending: &mut Vec<String>| {
        let mut preformatted = false;
        for line in pending.drain(..) {
            let pre = line.starts_with("  ");
            if pre && !preformatted {
                page.push_str(".nf\n");
            } else if !pre && preformatted {
                page.push_str(".fi\n");
            }
            preformatted = pre;
            // `.PP` is the paragraph break this generator inserts; everything else is text.
            let text = if line == ".PP" {
                line
            } else {
                roff_escape(line.trim_end())
            };
            page.push_str(&text);
            page.push('\n');
        }
        if preformatted {
            page.push_str(".fi\n");
        }
    };
    // The sample's first line is its title, which NAME already says.
    for line in sample.lines().skip(1) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            flush(&mut page, &mut pending);
            if section.is_empty() {
                page.push_str(".SH KEYS\n");
            }
            section = name.to_owned();
            page.push_str(&format!(".SS [{name}]\n"));
        } else if let Some(comment) = line
            .strip_prefix("# ")
            .or_else(|| (line == "#").then_some(""))
        {
            let assignment = comment.split_once(" = ").filter(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            });
            match assignment {
                Some((key, value)) if !section.is_empty() => {
                    page.push_str(&format!(
                        ".TP\n.B {section}.{key}\n({}, default {})\n",
                        toml_type(value),
                        roff_escape(value)
                    ));
                    flush(&mut page, &mut pending);
                }
                _ if comment.is_empty() => pending.push(".PP".to_owned()),
                _ => pending.push(comment.to_owned()),
            }
        }
    }
    flush(&mut page, &mut pending);
    page.push_str(".SH SEE ALSO\nomegachatd(8)\n");
    page
}

fn check(path: &str, generated: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("OMEGACHAT_UPDATE_MAN").is_some() {
        std::fs::write(&file, generated).expect("write man page");
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == generated,
        "{path} is stale: regenerate it with `OMEGACHAT_UPDATE_MAN=1 cargo test --test api man_pages` and commit it"
    );
}

#[test]
fn the_committed_man_pages_are_current() {
    check("man/omegachatd.8", &omegachatd_page());
    let sample =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("omegachat.toml"))
            .unwrap();
    check("man/omegachat.toml.5", &config_page(&sample));
}

#[test]
fn the_config_page_documents_every_key() {
    let sample =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("omegachat.toml"))
            .unwrap();
    let page = config_page(&sample);
    let defaults = toml::Table::try_from(omegachat_contract::Config::default()).unwrap();
    for (section, keys) in &defaults {
        for key in keys.as_table().unwrap().keys() {
            assert!(
                page.contains(&format!(".B {section}.{key}\n")),
                "{section}.{key} missing from omegachat.toml(5)"
            );
        }
    }
}

/// Every page renders without a single groff or man warning (`.ci/run` installs man-db).
#[test]
fn every_page_renders_cleanly_with_man() {
    for page in ["man/omegachatd.8", "man/omegactl.8", "man/omegachat.toml.5"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(page);
        let output = std::process::Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&path)
            .env("MANWIDTH", "80")
            .env("MAN_KEEP_FORMATTING", "0")
            .output()
            .unwrap_or_else(|e| panic!("cannot run man ({e}): install man-db"));
        assert!(output.status.success(), "man {page} failed");
        let warnings = String::from_utf8_lossy(&output.stderr);
        assert!(
            warnings.trim().is_empty(),
            "{page} renders with warnings:\n{warnings}"
        );
        assert!(output.stdout.len() > 500, "{page} rendered almost nothing");
    }
}
