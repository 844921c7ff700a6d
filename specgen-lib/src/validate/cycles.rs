//! Cycle detection shared by the rules that forbid cycles (required references between
//! models, `depends_on` between services).

use std::collections::BTreeMap;

use crate::name_map::NameMap;

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
    // Nodes by position in key order, successors as positions (`None` outside the graph): the
    // search then indexes vectors instead of looking names up in a map at every step.
    let names: Vec<&str> = graph.keys().copied().collect();
    let position: NameMap<&str, usize> = names.iter().enumerate().map(|(i, name)| (*name, i)).collect();
    let successors: Vec<Vec<Option<usize>>> =
        graph.values().map(|succs| succs.iter().map(|s| position.get(s).copied()).collect()).collect();
    let mut colour = vec![Colour::White; names.len()];
    let mut cycles = Vec::new();
    for start in 0..names.len() {
        if colour[start] != Colour::White {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        colour[start] = Colour::Grey;
        while let Some(&(node, next)) = stack.last() {
            let Some(&succ) = successors[node].get(next) else {
                colour[node] = Colour::Black;
                stack.pop();
                continue;
            };
            stack.last_mut().expect("non-empty").1 += 1;
            // An edge to a node outside the graph: not a cycle.
            let Some(succ) = succ else { continue };
            match colour[succ] {
                Colour::White => {
                    colour[succ] = Colour::Grey;
                    stack.push((succ, 0));
                }
                Colour::Grey => {
                    let from = stack.iter().position(|(n, _)| *n == succ).expect("grey nodes are on the stack");
                    let mut cycle: Vec<&str> = stack[from..].iter().map(|(n, _)| names[*n]).collect();
                    cycle.push(names[succ]);
                    cycles.push(cycle);
                }
                // Fully explored.
                Colour::Black => {}
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
