//! Shared machinery of the Python targets: the template environment and in-process formatting.
