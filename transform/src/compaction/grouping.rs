//! Which files of a partition are merged into which output.
//!
//! Files whose stream ranges overlap may hold the same rows, so they always go to the same
//! output, where duplicates are removed; that keeps de-duplication exact without holding every
//! position of a partition in memory. The overlap groups are then packed, in path order, into
//! outputs of at most the target size. A file that is already big enough and overlaps nothing
//! is left as it is, and so is an output that would just copy one file: running compaction
//! twice does nothing the second time.

use super::inspect::Candidate;

/// Indexes of the candidates merged into each output.
pub(crate) fn group(candidates: &[Candidate], target_bytes: u64) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..candidates.len()).collect();
    for a in 0..candidates.len() {
        for b in a + 1..candidates.len() {
            if candidates[a].positions.overlaps(&candidates[b].positions) {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut components: Vec<Vec<usize>> = Vec::new();
    let mut component_of_root = vec![usize::MAX; candidates.len()];
    for i in 0..candidates.len() {
        let r = root(&mut parent, i);
        if component_of_root[r] == usize::MAX {
            component_of_root[r] = components.len();
            components.push(Vec::new());
        }
        components[component_of_root[r]].push(i);
    }
    let size = |members: &[usize]| members.iter().map(|&i| candidates[i].bytes).sum::<u64>();
    let mut outputs: Vec<Vec<usize>> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for members in components {
        if members.len() == 1 && candidates[members[0]].bytes >= target_bytes / 2 {
            continue;
        }
        if !open.is_empty() && size(&open) + size(&members) > target_bytes {
            outputs.push(std::mem::take(&mut open));
        }
        open.extend(members);
    }
    if !open.is_empty() {
        outputs.push(open);
    }
    outputs.retain(|members| members.len() > 1);
    outputs
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::positions::{Position, PositionRange, SourceRange};

    fn file(name: &str, bytes: u64, shard: &str, first: u64, last: u64) -> Candidate {
        let at = |seq: u64| Position {
            stream: "s".into(),
            shard_id: shard.into(),
            sequence_number: seq.to_string(),
            sub_sequence_number: 0,
            event_index: 0,
        };
        Candidate {
            path: name.into(),
            bytes,
            rows: 1,
            positions: PositionRange {
                sources: vec![SourceRange {
                    first: at(first),
                    last: at(last),
                    rows: 1,
                }],
            },
        }
    }

    #[test]
    fn small_files_are_packed_up_to_the_target() {
        let files: Vec<Candidate> = (0..10)
            .map(|i| file(&format!("f{i}"), 30, "a", i * 10, i * 10 + 9))
            .collect();
        let groups = group(&files, 100);
        assert_eq!(groups, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8]]);
    }

    #[test]
    fn overlapping_files_always_share_an_output() {
        let files = vec![
            file("a", 60, "s1", 0, 100),
            file("b", 60, "s2", 0, 100),
            file("c", 60, "s1", 50, 150),
            file("d", 10, "s1", 150, 150),
        ];
        // a, c and d overlap in a chain: one output even though it is over the target.
        let groups = group(&files, 100);
        assert_eq!(groups, vec![vec![0, 2, 3]]);
    }

    #[test]
    fn big_files_and_lone_files_are_left_alone() {
        let files = vec![file("big", 80, "a", 0, 9), file("small", 5, "a", 10, 19)];
        assert!(group(&files, 100).is_empty(), "nothing to merge");
        let files = vec![
            file("big", 80, "a", 0, 9),
            file("s1", 5, "a", 10, 19),
            file("s2", 5, "a", 20, 29),
        ];
        assert_eq!(group(&files, 100), vec![vec![1, 2]]);
        // A big file that overlaps another is merged: it may hold duplicates.
        let files = vec![file("big", 80, "a", 0, 9), file("dup", 5, "a", 5, 5)];
        assert_eq!(group(&files, 100), vec![vec![0, 1]]);
    }
}
