//! The order in which a replay evaluates rules, from what each rule reads of what the others
//! write back (recorded series; `ALERTS` and `ALERTS_FOR_STATE`).
//!
//! Prometheus (and promtool) evaluate every group at each of its evaluation times, rule after
//! rule: a rule sees what the rules before it in its group wrote at the same time, and what
//! it and the rules after it wrote at the previous evaluation. Groups run side by side live
//! and in `group_eval_order` in promtool, so any order of groups is one Prometheus could take.
//!
//! The fast way to replay a group is rule by rule, each over every step at once (one range
//! query per rule): right when every rule reads only what rules *before* it write. A group
//! where a rule reads its own output or a later rule's (an alert on `ALERTS`, say), and
//! groups that read each other's, are replayed in *lockstep* instead: evaluation time by
//! evaluation time, every rule at each, exactly as the rule manager does, at the cost of a
//! query and a write per rule and step.
//!
//! What a rule reads is found by name: the metric names its expression mentions, and for
//! `ALERTS` / `ALERTS_FOR_STATE` the `alertname="…"` matcher when there is one (else every
//! alerting rule). A name matched only by a regular expression (`{__name__=~"job:.*"}`) is
//! not seen.

use super::rules::{ALERTS, ALERTS_FOR_STATE, Group, Rule};
use std::collections::BTreeSet;

/// Groups evaluated together.
#[derive(Debug, Clone)]
pub(crate) enum Unit {
    /// One group, rule by rule over every step.
    Bulk(Group),
    /// Groups evaluated time by time, in this order at each time.
    Lockstep(Vec<Group>),
}

impl Unit {
    /// Its groups, in the order they are evaluated.
    pub(crate) fn groups(&self) -> &[Group] {
        match self {
            Self::Bulk(g) => std::slice::from_ref(g),
            Self::Lockstep(groups) => groups,
        }
    }

    /// Its groups, in the order they are evaluated.
    pub(crate) fn into_groups(self) -> Vec<Group> {
        match self {
            Self::Bulk(g) => vec![g],
            Self::Lockstep(groups) => groups,
        }
    }
}

/// Which alerting rules' `ALERTS` series a query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AlertReads {
    None,
    Named(BTreeSet<String>),
    All,
}

/// What a query reads of what rules write.
#[derive(Debug, Clone)]
pub(crate) struct Reads {
    names: BTreeSet<String>,
    alerts: AlertReads,
}

impl Reads {
    pub(crate) fn of(query: &str) -> Self {
        Self {
            names: words(query).map(str::to_owned).collect(),
            alerts: alert_reads(query),
        }
    }

    /// Whether it reads anything `rule` writes.
    pub(crate) fn reads(&self, rule: &Rule) -> bool {
        match rule {
            Rule::Recording { name, .. } => self.names.contains(name),
            Rule::Alerting(a) => match &self.alerts {
                AlertReads::None => false,
                AlertReads::All => true,
                AlertReads::Named(names) => names.contains(&a.name),
            },
        }
    }
}

/// The names a PromQL expression mentions (metric names among them), as words made of
/// the characters of metric names.
pub(crate) fn words(query: &str) -> impl Iterator<Item = &str> {
    query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
}

/// Which alerts' `ALERTS` or `ALERTS_FOR_STATE` a query reads: those its `alertname="X"`
/// matchers name, or all of them where a selector has none (or is not written
/// `ALERTS{…}`).
fn alert_reads(query: &str) -> AlertReads {
    let mut named = BTreeSet::new();
    let bytes = query.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b':';
    let mut found = false;
    for name in [ALERTS, ALERTS_FOR_STATE] {
        let mut from = 0;
        while let Some(at) = query[from..].find(name).map(|i| i + from) {
            let end = at + name.len();
            from = end;
            let whole =
                (at == 0 || !is_word(bytes[at - 1])) && bytes.get(end).is_none_or(|&b| !is_word(b));
            if !whole {
                continue;
            }
            found = true;
            let rest = query[end..].trim_start();
            match rest.strip_prefix('{').and_then(alertname_matcher) {
                Some(alert) => {
                    named.insert(alert);
                }
                None => return AlertReads::All,
            }
        }
    }
    if found {
        AlertReads::Named(named)
    } else {
        AlertReads::None
    }
}

/// In the matchers of a selector (the text after its `{`), the value of an
/// `alertname="…"` equality matcher.
fn alertname_matcher(matchers: &str) -> Option<String> {
    let mut chars = matchers.char_indices().peekable();
    let mut name = String::new();
    while let Some((_, c)) = chars.next() {
        match c {
            '}' => return None,
            '"' | '\'' | '`' => {
                let value = quoted(&mut chars, c)?;
                if name.trim() == "alertname=" {
                    return Some(value);
                }
                name.clear();
            }
            ',' => name.clear(),
            c if c.is_whitespace() => {}
            c => name.push(c),
        }
    }
    None
}

