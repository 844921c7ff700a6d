//! Same inputs → same bytes: whatever the working directory, the order of explicit files, or
//! the mode (walk vs explicit list).

use camino::Utf8PathBuf;
use specgen::{Input, Project};

use super::repo_root;

fn example() -> Utf8PathBuf {
    repo_root().join("examples/bookshelf")
}

fn spec_files(root: &Utf8PathBuf) -> Vec<Utf8PathBuf> {
    let (_, names) = specgen::load::discover(&Input::Root(root.clone())).unwrap();
    names.all_paths()
}

#[test]
fn walk_and_shuffled_explicit_lists_give_identical_bytes() {
    let root = example();
    let walked = Project::load(&Input::Root(root.clone())).unwrap().generate().unwrap();
    let mut files = spec_files(&root);
    assert!(files.len() >= 5);
    for rotation in 0..files.len() {
        files.rotate_left(1);
        if rotation % 2 == 0 {
            files.reverse();
        }
        let explicit =
            Project::load(&Input::Files { root: root.clone(), files: files.clone() }).unwrap().generate().unwrap();
        assert_eq!(walked, explicit, "explicit list order {files:?} changed the output");
    }
}

#[test]
fn copying_the_project_elsewhere_gives_identical_bytes() {
    let root = example();
    let a = Project::load(&Input::Root(root.clone())).unwrap().generate().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let copy = Utf8PathBuf::try_from(tmp.path().join("deeper/other name")).unwrap();
    for rel in spec_files(&root) {
        let target = copy.join(&rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(root.join(&rel), &target).unwrap();
    }
    let b = Project::load(&Input::Root(copy.clone())).unwrap().generate().unwrap();
    assert_eq!(a, b);
    for (path, file) in b.iter() {
        let text = String::from_utf8_lossy(&file.bytes);
        assert!(!text.contains(copy.as_str()) && !text.contains(root.as_str()), "{path} contains an absolute path");
    }
}
