//! Times each pipeline phase on one project, and each enabled target on its own:
//! `cargo run --release -p specgen-lib --example phases -- DIR`.
//! A development aid for the benchmark (bench/bench.sh measures whole runs).

use std::time::Instant;

use camino::Utf8PathBuf;
use specgen::{load, validate, Input};

fn main() {
    let root = Utf8PathBuf::from(std::env::args().nth(1).expect("usage: phases DIR"));
    let t = Instant::now();
    let loaded = load::load(&Input::Root(root)).expect("load");
    let t_load = t.elapsed();
    let t = Instant::now();
    let validated = validate::validate(&loaded).expect("validate");
    let t_validate = t.elapsed();
    let t = Instant::now();
    let files = specgen::targets::render(&validated.ir, &validated.options).expect("render");
    let t_render = t.elapsed();
    println!("load {t_load:?}  validate {t_validate:?}  render {t_render:?}  ({} files)", files.len());
    for target in &validated.options.targets {
        let mut options = validated.options.clone();
        options.targets = [*target].into_iter().collect();
        let t = Instant::now();
        let files = specgen::targets::render(&validated.ir, &options).expect("render");
        println!("  {:<12} {:>10.1?}  ({} files)", target.name(), t.elapsed(), files.len());
    }
}
