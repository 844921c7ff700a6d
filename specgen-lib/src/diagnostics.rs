//! Diagnostics: one type for every problem specgen reports about a user's specs.
//!
//! A [`Diagnostic`] has a stable code (families: `E00xx` syntax and shape, `E01xx` models,
//! `E02xx` REST, `E03xx` events, `E04xx` fleet), a severity, a message, labelled spans and an
//! optional help line. [`Diagnostics`] renders them rustc-style for people (plain, or styled
//! on a terminal) and as JSON lines for tools.
//!
//! This module must not know about spec kinds: spans point into [`Sources`], nothing more.

use std::fmt;
use std::ops::Range;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use camino::{Utf8Path, Utf8PathBuf};

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub(crate) u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span covering `range` of `file`.
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span { file, start: clamp(range.start), end: clamp(range.end) }
    }

    /// The span of a whole file, used when a problem has no better place (an empty file).
    pub fn file_start(file: FileId) -> Span {
        Span { file, start: 0, end: 0 }
    }

    fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One loaded input file: its path relative to the project root (always `/`-separated) and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the project root, as shown in diagnostics and banners.
    pub path: Utf8PathBuf,
    /// The file's text (inputs must be UTF-8; others are rejected before they get here).
    pub text: String,
}

/// Every input file of a run, addressable by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Adds a file and returns its id.
    pub fn add(&mut self, path: Utf8PathBuf, text: String) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 2^32 input files"));
        self.files.push(SourceFile { path, text });
        id
    }

    /// The file behind `id`.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    /// The id of the file at `path`, if loaded.
    pub fn find(&self, path: &Utf8Path) -> Option<FileId> {
        self.iter().find(|(_, f)| f.path == path).map(|(id, _)| id)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: u32) -> (usize, usize) {
        let text = &self.get(file).text;
        let offset = (offset as usize).min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Generation goes on; shown to the user.
    Warning,
    /// Generation stops; nothing is written.
    Error,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A labelled place in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
    /// The primary label is the place the diagnostic is about; others give context.
    pub primary: bool,
}

/// One problem found in the user's specs (or with reading them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code, e.g. `E0103`. Documented in ARCHITECTURE.md; never reused for another meaning.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One-line summary.
    pub message: String,
    /// Places in the sources; the first primary label gives the `file:line:col`.
    pub labels: Vec<Label>,
    /// What to do about it, when a fix is known.
    pub help: Option<String>,
    /// Extra facts (e.g. "the cycle is A -> B -> A").
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error with a primary label.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message, span, label)
    }

    /// A warning with a primary label.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message, span, label)
    }

    fn new(
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            labels: vec![Label { span, message: label.into(), primary: true }],
            help: None,
            notes: Vec::new(),
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a help line if `help` is `Some`.
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { span, message: message.into(), primary: false });
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The primary span.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).or(self.labels.first()).map(|l| l.span)
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// How to render diagnostics for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// No colour (files, pipes, `NO_COLOR`, build scripts).
    Plain,
    /// ANSI colours (a terminal).
    Styled,
}

/// All diagnostics of a run, with the sources they point into.
///
/// `Display` renders them rustc-style in plain text, so `?` in a build script reads well.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    /// The sources the spans point into.
    pub sources: Sources,
    /// The diagnostics, in the order they are to be shown.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Number of errors (warnings excluded).
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// True if any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// Sorts by file, position, then code, so output order never depends on check order.
    pub fn sort(&mut self) {
        self.items.sort_by_key(|d| {
            let span = d.primary_span();
            (span.map(|s| (s.file, s.start, s.end)), d.code, d.message.clone())
        });
        self.items.dedup();
    }

    /// Renders every diagnostic rustc-style, then a summary line.
    pub fn render(&self, style: Style) -> String {
        let renderer = match style {
            Style::Plain => Renderer::plain(),
            Style::Styled => Renderer::styled(),
        }
        .decor_style(DecorStyle::Ascii);
        let mut out = String::new();
        for d in &self.items {
            out.push_str(&self.render_one(&renderer, d));
            out.push_str("\n\n");
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    fn render_one(&self, renderer: &Renderer, d: &Diagnostic) -> String {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut group = Group::with_title(level.primary_title(d.message.as_str()).id(d.code));
        // One snippet per file, in the order the labels name the files.
        let mut files: Vec<FileId> = Vec::new();
        for l in &d.labels {
            if !files.contains(&l.span.file) {
                files.push(l.span.file);
            }
        }
        for file in files {
            let src = self.sources.get(file);
            let mut snippet = Snippet::source(src.text.as_str()).path(src.path.as_str()).fold(true);
            for l in d.labels.iter().filter(|l| l.span.file == file) {
                let kind = if l.primary { AnnotationKind::Primary } else { AnnotationKind::Context };
                let range = clamp_range(&src.text, l.span.range());
                snippet = snippet.annotation(kind.span(range).label(l.message.as_str()));
            }
            group = group.element(snippet);
        }
        for note in &d.notes {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        if let Some(help) = &d.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        renderer.render(&[group])
    }

    /// `error: 3 errors and 1 warning found` style summary.
    pub fn summary(&self) -> String {
        let errors = self.error_count();
        let warnings = self.items.len() - errors;
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        match (errors, warnings) {
            (0, 0) => "no problems found".to_string(),
            (0, w) => format!("{} found", plural(w, "warning")),
            (e, 0) => format!("{} found; nothing was written", plural(e, "error")),
            (e, w) => format!("{} and {} found; nothing was written", plural(e, "error"), plural(w, "warning")),
        }
    }

    /// One JSON object per line per diagnostic (`--message-format json`).
    pub fn to_json_lines(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            let labels: Vec<serde_json::Value> = d
                .labels
                .iter()
                .map(|l| {
                    let src = self.sources.get(l.span.file);
                    let (line, column) = self.sources.line_col(l.span.file, l.span.start);
                    let (end_line, end_column) = self.sources.line_col(l.span.file, l.span.end);
                    serde_json::json!({
                        "file": src.path.as_str(),
                        "line": line,
                        "column": column,
                        "end_line": end_line,
                        "end_column": end_column,
                        "byte_start": l.span.start,
                        "byte_end": l.span.end,
                        "primary": l.primary,
                        "label": l.message,
                    })
                })
                .collect();
            let value = serde_json::json!({
                "code": d.code,
                "severity": d.severity.as_str(),
                "message": d.message,
                "labels": labels,
                "help": d.help,
                "notes": d.notes,
                "rendered": self.render_one(&Renderer::plain().decor_style(DecorStyle::Ascii), d),
            });
            out.push_str(&value.to_string());
            out.push('\n');
        }
        out
    }
}

fn clamp_range(text: &str, range: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, range.start.min(text.len()));
    let end = floor_char_boundary(text, range.end.min(text.len())).max(start);
    start..end
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Style::Plain))
    }
}

impl std::error::Error for Diagnostics {}

/// "did you mean `x`?" over a set of candidates, by Jaro-Winkler similarity.
pub fn did_you_mean<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&wrong.to_lowercase(), &c.to_lowercase());
        if score > 0.8 && best.is_none_or(|(s, b)| score > s || (score == s && c < b)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}
