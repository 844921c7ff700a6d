//! Validate: every semantic rule of the spec format; lowers raw specs to the IR.
