//! Renders a [`Reply`] as a Telegram message in HTML parse mode. Every
//! string from the model is escaped here, user-written text included, so a
//! title like `<b>free</b> & co` arrives as those characters, not as markup.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::reply::{Block, Button, Reply, Tone};

/// Telegram's limit on a message's text, in characters.
const MAX_CHARS: usize = 4096;

/// Escapes text for Telegram's HTML parse mode (`<`, `>`, `&`, and `"` for
/// attribute values).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The message text (HTML).
pub fn html(reply: &Reply) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &reply.title {
        let mark = if reply.tone == Tone::Error { "⚠️ " } else { "" };
        parts.push(format!("{mark}<b>{}</b>", escape(t)));
    }
    for (i, b) in reply.body.iter().enumerate() {
        let mark = if reply.title.is_none() && i == 0 && reply.tone == Tone::Error { "⚠️ " } else { "" };
        parts.push(match b {
            Block::Text(t) => format!("{mark}{}", escape(t)),
            Block::Code(t) => format!("<pre>{}</pre>", escape(t)),
            Block::Link { label, url } => format!("<a href=\"{}\">{}</a>", escape(url), escape(label)),
        });
    }
    if !reply.fields.is_empty() {
        let lines: Vec<String> =
            reply.fields.iter().map(|f| format!("<b>{}</b>: {}", escape(&f.name), escape(&f.value))).collect();
        parts.push(lines.join("\n"));
    }
    let text = parts.join("\n\n");
    if text.chars().count() <= MAX_CHARS {
        return text;
    }
    // Too long: fall back to the plain text, cut, so no tag is left open.
    let plain = escape(&reply.plain_text());
    let cut: String = plain.chars().take(MAX_CHARS - 1).collect();
    // Do not leave half an entity at the cut.
    let cut = match cut.rfind('&') {
        Some(i) if !cut[i..].contains(';') => cut[..i].to_owned(),
        _ => cut,
    };
    format!("{cut}…")
}

/// The inline keyboard, if the reply has buttons.
pub fn keyboard(rows: &[Vec<Button>]) -> Option<InlineKeyboardMarkup> {
    if rows.is_empty() {
        return None;
    }
    Some(InlineKeyboardMarkup::new(
        rows.iter().map(|row| row.iter().map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone()))),
    ))
}

/// A short plain-text answer for a callback query (Telegram shows at most
/// 200 characters; no markup).
pub fn toast(reply: &Reply) -> String {
    let text = reply.plain_text();
    if text.chars().count() <= 200 {
        return text;
    }
    let cut: String = text.chars().take(199).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_everywhere() {
        let r = Reply::public()
            .title("<b>Free</b> & _co_")
            .text("a < b > c")
            .code("<pre>")
            .field("<i>", "\"q\"")
            .link("x", "https://e.org/?a=1&b=\"2\"");
        let h = html(&r);
        assert!(h.starts_with("<b>&lt;b&gt;Free&lt;/b&gt; &amp; _co_</b>"), "{h}");
        assert!(h.contains("a &lt; b &gt; c"), "{h}");
        assert!(h.contains("<pre>&lt;pre&gt;</pre>"), "{h}");
        assert!(h.contains("<b>&lt;i&gt;</b>: &quot;q&quot;"), "{h}");
        assert!(h.contains("<a href=\"https://e.org/?a=1&amp;b=&quot;2&quot;\">x</a>"), "{h}");
    }

    #[test]
    fn a_long_reply_is_cut_to_telegrams_limit_without_broken_markup() {
        let r = Reply::public().title("t").text("&".repeat(5000));
        let h = html(&r);
        assert!(h.chars().count() <= MAX_CHARS);
        assert!(!h.contains("<b>"));
        assert!(h.trim_end_matches('…').ends_with("&amp;"), "{}", &h[h.len() - 20..]);
    }

    #[test]
    fn errors_are_marked() {
        assert!(html(&Reply::error("nope")).starts_with("⚠️ nope"));
    }
}
