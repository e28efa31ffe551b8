//! The shipped `omegachat.toml` is generated, not written: from the doc comments of the config
//! types (src/config.rs, src/config/messages.rs, src/config/preview.rs) and `Config::default()`. This test generates it and fails when the
//! committed file differs; `OMEGACHAT_UPDATE_DOCS=1 cargo test -p omegachat-contract --test sample`
//! rewrites it (and the man page test then asks for omegachat.toml(5) to be regenerated too).

use std::collections::HashMap;
use std::path::Path;

use omegachat_contract::Config;

/// A struct's doc lines and its fields' names and doc lines, in declaration order.
struct Documented {
    doc: Vec<String>,
    fields: Vec<(String, Vec<String>)>,
}

fn doc_lines(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').unwrap_or(&line).to_owned())
        .collect()
}

/// Files holding section structs: `config.rs` and the sections kept in files of their own.
const CONFIG_SOURCES: [&str; 3] = [
    "src/config.rs",
    "src/config/messages.rs",
    "src/config/preview.rs",
];

fn documented_structs() -> HashMap<String, Documented> {
    let mut structs = HashMap::new();
    let items = CONFIG_SOURCES.iter().flat_map(|source| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(source);
        let text = std::fs::read_to_string(path).unwrap();
        syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{source} parses: {e}"))
            .items
    });
    for item in items {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        let fields = item
            .fields
            .iter()
            .filter_map(|f| Some((f.ident.as_ref()?.to_string(), doc_lines(&f.attrs))))
            .collect();
        structs.insert(
            item.ident.to_string(),
            Documented {
                doc: doc_lines(&item.attrs),
                fields,
            },
        );
    }
    structs
}

/// The type name of each `Config` field (its section's struct).
fn section_types() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config.rs");
    let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
    for item in file.items {
        if let syn::Item::Struct(item) = item
            && item.ident == "Config"
        {
            return item
                .fields
                .iter()
                .map(|f| {
                    let syn::Type::Path(ty) = &f.ty else {
                        panic!("a section's type is a plain struct name")
                    };
                    (
                        f.ident.as_ref().unwrap().to_string(),
                        ty.path.segments.last().unwrap().ident.to_string(),
                    )
                })
                .collect();
        }
    }
    panic!("no struct Config in config.rs")
}

fn comment(out: &mut String, line: &str) {
    if line.is_empty() {
        out.push_str("#\n");
    } else {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
}

/// The sample file: the header from `Config`'s doc (after its first paragraph), then each
/// section with its introduction and every key, documented and commented out at its default.
fn generate() -> String {
    let structs = documented_structs();
    let defaults = toml::Table::try_from(Config::default()).unwrap();
    let mut out = String::new();
    let header = &structs["Config"].doc;
    let start = header
        .iter()
        .position(String::is_empty)
        .expect("a header after a blank line");
    for line in &header[start + 1..] {
        comment(&mut out, line);
    }
    for (section, ty) in section_types() {
        let documented = &structs[&ty];
        out.push_str(&format!("\n[{section}]\n"));
        assert_eq!(
            documented.doc.first().map(String::as_str),
            Some(format!("`[{section}]`").as_str()),
            "{ty}'s doc comment must start with `[{section}]`"
        );
        for line in documented.doc.iter().skip(1).skip_while(|l| l.is_empty()) {
            comment(&mut out, line);
        }
        let values = defaults[&section].as_table().unwrap();
        for (key, doc) in &documented.fields {
            assert!(!doc.is_empty(), "{section}.{key} has no doc comment");
            for line in doc {
                comment(&mut out, line);
            }
            let value = values
                .get(key)
                .unwrap_or_else(|| panic!("{section}.{key} has no default in Config::default()"));
            out.push_str(&format!("# {key} = {value}\n"));
        }
    }
    out
}

#[test]
fn the_shipped_sample_is_generated_from_the_config_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../omegachat.toml");
    let generated = generate();
    if std::env::var_os("OMEGACHAT_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "omegachat.toml is stale: regenerate it from the doc comments in cli/contract/src/config.rs with \
         `OMEGACHAT_UPDATE_DOCS=1 cargo test -p omegachat-contract --test sample`, then the man page \
         with `OMEGACHAT_UPDATE_MAN=1 cargo test --test api man_pages`, and commit both"
    );
}
