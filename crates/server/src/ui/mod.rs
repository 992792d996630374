//! UI components every page shares: [`layout`] (the one page shell, the
//! navigation, the confirm step, formatting helpers), [`charts`] (SVG
//! charts) and [`paths`] (typed links to the staff pages).

pub mod charts;
pub mod layout;
pub mod paths;
