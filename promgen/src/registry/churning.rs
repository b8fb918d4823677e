//! A registry member in a churning slot ([`crate::churn`]): which series it is at a tick,
//! and the move from one series to the next.

use super::Member;
use crate::{Labels, churn::ChurnSlot};

/// A member's churn: its slot, the labels it has apart from the churn label's value, and
/// the series it is now.
pub(crate) struct MemberChurn {
    slot: ChurnSlot,
    /// Its labels with the churn label's value standing for the slot (`#3`): the member's
    /// key in its family, which stays put while its series come and go.
    key: Labels,
    /// The churn label's value of its series now.
    value: Option<i128>,
}

/// What moving a member to a tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Moved {
    /// A series with samples out there left: each of its wire series is due a stale marker.
    pub(crate) left_live: bool,
    /// Its labels changed.
    pub(crate) relabeled: bool,
}

impl MemberChurn {
    /// The churn of a member whose labels are `labels` (without the churn label), and the
    /// key it is found by.
    pub(crate) fn new(slot: ChurnSlot, labels: &Labels) -> (Self, Labels) {
        let key = with_label(labels, slot.churn().label(), &format!("#{}", slot.slot()));
        let churn = Self {
            slot,
            key: key.clone(),
            value: None,
        };
        (churn, key)
    }

    /// The member's key in its family.
    pub(crate) const fn key(&self) -> &Labels {
        &self.key
    }

    /// Whether the member has a series now.
    pub(crate) const fn present(&self) -> bool {
        self.value.is_some()
    }

    /// The churn label.
    pub(crate) fn label(&self) -> &str {
        self.slot.churn().label()
    }
}

impl Member {
    /// Whether it is a churning slot.
    pub(crate) const fn churns(&self) -> bool {
        self.churn.is_some()
    }

    /// Whether the member has a series now: always, unless a churning slot is empty.
    pub(crate) fn present(&self) -> bool {
        self.churn.as_ref().is_none_or(|c| c.present())
    }

    /// The labels the family knows the member by: its own, or its churn's key.
    pub(crate) fn key(&self) -> &Labels {
        self.churn.as_ref().map_or(&self.labels, |c| c.key())
    }

    /// Moves a churning member to its series at `timestamp_ms`: when that is another
    /// series, the old one leaves and the new one starts from its first point, seeded from
    /// its own labels (so a series has the same numbers whichever run or shard makes it).
    pub(crate) fn churn_to(&mut self, timestamp_ms: i64) -> Moved {
        let Some(churn) = self.churn.as_deref_mut() else {
            return Moved::default();
        };
        let value = churn.slot.value_at(timestamp_ms);
        if value == churn.value {
            return Moved::default();
        }
        let left_live = churn.value.is_some() && self.cursor.live();
        churn.value = value;
        if let Some(v) = value {
            self.labels = with_label(&churn.key, churn.slot.churn().label(), &v.to_string());
            self.cursor.reset(self.labels.stable_hash());
        } else {
            self.cursor.set_not_live();
        }
        Moved {
            left_live,
            relabeled: true,
        }
    }
}

/// `labels` with `label` set to `value`.
fn with_label(labels: &Labels, label: &str, value: &str) -> Labels {
    let pairs = labels
        .without_name()
        .filter(|(k, _)| *k != label)
        .chain([(label, value)]);
    // The labels were valid, the churn label's name was checked where the churn was read,
    // and a value may be any text: this cannot fail.
    Labels::new(labels.name(), pairs).unwrap_or_else(|_| labels.clone())
}
