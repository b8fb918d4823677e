//! The interpreter: Go's `text/template/exec.go` (Go 1.19) over our values, with
//! `missingkey=zero` as Prometheus sets it, and limits a hostile template cannot pass.

use std::rc::Rc;

use crate::ast::{Arg, Cmd, Control, Node, Number, Pipe};
use crate::funcs::{self, Sig, Ty};
use crate::value::Value;
use crate::{Queries, Template, TemplateError};

/// Deepest `{{template}}` nesting executed (Go allows 100000; we stop far earlier).
pub(crate) const MAX_DEPTH: usize = 64;
/// Work budget: nodes walked, range iterations and calls, all counted together.
pub(crate) const MAX_STEPS: u64 = 1_000_000;
/// Deepest execution nesting: template calls, controls and pipelines together. Each
/// level costs stack, and nesting multiplies across calls; this keeps the deepest
/// execution within a 2 MiB thread stack even in debug builds.
pub(crate) const MAX_NESTING: usize = 200;
/// Largest output a template may write.
pub(crate) const MAX_OUTPUT: usize = 16 << 20;

/// What the functions can reach besides their arguments.
pub(crate) struct Env<'q> {
    pub queries: &'q mut dyn Queries,
    /// The rule manager's external URL for `externalURL`/`pathPrefix`; promtool has none.
    pub url: Option<String>,
}

/// Where execution is, for error messages (Go's `state.node`).
#[derive(Clone, Copy)]
enum At<'t> {
    None,
    Arg(&'t Arg),
    Cmd(&'t Cmd),
    Pipe(&'t Pipe),
    Template(usize, &'t str, Option<&'t Pipe>),
    Control(&'t str, &'t Control),
}

impl At<'_> {
    fn pos(&self) -> usize {
        match self {
            At::None => 0,
            At::Arg(a) => a.pos(),
            At::Cmd(c) => c.pos,
            At::Pipe(p) => p.pos,
            At::Template(pos, ..) => *pos,
            At::Control(_, c) => c.pipe.pos,
        }
    }

    fn context(&self) -> String {
        match self {
            At::None => String::new(),
            At::Arg(a) => a.to_string(),
            At::Cmd(c) => c.to_string(),
            At::Pipe(p) => p.to_string(),
            At::Template(_, name, pipe) => match pipe {
                Some(p) => format!("{{{{template {} {p}}}}}", crate::gofmt::quote(name)),
                None => format!("{{{{template {}}}}}", crate::gofmt::quote(name)),
            },
            At::Control(word, c) => format!("{{{{{word} {}}}}}", c.pipe),
        }
    }
}

/// An execution failure on its way out; `Break`/`Continue` unwind to their `range`.
pub(crate) enum Flow {
    Err(TemplateError),
    Break,
    Continue,
}

type R<T> = Result<T, Flow>;

pub(crate) struct State<'t, 'e, 'q> {
    tmpl: &'t Template,
    name: &'t str,
    vars: Vec<(String, Value)>,
    out: String,
    steps: u64,
    depth: usize,
    nest: usize,
    at: At<'t>,
    pub env: &'e mut Env<'q>,
}

/// Executes the named tree of `tmpl` with `dot`.
pub(crate) fn execute(
    tmpl: &Template,
    dot: Value,
    env: &mut Env<'_>,
) -> Result<String, TemplateError> {
    let root = tmpl.trees.get(&tmpl.name).map(Vec::as_slice).unwrap_or(&[]);
    let mut s = State {
        tmpl,
        name: &tmpl.name,
        vars: vec![("$".into(), dot.clone())],
        out: String::new(),
        steps: 0,
        depth: 0,
        nest: 0,
        at: At::None,
        env,
    };
    match s.walk_list(&dot, root) {
        Ok(()) => Ok(s.out),
        Err(Flow::Err(e)) => Err(e),
        // The parser only accepts break/continue inside range.
        Err(_) => Ok(s.out),
    }
}