/// The rest of a string literal opened by `quote`, unescaped.
fn quoted(chars: &mut impl Iterator<Item = (usize, char)>, quote: char) -> Option<String> {
    let mut value = String::new();
    while let Some((_, c)) = chars.next() {
        match c {
            '\\' if quote != '`' => value.push(chars.next()?.1),
            c if c == quote => return Some(value),
            c => value.push(c),
        }
    }
    None
}

/// The groups as units of evaluation, in order: a group that reads what another writes goes
/// after it (when they do not read each other), keeping the given order (by file, then
/// name, from `/api/v1/rules`) otherwise.
pub(crate) fn plan(groups: Vec<Group>) -> Vec<Unit> {
    let n = groups.len();
    let reads: Vec<Vec<Reads>> = groups
        .iter()
        .map(|g| g.rules.iter().map(|r| Reads::of(r.query())).collect())
        .collect();
    // A group reads another when one of its rules reads something the other writes.
    let edges: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| {
                    j != i
                        && reads[i]
                            .iter()
                            .any(|r| groups[j].rules.iter().any(|w| r.reads(w)))
                })
                .collect()
        })
        .collect();
    // A rule that reads itself or a later rule of its group sees the previous evaluation.
    let reads_back: Vec<bool> = (0..n)
        .map(|i| {
            reads[i]
                .iter()
                .enumerate()
                .any(|(k, r)| groups[i].rules[k..].iter().any(|w| r.reads(w)))
        })
        .collect();
    let reach = reachability(&edges);
    // Groups that reach each other form one unit.
    let mut component: Vec<Option<usize>> = vec![None; n];
    let mut components: Vec<Vec<usize>> = Vec::new();
    for i in 0..n {
        if component[i].is_some() {
            continue;
        }
        let members: Vec<usize> = (0..n)
            .filter(|&j| j == i || (reach[i][j] && reach[j][i]))
            .collect();
        for &j in &members {
            component[j] = Some(components.len());
        }
        components.push(members);
    }
    // The first component (in the given order) whose sources have all gone, again and again.
    let mut placed: Vec<bool> = vec![false; components.len()];
    let mut order = Vec::with_capacity(components.len());
    while order.len() < components.len() {
        let next = (0..components.len()).find(|&c| {
            !placed[c]
                && components[c].iter().all(|&g| {
                    edges[g].iter().all(|&h| {
                        component[h] == Some(c) || component[h].is_some_and(|k| placed[k])
                    })
                })
        });
        // The components of a graph have no cycles, so one is always ready.
        let Some(c) = next else { break };
        placed[c] = true;
        order.push(c);
    }
    let mut groups: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|c| {
            let members = &components[c];
            let lockstep = members.len() > 1 || reads_back[members[0]];
            let mut taken: Vec<Group> = members.iter().filter_map(|&g| groups[g].take()).collect();
            if lockstep {
                Unit::Lockstep(taken)
            } else {
                Unit::Bulk(taken.remove(0))
            }
        })
        .collect()
}

/// The groups as units of evaluation in the order given (promtool's `group_eval_order`):
/// a group that reads its own output, or what a group after it writes, sees the previous
/// evaluation of it, so it and every group up to that one are replayed in lockstep; every
/// other group by itself, rule by rule.
pub(crate) fn plan_in_order(groups: Vec<Group>) -> Vec<Unit> {
    let n = groups.len();
    // For each group, the last group (itself included) whose output it reads back.
    let reaches: Vec<Option<usize>> = (0..n)
        .map(|i| {
            let reads: Vec<Reads> = groups[i]
                .rules
                .iter()
                .map(|r| Reads::of(r.query()))
                .collect();
            let own = reads
                .iter()
                .enumerate()
                .any(|(k, r)| groups[i].rules[k..].iter().any(|w| r.reads(w)));
            let later = (i + 1..n).rev().find(|&j| {
                reads
                    .iter()
                    .any(|r| groups[j].rules.iter().any(|w| r.reads(w)))
            });
            later.or(own.then_some(i))
        })
        .collect();
    let mut units = Vec::new();
    let mut groups: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    let mut i = 0;
    while i < n {
        match reaches[i] {
            None => {
                units.push(Unit::Bulk(groups[i].take().expect("each group once")));
                i += 1;
            }
            Some(mut end) => {
                // Groups inside the span may reach further.
                let mut k = i;
                while k <= end {
                    end = end.max(reaches[k].unwrap_or(k));
                    k += 1;
                }
                units.push(Unit::Lockstep(
                    (i..=end).filter_map(|g| groups[g].take()).collect(),
                ));
                i = end + 1;
            }
        }
    }
    units
}

