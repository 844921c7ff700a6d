"""Public API of rules_specgen. See README.md."""

load("//specgen/private:check.bzl", _specgen_check_test = "specgen_check_test")
load("//specgen/private:generate.bzl", _SpecgenInfo = "SpecgenInfo", _specgen_generate = "specgen_generate")
load("//specgen/private:listing.bzl", _specgen_outputs_listing = "specgen_outputs_listing")
load(
    "//specgen/private:outputs.bzl",
    _DEFAULT_TARGETS = "DEFAULT_TARGETS",
    _specgen_outputs = "specgen_outputs",
)
load("//specgen/private:schema.bzl", _specgen_json_schema = "specgen_json_schema")

specgen_generate = _specgen_generate
specgen_check_test = _specgen_check_test
specgen_json_schema = _specgen_json_schema
specgen_outputs = _specgen_outputs
specgen_outputs_listing = _specgen_outputs_listing
SpecgenInfo = _SpecgenInfo
DEFAULT_TARGETS = _DEFAULT_TARGETS
