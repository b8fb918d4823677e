//! The parser: Go's `text/template/parse/parse.go` (Go 1.19), over the items of `lex`.

use std::collections::HashMap;

use crate::ast::{Arg, Cmd, Control, Node, Number, Pipe};
use crate::lex::{Item, Kind, lex};

/// Deepest nesting of controls, parentheses and `block`s the parser accepts: Go has
/// no limit, but a recursive parser must not overflow its stack on hostile input.
pub(crate) const MAX_NESTING: usize = 64;

/// A parse error: Go's message (without the `template: NAME:LINE:` prefix) and where.
#[derive(Debug)]
pub(crate) struct ParseError {
    pub pos: usize,
    pub msg: String,
}

/// The parsed templates of one text: the main one under `name`, plus `define`d ones.
pub(crate) type Trees = HashMap<String, Vec<Node>>;

struct Parser<'a> {
    name: &'a str,
    text: &'a str,
    /// The line of the action being parsed, for errors inside multi-line actions.
    action_line: usize,
    items: Vec<Item>,
    i: usize,
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    is_func: &'a dyn Fn(&str) -> bool,
    trees: Trees,
}

type PResult<T> = Result<T, ParseError>;

/// Parses `text` into its trees; `is_func` says which function names exist.
pub(crate) fn parse(name: &str, text: &str, is_func: &dyn Fn(&str) -> bool) -> PResult<Trees> {
    let items = lex(text);
    let mut p = Parser {
        name,
        text,
        action_line: 0,
        items,
        i: 0,
        vars: vec!["$".into()],
        range_depth: 0,
        depth: 0,
        is_func,
        trees: HashMap::new(),
    };
    let mut root = Vec::new();
    while p.peek().kind != Kind::Eof {
        if p.peek().kind == Kind::LeftDelim {
            let save = p.i;
            p.next();
            if p.next_non_space().kind == Kind::Define {
                p.definition()?;
                continue;
            }
            p.i = save;
        }
        match p.text_or_action()? {
            Parsed::Node(n) => root.push(n),
            Parsed::End(pos) => return p.fail(pos, "unexpected {{end}}"),
            Parsed::Else(pos) => return p.fail(pos, "unexpected {{else}}"),
        }
    }
    p.add(name.to_string(), root)?;
    Ok(p.trees)
}

/// What `text_or_action` found: a node, or the `{{end}}`/`{{else}}` closing a list.
enum Parsed {
    Node(Node),
    End(usize),
    Else(usize),
}

fn is_empty_tree(list: &[Node]) -> bool {
    list.iter().all(|n| match n {
        Node::Text(t) => t.trim().is_empty(),
        _ => false,
    })
}

