"""The controllers of the `notifications` worker: one class per domain (`reading`)."""
