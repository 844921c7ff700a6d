//! Cycle detection shared by the rules that forbid cycles (required references between
//! models, `depends_on` between services).

use std::collections::BTreeMap;

/// Finds cycles in a directed graph given as node → successors (sorted map, so the result is
/// deterministic). One depth-first search with white/grey/black colouring: linear in nodes plus
/// edges even on hostile input, and every cycle in the graph shares at least one edge with a
/// reported cycle. Each cycle is returned as its path of nodes, first node repeated at the end.
pub(crate) fn find_cycles<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour: BTreeMap<&str, Colour> = graph.keys().map(|k| (*k, Colour::White)).collect();
    let mut cycles = Vec::new();
    for &start in graph.keys() {
        if colour[start] != Colour::White {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        colour.insert(start, Colour::Grey);
        while let Some(&(node, next)) = stack.last() {
            let successors = &graph[node];
            if next >= successors.len() {
                colour.insert(node, Colour::Black);
                stack.pop();
                continue;
            }
            stack.last_mut().expect("non-empty").1 += 1;
            let succ = successors[next];
            match colour.get(succ).copied() {
                Some(Colour::White) => {
                    colour.insert(succ, Colour::Grey);
                    stack.push((succ, 0));
                }
                Some(Colour::Grey) => {
                    let from = stack.iter().position(|(n, _)| *n == succ).expect("grey nodes are on the stack");
                    let mut cycle: Vec<&str> = stack[from..].iter().map(|(n, _)| *n).collect();
                    cycle.push(succ);
                    cycles.push(cycle);
                }
                // Black: fully explored; an edge to a node outside the graph: not a cycle.
                _ => {}
            }
        }
    }
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph<'a>(edges: &[(&'a str, &[&'a str])]) -> BTreeMap<&'a str, Vec<&'a str>> {
        edges.iter().map(|(n, s)| (*n, s.to_vec())).collect()
    }

    #[test]
    fn finds_two_cycles_and_ignores_dags() {
        let g = graph(&[("a", &["b"]), ("b", &["a", "c"]), ("c", &[]), ("d", &["d"]), ("e", &["c", "x"])]);
        assert_eq!(find_cycles(&g), vec![vec!["a", "b", "a"], vec!["d", "d"]]);
        assert!(find_cycles(&graph(&[("a", &["b", "c"]), ("b", &["c"]), ("c", &[])])).is_empty());
    }

    #[test]
    fn dense_dag_is_linear() {
        // 2,000 nodes, each pointing at every later one among the next 50: a path enumeration
        // would never finish; colouring visits each edge once.
        let names: Vec<String> = (0..2000).map(|i| format!("n{i:04}")).collect();
        let g: BTreeMap<&str, Vec<&str>> = (0..2000)
            .map(|i| (names[i].as_str(), (i + 1..(i + 51).min(2000)).map(|j| names[j].as_str()).collect()))
            .collect();
        assert!(find_cycles(&g).is_empty());
    }
}