impl<'t> State<'t, '_, '_> {
    /// Go's `state.errorf`: `template: NAME:LINE:COL: executing "NAME" at <CTX>: MSG`.
    pub(crate) fn fail<T>(&self, msg: impl Into<String>) -> R<T> {
        let msg = msg.into();
        let e = match self.at {
            At::None => TemplateError::exec(
                &self.tmpl.text,
                0,
                format!("template: {}: {msg}", self.tmpl.name),
            ),
            at => {
                let pos = at.pos();
                let (line, col) = crate::line_col(&self.tmpl.text, pos);
                // Go 1.19 quotes the whole node (later Go versions cut it at 20 bytes).
                let ctx = at.context();
                TemplateError::exec(
                    &self.tmpl.text,
                    pos,
                    format!(
                        "template: {}:{line}:{}: executing {} at <{ctx}>: {msg}",
                        self.tmpl.name,
                        col - 1,
                        crate::gofmt::quote(self.name)
                    ),
                )
            }
        };
        Err(Flow::Err(e))
    }

    fn step(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return self.fail(format!("template exceeded the budget of {MAX_STEPS} steps"));
        }
        Ok(())
    }

    fn walk_list(&mut self, dot: &Value, list: &'t [Node]) -> R<()> {
        for n in list {
            self.walk(dot, n)?;
        }
        Ok(())
    }

    fn write(&mut self, s: &str) -> R<()> {
        if self.out.len() + s.len() > MAX_OUTPUT {
            return self.fail(format!("template output exceeded {MAX_OUTPUT} bytes"));
        }
        self.out.push_str(s);
        Ok(())
    }

    fn walk(&mut self, dot: &Value, node: &'t Node) -> R<()> {
        self.step()?;
        if matches!(node, Node::Text(_) | Node::Break | Node::Continue) {
            return self.walk_leaf(node);
        }
        self.nest += 1;
        if self.nest > MAX_NESTING {
            return self.fail(format!("execution nested deeper than {MAX_NESTING} levels"));
        }
        let r = self.walk_inner(dot, node);
        self.nest -= 1;
        r
    }

    fn walk_leaf(&mut self, node: &'t Node) -> R<()> {
        match node {
            Node::Text(t) => self.write(t),
            Node::Break => Err(Flow::Break),
            _ => Err(Flow::Continue),
        }
    }

    fn walk_inner(&mut self, dot: &Value, node: &'t Node) -> R<()> {
        match node {
            Node::Action(pipe) => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    let text = v.printable();
                    self.write(&text)?;
                }
                Ok(())
            }
            Node::If(c) | Node::With(c) => {
                let is_with = matches!(node, Node::With(_));
                let mark = self.vars.len();
                let v = self.eval_pipeline(dot, &c.pipe)?;
                let r = if v.truth() {
                    if is_with {
                        self.walk_list(&v, &c.list)
                    } else {
                        self.walk_list(dot, &c.list)
                    }
                } else if let Some(e) = &c.else_list {
                    self.walk_list(dot, e)
                } else {
                    Ok(())
                };
                self.vars.truncate(mark);
                r
            }
            Node::Range(c) => {
                self.at = At::Control("range", c);
                let mark = self.vars.len();
                let r = self.walk_range(dot, c);
                self.vars.truncate(mark);
                r
            }
            Node::Template { pos, name, pipe } => {
                self.at = At::Template(*pos, name, pipe.as_ref());
                let Some(tree) = self.tmpl.trees.get(name) else {
                    return self.fail(format!(
                        "template {} not defined",
                        crate::gofmt::quote(name)
                    ));
                };
                if self.depth >= MAX_DEPTH {
                    return self.fail(format!("exceeded maximum template depth ({MAX_DEPTH})"));
                }
                let new_dot = match pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Value::Nil,
                };
                let saved_vars =
                    std::mem::replace(&mut self.vars, vec![("$".into(), new_dot.clone())]);
                let saved_name = std::mem::replace(&mut self.name, name.as_str());
                self.depth += 1;
                let r = self.walk_list(&new_dot, tree);
                self.depth -= 1;
                self.vars = saved_vars;
                self.name = saved_name;
                r
            }
            Node::Text(_) | Node::Break | Node::Continue => self.walk_leaf(node),
        }
    }

    fn walk_range(&mut self, dot: &Value, c: &'t Control) -> R<()> {
        let v = self.eval_pipeline(dot, &c.pipe)?;
        let items: Vec<(Value, Value)> = match &v {
            Value::StrMap(m) => m
                .iter()
                .map(|(k, v)| (Value::str(k), Value::str(v)))
                .collect(),
            Value::AnyMap(m) => m.iter().map(|(k, v)| (Value::str(k), v.clone())).collect(),
            Value::Samples(list) => list
                .borrow()
                .iter()
                .enumerate()
                .map(|(i, s)| (Value::Int(i as i64), Value::Sample(Some(s.clone()))))
                .collect(),
            Value::Nil => Vec::new(),
            other => return self.fail(format!("range can't iterate over {}", other.printable())),
        };
        if items.is_empty() {
            if let Some(e) = &c.else_list {
                return self.walk_list(dot, e);
            }
            return Ok(());
        }
        // The pipeline pushed the declared variables: the last is the element, the one
        // before it the key or index (Go's setTopVar(1) and setTopVar(2)).
        let mark = self.vars.len();
        let ndecl = c.pipe.decl.len();
        for (k, elem) in items {
            self.step()?;
            if ndecl >= 1 {
                self.vars[mark - 1].1 = elem.clone();
            }
            if ndecl >= 2 {
                self.vars[mark - 2].1 = k;
            }
            let r = self.walk_list(&elem, &c.list);
            self.vars.truncate(mark);
            match r {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn var_value(&self, name: &str) -> R<Value> {
        for (n, v) in self.vars.iter().rev() {
            if n == name {
                return Ok(v.clone());
            }
        }
        self.fail(format!("undefined variable: {name}"))
    }

    pub(crate) fn eval_pipeline(&mut self, dot: &Value, pipe: &'t Pipe) -> R<Value> {
        self.nest += 1;
        if self.nest > MAX_NESTING {
            return self.fail(format!("execution nested deeper than {MAX_NESTING} levels"));
        }
        let r = self.eval_pipeline_inner(dot, pipe);
        self.nest -= 1;
        r
    }

    fn eval_pipeline_inner(&mut self, dot: &Value, pipe: &'t Pipe) -> R<Value> {
        self.at = At::Pipe(pipe);
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or(Value::Nil);
        for name in &pipe.decl {
            if pipe.is_assign {
                match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = value.clone(),
                    None => return self.fail(format!("undefined variable: {name}")),
                }
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], final_: &Option<Value>) -> R<()> {
        if args.len() > 1 || final_.is_some() {
            return self.fail(format!("can't give argument to non-function {}", args[0]));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &'t Cmd, final_: Option<Value>) -> R<Value> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                self.at = At::Arg(first);
                return self.eval_field_chain(dot, dot.clone(), first, idents, &cmd.args, final_);
            }
            Arg::Chain { node, fields, .. } => {
                let recv = self.eval_arg(dot, Ty::Any, node)?;
                return self.eval_field_chain(dot, recv, first, fields, &cmd.args, final_);
            }
            Arg::Ident { name, .. } => {
                self.at = At::Arg(first);
                return self.eval_function(dot, name, cmd, &cmd.args, final_);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &final_)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { idents, .. } => {
                self.at = At::Arg(first);
                let v = self.var_value(&idents[0])?;
                if idents.len() == 1 {
                    self.not_a_function(&cmd.args, &final_)?;
                    return Ok(v);
                }
                return self.eval_field_chain(dot, v, first, &idents[1..], &cmd.args, final_);
            }
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(&cmd.args, &final_)?;
        match first {
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => self.fail("nil is not a command"),
            Arg::Number(_, n) => self.ideal_constant(n),
            Arg::Str { text, .. } => Ok(Value::str(text)),
            _ => self.fail(format!("can't evaluate command {first}")),
        }
    }

    fn ideal_constant(&self, n: &Number) -> R<Value> {
        if n.complex {
            return self.fail(format!("complex constant {} is not supported", n.text));
        }
        let t = n.text.to_ascii_lowercase();
        let hex_int = t.trim_start_matches(['+', '-']).starts_with("0x") && !t.contains('p');
        if n.float.is_some() && !hex_int && !n.is_char && t.contains(['.', 'e', 'p']) {
            return Ok(Value::Float(n.float.unwrap_or(0.0)));
        }
        match n.int {
            Some(i) => Ok(Value::Int(i)),
            None if n.uint => self.fail(format!("{} overflows int", n.text)),
            None => Ok(Value::Nil),
        }
    }

    /// Go's `evalArg`: literals take the parameter's type; computed values are checked.
    fn eval_arg(&mut self, dot: &Value, ty: Ty, arg: &'t Arg) -> R<Value> {
        self.at = At::Arg(arg);
        let v = match arg {
            Arg::Dot(_) => dot.clone(),
            Arg::Nil(_) => {
                return match ty {
                    Ty::Str => self.fail("cannot assign nil to string"),
                    _ => Ok(ty.zero()),
                };
            }
            Arg::Field { idents, .. } => self.eval_field_chain(
                dot,
                dot.clone(),
                arg,
                idents,
                std::slice::from_ref(arg),
                None,
            )?,
            Arg::Variable { idents, .. } => {
                let v = self.var_value(&idents[0])?;
                if idents.len() == 1 {
                    v
                } else {
                    self.eval_field_chain(
                        dot,
                        v,
                        arg,
                        &idents[1..],
                        std::slice::from_ref(arg),
                        None,
                    )?
                }
            }
            Arg::Pipe(p) => self.eval_pipeline(dot, p)?,
            Arg::Ident { name, .. } => {
                let cmd_args = std::slice::from_ref(arg);
                self.eval_function_at(dot, name, At::Arg(arg), cmd_args, None)?
            }
            Arg::Chain { node, fields, .. } => {
                let recv = self.eval_arg(dot, Ty::Any, node)?;
                self.eval_field_chain(dot, recv, arg, fields, std::slice::from_ref(arg), None)?
            }
            Arg::Bool(_, b) if ty.is_any() => return Ok(Value::Bool(*b)),
            Arg::Number(_, n) if ty.is_any() => return self.ideal_constant(n),
            Arg::Str { text, .. } if matches!(ty, Ty::Any | Ty::Value | Ty::Str) => {
                return Ok(Value::str(text));
            }
            _ if ty == Ty::Str => return self.fail(format!("expected string; found {arg}")),
            _ => {
                return self.fail(format!(
                    "can't handle {arg} for arg of type {}",
                    ty.go_name()
                ));
            }
        };
        self.validate(v, ty)
    }

    /// Go's `validateType`.
    pub(crate) fn validate(&self, v: Value, ty: Ty) -> R<Value> {
        if let Value::Nil = v {
            return match ty {
                Ty::Str => self.fail("invalid value; expected string"),
                _ => Ok(ty.zero()),
            };
        }
        let ok = match ty {
            Ty::Any | Ty::Value => true,
            Ty::Str => matches!(v, Value::Str(_)),
            Ty::Samples => matches!(v, Value::Samples(_)),
            Ty::SamplePtr => matches!(v, Value::Sample(_)),
        };
        if !ok {
            return self.fail(format!(
                "wrong type for value; expected {}; got {}",
                ty.go_name(),
                v.type_name()
            ));
        }
        Ok(v)
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        name: &'t str,
        cmd: &'t Cmd,
        args: &'t [Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        self.eval_function_at(dot, name, At::Cmd(cmd), args, final_)
    }

    fn eval_function_at(
        &mut self,
        dot: &Value,
        name: &str,
        node: At<'t>,
        args: &'t [Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let Some(sig) = funcs::signature(name) else {
            return self.fail(format!("{name:?} is not a defined function"));
        };
        self.eval_call(dot, name, &sig, node, &args[1..], final_, |s, argv| {
            funcs::call(s, name, argv)
        })
    }

    /// Go's `evalCall`: arity, argument evaluation and checks, the call, its error.
    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        dot: &Value,
        name: &str,
        sig: &Sig,
        node: At<'t>,
        args: &'t [Arg],
        final_: Option<Value>,
        f: impl FnOnce(&mut Self, Vec<Value>) -> Result<Value, String>,
    ) -> R<Value> {
        self.step()?;
        let num_in = args.len() + usize::from(final_.is_some());
        let nfixed = sig.fixed.len();
        if sig.variadic.is_some() {
            if num_in < nfixed {
                return self.fail(format!(
                    "wrong number of args for {name}: want at least {nfixed} got {}",
                    args.len()
                ));
            }
        } else if num_in != nfixed {
            return self.fail(format!(
                "wrong number of args for {name}: want {nfixed} got {num_in}"
            ));
        }
        if name == "and" || name == "or" {
            // Go 1.18+: and/or stop at the first argument that decides.
            let mut v = Value::Nil;
            for a in args {
                v = self.eval_arg(dot, Ty::Value, a)?;
                if v.truth() == (name == "or") {
                    return Ok(v);
                }
            }
            if let Some(fv) = final_ {
                v = self.validate(fv, Ty::Value)?;
            }
            return Ok(v);
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            let ty = sig
                .fixed
                .get(i)
                .copied()
                .or(sig.variadic)
                .unwrap_or(Ty::Any);
            argv.push(self.eval_arg(dot, ty, a)?);
        }
        if let Some(fv) = final_ {
            let ty = sig
                .fixed
                .get(args.len())
                .copied()
                .or(sig.variadic)
                .unwrap_or(Ty::Any);
            argv.push(self.validate(fv, ty)?);
        }
        match f(self, argv) {
            Ok(v) => Ok(v),
            Err(msg) => {
                self.at = node;
                self.fail(format!("error calling {name}: {msg}"))
            }
        }
    }

    /// Go's `evalFieldChain`: every field but the last is plain; the last gets the args.
    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut recv: Value,
        node: &'t Arg,
        idents: &'t [String],
        args: &'t [Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let n = idents.len();
        for (i, id) in idents.iter().enumerate() {
            if i + 1 < n {
                recv = self.eval_field(dot, id, node, &args[..1], None, recv)?;
            } else {
                return self.eval_field(dot, id, node, args, final_, recv);
            }
        }
        Ok(recv)
    }

    fn eval_field(
        &mut self,
        dot: &Value,
        field: &str,
        node: &'t Arg,
        args: &'t [Arg],
        final_: Option<Value>,
        recv: Value,
    ) -> R<Value> {
        if let Value::Nil = recv {
            return Ok(Value::Nil);
        }
        let has_args = args.len() > 1 || final_.is_some();
        if let Value::Time(ns) = recv
            && let Some(sig) = funcs::time_method(field)
        {
            return self.eval_call(
                dot,
                field,
                &sig,
                At::Arg(node),
                &args[1..],
                final_,
                |_, argv| funcs::call_time_method(ns, field, &argv),
            );
        }
        let typ = recv.type_name();
        match &recv {
            Value::Data(d) => {
                let v = match field {
                    "Labels" => Value::StrMap(Rc::new(d.labels.clone())),
                    "ExternalLabels" => Value::StrMap(Rc::new(d.external_labels.clone())),
                    "ExternalURL" => Value::str(&d.external_url),
                    "Value" => Value::Float(d.value),
                    _ => return self.fail(format!("can't evaluate field {field} in type {typ}")),
                };
                if has_args {
                    return self.fail(format!(
                        "{field} has arguments but cannot be invoked as function"
                    ));
                }
                Ok(v)
            }
            Value::Sample(s) => {
                if !matches!(field, "Labels" | "Value") {
                    return self.fail(format!("can't evaluate field {field} in type {typ}"));
                }
                let Some(s) = s else {
                    return self.fail(format!("nil pointer evaluating {typ}.{field}"));
                };
                if has_args {
                    return self.fail(format!(
                        "{field} has arguments but cannot be invoked as function"
                    ));
                }
                Ok(if field == "Labels" {
                    Value::StrMap(Rc::new(s.labels.clone()))
                } else {
                    Value::Float(s.value)
                })
            }
            Value::StrMap(m) => {
                if has_args {
                    return self.fail(format!("{field} is not a method but has arguments"));
                }
                // missingkey=zero: a missing label is map[string]string's zero value, "".
                Ok(Value::str(m.get(field).map_or("", String::as_str)))
            }
            Value::AnyMap(m) => {
                if has_args {
                    return self.fail(format!("{field} is not a method but has arguments"));
                }
                Ok(m.get(field).cloned().unwrap_or(Value::Nil))
            }
            _ => self.fail(format!("can't evaluate field {field} in type {typ}")),
        }
    }
}

/// The function names a template may use, for the parser.
pub(crate) fn is_func(name: &str) -> bool {
    funcs::signature(name).is_some()
}
