//! Integration tests of specgen-lib: one binary, one module per concern.

mod it;
