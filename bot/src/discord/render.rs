//! Renders a [`Reply`] as a Discord message: one embed (title, description,
//! fields, a colour by tone) and components (buttons; an approval's toggle
//! buttons become one multi-select menu). Every string from the model is
//! escaped for Discord's Markdown here, user-written text included, and cut
//! to Discord's limits. Mentions never ping: replies allow none.
//!
//! The shared layer writes command syntax the way text platforms type it
//! (`/vote 3 For`); [`discord_syntax`] rewrites it as Discord's slash
//! commands take it (`/vote id:3 choice:For`).

use serenity::builder::{
    CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed, CreateInteractionResponseMessage, CreateMessage,
    CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption, EditInteractionResponse,
};
use serenity::model::application::ButtonStyle;

use crate::action::Action;
use crate::reply::{Block, Button, Reply, Tone};

/// Embed limits (Discord's).
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 4096;
const FIELDS_MAX: usize = 25;
const FIELD_NAME_MAX: usize = 256;
const FIELD_VALUE_MAX: usize = 1024;
/// All of an embed's text together.
const EMBED_TOTAL_MAX: usize = 6000;
/// Components: rows per message, buttons per row, label length.
const ROWS_MAX: usize = 5;
const BUTTONS_PER_ROW: usize = 5;
const LABEL_MAX: usize = 80;
/// Options of a select menu, and an option's label.
const OPTIONS_MAX: usize = 25;
const OPTION_LABEL_MAX: usize = 100;

/// Green for success, red for refusals.
const OK_COLOUR: u32 = 0x2e_cc_71;
const ERROR_COLOUR: u32 = 0xe7_4c_3c;

/// The custom id prefix of an approval's select menu; the values chosen are
/// the choices' numbers.
pub const APPROVAL_SELECT: &str = "ap:";

/// Escapes Discord Markdown so text shows as written: `*_~`|<>[]\`
/// anywhere, and a `#` or `-` that would start a heading, list or subtext
/// at the start of a line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    let mut line_start = true;
    while let Some(c) = chars.next() {
        let starts_block = line_start && matches!(c, '#' | '-') && matches!(chars.peek(), Some(' ' | '#'));
        if matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '<' | '>' | '[' | ']') || starts_block {
            out.push('\\');
        }
        out.push(c);
        line_start = c == '\n';
    }
    out
}

/// Cuts `text` to `max` characters, ending with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    // Do not leave a dangling escape.
    if s.ends_with('\\') && !s.ends_with("\\\\") {
        s.pop();
    }
    s.push('…');
    s
}

