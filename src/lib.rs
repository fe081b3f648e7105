//! zhiku (知库): builds a government policy library and a Q&A knowledge base,
//! with an operator search index, from a folder of Markdown files.
//!
//! The build is a pipeline, one module per stage:
//! load and validate ([`content`]) → link ([`library`]) → render ([`render`],
//! [`markdown`]) → post-process ([`html`]) → write ([`output`]).
//! [`build`] runs the whole pipeline.

pub mod assets;
pub mod build;
pub mod check;
pub mod config;
pub mod content;
pub mod diagnostics;
pub mod feeds;
pub mod html;
pub mod library;
pub mod markdown;
pub mod output;
pub mod profile;
pub mod rebuild;
pub mod render;
pub mod scaffold;
pub mod search;
pub mod serve;
