//! Each environment's range, derived from its ports where the source states
//! none.

use super::*;

/// Each environment's range: the one the source states, else the smallest
/// block of 1000 ports holding its ports, else (when blocks overlap) the span
/// of its ports.
pub(super) fn environment_ranges(
    envs: &[Environment],
    used: &[bool],
    services: &[Service],
    cx: &mut Ctx,
) -> Vec<Vec<(u16, u16)>> {
    let ports_of = |i: usize| -> Vec<u16> {
        services
            .iter()
            .flat_map(|s| s.ports.iter())
            .flat_map(|p| p.per_env.iter())
            .filter(|g| g.env == i)
            .map(|g| g.bound.port)
            .collect()
    };
    let span = |ports: &[u16]| -> (u16, u16) {
        let lo = ports.iter().copied().min().unwrap_or(1);
        let hi = ports.iter().copied().max().unwrap_or(lo);
        (lo, hi)
    };
    let mut ranges: Vec<Vec<(u16, u16)>> = Vec::new();
    let mut derived: Vec<bool> = Vec::new();
    for (i, env) in envs.iter().enumerate() {
        let ports = ports_of(i);
        match &env.stated {
            Some(r) => {
                ranges.push(r.clone());
                derived.push(false);
            }
            None => {
                ranges.push(derived_range(&ports));
                derived.push(true);
            }
        }
    }
    let live = |i: usize| used.get(i).copied().unwrap_or(false);
    let clashing: Vec<usize> = (0..envs.len())
        .filter(|&i| {
            live(i)
                && derived[i]
                && (0..envs.len()).any(|j| j != i && live(j) && overlaps(&ranges[i], &ranges[j]))
        })
        .collect();
    if !clashing.is_empty() {
        let mut changed = Vec::new();
        for &i in &clashing {
            let (lo, hi) = span(&ports_of(i));
            ranges[i] = vec![(lo, hi)];
            changed.push(format!("{} {lo}-{hi}", envs[i].name));
        }
        cx.problem(
            "environments",
            format!(
                "the ports of several environments share blocks of 1000 ports, so each got the \
                 span of its own ports ({}); widen them by hand so each has room for new services",
                changed.join(", ")
            ),
        );
    }
    let shown: Vec<String> = (0..envs.len())
        .filter(|&i| live(i) && derived[i] && !clashing.contains(&i))
        .map(|i| format!("{} {}", envs[i].name, range_text(&ranges[i])))
        .collect();
    if !shown.is_empty() {
        cx.note(
            "environments",
            format!(
                "the source states no ranges; each environment got the block of 1000 ports that \
                 holds most of its ports, and its other ports one by one ({}); narrow them to what \
                 you allocate from",
                shown.join(", ")
            ),
        );
    }
    ranges
}

/// The range of an environment whose source states none: the block of 1000
/// that holds most of its ports; a port far from it (a test database beside
/// 7xxx services) is added on its own rather than widening the range over
/// both.
fn derived_range(ports: &[u16]) -> Vec<(u16, u16)> {
    let block = |(lo, hi): (u16, u16)| -> (u16, u16) {
        let start = (lo / 1000 * 1000).max(1);
        let end = u16::try_from(u32::from(hi) / 1000 * 1000 + 999).unwrap_or(u16::MAX);
        (start, end)
    };
    let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
    for p in ports {
        *counts.entry(p / 1000).or_default() += 1;
    }
    // On a tie, the higher block: databases and caches sit on
    // low well-known ports, services above them.
    let main = counts
        .iter()
        .max_by_key(|(b, n)| (**n, **b))
        .map_or(0, |(b, _)| *b);
    let (lo, hi) = block((main * 1000, main * 1000));
    let mut range = vec![(lo, hi)];
    let outside: Vec<u16> = ports.iter().copied().filter(|p| p / 1000 != main).collect();
    range.extend(spans(&outside));
    range.sort_unstable();
    range
}
