//! What a preview shows, read from a page's HTML: OpenGraph, then Twitter card, then the plain
//! `<title>` and `<meta name=description>`.
//!
//! Parsed by `tl`, whose parser keeps open elements on a heap stack and nodes in one flat arena:
//! neither parsing nor dropping recurses, so 100,000 nested `<div>`s cost memory proportional to
//! the (capped) page, not stack. Only `<meta>`, `<title>` and `<base>` are looked at, walking the
//! arena in document order; nothing here recurses over the tree either.

use std::collections::HashMap;

use url::Url;

/// Longest title and description kept, in characters: a card shows a line or three.
const MAX_TITLE_CHARS: usize = 300;
const MAX_DESCRIPTION_CHARS: usize = 1_000;

/// A preview image as the page names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageImage {
    /// Absolute, http or https (not yet checked: the image fetch goes through the guard).
    pub url: Url,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// The preview's fields found in a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub title: Option<String>,
    pub description: Option<String>,
    pub site_name: Option<String>,
    pub image: Option<PageImage>,
}

/// Reads the preview fields of `html`, fetched from `page_url` (relative URLs resolve against
/// it, or against the page's `<base href>`).
pub fn parse(html: &str, page_url: &Url) -> PageMeta {
    let Ok(dom) = tl::parse(html, tl::ParserOptions::default()) else {
        // tl fails only on input beyond u32 offsets, far past the fetch cap.
        return PageMeta::default();
    };
    let parser = dom.parser();
    // First value of each key wins, as OpenGraph consumers do.
    let mut meta: HashMap<String, String> = HashMap::new();
    let mut title = None;
    let mut base = None;
    for node in dom.nodes() {
        let Some(tag) = node.as_tag() else { continue };
        let name = tag.name().as_utf8_str();
        // Attribute names are case-insensitive in HTML (`CONTENT=`), tl's lookup is not.
        let attr = |key: &str| {
            tag.attributes()
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .and_then(|(_, v)| v)
                .map(|v| decode_entities(&v))
        };
        if name.eq_ignore_ascii_case("meta") {
            let key = attr("property").or_else(|| attr("name"));
            if let (Some(key), Some(content)) = (key, attr("content")) {
                meta.entry(key.trim().to_ascii_lowercase())
                    .or_insert(content);
            }
        } else if name.eq_ignore_ascii_case("title") && title.is_none() {
            // Its direct text only: a title holds no elements, and this never walks a subtree.
            let text: String = tag
                .children()
                .top()
                .iter()
                .filter_map(|child| child.get(parser)?.as_raw())
                .map(|raw| raw.as_utf8_str().into_owned())
                .collect();
            title = Some(decode_entities(&text));
        } else if name.eq_ignore_ascii_case("base") && base.is_none() {
            base = attr("href").and_then(|href| page_url.join(href.trim()).ok());
        }
    }
    let base = base.unwrap_or_else(|| page_url.clone());
    let first = |keys: &[&str]| {
        keys.iter()
            .filter_map(|k| meta.get(*k))
            .map(|v| clean(v))
            .find(|v| !v.is_empty())
    };
    let image = first(&[
        "og:image",
        "og:image:url",
        "og:image:secure_url",
        "twitter:image",
        "twitter:image:src",
    ])
    .and_then(|href| base.join(&href).ok())
    .filter(|url| matches!(url.scheme(), "http" | "https"))
    .map(|url| PageImage {
        url,
        width: first(&["og:image:width"]).and_then(|w| w.parse().ok()),
        height: first(&["og:image:height"]).and_then(|h| h.parse().ok()),
    });
    PageMeta {
        title: first(&["og:title", "twitter:title"])
            .or_else(|| title.map(|t| clean(&t)).filter(|t| !t.is_empty()))
            .map(|t| shorten(t, MAX_TITLE_CHARS)),
        description: first(&["og:description", "twitter:description", "description"])
            .map(|d| shorten(d, MAX_DESCRIPTION_CHARS)),
        site_name: first(&["og:site_name"]).map(|s| shorten(s, MAX_TITLE_CHARS)),
        image,
    }
}

/// How far into a page a `<meta charset>` is looked for, as browsers' prescan does.
const CHARSET_PRESCAN_BYTES: usize = 1024;

/// The page as text: in the encoding its byte order mark, its Content-Type `charset` or its
/// `<meta charset>` / `<meta http-equiv=content-type>` names, in that order (as browsers decide),
/// else UTF-8. Undecodable bytes become U+FFFD rather than failing the preview.
pub fn decode(body: &[u8], header_charset: Option<&str>) -> String {
    let declared = || {
        let head = String::from_utf8_lossy(&body[..body.len().min(CHARSET_PRESCAN_BYTES)]);
        meta_charset(&head)
    };
    let encoding = encoding_rs::Encoding::for_bom(body)
        .map(|(encoding, _)| encoding)
        .or_else(|| header_charset.and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes())))
        .or_else(|| declared().and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes())))
        .unwrap_or(encoding_rs::UTF_8);
    // A page claiming UTF-16 in ASCII-compatible markup is not UTF-16 (the HTML standard's rule).
    let encoding = encoding.output_encoding();
    encoding.decode(body).0.into_owned()
}

