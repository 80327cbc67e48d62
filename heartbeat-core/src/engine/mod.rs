//! The sans-io cluster engine (work in progress).
