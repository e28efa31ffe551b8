//! How answers reach stdout: aligned tables and `key: value` blocks for people, or the daemon's
//! JSON (pretty) for scripts with `--json`. The renderers return strings so tests can read them.

use std::io::{self, Write};

use crate::error::CliError;

/// Writes `text` to stdout. A closed pipe (`omegactl user list | head`) is not an error: the
/// reader has what it wanted.
pub fn emit(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => {
            Err(CliError::Io(format!("cannot write to stdout: {err}")))
        }
        _ => Ok(()),
    }
}

/// Pretty JSON with a final newline.
pub fn json(value: &impl serde::Serialize) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|err| CliError::Io(format!("cannot encode JSON: {err}")))?;
    text.push('\n');
    Ok(text)
}

/// The daemon's JSON re-indented, keys in the order it sent them (a `serde_json::Value` would
/// sort them).
pub fn pretty_json(raw: &[u8]) -> Result<String, CliError> {
    let mut out = Vec::new();
    let mut from = serde_json::Deserializer::from_slice(raw);
    serde_transcode::transcode(&mut from, &mut serde_json::Serializer::pretty(&mut out))
        .map_err(|err| CliError::Protocol(format!("the daemon's answer is not JSON: {err}")))?;
    out.push(b'\n');
    String::from_utf8(out)
        .map_err(|err| CliError::Protocol(format!("the daemon's answer is not UTF-8: {err}")))
}

/// Columns aligned on the widest cell; the last column is not padded, so no line ends in spaces.
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headings.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; it should have as many cells as the header.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The header and rows as lines of text.
    pub fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(width(cell));
            }
        }
        let mut out = String::new();
        for line in std::iter::once(&self.header).chain(&self.rows) {
            let mut text = String::new();
            for (i, cell) in line.iter().enumerate().take(columns) {
                text.push_str(cell);
                if i + 1 < columns {
                    text.push_str(&" ".repeat(widths[i] - width(cell) + 2));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A `key: value` block with the values aligned.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let key_width = pairs.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
    let mut out = String::new();
    for (key, value) in pairs {
        let pad = " ".repeat(key_width - width(key));
        out.push_str(&format!("{key}:{pad} {value}\n"));
    }
    out
}

/// Display width in characters; good enough for names and ids (wide CJK glyphs misalign a little).
fn width(text: &str) -> usize {
    text.chars().count()
}

/// An optional value, or `-` when absent.
pub fn or_dash(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or("-").to_owned()
}

/// `yes` or `no`.
pub fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

/// A duration as its two largest units: `3d 4h`, `5h 12m`, `42s`.
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// A byte count in binary units: `512 B`, `1.5 KiB`, `3.2 GiB`.
pub fn bytes(count: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = count as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{count} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_without_trailing_spaces() {
        let mut table = Table::new(&["NAME", "STATE", "NOTE"]);
        table.row(vec!["alice".into(), "active".into(), "".into()]);
        table.row(vec!["bo".into(), "disabled".into(), "left".into()]);
        assert_eq!(
            table.render(),
            "NAME   STATE     NOTE\nalice  active\nbo     disabled  left\n"
        );
    }

    #[test]
    fn fields_align_values() {
        assert_eq!(
            fields(&[("id", "u1".into()), ("username", "alice".into())]),
            "id:       u1\nusername: alice\n"
        );
    }

    #[test]
    fn durations_and_sizes_read_naturally() {
        assert_eq!(duration(42), "42s");
        assert_eq!(duration(125), "2m 5s");
        assert_eq!(duration(3 * 3600 + 120), "3h 2m");
        assert_eq!(duration(2 * 86_400 + 5 * 3600 + 7), "2d 5h");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    #[test]
    fn json_is_pretty_with_a_final_newline() {
        assert_eq!(
            json(&serde_json::json!({"a": 1})).unwrap(),
            "{\n  \"a\": 1\n}\n"
        );
    }

    #[test]
    fn the_daemons_json_keeps_its_key_order() {
        assert_eq!(
            pretty_json(br#"{"z":1,"a":[true]}"#).unwrap(),
            "{\n  \"z\": 1,\n  \"a\": [\n    true\n  ]\n}\n"
        );
    }
}