/// The charset a `<meta>` in `head` declares.
fn meta_charset(head: &str) -> Option<String> {
    let dom = tl::parse(head, tl::ParserOptions::default()).ok()?;
    dom.nodes()
        .iter()
        .filter_map(|node| node.as_tag())
        .find_map(|tag| {
            if !tag.name().as_utf8_str().eq_ignore_ascii_case("meta") {
                return None;
            }
            let attr = |key: &str| {
                tag.attributes()
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .and_then(|(_, v)| v)
                    .map(|v| v.into_owned())
            };
            attr("charset").or_else(|| {
                let equiv = attr("http-equiv")?;
                if !equiv.eq_ignore_ascii_case("content-type") {
                    return None;
                }
                super::charset_param(&attr("content")?)
            })
        })
}

/// Whitespace collapsed to single spaces, trimmed.
fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(text: String, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// Character references in text and attribute values: the numeric ones and the few named ones
/// that titles and descriptions use. An unknown name is left as written.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|end| *end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let ch = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "hellip" => Some('…'),
                "mdash" => Some('—'),
                "ndash" => Some('–'),
                _ => {
                    let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => name.strip_prefix('#').and_then(|d| d.parse().ok()),
                    };
                    code.and_then(char::from_u32)
                }
            };
            ch.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> PageMeta {
        parse(
            html,
            &Url::parse("https://example.org/a/page.html").unwrap(),
        )
    }

    #[test]
    fn opengraph_wins_over_twitter_and_plain_tags() {
        let meta = page(
            r#"<html><head><title>Plain</title>
            <meta name="description" content="plain description">
            <meta name="twitter:title" content="Twitter title">
            <meta property="og:title" content="OG &amp; title">
            <meta property="og:description" content="  OG
               description ">
            <meta property="og:site_name" content="Example">
            <meta property="og:image" content="/img/card.png">
            <meta property="og:image:width" content="1200">
            <meta property="og:image:height" content="630">
            </head><body></body></html>"#,
        );
        assert_eq!(meta.title.as_deref(), Some("OG & title"));
        assert_eq!(meta.description.as_deref(), Some("OG description"));
        assert_eq!(meta.site_name.as_deref(), Some("Example"));
        let image = meta.image.unwrap();
        assert_eq!(image.url.as_str(), "https://example.org/img/card.png");
        assert_eq!((image.width, image.height), (Some(1200), Some(630)));
    }

    #[test]
    fn twitter_then_plain_tags_fill_in() {
        let meta = page(
            r#"<title> Just &lt;a&gt; title &#8212; &#x41; </title>
            <meta name="twitter:image" content="card.jpg">
            <META NAME="description" CONTENT="described">"#,
        );
        assert_eq!(meta.title.as_deref(), Some("Just <a> title — A"));
        assert_eq!(meta.description.as_deref(), Some("described"));
        assert_eq!(meta.site_name, None);
        assert_eq!(
            meta.image.unwrap().url.as_str(),
            "https://example.org/a/card.jpg"
        );
    }

    #[test]
    fn a_base_href_and_non_http_images() {
        let meta = page(
            r#"<base href="https://cdn.example.net/static/"><meta property="og:image" content="x.png">"#,
        );
        assert_eq!(
            meta.image.unwrap().url.as_str(),
            "https://cdn.example.net/static/x.png"
        );
        let meta = page(r#"<meta property="og:image" content="javascript:alert(1)">"#);
        assert_eq!(meta.image, None);
    }

    #[test]
    fn legacy_encodings_are_decoded_as_browsers_do() {
        // "Привет" in windows-1251, declared by the header, then by a meta tag.
        let cp1251 = b"<title>\xcf\xf0\xe8\xe2\xe5\xf2</title>";
        assert_eq!(
            decode(cp1251, Some("windows-1251")),
            "<title>Привет</title>"
        );
        let mut page = b"<meta charset=\"windows-1251\">".to_vec();
        page.extend_from_slice(cp1251);
        assert!(decode(&page, None).ends_with("<title>Привет</title>"));
        let mut page =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">".to_vec();
        page.extend_from_slice(b"<title>\x93\xfa\x96\x7b</title>");
        assert!(decode(&page, None).ends_with("<title>日本</title>"));
        // No declaration: UTF-8, with bad bytes replaced rather than refused.
        assert_eq!(
            decode("<title>é</title>".as_bytes(), None),
            "<title>é</title>"
        );
        assert_eq!(
            decode(b"<title>\xff</title>", None),
            "<title>\u{fffd}</title>"
        );
        // The header wins over the page; a byte order mark over both.
        assert_eq!(decode("é".as_bytes(), Some("utf-8")), "é");
        assert_eq!(decode(b"\xef\xbb\xbf\xc3\xa9", Some("windows-1251")), "é");
    }

    #[test]
    fn garbage_and_deep_nesting_do_not_crash() {
        assert_eq!(page("<<<>>><meta <title"), PageMeta::default());
        let deep = format!("<title>Deep</title>{}", "<div>".repeat(100_000));
        assert_eq!(page(&deep).title.as_deref(), Some("Deep"));
        let long = "x".repeat(5_000);
        let meta = page(&format!("<title>{long}</title>"));
        assert_eq!(meta.title.unwrap().chars().count(), MAX_TITLE_CHARS + 1);
    }
}
