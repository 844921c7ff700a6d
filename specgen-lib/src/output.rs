//! Output: write a FileSet to disk, check it against disk, keep the manifest. (Being written.)