/// `reach[i][j]`: whether `j` can be reached from `i` by following edges.
fn reachability(edges: &[Vec<usize>]) -> Vec<Vec<bool>> {
    let n = edges.len();
    let mut reach = vec![vec![false; n]; n];
    for (start, row) in reach.iter_mut().enumerate() {
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            for &j in &edges[i] {
                if !row[j] {
                    row[j] = true;
                    stack.push(j);
                }
            }
        }
    }
    reach
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{AlertingRule, LabelMap};

    fn group(name: &str, rules: &[(&str, &str)]) -> Group {
        let rules = rules
            .iter()
            .map(|&(name, query)| match name.strip_prefix("alert ") {
                Some(alert) => Rule::Alerting(AlertingRule {
                    name: alert.into(),
                    query: query.into(),
                    for_ms: 0,
                    keep_firing_for_ms: 0,
                    labels: LabelMap::new(),
                    annotations: LabelMap::new(),
                }),
                None => Rule::Recording {
                    name: name.into(),
                    query: query.into(),
                    labels: LabelMap::new(),
                },
            })
            .collect();
        Group {
            name: name.into(),
            interval_ms: 60_000,
            limit: 0,
            rules,
        }
    }

    /// Each unit as its group names, lockstep units marked with `~`.
    fn units(groups: Vec<Group>) -> Vec<String> {
        plan(groups)
            .into_iter()
            .map(|u| {
                let lockstep = matches!(u, Unit::Lockstep(_));
                let names: Vec<String> = u.into_groups().into_iter().map(|g| g.name).collect();
                format!("{}{}", if lockstep { "~" } else { "" }, names.join(","))
            })
            .collect()
    }

    #[test]
    fn a_group_that_reads_recorded_series_goes_after_the_group_that_records_them() {
        let groups = vec![
            group("a-alerts", &[("alert High", "job:x:sum > 5")]),
            group("b-other", &[("alert Up", "up == 0")]),
            group("c-sum", &[("job:x:sum", "sum by (job) (job:x:max)")]),
            group("d-max", &[("job:x:max", "max by (job, i) (x)")]),
        ];
        assert_eq!(units(groups), ["b-other", "d-max", "c-sum", "a-alerts"]);
    }

    #[test]
    fn reading_back_in_a_group_or_between_groups_is_replayed_in_lockstep() {
        let later = group("g", &[("alert High", "rate(x:r[5m]) > 1"), ("x:r", "x")]);
        assert_eq!(units(vec![later]), ["~g"]);
        let cycle = vec![
            group("one", &[("a:x", "b:x + 1")]),
            group("other", &[("alert Z", "z > 1")]),
            group("two", &[("b:x", "a:x")]),
            group("three", &[("alert C", "a:x > 1")]),
        ];
        assert_eq!(units(cycle), ["~one,two", "other", "three"]);
        // A name inside another word is not a read.
        let fine = group("g", &[("x:r", "x"), ("alert A", "x:r > 1 or x:rr")]);
        assert_eq!(units(vec![fine]), ["g"]);
    }

    #[test]
    fn alerts_are_read_by_alertname_when_the_selector_names_one() {
        let reads = |q: &str| alert_reads(q);
        let named =
            |names: &[&str]| AlertReads::Named(names.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(reads("up == 0"), AlertReads::None);
        assert_eq!(reads("MY_ALERTS > 0 or ALERTSX"), AlertReads::None);
        assert_eq!(
            reads(r#"ALERTS{alertname="A", alertstate="firing"}"#),
            named(&["A"])
        );
        assert_eq!(
            reads(
                r#"ALERTS { alertstate = "firing" , alertname = 'B' } or ALERTS_FOR_STATE{alertname="C"}"#
            ),
            named(&["B", "C"])
        );
        assert_eq!(
            reads(r#"count(ALERTS{alertstate="firing"}) > 1"#),
            AlertReads::All
        );
        assert_eq!(reads(r#"ALERTS{alertname=~"A|B"}"#), AlertReads::All);
        assert_eq!(reads(r#"ALERTS{alertname!="A"}"#), AlertReads::All);
        assert_eq!(reads("absent(ALERTS)"), AlertReads::All);
        assert_eq!(reads(r#"ALERTS{x="}", alertname="A"}"#), named(&["A"]));

        // An alert on the firing alerts of the group reads itself: lockstep.
        let meta = group(
            "g",
            &[
                ("alert A", "x > 1"),
                ("alert Any", r#"count(ALERTS{alertstate="firing"}) >= 1"#),
            ],
        );
        assert_eq!(units(vec![meta]), ["~g"]);
        // One that reads only an earlier rule's alerts does not.
        let after = group(
            "g",
            &[
                ("alert A", "x > 1"),
                ("alert B", r#"ALERTS{alertname="A"} == 1"#),
            ],
        );
        assert_eq!(units(vec![after]), ["g"]);
        // And a group that reads another's alerts goes after it.
        let groups = vec![
            group("a", &[("alert Meta", r#"ALERTS{alertname="Base"}"#)]),
            group("b", &[("alert Base", "x > 1")]),
        ];
        assert_eq!(units(groups), ["b", "a"]);
    }
}
