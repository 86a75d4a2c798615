//! The fenced code blocks of a markdown page, as trycmd reads them (its own parser
//! runs the examples; this one only finds what the other checks need).

/// A fenced block: its info string's language, the line its body starts on (1-based)
/// and its body.
pub struct Block {
    pub lang: String,
    pub line: usize,
    pub body: String,
}

/// Every fenced block of `text` (``` or longer fences).
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(String, Block)> = None;
    for (i, line) in text.lines().enumerate() {
        let ticks = line.chars().take_while(|c| *c == '`').count();
        match &mut open {
            Some((fence, block)) => {
                if line.starts_with(fence.as_str()) && line.trim_start_matches('`').trim().is_empty() {
                    out.push(std::mem::replace(
                        block,
                        Block {
                            lang: String::new(),
                            line: 0,
                            body: String::new(),
                        },
                    ));
                    open = None;
                } else {
                    block.body.push_str(line);
                    block.body.push('\n');
                }
            }
            None if ticks >= 3 => {
                let info = line[ticks..].trim();
                let lang = info.split(',').next().unwrap_or_default().to_owned();
                open = Some((
                    "`".repeat(ticks),
                    Block {
                        lang,
                        line: i + 2,
                        body: String::new(),
                    },
                ));
            }
            None => {}
        }
    }
    out
}

/// The command lines (`$ ...`, with their line numbers) of the blocks trycmd runs:
/// ```console and ```trycmd without `ignore`, and bare ``` blocks.
pub fn commands(text: &str) -> Vec<(usize, String)> {
    blocks(text)
        .into_iter()
        .filter(|b| matches!(b.lang.as_str(), "console" | "trycmd" | ""))
        .flat_map(|b| {
            b.body
                .lines()
                .enumerate()
                .filter_map(|(i, l)| l.strip_prefix("$ ").map(|c| (b.line + i, c.to_owned())))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The program a command line runs: its first word that is not a `KEY=VALUE`
/// environment assignment (as trycmd reads it).
pub fn program(command: &str) -> &str {
    command
        .split_whitespace()
        .find(|w| !w.contains('='))
        .unwrap_or_default()
}

/// The anchors of `text`'s headings, as GitHub makes them: lowercase, spaces to `-`,
/// other punctuation dropped.
pub fn anchors(text: &str) -> Vec<String> {
    let mut fenced = false;
    text.lines()
        .filter(|l| {
            if l.starts_with("```") {
                fenced = !fenced;
            }
            !fenced && l.starts_with('#')
        })
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

/// The targets of `text`'s inline links, `[..](target)`, but web addresses.
pub fn links(text: &str) -> Vec<String> {
    text.match_indices("](")
        .filter_map(|(i, _)| text[i + 2..].split(')').next())
        .filter(|t| !t.contains("://") && !t.starts_with("mailto:"))
        .map(str::to_owned)
        .collect()
}
