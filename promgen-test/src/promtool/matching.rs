//! `exp_alerts` compared as `match:` says (promgen's addition): every expected alert must be
//! a different firing alert and every firing alert expected (the count is always checked),
//! where one alert is another when each listed label and annotation matches (`=~re` values
//! whole, as PromQL's `=~`), and, for `match: exact`, no other is there.

use super::{
    file::{ExpectedAlert, MatchMode},
    words::ListedAlert,
};
use crate::{selector::LabelMatch, state::LabelMap};

/// Whether `expected` (each under its own mode, else `default`) and `got` pair up one to one.
pub(crate) fn alerts_match(
    expected: &[ExpectedAlert],
    default: MatchMode,
    alertname: &str,
    got: &[ListedAlert],
) -> bool {
    if expected.len() != got.len() {
        return false;
    }
    let fits: Vec<Vec<bool>> = expected
        .iter()
        .map(|e| {
            let mode = e.match_mode.unwrap_or(default);
            got.iter().map(|g| fits(e, mode, alertname, g)).collect()
        })
        .collect();
    perfect_matching(&fits)
}

/// Whether the firing alert `got` is the expected one.
fn fits(expected: &ExpectedAlert, mode: MatchMode, alertname: &str, got: &ListedAlert) -> bool {
    let mut labels = expected.labels.clone();
    labels.insert("alertname".into(), alertname.to_owned());
    map_fits(&labels, mode, &got.labels) && map_fits(&expected.annotations, mode, &got.annotations)
}

fn map_fits(expected: &LabelMap, mode: MatchMode, got: &LabelMap) -> bool {
    let listed = expected.iter().all(|(k, v)| {
        got.get(k)
            .is_some_and(|g| LabelMatch::parse(v).is_ok_and(|m| m.matches(g)))
    });
    listed && (mode == MatchMode::Subset || got.keys().all(|k| expected.contains_key(k)))
}

/// Whether every row can be given a different column it fits (Kuhn's augmenting paths; the
/// lists are short).
fn perfect_matching(fits: &[Vec<bool>]) -> bool {
    let columns = fits.first().map_or(0, Vec::len);
    let mut owner: Vec<Option<usize>> = vec![None; columns];
    fn augment(
        row: usize,
        fits: &[Vec<bool>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for col in 0..owner.len() {
            if fits[row][col] && !seen[col] {
                seen[col] = true;
                if owner[col].is_none_or(|other| augment(other, fits, seen, owner)) {
                    owner[col] = Some(row);
                    return true;
                }
            }
        }
        false
    }
    (0..fits.len()).all(|row| augment(row, fits, &mut vec![false; columns], &mut owner))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> LabelMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn got(labels: &[(&str, &str)]) -> ListedAlert {
        let mut labels = map(labels);
        labels.insert("alertname".into(), "A".into());
        ListedAlert {
            labels,
            annotations: map(&[("summary", "api is down")]),
        }
    }

    fn expected(labels: &[(&str, &str)], mode: Option<MatchMode>) -> ExpectedAlert {
        ExpectedAlert {
            labels: map(labels),
            annotations: LabelMap::new(),
            match_mode: mode,
        }
    }

    #[test]
    fn subset_ignores_what_is_not_listed_and_regexes_match_whole_values() {
        let firing = [got(&[("instance", "web-1"), ("severity", "page")])];
        let subset = |labels: &[(&str, &str)]| {
            alerts_match(&[expected(labels, None)], MatchMode::Subset, "A", &firing)
        };
        assert!(subset(&[("severity", "page")]));
        assert!(subset(&[("instance", "=~web-[0-9]+")]));
        assert!(!subset(&[("instance", "=~web")]), "anchored");
        assert!(!subset(&[("severity", "ticket")]));
        assert!(!subset(&[("team", "=~.*")]), "a listed label must be there");
        // Exact: the annotations count too.
        let exact = alerts_match(
            &[expected(
                &[("instance", "web-1"), ("severity", "page")],
                None,
            )],
            MatchMode::Exact,
            "A",
            &firing,
        );
        assert!(!exact, "the summary annotation is not listed");
    }

    #[test]
    fn every_alert_is_paired_once() {
        let firing = [got(&[("i", "a")]), got(&[("i", "b")])];
        let any = expected(&[], Some(MatchMode::Subset));
        let a = expected(&[("i", "a")], Some(MatchMode::Subset));
        assert!(alerts_match(
            &[any.clone(), a.clone()],
            MatchMode::Exact,
            "A",
            &firing
        ));
        assert!(!alerts_match(
            &[a.clone(), a],
            MatchMode::Exact,
            "A",
            &firing
        ));
        assert!(
            !alerts_match(&[any], MatchMode::Exact, "A", &firing),
            "one alert is not two"
        );
    }
}