/// Rewrites text-platform command syntax as Discord's slash commands take it.
pub fn discord_syntax(text: &str) -> String {
    const FIXED: &[(&str, &str)] = &[
        ("send /verify <signature>", "run /link verify signature:<signature>"),
        ("/verify <signature>", "/link verify signature:<signature>"),
        ("Send /link <your address> to me in a private chat", "Run /link wallet address:<your address>"),
        ("/link <your address>", "/link wallet address:<your address>"),
        ("/link <address>", "/link wallet address:<address>"),
        ("send /allocate <recipient=percent …>", "run /allocate weights:<recipient=percent …>"),
        ("/allocate <recipient=percent …>", "/allocate weights:<recipient=percent …>"),
        ("Send /proposal <id>", "Run /proposal id:<id>"),
        ("/proposal <id>", "/proposal id:<id>"),
        ("/vote <id> <choice>", "/vote id:<id> choice:<choice>"),
        ("Send /proposal ", "Run /proposal "),
    ];
    let mut s = text.to_owned();
    for (from, to) in FIXED {
        s = s.replace(from, to);
    }
    // `/proposal 3` → `/proposal id:3`; `/vote 3 followed by` → `/vote id:3 weights: followed by`.
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = rest.find('/') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let rewritten = ["/proposal ", "/vote "].iter().find_map(|cmd| {
            let after = tail.strip_prefix(cmd)?;
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let (id, after) = after.split_at(digits);
            let extra = if *cmd == "/vote " && after.starts_with(" followed by") { " weights:" } else { "" };
            Some((format!("{cmd}id:{id}{extra}"), cmd.len() + digits))
        });
        match rewritten {
            Some((text, used)) => {
                out.push_str(&text);
                rest = &tail[used..];
            }
            None => {
                out.push('/');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of one body block, Markdown-escaped.
fn block(b: &Block) -> String {
    match b {
        Block::Text(t) => escape(&discord_syntax(t)),
        // Inside a code block nothing is Markdown; only a fence would end it.
        Block::Code(t) => format!("```\n{}\n```", t.replace("```", "`\u{200b}``")),
        Block::Link { label, url } => {
            // A URL with a `)` or a space would end the link early: show it bare.
            if url.contains([')', ' ', '<', '>']) || !url.starts_with("http") {
                format!("{}: {}", escape(label), escape(url))
            } else {
                format!("[{}]({url})", escape(label))
            }
        }
    }
}

/// The reply's embed.
pub fn embed(reply: &Reply) -> CreateEmbed {
    let error = reply.tone == Tone::Error;
    let mut e = CreateEmbed::new().colour(if error { ERROR_COLOUR } else { OK_COLOUR });
    let mut budget = EMBED_TOTAL_MAX;
    if let Some(t) = &reply.title {
        let title = cut(&format!("{}{}", if error { "⚠️ " } else { "" }, escape(&discord_syntax(t))), TITLE_MAX);
        budget -= title.chars().count();
        e = e.title(title);
    }
    let mut parts: Vec<String> = reply.body.iter().map(block).collect();
    if error
        && reply.title.is_none()
        && let Some(first) = parts.first_mut()
    {
        first.insert_str(0, "⚠️ ");
    }
    let description = cut(&parts.join("\n\n"), DESCRIPTION_MAX.min(budget));
    budget -= description.chars().count();
    if !description.is_empty() {
        e = e.description(description);
    }
    for (i, f) in reply.fields.iter().enumerate() {
        let name = cut(&escape(&discord_syntax(&f.name)), FIELD_NAME_MAX);
        let value = cut(&escape(&discord_syntax(&f.value)), FIELD_VALUE_MAX);
        let value = if value.is_empty() { "\u{200b}".to_owned() } else { value };
        let size = name.chars().count() + value.chars().count();
        if i == FIELDS_MAX || size + 1 > budget {
            break;
        }
        budget -= size;
        e = e.field(name, value, value_is_short(&f.value));
    }
    e
}

/// Short values sit side by side.
fn value_is_short(value: &str) -> bool {
    value.chars().count() <= 40
}

/// The message's components: buttons in rows (at most 5 of 5), or for an
/// approval keyboard one multi-select of its choices.
pub fn components(rows: &[Vec<Button>]) -> Vec<CreateActionRow> {
    let all: Vec<&Button> = rows.iter().flatten().collect();
    if let Some(select) = approval_select(&all) {
        return vec![select];
    }
    all.chunks(BUTTONS_PER_ROW)
        .take(ROWS_MAX)
        .map(|row| {
            CreateActionRow::Buttons(
                row.iter()
                    .map(|b| {
                        CreateButton::new(b.data.clone()).label(cut(&b.label, LABEL_MAX)).style(ButtonStyle::Primary)
                    })
                    .collect(),
            )
        })
        .collect()
}

/// The approval keyboard (toggles and a Submit) as one select menu: Discord
/// has multi-select, so no toggling round trips.
fn approval_select(buttons: &[&Button]) -> Option<CreateActionRow> {
    let mut id = None;
    let mut options = Vec::new();
    for b in buttons {
        match Action::decode(&b.data)? {
            Action::Toggle { id: p, choice, .. } => {
                id = Some(p);
                let label = b.label.trim_start_matches("✅ ");
                options.push(CreateSelectMenuOption::new(cut(label, OPTION_LABEL_MAX), choice.to_string()));
            }
            Action::Submit { .. } => {}
            Action::Vote { .. } => return None,
        }
    }
    let id = id?;
    options.truncate(OPTIONS_MAX);
    let n = u8::try_from(options.len()).unwrap_or(25);
    let menu =
        CreateSelectMenu::new(format!("{APPROVAL_SELECT}{}", id.get()), CreateSelectMenuKind::String { options })
            .placeholder("Choose the options you approve")
            .min_values(1)
            .max_values(n);
    Some(CreateActionRow::SelectMenu(menu))
}

/// The reply as an interaction response message (ephemeral when private).
pub fn response(reply: &Reply) -> CreateInteractionResponseMessage {
    CreateInteractionResponseMessage::new()
        .embed(embed(reply))
        .components(components(&reply.buttons))
        .ephemeral(reply.is_private())
        .allowed_mentions(CreateAllowedMentions::new())
}

/// The reply as the edit of a deferred response.
pub fn edit(reply: &Reply) -> EditInteractionResponse {
    EditInteractionResponse::new()
        .embed(embed(reply))
        .components(components(&reply.buttons))
        .allowed_mentions(CreateAllowedMentions::new())
}

/// The reply as a channel message (announcements).
pub fn message(reply: &Reply) -> CreateMessage {
    CreateMessage::new()
        .embed(embed(reply))
        .components(components(&reply.buttons))
        .allowed_mentions(CreateAllowedMentions::new())
}

#[cfg(test)]
mod tests {
    use iodao_core::ProposalId;
    use serde_json::Value;

    use super::*;

    fn json<T: serde::Serialize>(t: &T) -> Value {
        serde_json::to_value(t).expect("serializes")
    }

    #[test]
    fn user_text_is_escaped_in_titles_descriptions_and_fields() {
        let r = Reply::public()
            .title("**Free** _money_")
            .text("a <@123> `b` ~~c~~ | d\n- e [x](y)\n#1 -2")
            .field("*n*", "# v");
        let e = json(&embed(&r));
        assert_eq!(e["title"], "\\*\\*Free\\*\\* \\_money\\_");
        assert_eq!(e["description"], "a \\<@123\\> \\`b\\` \\~\\~c\\~\\~ \\| d\n\\- e \\[x\\](y)\n#1 -2");
        assert_eq!(e["fields"][0]["name"], "\\*n\\*");
        assert_eq!(e["fields"][0]["value"], "\\# v");
        assert_eq!(e["color"], OK_COLOUR);
    }

    #[test]
    fn code_and_links_render_as_markdown() {
        let r = Reply::private().code("sign ```this```").link("Open [it]", "https://dao.example.org/link/abc");
        let d = json(&embed(&r))["description"].as_str().unwrap().to_owned();
        assert!(d.starts_with("```\nsign `\u{200b}``this`\u{200b}``\n```"), "{d}");
        assert!(d.ends_with("[Open \\[it\\]](https://dao.example.org/link/abc)"), "{d}");
    }

    #[test]
    fn errors_are_red_and_marked_and_private_replies_ephemeral() {
        let r = Reply::error("nope");
        let e = json(&embed(&r));
        assert_eq!(e["color"], ERROR_COLOUR);
        assert_eq!(e["description"], "⚠️ nope");
        let m = json(&response(&r));
        assert_eq!(m["flags"], 64, "ephemeral");
        assert_eq!(m["allowed_mentions"]["parse"], serde_json::json!([]));
        assert!(json(&response(&Reply::public().text("hi"))).get("flags").is_none_or(|f| f == 0));
    }

    #[test]
    fn text_platform_syntax_becomes_slash_command_syntax() {
        assert_eq!(
            discord_syntax("sign it, then send /verify <signature>:"),
            "sign it, then run /link verify signature:<signature>:"
        );
        assert_eq!(
            discord_syntax("Send /link <your address> to me in a private chat, sign"),
            "Run /link wallet address:<your address>, sign"
        );
        assert_eq!(
            discord_syntax("Vote with /vote 12 followed by x."),
            "Vote with /vote id:12 weights: followed by x."
        );
        assert_eq!(discord_syntax("Send /proposal 4 to see it."), "Run /proposal id:4 to see it.");
        assert_eq!(discord_syntax("Usage: /vote <id> <choice>"), "Usage: /vote id:<id> choice:<choice>");
        assert_eq!(discord_syntax("https://x.org/a/b 1/2"), "https://x.org/a/b 1/2");
    }

    #[test]
    fn everything_is_cut_to_discords_limits() {
        let mut r = Reply::public().title("t".repeat(300)).text("x".repeat(5000));
        for i in 0..30 {
            r = r.field(format!("f{i}"), "v".repeat(2000));
        }
        let e = json(&embed(&r));
        assert_eq!(e["title"].as_str().unwrap().chars().count(), TITLE_MAX);
        let d = e["description"].as_str().unwrap();
        assert_eq!(d.chars().count(), DESCRIPTION_MAX);
        assert!(d.ends_with('…'));
        let fields = e["fields"].as_array().unwrap();
        let total: usize = TITLE_MAX
            + DESCRIPTION_MAX
            + fields
                .iter()
                .map(|f| f["name"].as_str().unwrap().chars().count() + f["value"].as_str().unwrap().chars().count())
                .sum::<usize>();
        assert!(total <= EMBED_TOTAL_MAX, "{total}");
        assert!(fields.iter().all(|f| f["value"].as_str().unwrap().chars().count() <= FIELD_VALUE_MAX));
    }

    #[test]
    fn vote_buttons_are_rows_of_five_and_approval_toggles_one_multi_select() {
        let id = ProposalId::parse("7").unwrap();
        let buttons: Vec<Button> =
            (1..=7).map(|c| Button { label: format!("C{c}"), data: Action::Vote { id, choice: c }.encode() }).collect();
        let rows = json(&components(&[buttons]));
        assert_eq!(rows.as_array().unwrap().len(), 2);
        assert_eq!(rows[0]["components"].as_array().unwrap().len(), 5);
        assert_eq!(rows[0]["components"][1]["custom_id"], "v:7:2");
        assert_eq!(rows[0]["components"][1]["label"], "C2");

        let toggles: Vec<Button> = (1..=3)
            .map(|c| Button {
                label: if c == 2 { "✅ B".into() } else { format!("L{c}") },
                data: Action::Toggle { id, selected: 0, choice: c }.encode(),
            })
            .collect();
        let submit = vec![Button { label: "Submit".into(), data: Action::Submit { id, selected: 0 }.encode() }];
        let rows = json(&components(&[toggles, submit]));
        assert_eq!(rows.as_array().unwrap().len(), 1);
        let menu = &rows[0]["components"][0];
        assert_eq!(menu["type"], 3, "string select");
        assert_eq!(menu["custom_id"], "ap:7");
        assert_eq!(menu["max_values"], 3);
        assert_eq!(menu["options"][1]["label"], "B");
        assert_eq!(menu["options"][2]["value"], "3");
    }
}
