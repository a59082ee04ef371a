//! Desired vs live: matching, field diffs, the [`Plan`] value and its renderers.
