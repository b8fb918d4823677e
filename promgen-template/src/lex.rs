//! The lexer: Go's `text/template/parse/lex.go` (Go 1.19, as Prometheus 2.42 is built),
//! rewritten as a plain scanner producing all items up front.

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    LeftDelim,
    RightDelim,
    Space,
    Identifier,
    Field,
    Variable,
    Str,
    RawStr,
    CharConst,
    Number,
    Bool,
    Nil,
    Dot,
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    /// A printable ASCII character on its own, such as the `,` of `range $i, $e`.
    Char,
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
    /// A lexing error, which the parser reports when it reaches it (as Go's does).
    Error,
    Eof,
}

/// One lexed item: its kind, byte offset in the input, and text.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub kind: Kind,
    pub pos: usize,
    pub val: String,
}

impl Item {
    /// As Go's `item.String()`, used in "unexpected … in …" messages.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Eof => "EOF".to_string(),
            Kind::Error => self.val.clone(),
            k if is_keyword(k) => format!("<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                format!("{}...", crate::gofmt::quote(&head))
            }
            _ => crate::gofmt::quote(&self.val),
        }
    }
}

fn is_keyword(k: Kind) -> bool {
    matches!(
        k,
        Kind::Block
            | Kind::Break
            | Kind::Continue
            | Kind::Define
            | Kind::Else
            | Kind::End
            | Kind::If
            | Kind::Range
            | Kind::Template
            | Kind::With
            | Kind::Nil
            | Kind::Dot
    )
}

/// A lexing error: message (Go's words) and where.
#[derive(Debug)]
pub(crate) struct LexError {
    pub pos: usize,
    pub msg: String,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && is_space(s[1])
}

fn has_right_trim(s: &[u8]) -> bool {
    s.len() >= 2 && is_space(s[0]) && s[1] == b'-'
}

/// `(delim, trim)`: at `}}`, or at ` -}}`.
fn at_right_delim(s: &[u8]) -> (bool, bool) {
    if has_right_trim(s) && s[2..].starts_with(b"}}") {
        return (true, true);
    }
    (s.starts_with(b"}}"), false)
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    items: Vec<Item>,
    paren_depth: i32,
}

/// Lexes the whole input; an error becomes an `Error` item before the end.
pub(crate) fn lex(src: &str) -> Vec<Item> {
    let mut l = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        items: Vec::new(),
        paren_depth: 0,
    };
    if let Err(e) = l.run() {
        l.items.push(Item {
            kind: Kind::Error,
            pos: e.pos,
            val: e.msg,
        });
        l.items.push(Item {
            kind: Kind::Eof,
            pos: src.len(),
            val: String::new(),
        });
    }
    l.items
}

