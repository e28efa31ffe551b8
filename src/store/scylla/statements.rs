//! Splitting a `.cql` file into statements, as cqlsh would: a `;` ends a statement unless it is
//! inside a comment, a string or a quoted name.
//!
//! The driver sends one statement per request, so a migration file is split before it is run.
//! CQL's lexical rules that matter here: `--` and `//` comments to the end of the line, `/* */`
//! comments, `'…'` strings (a quote inside doubled: `''`), `"…"` names (likewise `""`), and
//! `$$…$$` strings (function bodies), inside which nothing is special.

/// What is wrong with a file's text, with the 1-based line where the problem starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("line {line}: {what} is never closed")]
    Unterminated { line: usize, what: &'static str },
}

/// The statements of `text` in order, comments removed, each trimmed and without its `;`.
/// Text after the last `;` counts as a statement too (cqlsh would wait for more input).
pub fn split_statements(text: &str) -> Result<Vec<String>, SplitError> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut rest = text;
    let line_at = |rest: &str| text[..text.len() - rest.len()].matches('\n').count() + 1;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("--") || rest.starts_with("//") {
            // A comment ends at the line's end; the newline still separates words.
            rest = rest.find('\n').map_or("", |end| &rest[end..]);
        } else if rest.starts_with("/*") {
            let end = rest[2..].find("*/").ok_or(SplitError::Unterminated {
                line: line_at(rest),
                what: "a /* comment",
            })?;
            current.push(' ');
            rest = &rest[2 + end + 2..];
        } else if rest.starts_with("$$") {
            let end = rest[2..].find("$$").ok_or(SplitError::Unterminated {
                line: line_at(rest),
                what: "a $$ string",
            })?;
            current.push_str(&rest[..2 + end + 2]);
            rest = &rest[2 + end + 2..];
        } else if c == '\'' || c == '"' {
            let quoted = quoted_len(rest, c).ok_or(SplitError::Unterminated {
                line: line_at(rest),
                what: if c == '\'' {
                    "a ' string"
                } else {
                    "a \" quoted name"
                },
            })?;
            current.push_str(&rest[..quoted]);
            rest = &rest[quoted..];
        } else if c == ';' {
            push_statement(&mut statements, &mut current);
            rest = &rest[1..];
        } else {
            current.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    push_statement(&mut statements, &mut current);
    Ok(statements)
}

/// Length in bytes of the quoted token at the start of `text` (quote included), where a
/// doubled quote stands for one quote; `None` when it is never closed.
fn quoted_len(text: &str, quote: char) -> Option<usize> {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((at, c)) = chars.next() {
        if c == quote {
            match chars.peek() {
                Some((_, next)) if *next == quote => {
                    chars.next();
                }
                _ => return Some(at + c.len_utf8()),
            }
        }
    }
    None
}

fn push_statement(statements: &mut Vec<String>, current: &mut String) {
    let statement = current.trim();
    if !statement.is_empty() {
        statements.push(statement.to_owned());
    }
    current.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_semicolons_outside_comments_strings_and_names() {
        let text = "-- a comment; not a statement\n\
                    CREATE TABLE t (a text); // trailing; comment\n\
                    INSERT INTO t (a) VALUES ('x;y''s'); /* block;\n comment */\n\
                    SELECT \"odd;\"\"name\" FROM t;\n\
                    CREATE FUNCTION f() RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE lua AS $$ return 1; $$;\n\
                    DROP TABLE t";
        assert_eq!(
            split_statements(text).unwrap(),
            [
                "CREATE TABLE t (a text)",
                "INSERT INTO t (a) VALUES ('x;y''s')",
                "SELECT \"odd;\"\"name\" FROM t",
                "CREATE FUNCTION f() RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE lua AS $$ return 1; $$",
                "DROP TABLE t",
            ]
        );
    }

    #[test]
    fn comment_markers_inside_strings_are_text() {
        let text = "INSERT INTO t (a, b) VALUES ('--not a comment', '/* nor this */');";
        assert_eq!(
            split_statements(text).unwrap(),
            ["INSERT INTO t (a, b) VALUES ('--not a comment', '/* nor this */')"]
        );
    }

    #[test]
    fn a_comment_between_words_keeps_them_apart() {
        assert_eq!(
            split_statements("DROP/* x */TABLE t;\nDROP -- y\nTABLE u;").unwrap(),
            ["DROP TABLE t", "DROP \nTABLE u"]
        );
    }

    #[test]
    fn empty_statements_and_comment_only_files_give_nothing() {
        assert!(
            split_statements(";;  ;\n-- only a comment\n")
                .unwrap()
                .is_empty()
        );
        assert!(split_statements("").unwrap().is_empty());
    }

    #[test]
    fn an_unclosed_string_or_comment_is_refused_with_its_line() {
        assert_eq!(
            split_statements("SELECT 1;\nINSERT INTO t (a) VALUES ('it''s);"),
            Err(SplitError::Unterminated {
                line: 2,
                what: "a ' string"
            })
        );
        assert_eq!(
            split_statements("SELECT 1;\n\n/* never closed; SELECT 2;"),
            Err(SplitError::Unterminated {
                line: 3,
                what: "a /* comment"
            })
        );
        assert!(split_statements("SELECT \"a FROM t;").is_err());
        assert!(split_statements("AS $$ return 1;").is_err());
    }
}
