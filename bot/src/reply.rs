//! The reply model: what a command answers, independent of any platform.
//! Every string in it is plain text as written (user text included); each
//! adapter's renderer escapes it for its platform and turns the structure
//! (title, fields, code blocks, buttons) into the platform's markup.

/// Who sees a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Everyone in the chat or channel the command came from.
    Public,
    /// Only the user who sent the command (a private message, an
    /// ephemeral reply or a callback answer).
    Private,
}

/// One block of a reply's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A paragraph of plain text.
    Text(String),
    /// Preformatted text to copy exactly (a message to sign, a command).
    Code(String),
    /// A link.
    Link {
        /// What to show.
        label: String,
        /// Where it goes.
        url: String,
    },
}

/// A labelled value (an embed field on Discord, a bold label on Telegram).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The label.
    pub name: String,
    /// The value.
    pub value: String,
}

/// A button; pressing it sends `data` back as an [`crate::Action`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    /// What the button says.
    pub label: String,
    /// The encoded action (at most 64 bytes, Telegram's limit).
    pub data: String,
}

/// Whether the reply reports success or a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// The command did what was asked (or is informational).
    Ok,
    /// Nothing was done; the text says why and what to do.
    Error,
}

/// A reply to render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Who sees it.
    pub visibility: Visibility,
    /// Success or refusal.
    pub tone: Tone,
    /// A heading.
    pub title: Option<String>,
    /// The body, in order.
    pub body: Vec<Block>,
    /// Labelled values after the body.
    pub fields: Vec<Field>,
    /// Rows of buttons.
    pub buttons: Vec<Vec<Button>>,
}

impl Reply {
    /// An empty public reply.
    pub const fn public() -> Self {
        Self {
            visibility: Visibility::Public,
            tone: Tone::Ok,
            title: None,
            body: Vec::new(),
            fields: Vec::new(),
            buttons: Vec::new(),
        }
    }

    /// An empty private reply.
    pub fn private() -> Self {
        Self { visibility: Visibility::Private, ..Self::public() }
    }

    /// A private refusal with this message.
    pub fn error(message: impl Into<String>) -> Self {
        Self { tone: Tone::Error, ..Self::private() }.text(message)
    }

    /// Sets the title.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Adds a paragraph.
    #[must_use]
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.body.push(Block::Text(text.into()));
        self
    }

    /// Adds a preformatted block.
    #[must_use]
    pub fn code(mut self, text: impl Into<String>) -> Self {
        self.body.push(Block::Code(text.into()));
        self
    }

    /// Adds a link.
    #[must_use]
    pub fn link(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.body.push(Block::Link { label: label.into(), url: url.into() });
        self
    }

    /// Adds a field.
    #[must_use]
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push(Field { name: name.into(), value: value.into() });
        self
    }

    /// Adds a row of buttons.
    #[must_use]
    pub fn buttons(mut self, row: Vec<Button>) -> Self {
        if !row.is_empty() {
            self.buttons.push(row);
        }
        self
    }

    /// Every piece of text in the reply, in order (for tests and logs).
    pub fn plain_text(&self) -> String {
        let mut out = Vec::new();
        out.extend(self.title.clone());
        for b in &self.body {
            match b {
                Block::Text(t) | Block::Code(t) => out.push(t.clone()),
                Block::Link { label, url } => out.push(format!("{label} {url}")),
            }
        }
        for f in &self.fields {
            out.push(format!("{}: {}", f.name, f.value));
        }
        out.join("\n")
    }
}

/// What pressing a button did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionReply {
    /// A short private answer to the presser (a toast on Telegram, an
    /// ephemeral message on Discord), or a longer private reply.
    pub answer: Reply,
    /// New buttons for the message the button was on (approval toggles).
    pub keyboard: Option<Vec<Vec<Button>>>,
}
