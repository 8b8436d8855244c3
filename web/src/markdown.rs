//! Proposal bodies are Markdown written by anyone with enough stake, so they
//! are rendered as untrusted input: raw HTML in the source is shown as text
//! (never passed through), and links and images keep only URLs that cannot
//! run script (`http`, `https`, `mailto` and relative ones).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// Renders `source` to HTML that is safe to put in a page as is.
pub fn render(source: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(source, options).map(|event| match event {
        // Shown as text: the renderer escapes text events.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Image { link_type, dest_url: safe_url(dest_url), title, id })
        }
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The URL if its scheme cannot execute anything, else `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower.split_once(':').map(|(s, _)| s);
    match scheme {
        // No colon, or one after a path/query/fragment character: relative.
        None => url,
        Some(s) if s.contains(['/', '?', '#']) => url,
        Some("http" | "https" | "mailto") => url,
        Some(_) => CowStr::Borrowed("#"),
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn raw_html_is_shown_as_text() {
        let out = render("hello <script>alert(1)</script> <img src=x onerror=alert(2)>");
        assert!(!out.contains("<script>"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{out}");
    }

    #[test]
    fn html_blocks_are_escaped_too() {
        let out = render("<div onclick=\"x()\">\nblock\n</div>\n");
        assert!(!out.contains("<div"), "{out}");
        assert!(out.contains("&lt;div"), "{out}");
    }

    #[test]
    fn script_urls_are_dropped_and_safe_ones_kept() {
        let out = render("[a](javascript:alert(1)) [b](JavaScript:alert(1)) [c](data:text/html,x) ![d](vbscript:x)");
        assert!(!out.to_ascii_lowercase().contains("script:"), "{out}");
        assert!(!out.contains("data:"), "{out}");
        let ok = render("[a](https://iotex.io) [b](/proposals/2) [c](mailto:dao@example.org) [d](#votes)");
        for url in ["https://iotex.io", "/proposals/2", "mailto:dao@example.org", "#votes"] {
            assert!(ok.contains(&format!("href=\"{url}\"")), "{url} in {ok}");
        }
    }

    #[test]
    fn markdown_still_renders() {
        let out = render("# Title\n\n**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(out.contains("<h1>Title</h1>"));
        assert!(out.contains("<strong>bold</strong>"));
        assert!(out.contains("<code>code</code>"));
        assert!(out.contains("<table>"));
    }
}