impl Parser<'_> {
    fn fail<T>(&self, pos: usize, msg: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            pos,
            msg: msg.into(),
        })
    }

    fn peek(&self) -> &Item {
        &self.items[self.i]
    }

    fn next(&mut self) -> Item {
        let it = self.items[self.i].clone();
        if self.i + 1 < self.items.len() {
            self.i += 1;
        }
        it
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let it = self.next();
            if it.kind != Kind::Space {
                return it;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let save = self.i;
        let it = self.next_non_space();
        self.i = save;
        while self.items[self.i].kind == Kind::Space {
            self.i += 1;
        }
        it
    }

    fn unexpected<T>(&self, it: &Item, context: &str) -> PResult<T> {
        if it.kind == Kind::Error {
            let line = crate::line_col(self.text, it.pos).0;
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != line {
                extra = format!(" in action started at {}:{}", self.name, self.action_line);
                if it.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.fail(it.pos, format!("{}{extra}", it.val));
        }
        self.fail(
            it.pos,
            format!("unexpected {} in {}", it.describe(), context),
        )
    }

    fn expect(&mut self, kind: Kind, context: &str) -> PResult<Item> {
        let it = self.next_non_space();
        if it.kind != kind {
            return self.unexpected(&it, context);
        }
        Ok(it)
    }

    fn enter(&mut self, pos: usize) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return self.fail(pos, format!("nesting deeper than {MAX_NESTING} levels"));
        }
        Ok(())
    }

    fn add(&mut self, name: String, list: Vec<Node>) -> PResult<()> {
        match self.trees.get(&name) {
            Some(old) if !is_empty_tree(old) => {
                if !is_empty_tree(&list) {
                    return self.fail(
                        0,
                        format!("template: multiple definition of template {name:?}"),
                    );
                }
            }
            _ => {
                self.trees.insert(name, list);
            }
        }
        Ok(())
    }

    fn template_name(&mut self, it: &Item, context: &str) -> PResult<String> {
        match it.kind {
            Kind::Str | Kind::RawStr => crate::gofmt::unquote(&it.val).map_err(|_| ParseError {
                pos: it.pos,
                msg: "invalid syntax".into(),
            }),
            _ => self.unexpected(it, context),
        }
    }

    fn definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let it = self.next_non_space();
        let name = self.template_name(&it, CONTEXT)?;
        self.expect(Kind::RightDelim, CONTEXT)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        if let Parsed::Else(pos) = end {
            return self.fail(pos, format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add(name, list)
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Parsed)> {
        let mut list = Vec::new();
        while self.peek_non_space().kind != Kind::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.push(n),
                other => return Ok((list, other)),
            }
        }
        let pos = self.peek().pos;
        self.fail(pos, "unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let it = self.next_non_space();
        match it.kind {
            Kind::Text => Ok(Parsed::Node(Node::Text(it.val))),
            Kind::LeftDelim => {
                self.action_line = crate::line_col(self.text, it.pos).0;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => self.unexpected(&it, "input"),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let it = self.next_non_space();
        let node = match it.kind {
            Kind::Block => self.block(it.pos)?,
            Kind::Break | Kind::Continue => {
                let word = if it.kind == Kind::Break {
                    "break"
                } else {
                    "continue"
                };
                let t = self.next_non_space();
                if t.kind != Kind::RightDelim {
                    return self.unexpected(&t, &format!("{{{{{word}}}}}"));
                }
                if self.range_depth == 0 {
                    return self.fail(it.pos, format!("{{{{{word}}}}} outside {{{{range}}}}"));
                }
                if it.kind == Kind::Break {
                    Node::Break
                } else {
                    Node::Continue
                }
            }
            Kind::Else => {
                // `{{else if …`: leave the `if` pending for the enclosing control.
                if self.peek_non_space().kind != Kind::If {
                    self.expect(Kind::RightDelim, "else")?;
                }
                return Ok(Parsed::Else(it.pos));
            }
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                return Ok(Parsed::End(it.pos));
            }
            Kind::If => Node::If(self.control(true, "if", it.pos)?),
            Kind::Range => Node::Range(self.control(false, "range", it.pos)?),
            Kind::With => Node::With(self.control(false, "with", it.pos)?),
            Kind::Template => {
                const CONTEXT: &str = "template clause";
                let t = self.next_non_space();
                let name = self.template_name(&t, CONTEXT)?;
                let pipe = if self.peek_non_space().kind == Kind::RightDelim {
                    self.next_non_space();
                    None
                } else {
                    Some(self.pipeline(CONTEXT, Kind::RightDelim)?)
                };
                Node::Template {
                    pos: t.pos,
                    name,
                    pipe,
                }
            }
            _ => {
                self.i -= 1;
                // Variables declared here persist until the enclosing `{{end}}`.
                Node::Action(self.pipeline("command", Kind::RightDelim)?)
            }
        };
        Ok(Parsed::Node(node))
    }

    fn block(&mut self, pos: usize) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        self.enter(pos)?;
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Kind::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        if let Parsed::Else(p) = end {
            return self.fail(p, format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add(name.clone(), list)?;
        self.depth -= 1;
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn control(&mut self, allow_else_if: bool, context: &str, pos: usize) -> PResult<Control> {
        self.enter(pos)?;
        let nvars = self.vars.len();
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if let Parsed::Else(epos) = next {
            if allow_else_if && self.peek().kind == Kind::If {
                // `{{if a}}…{{else if b}}…{{end}}` is `{{if a}}…{{else}}{{if b}}…{{end}}{{end}}`.
                let it = self.next();
                else_list = Some(vec![Node::If(self.control(true, "if", it.pos)?)]);
            } else {
                let (l, n) = self.item_list()?;
                if !matches!(n, Parsed::End(_)) {
                    return self.fail(epos, "expected end; found {{else}}");
                }
                else_list = Some(l);
            }
        }
        self.vars.truncate(nvars);
        self.depth -= 1;
        Ok(Control {
            pipe,
            list,
            else_list,
        })
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<Pipe> {
        let start = self.peek_non_space().pos;
        let mut pipe = Pipe {
            pos: start,
            decl: Vec::new(),
            is_assign: false,
            cmds: Vec::new(),
        };
        loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                break;
            }
            let save = self.i;
            self.next_non_space();
            let next = self.peek_non_space();
            match next.kind {
                Kind::Assign | Kind::Declare => {
                    pipe.is_assign = next.kind == Kind::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    break;
                }
                Kind::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            Kind::Variable | Kind::RightDelim | Kind::RightParen => continue,
                            _ => return self.fail(next.pos, "range can only initialize variables"),
                        }
                    }
                    return self.fail(next.pos, format!("too many declarations in {context}"));
                }
                _ => {
                    self.i = save;
                    break;
                }
            }
        }
        loop {
            let it = self.next_non_space();
            match it.kind {
                k if k == end => {
                    if pipe.cmds.is_empty() {
                        return self.fail(it.pos, format!("missing value for {context}"));
                    }
                    for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
                        if matches!(
                            c.args[0],
                            Arg::Bool(..)
                                | Arg::Dot(_)
                                | Arg::Nil(_)
                                | Arg::Number(..)
                                | Arg::Str { .. }
                        ) {
                            return self.fail(
                                c.pos,
                                format!("non executable command in pipeline stage {}", i + 1),
                            );
                        }
                    }
                    return Ok(pipe);
                }
                Kind::Bool
                | Kind::CharConst
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawStr
                | Kind::Str
                | Kind::Variable
                | Kind::LeftParen => {
                    self.i -= 1;
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return self.unexpected(&it, context),
            }
        }
    }

    fn command(&mut self) -> PResult<Cmd> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Cmd {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let it = self.next();
            match it.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.i -= 1,
                Kind::Pipe => {}
                _ => return self.unexpected(&it, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.fail(pos, "empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        // Go places a chained operand at its first chained field.
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().kind == Kind::Field {
            fields.push(self.next().val[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Variable { mut idents, .. } => {
                idents.extend(fields);
                Arg::Variable {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Bool(..) | Arg::Str { .. } | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_) => {
                return self.fail(
                    node.pos(),
                    format!(
                        "unexpected . after term {}",
                        crate::gofmt::quote(&node.to_string())
                    ),
                );
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let it = self.next_non_space();
        let pos = it.pos;
        Ok(Some(match it.kind {
            Kind::Identifier => {
                if !(self.is_func)(&it.val) {
                    return self.fail(pos, format!("function {:?} not defined", it.val));
                }
                Arg::Ident { pos, name: it.val }
            }
            Kind::Dot => Arg::Dot(pos),
            Kind::Nil => Arg::Nil(pos),
            Kind::Variable => {
                let idents: Vec<String> = it.val.split('.').map(str::to_string).collect();
                if !self.vars.contains(&idents[0]) {
                    return self.fail(pos, format!("undefined variable {:?}", idents[0]));
                }
                Arg::Variable { pos, idents }
            }
            Kind::Field => Arg::Field {
                pos,
                idents: it.val[1..].split('.').map(str::to_string).collect(),
            },
            Kind::Bool => Arg::Bool(pos, it.val == "true"),
            Kind::CharConst | Kind::Number => {
                let n = parse_number(&it.val, it.kind == Kind::CharConst)
                    .map_err(|msg| ParseError { pos, msg })?;
                Arg::Number(pos, n)
            }
            Kind::LeftParen => {
                self.enter(pos)?;
                let p = self.pipeline("parenthesized pipeline", Kind::RightParen)?;
                self.depth -= 1;
                Arg::Pipe(Box::new(p))
            }
            Kind::Str | Kind::RawStr => {
                let text = crate::gofmt::unquote(&it.val).map_err(|_| ParseError {
                    pos,
                    msg: "invalid syntax".into(),
                })?;
                Arg::Str {
                    pos,
                    quoted: it.val,
                    text,
                }
            }
            _ => {
                self.i -= 1;
                return Ok(None);
            }
        }))
    }
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1].eq_ignore_ascii_case(&b'x');
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, base prefix, underscores between digits.
fn parse_go_int(s: &str) -> Option<(bool, u64)> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() || clean.starts_with(['+', '-']) {
        return None;
    }
    u64::from_str_radix(&clean, radix).ok().map(|v| (neg, v))
}

/// A hexadecimal float such as `0x1.8p3` (Go requires the `p` exponent).
fn parse_hex_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let body = body.strip_prefix("0x")?;
    let (mant, exp) = body.split_once('p')?;
    let mut exp: i32 = exp.parse().ok()?;
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut m = 0f64;
    for c in int.chars().chain(frac.chars()) {
        m = m * 16.0 + f64::from(c.to_digit(16)?);
    }
    exp = exp.checked_sub(4 * frac.len() as i32)?;
    let v = m * 2f64.powi(exp);
    Some(if neg { -v } else { v })
}

/// Go's `parse.NewNumber` for the kinds a Prometheus template can hold.
pub(crate) fn parse_number(text: &str, is_char: bool) -> Result<Number, String> {
    let mut n = Number {
        text: text.to_string(),
        int: None,
        uint: false,
        float: None,
        is_char,
        complex: false,
    };
    if is_char {
        let c = crate::gofmt::unquote_char(text).map_err(|malformed| {
            if malformed {
                format!("malformed character constant: {text}")
            } else {
                "invalid syntax".to_string()
            }
        })?;
        n.int = Some(c as i64);
        n.uint = true;
        n.float = Some(c as u32 as f64);
        return Ok(n);
    }
    if let Some(imag) = text.strip_suffix('i') {
        // Go accepts imaginary constants; executing one is our error (see exec).
        return match imag.parse::<f64>() {
            Ok(_) if underscore_ok(imag) => {
                n.complex = true;
                Ok(n)
            }
            _ => Err(format!(
                "illegal number syntax: {}",
                crate::gofmt::quote(text)
            )),
        };
    }
    if let Some((neg, v)) = parse_go_int(text) {
        if !neg {
            n.uint = true;
        }
        if neg && v <= (i64::MAX as u64) + 1 {
            n.int = Some((v as i64).wrapping_neg());
        } else if !neg && v <= i64::MAX as u64 {
            n.int = Some(v as i64);
        }
        let f = if neg { -(v as f64) } else { v as f64 };
        n.float = Some(f);
        return Ok(n);
    }
    if text.contains('_') && !underscore_ok(text) {
        return Err(format!(
            "illegal number syntax: {}",
            crate::gofmt::quote(text)
        ));
    }
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let looks_float = text.contains(['.', 'e', 'E', 'p', 'P']);
    let parsed = if lower.contains("inf") || lower.contains("nan") {
        None
    } else if lower.trim_start_matches(['+', '-']).starts_with("0x") {
        parse_hex_float(&lower)
    } else {
        clean.parse::<f64>().ok()
    };
    match parsed {
        Some(f) if f.is_finite() => {
            if !looks_float {
                return Err(format!("integer overflow: {}", crate::gofmt::quote(text)));
            }
            n.float = Some(f);
            if f == f.trunc() && f.abs() < 9.2e18 {
                n.int = Some(f as i64);
            }
            Ok(n)
        }
        _ => Err(format!(
            "illegal number syntax: {}",
            crate::gofmt::quote(text)
        )),
    }
}
