//! UI components every page shares: [`layout`] (the one page shell, the
//! navigation, the confirm step, formatting helpers), [`components`] (the
//! error summary, the import preview's parts), [`charts`] (SVG charts) and
//! [`paths`] (typed links to the staff pages).

pub mod charts;
pub mod components;
pub mod layout;
pub mod paths;