impl Lexer<'_> {
    fn emit(&mut self, kind: Kind, start: usize, end: usize) {
        self.items.push(Item {
            kind,
            pos: start,
            val: self.src[start..end].to_string(),
        });
    }

    fn err<T>(&self, pos: usize, msg: impl Into<String>) -> Result<T, LexError> {
        Err(LexError {
            pos,
            msg: msg.into(),
        })
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn run(&mut self) -> Result<(), LexError> {
        loop {
            // Text up to the next `{{`, trimming its tail if the action starts `{{- `.
            let start = self.pos;
            match self.src[self.pos..].find("{{") {
                None => {
                    if self.pos < self.b.len() {
                        self.emit(Kind::Text, start, self.b.len());
                    }
                    self.items.push(Item {
                        kind: Kind::Eof,
                        pos: self.b.len(),
                        val: String::new(),
                    });
                    return Ok(());
                }
                Some(x) => {
                    let delim = start + x;
                    let trim = has_left_trim(&self.b[delim + 2..]);
                    let mut end = delim;
                    if trim {
                        while end > start && is_space(self.b[end - 1]) {
                            end -= 1;
                        }
                    }
                    if end > start {
                        self.emit(Kind::Text, start, end);
                    }
                    self.pos = delim + 2;
                    let after = if trim { 2 } else { 0 };
                    if self.b[self.pos + after..].starts_with(b"/*") {
                        self.pos += after;
                        self.comment()?;
                    } else {
                        self.emit(Kind::LeftDelim, delim, delim + 2);
                        self.pos += after;
                        self.paren_depth = 0;
                        self.inside_action()?;
                    }
                }
            }
        }
    }

    fn skip_leading_space(&mut self) {
        while self.pos < self.b.len() && is_space(self.b[self.pos]) {
            self.pos += 1;
        }
    }

    fn comment(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        self.pos += 2;
        let Some(x) = self.src[self.pos..].find("*/") else {
            return self.err(start, "unclosed comment");
        };
        self.pos += x + 2;
        let (delim, trim) = at_right_delim(&self.b[self.pos..]);
        if !delim {
            return self.err(start, "comment ends before closing delimiter");
        }
        self.pos += if trim { 4 } else { 2 };
        if trim {
            self.skip_leading_space();
        }
        Ok(())
    }

    fn inside_action(&mut self) -> Result<(), LexError> {
        loop {
            let (delim, trim) = at_right_delim(&self.b[self.pos..]);
            if delim {
                if self.paren_depth != 0 {
                    return self.err(self.pos, "unclosed left paren");
                }
                if trim {
                    self.pos += 2;
                }
                self.emit(Kind::RightDelim, self.pos, self.pos + 2);
                self.pos += 2;
                if trim {
                    self.skip_leading_space();
                }
                return Ok(());
            }
            let start = self.pos;
            let Some(c) = self.peek_char() else {
                return self.err(start, "unclosed action");
            };
            if c.is_ascii() && is_space(c as u8) {
                self.space();
                continue;
            }
            self.pos += c.len_utf8();
            match c {
                '=' => self.emit(Kind::Assign, start, self.pos),
                ':' => {
                    if self.b.get(self.pos) != Some(&b'=') {
                        return self.err(start, "expected :=");
                    }
                    self.pos += 1;
                    self.emit(Kind::Declare, start, self.pos);
                }
                '|' => self.emit(Kind::Pipe, start, self.pos),
                '"' => self.quote(start)?,
                '`' => self.raw_quote(start)?,
                '$' => self.field_or_variable(start, Kind::Variable)?,
                '\'' => self.char_const(start)?,
                '.' if !matches!(self.b.get(self.pos), Some(b'0'..=b'9')) => {
                    self.field_or_variable(start, Kind::Field)?
                }
                '.' | '+' | '-' | '0'..='9' => {
                    self.pos = start;
                    self.number()?;
                }
                c if is_alnum(c) => {
                    self.pos = start;
                    self.identifier()?;
                }
                '(' => {
                    self.emit(Kind::LeftParen, start, self.pos);
                    self.paren_depth += 1;
                }
                ')' => {
                    self.emit(Kind::RightParen, start, self.pos);
                    self.paren_depth -= 1;
                    if self.paren_depth < 0 {
                        return self.err(start, "unexpected right paren U+0029 ')'");
                    }
                }
                c if c.is_ascii() && !c.is_ascii_control() => {
                    self.emit(Kind::Char, start, self.pos)
                }
                c => {
                    return self.err(
                        start,
                        format!(
                            "unrecognized character in action: {}",
                            crate::gofmt::sharp_u(c)
                        ),
                    );
                }
            }
        }
    }

    fn space(&mut self) {
        let start = self.pos;
        while self.pos < self.b.len() && is_space(self.b[self.pos]) {
            self.pos += 1;
        }
        // A space right before `-}}` belongs to the trim marker.
        if has_right_trim(&self.b[self.pos - 1..]) && self.b[self.pos + 1..].starts_with(b"}}") {
            self.pos -= 1;
            if self.pos == start {
                return;
            }
        }
        self.emit(Kind::Space, start, self.pos);
    }

    fn at_terminator(&self) -> bool {
        match self.peek_char() {
            None => true,
            Some(c) => {
                (c.is_ascii() && is_space(c as u8))
                    || matches!(c, '.' | ',' | '|' | ':' | ')' | '(' | '}')
            }
        }
    }

    fn bad_char(&self) -> LexError {
        let c = self.peek_char().unwrap_or('\0');
        LexError {
            pos: self.pos,
            msg: format!("bad character {}", crate::gofmt::sharp_u(c)),
        }
    }

    fn absorb_alnum(&mut self) {
        while let Some(c) = self.peek_char() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn identifier(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        self.absorb_alnum();
        if !self.at_terminator() {
            return Err(self.bad_char());
        }
        let word = &self.src[start..self.pos];
        let kind = match word {
            "block" => Kind::Block,
            "break" => Kind::Break,
            "continue" => Kind::Continue,
            "define" => Kind::Define,
            "else" => Kind::Else,
            "end" => Kind::End,
            "if" => Kind::If,
            "range" => Kind::Range,
            "nil" => Kind::Nil,
            "template" => Kind::Template,
            "with" => Kind::With,
            "true" | "false" => Kind::Bool,
            _ => Kind::Identifier,
        };
        self.emit(kind, start, self.pos);
        Ok(())
    }

    fn field_or_variable(&mut self, start: usize, kind: Kind) -> Result<(), LexError> {
        if self.at_terminator() {
            let k = if kind == Kind::Variable {
                Kind::Variable
            } else {
                Kind::Dot
            };
            self.emit(k, start, self.pos);
            return Ok(());
        }
        self.absorb_alnum();
        if !self.at_terminator() {
            return Err(self.bad_char());
        }
        self.emit(kind, start, self.pos);
        Ok(())
    }

    fn quote(&mut self, start: usize) -> Result<(), LexError> {
        self.escaped(start, b'"', Kind::Str, "unterminated quoted string")
    }

    fn raw_quote(&mut self, start: usize) -> Result<(), LexError> {
        match self.src[self.pos..].find('`') {
            None => self.err(start, "unterminated raw quoted string"),
            Some(x) => {
                self.pos += x + 1;
                self.emit(Kind::RawStr, start, self.pos);
                Ok(())
            }
        }
    }

    fn char_const(&mut self, start: usize) -> Result<(), LexError> {
        self.escaped(
            start,
            b'\'',
            Kind::CharConst,
            "unterminated character constant",
        )
    }

    /// The rest of a literal closed by `close` in which `\` escapes the next byte (a string
    /// or a character constant): neither may run past the end of its line.
    fn escaped(
        &mut self,
        start: usize,
        close: u8,
        kind: Kind,
        unterminated: &str,
    ) -> Result<(), LexError> {
        loop {
            match self.b.get(self.pos) {
                Some(b'\\') => {
                    self.pos += 1;
                    match self.b.get(self.pos) {
                        None | Some(b'\n') => return self.err(start, unterminated),
                        Some(_) => self.pos += 1,
                    }
                }
                None | Some(b'\n') => return self.err(start, unterminated),
                Some(&c) if c == close => {
                    self.pos += 1;
                    break;
                }
                Some(_) => self.pos += 1,
            }
        }
        self.emit(kind, start, self.pos);
        Ok(())
    }

    fn accept(&mut self, set: &[u8]) -> bool {
        if let Some(c) = self.b.get(self.pos)
            && set.contains(c)
        {
            self.pos += 1;
            return true;
        }
        false
    }

    fn accept_run(&mut self, set: &[u8]) {
        while self.accept(set) {}
    }

    fn number(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        self.accept(b"+-");
        let mut digits: &[u8] = b"0123456789_";
        if self.accept(b"0") {
            if self.accept(b"xX") {
                digits = b"0123456789abcdefABCDEF_";
            } else if self.accept(b"oO") {
                digits = b"01234567_";
            } else if self.accept(b"bB") {
                digits = b"01_";
            }
        }
        self.accept_run(digits);
        if self.accept(b".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept(b"eE") {
            self.accept(b"+-");
            self.accept_run(b"0123456789_");
        }
        if digits.len() == 23 && self.accept(b"pP") {
            self.accept(b"+-");
            self.accept_run(b"0123456789_");
        }
        self.accept(b"i");
        if let Some(c) = self.peek_char()
            && is_alnum(c)
        {
            self.pos += c.len_utf8();
            return self.err(
                start,
                format!(
                    "bad number syntax: {}",
                    crate::gofmt::quote(&self.src[start..self.pos])
                ),
            );
        }
        self.emit(Kind::Number, start, self.pos);
        Ok(())
    }
}
