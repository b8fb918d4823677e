//! Shapes: segments (`LinearSegment`, `Loop`, `Add`, …), the series DSL and promtool
//! notation, with the counter rules checked on each leaf.

use super::{Decoder, Fields};
use crate::config::{
    error::{KeyPath, closest},
    spec::{ArithOp, Period, ShapeSpec},
    yaml::{Kind, Node, Position},
};
use crate::{
    FormatValue,
    notation::Notation,
    shape::{Value, WaveKind, WaveParams},
    time::parse_duration,
};
use promgen_syntax::limits::{MAX_DEPTH, MAX_SHAPES, too_deep, too_many};

const SHAPES: &[&str] = &[
    "LinearSegment",
    "CustomValues",
    "Random",
    "Void",
    "Loop",
    "Join",
    "Values",
    "Constant",
    "Normal",
    "RandomWalk",
    "Sin",
    "Cos",
    "Square",
    "Sawtooth",
    "Triangle",
    "Pulse",
    "ContinuousLinear",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Clamp",
    "Round",
    "Abs",
    "Cumsum",
    "Hold",
    "Take",
];

impl Decoder<'_> {
    pub(super) fn notation(
        &mut self,
        node: &Node,
        path: &KeyPath,
        counter: bool,
    ) -> Option<ShapeSpec> {
        let text = self.scalar(node, path, "promtool notation like \"0+10x100 _x5 stale\"")?;
        match Notation::parse(text) {
            Ok(n) => self.leaf(node, path, counter, ShapeSpec::Notation(n)),
            Err(e) => {
                // Point at the character itself when the scalar sits on one line.
                let quoted = matches!(&node.kind, Kind::Scalar { plain: false, .. });
                let at = Position {
                    line: node.at.line,
                    column: node.at.column + e.column - 1 + usize::from(quoted),
                };
                self.error_at(
                    at,
                    path,
                    format!(
                        "invalid promtool notation at column {}: {}",
                        e.column, e.message
                    ),
                );
                None
            }
        }
    }

    /// `series:` — a DSL expression, like `linear(0..100) >> loop`.
    pub(super) fn dsl(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        let text = self.scalar(
            node,
            path,
            "a series expression like \"linear(0..100) >> loop\"",
        )?;
        match crate::dsl::parse(text) {
            Ok(spec) => self.leaf(node, path, counter, spec),
            Err(e) => {
                // Point at the character itself when the scalar sits on one line.
                let quoted = matches!(&node.kind, Kind::Scalar { plain: false, .. });
                let at = if e.line == 1 {
                    Position {
                        line: node.at.line,
                        column: node.at.column + e.column - 1 + usize::from(quoted),
                    }
                } else {
                    node.at
                };
                self.error_at(
                    at,
                    path,
                    format!(
                        "invalid series expression at {}:{}: {}",
                        e.line, e.column, e.message
                    ),
                );
                None
            }
        }
    }

    /// A leaf shape: checked against the counter rules when it feeds a counter.
    fn leaf(
        &mut self,
        node: &Node,
        path: &KeyPath,
        counter: bool,
        spec: ShapeSpec,
    ) -> Option<ShapeSpec> {
        if counter && !spec.range().fits_counter() {
            let r = spec.range();
            let why = if r.nan {
                "can be NaN".to_owned()
            } else if r.lo.is_infinite() {
                "can be negative (it is unbounded)".to_owned()
            } else {
                format!("can be negative (as low as {})", FormatValue(r.lo))
            };
            return self.error(node, path, format!("counter values must not be negative or NaN, and this {why}; clamp it or make the metric a gauge"));
        }
        Some(spec)
    }

    /// `data:` — a list of segments (an implicit join) or a single segment.
    pub(super) fn data(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        if self.depth == 0 {
            // A series' shape starts here: its own count of shapes.
            self.shapes = 0;
            self.too_many = false;
        }
        match &node.kind {
            Kind::Seq(_) => self.join(node, path, counter),
            _ => self.shape(node, path, counter),
        }
    }

    /// One level deeper, decoded by `decode`: refused where it stands past [`MAX_DEPTH`], as
    /// the DSL refuses it, so that no config nests a shape deeper than its text could.
    fn level(
        &mut self,
        node: &Node,
        path: &KeyPath,
        decode: impl FnOnce(&mut Self) -> Option<ShapeSpec>,
    ) -> Option<ShapeSpec> {
        if self.depth >= MAX_DEPTH {
            return self.error(node, path, too_deep());
        }
        self.depth += 1;
        let spec = decode(self);
        self.depth -= 1;
        spec
    }

    /// One more shape in the series; past [`MAX_SHAPES`], refused (once, where it went past).
    fn count(&mut self, node: &Node, path: &KeyPath) -> Option<()> {
        self.shapes += 1;
        if self.shapes <= MAX_SHAPES {
            return Some(());
        }
        if !self.too_many {
            self.too_many = true;
            self.error_at(node.at, path, too_many());
        }
        None
    }

    /// A list of segments, joined: a level, like the DSL's `>>`.
    fn join(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        self.level(node, path, |d| d.join_items(node, path, counter))
    }

    fn join_items(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        let items = self.seq(node, path)?;
        if items.is_empty() {
            return self.error(node, path, "an empty list of segments");
        }
        let parts: Vec<Option<ShapeSpec>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.shape(item, &path.index(i), counter))
            .collect();
        let mut parts: Vec<ShapeSpec> = parts.into_iter().collect::<Option<_>>()?;
        Some(if parts.len() == 1 {
            parts.remove(0)
        } else {
            ShapeSpec::Join(parts)
        })
    }

    /// One segment: a mapping with a single key naming its kind. `counter` asks that its
    /// values never be negative or NaN. A level, and a shape in the count.
    fn shape(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        self.level(node, path, |d| d.segment(node, path, counter))
    }

    fn segment(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        let Kind::Map(entries) = &node.kind else {
            return self.error(
                node,
                path,
                format!(
                    "expected a segment like `LinearSegment: {{...}}`, found {}",
                    node.describe()
                ),
            );
        };
        let [(key, body)] = entries.as_slice() else {
            return self.error(
                node,
                path,
                format!(
                    "a segment has exactly one key naming its kind, found {}",
                    entries.len()
                ),
            );
        };
        // A segment (an item that is none is an error of its own, not a shape).
        self.count(node, path)?;
        let kind = self.scalar(key, path, "a segment kind")?.to_owned();
        let p = path.key(&kind);
        let boxed = |s: ShapeSpec| Box::new(s);
        match kind.as_str() {
            "LinearSegment" => {
                let f = self.map(
                    body,
                    &p,
                    &["iterationCount", "amplitudeStart", "amplitudeEnd"],
                )?;
                let count = self.field(&f, &p, "iterationCount", Self::positive);
                let start = self.field(&f, &p, "amplitudeStart", Self::finite);
                let end = self.field(&f, &p, "amplitudeEnd", Self::finite);
                self.leaf(
                    node,
                    &p,
                    counter,
                    ShapeSpec::Linear {
                        start: start?,
                        end: end?,
                        count: count?,
                    },
                )
            }
            "ContinuousLinear" => {
                let f = self.map(body, &p, &["duration", "amplitudeStart", "amplitudeEnd"])?;
                let duration = self.field(&f, &p, "duration", Self::duration);
                let start = self.field(&f, &p, "amplitudeStart", Self::finite);
                let end = self.field(&f, &p, "amplitudeEnd", Self::finite);
                self.leaf(
                    node,
                    &p,
                    counter,
                    ShapeSpec::ContinuousLinear {
                        start: start?,
                        end: end?,
                        duration_ms: duration?,
                    },
                )
            }
            "CustomValues" => {
                let f = self.map(body, &p, &["values"])?;
                let list = self.required(&f, &p, "values")?;
                let vp = p.key("values");
                let items = self.seq(list, &vp)?;
                if items.is_empty() {
                    return self.error(list, &vp, "an empty list of values");
                }
                let values: Vec<Option<Value>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.value(v, &vp.index(i)))
                    .collect();
                let values: Vec<Value> = values.into_iter().collect::<Option<_>>()?;
                if counter
                    && let Some(i) = values
                        .iter()
                        .position(|v| matches!(v, Value::Num(x) if x.is_nan() || *x < 0.0))
                {
                    return self.error(
                        &items[i],
                        &vp.index(i),
                        "counter values must not be negative or NaN",
                    );
                }
                Some(ShapeSpec::Values(values))
            }
            "Values" => self.notation(body, &p, counter),
            "Random" => {
                let f = self.map(body, &p, &["iterationCount", "min", "max", "seed"])?;
                let count = self.field(&f, &p, "iterationCount", Self::positive);
                let (min, max) = self.min_max(&f, &p)?;
                let seed = self.optional(&f, &p, "seed", Self::u64)?;
                let spec = ShapeSpec::Take {
                    count: count?,
                    inner: boxed(ShapeSpec::Uniform { min, max, seed }),
                };
                self.leaf(node, &p, counter, spec)
            }
            "Void" => {
                let f = self.map(body, &p, &["count"])?;
                let count = self.field(&f, &p, "count", Self::positive)?;
                Some(ShapeSpec::Gap(count))
            }
            "Constant" => {
                let f = self.map(body, &p, &["value", "iterationCount"])?;
                let value = self.field(&f, &p, "value", Self::f64);
                let count = self.optional(&f, &p, "iterationCount", Self::positive)?;
                self.leaf(
                    node,
                    &p,
                    counter,
                    with_count(ShapeSpec::Constant(value?), count),
                )
            }
            "Normal" => {
                let f = self.map(body, &p, &["mean", "stddev", "iterationCount", "seed"])?;
                let mean = self.field(&f, &p, "mean", Self::finite);
                let stddev = self.required(&f, &p, "stddev").and_then(|n| {
                    let v = self.finite(n, &p.key("stddev"))?;
                    if v < 0.0 {
                        self.error(n, &p.key("stddev"), "must be >= 0")
                    } else {
                        Some(v)
                    }
                });
                let count = self.optional(&f, &p, "iterationCount", Self::positive);
                let seed = self.optional(&f, &p, "seed", Self::u64);
                let spec = ShapeSpec::Normal {
                    mean: mean?,
                    stddev: stddev?,
                    seed: seed?,
                };
                self.leaf(node, &p, counter, with_count(spec, count?))
            }
            "RandomWalk" => {
                let f = self.map(body, &p, &["start", "step", "iterationCount", "seed"])?;
                let start = self.field(&f, &p, "start", Self::finite);
                let step = self.field(&f, &p, "step", Self::finite);
                let count = self.optional(&f, &p, "iterationCount", Self::positive);
                let seed = self.optional(&f, &p, "seed", Self::u64);
                let spec = ShapeSpec::Walk {
                    start: start?,
                    step: step?,
                    seed: seed?,
                };
                self.leaf(node, &p, counter, with_count(spec, count?))
            }
            "Sin" | "Cos" | "Square" | "Sawtooth" | "Triangle" | "Pulse" => {
                let wave = WaveKind::ALL
                    .into_iter()
                    .find(|k| k.name().eq_ignore_ascii_case(&kind))
                    .unwrap_or(WaveKind::Sin);
                let spec = self.wave(body, &p, wave)?;
                self.leaf(node, &p, counter, spec)
            }
            "Loop" => {
                let f = self.map(body, &p, &["count", "data"])?;
                let count = self.optional(&f, &p, "count", |d, n, path| match d.u64(n, path)? {
                    0 => d.error(n, path, "must be > 0 (leave `count` out to loop forever)"),
                    c => Some(c),
                });
                let inner = self
                    .required(&f, &p, "data")
                    .and_then(|n| self.data(n, &p.key("data"), counter));
                Some(ShapeSpec::Loop {
                    count: count?,
                    body: boxed(inner?),
                })
            }
            "Join" => match &body.kind {
                Kind::Seq(_) => self.join(body, &p, counter),
                _ => {
                    let f = self.map(body, &p, &["data"])?;
                    let data = self.required(&f, &p, "data")?;
                    self.join(data, &p.key("data"), counter)
                }
            },
            "Add" | "Sub" | "Mul" | "Div" => {
                let op = match kind.as_str() {
                    "Add" => ArithOp::Add,
                    "Sub" => ArithOp::Sub,
                    "Mul" => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                let items = self.seq(body, &p)?;
                let [left, right] = items else {
                    return self.error(
                        body,
                        &p,
                        format!(
                            "expected two operands (segments or numbers), found {}",
                            items.len()
                        ),
                    );
                };
                // Sums and products of non-negative values stay non-negative, so a counter's
                // operands are checked one by one; differences and quotients are checked whole.
                let pass = counter && matches!(op, ArithOp::Add | ArithOp::Mul);
                let l = self.operand(left, &p.index(0), pass);
                let r = self.operand(right, &p.index(1), pass);
                let spec = ShapeSpec::Arith {
                    op,
                    left: boxed(l?),
                    right: boxed(r?),
                };
                self.leaf(node, &p, counter && !pass, spec)
            }
            "Clamp" => {
                let f = self.map(body, &p, &["min", "max", "data"])?;
                let min = self.optional(&f, &p, "min", Self::f64);
                let max = self.optional(&f, &p, "max", Self::f64);
                let (min, max) = (
                    min?.unwrap_or(f64::NEG_INFINITY),
                    max?.unwrap_or(f64::INFINITY),
                );
                if min > max {
                    return self.error(
                        body,
                        &p,
                        format!(
                            "min ({}) is above max ({})",
                            FormatValue(min),
                            FormatValue(max)
                        ),
                    );
                }
                let inner = self
                    .required(&f, &p, "data")
                    .and_then(|n| self.data(n, &p.key("data"), counter && min < 0.0))?;
                self.leaf(
                    node,
                    &p,
                    counter,
                    ShapeSpec::Clamp {
                        min,
                        max,
                        inner: boxed(inner),
                    },
                )
            }
            "Round" | "Abs" | "Cumsum" => {
                let f = self.map(body, &p, &["data"])?;
                // The absolute value fixes negatives; rounding and summing keep them.
                let pass = counter && kind != "Abs";
                let inner = boxed(
                    self.required(&f, &p, "data")
                        .and_then(|n| self.data(n, &p.key("data"), pass))?,
                );
                let spec = match kind.as_str() {
                    "Round" => ShapeSpec::Round(inner),
                    "Abs" => ShapeSpec::Abs(inner),
                    _ => ShapeSpec::Cumsum(inner),
                };
                self.leaf(node, &p, counter && !pass, spec)
            }
            "Hold" | "Take" => {
                let f = self.map(body, &p, &["count", "data"])?;
                let count = self.field(&f, &p, "count", Self::positive);
                let inner = self
                    .required(&f, &p, "data")
                    .and_then(|n| self.data(n, &p.key("data"), counter));
                let (count, inner) = (count?, boxed(inner?));
                Some(if kind == "Hold" {
                    ShapeSpec::Hold { count, inner }
                } else {
                    ShapeSpec::Take { count, inner }
                })
            }
            other => {
                let hint = closest(other, SHAPES).map_or_else(
                    || format!("; known kinds: {}", SHAPES.join(", ")),
                    |k| format!(" (did you mean `{k}`?)"),
                );
                self.error_at(key.at, &p, format!("unknown segment kind{hint}"));
                None
            }
        }
    }

    fn operand(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        match &node.kind {
            Kind::Scalar { .. } => {
                self.count(node, path)?;
                let v = self.f64(node, path)?;
                self.leaf(node, path, counter, ShapeSpec::Constant(v))
            }
            Kind::Seq(_) => self.join(node, path, counter),
            Kind::Map(_) => self.shape(node, path, counter),
        }
    }

    fn min_max(&mut self, f: &Fields<'_>, p: &KeyPath) -> Option<(f64, f64)> {
        let min = self.field(f, p, "min", Self::finite);
        let max = self.field(f, p, "max", Self::finite);
        let (min, max) = (min?, max?);
        if min > max {
            return self.error(
                f.node,
                p,
                format!(
                    "min ({}) is above max ({})",
                    FormatValue(min),
                    FormatValue(max)
                ),
            );
        }
        Some((min, max))
    }

    fn wave(&mut self, body: &Node, p: &KeyPath, kind: WaveKind) -> Option<ShapeSpec> {
        let mut keys = vec!["period", "amplitude", "offset", "phase", "iterationCount"];
        if kind == WaveKind::Pulse {
            keys.push("duty");
        }
        let f = self.map(body, p, &keys)?;
        let period = self.required(&f, p, "period").and_then(|n| {
            let pp = p.key("period");
            let text = self.scalar(n, &pp, "a period")?;
            if let Ok(scrapes) = text.parse::<u64>() {
                if scrapes == 0 { self.error(n, &pp, "must be > 0") } else { Some(Period::Scrapes(scrapes)) }
            } else {
                match parse_duration(text) {
                    Ok(0) => self.error(n, &pp, "must be longer than 0s"),
                    Ok(ms) => Some(Period::Millis(ms)),
                    Err(_) => self.error(n, &pp, format!("expected a number of scrapes (like 20) or a duration (like 10m), found {text:?}")),
                }
            }
        });
        let amplitude = self.optional(&f, p, "amplitude", Self::finite);
        let offset = self.optional(&f, p, "offset", Self::finite);
        let phase = self.optional(&f, p, "phase", Self::finite);
        let duty = self.optional(&f, p, "duty", |d, n, path| {
            let v = d.finite(n, path)?;
            if (0.0..=1.0).contains(&v) {
                Some(v)
            } else {
                d.error(n, path, "must be between 0 and 1")
            }
        });
        let count = self.optional(&f, p, "iterationCount", Self::positive);
        let mut params = WaveParams::new(kind);
        params.amplitude = amplitude?.unwrap_or(params.amplitude);
        params.offset = offset?.unwrap_or(params.offset);
        params.phase = phase?.unwrap_or(params.phase);
        params.duty = duty?.unwrap_or(params.duty);
        Some(with_count(
            ShapeSpec::Wave {
                params,
                period: period?,
            },
            count?,
        ))
    }
}

fn with_count(spec: ShapeSpec, count: Option<u64>) -> ShapeSpec {
    match count {
        Some(count) => ShapeSpec::Take {
            count,
            inner: Box::new(spec),
        },
        None => spec,
    }
}
