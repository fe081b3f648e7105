//! The `zhiku` command line: every command and flag is defined here, with its
//! documentation; the work itself is done by the library crate.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use jiff::civil::Date;

use zhiku::build::{self, BuildOptions};
use zhiku::check::{self, CheckOptions};
use zhiku::content::front_matter::parse_date;
use zhiku::scaffold::{self, NewKind};
use zhiku::search::{self, SearchRequest};
use zhiku::serve::{self, ServeOptions};

/// 知库：政策文件库、问答知识库和政策推送的静态网站生成器
#[derive(Parser)]
#[command(name = "zhiku", version, about, long_about = None)]
struct Cli {
    /// Site root, the folder holding config.toml and content/ (站点目录)
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum NewWhat {
    /// 政策文件
    Policy,
    /// 问答
    Qa,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Readable text with the offending source lines
    Human,
    /// JSON: {"errors", "warnings", "problems": [{severity, file, line, column, message, hint}]}
    Json,
}

#[derive(clap::Args, Clone)]
struct BuildArgs {
    /// Compute 有效性 as of this date, YYYY-MM-DD (default: today)
    #[arg(long, value_parser = parse_as_of)]
    as_of: Option<Date>,
    /// Write the site here instead of ROOT/public
    #[arg(long, short = 'o')]
    output_dir: Option<PathBuf>,
    /// Override base_url from config.toml
    #[arg(long)]
    base_url: Option<String>,
    /// Include documents marked draft = true
    #[arg(long)]
    drafts: bool,
    /// Print how long each build phase took
    #[arg(long)]
    timings: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new site in DIR (新建站点)
    Init {
        /// Folder to create; must not exist or be empty
        dir: PathBuf,
    },
    /// Build the site into public/ (构建站点)
    Build(BuildArgs),
    /// Build, serve on 127.0.0.1:1111 and rebuild on changes (本地预览)
    Serve {
        #[command(flatten)]
        build: BuildArgs,
        /// Address to listen on. Anything but loopback needs an access token in
        /// ZHIKU_TOKEN, since /api serves internal guidance.
        #[arg(long, short = 'i', default_value = "127.0.0.1")]
        interface: IpAddr,
        /// Port to listen on
        #[arg(long, short = 'p', default_value_t = 1111)]
        port: u16,
    },
    /// Search the operator index, internal guidance included (检索)
    Search {
        #[command(flatten)]
        request: SearchRequest,
        /// Print JSON (schema in docs/search-json.md) instead of text
        #[arg(long)]
        json: bool,
    },
    /// Check the knowledge base: citations of repealed policies, answers due
    /// for review, personal data, internal text in public fields,
    /// near-duplicate questions, broken links, site identity (质量检查)
    Check {
        /// Judge 有效性 and review dates as of this date, YYYY-MM-DD (default: today)
        #[arg(long, value_parser = parse_as_of)]
        as_of: Option<Date>,
        /// Output format
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Create a new policy or Q&A draft with every required key (新建文档)
    New {
        #[arg(value_enum)]
        what: NewWhat,
        /// 标题 or 标准问题
        title: String,
    },
}

fn parse_as_of(text: &str) -> Result<Date, String> {
    parse_date(text)
}

fn build_options(root: PathBuf, args: BuildArgs) -> BuildOptions {
    BuildOptions {
        output_dir: args.output_dir,
        base_url: args.base_url,
        include_drafts: args.drafts,
        progress: std::io::stderr().is_terminal(),
        ..BuildOptions::new(root, args.as_of.unwrap_or_else(build::today))
    }
}

/// Build options for the site at `root`, or the failure exit when it is not one.
fn site_options(root: PathBuf, args: BuildArgs) -> Result<BuildOptions, ExitCode> {
    let options = build_options(root, args);
    if build::is_site_root(&options.root) {
        Ok(options)
    } else {
        Err(fail(&format!("{} has no config.toml; pass --root or run `zhiku init DIR` first", options.root.display())))
    }
}

/// mimalloc keeps per-thread heaps small, which lowers a large build's peak
/// RSS (measured in BENCHMARKS.md); see [`keep_freed_memory`] for `build`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Makes mimalloc keep the memory this process frees, for its own reuse,
/// instead of giving it back to the system a second later. A build is one
/// pass that frees as it goes (each chunk of sources once parsed, each page
/// once written, 5 GB at 100,000 documents), and memory given back comes
/// back zeroed by the kernel when the next chunk needs it; on the bench
/// machine that zeroing was a fifth of the load phase. The process ends
/// with the build, so keeping it costs only peak RSS (BENCHMARKS.md has
/// both). `serve` stays long after its build and keeps the default. An
/// explicit `MIMALLOC_PURGE_DELAY` wins, as mimalloc documents.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: stores a number in mimalloc's option table, which its
        // allocation paths read on each purge decision.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

/// `mi_option_purge_delay` of mimalloc.h's `mi_option_e`, which the Rust
/// bindings leave out; the test below checks it against mimalloc's default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Init { dir } => match scaffold::init(&dir, build::today()) {
            Ok(files) => {
                eprintln!(
                    "已创建站点 {}（{} 个文件）。下一步：cd {} && zhiku serve",
                    dir.display(),
                    files.len(),
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(&format!("cannot create the site: {e}")),
        },
        Command::Build(args) => {
            keep_freed_memory();
            let timings = args.timings;
            let options = match site_options(cli.root, args) {
                Ok(options) => options,
                Err(code) => return code,
            };
            let (report, kept) = build::build_keeping(&options);
            // The process ends here, and the system takes its memory back
            // at once: freeing the library, the dictionary and the templates
            // piece by piece would keep one core busy after the build.
            std::mem::forget(kept);
            eprint!("{}", report.diagnostics.to_pretty(&options.root, std::io::stderr().is_terminal()));
            if timings {
                eprint!("{}", report.timings());
            }
            eprintln!("{}", report.summary_line());
            if report.written { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Command::Serve { build, interface, port } => {
            let timings = build.timings;
            let options = match site_options(cli.root, build) {
                Ok(options) => options,
                Err(code) => return code,
            };
            let token = std::env::var(serve::TOKEN_ENV).ok();
            match serve::serve(ServeOptions { build: options, interface, port, timings, token }) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
        Command::Search { request, json } => match search::search_site(&cli.root, &request) {
            Ok(response) if json => match serde_json::to_string_pretty(&response) {
                Ok(text) => {
                    println!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format!("cannot encode the results: {e}")),
            },
            Ok(response) => {
                print!("{}", search::format_human(&response, 80));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::Check { as_of, format } => {
            if !build::is_site_root(&cli.root) {
                return fail(&format!("{} has no config.toml; pass --root", cli.root.display()));
            }
            let options = CheckOptions { root: cli.root.clone(), as_of: as_of.unwrap_or_else(build::today) };
            let diagnostics = check::run(&options);
            match format {
                Format::Human => {
                    print!("{}", diagnostics.to_pretty(&options.root, std::io::stdout().is_terminal()));
                    println!("检查完成：{} 个错误，{} 个警告", diagnostics.error_count(), diagnostics.warning_count());
                }
                Format::Json => println!("{}", diagnostics.to_json()),
            }
            if diagnostics.has_errors() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
        }
        Command::New { what, title } => {
            let kind = match what {
                NewWhat::Policy => NewKind::Policy,
                NewWhat::Qa => NewKind::Qa,
            };
            match scaffold::new_document(&cli.root, kind, &title, build::today()) {
                Ok(path) => {
                    println!("{}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format!("cannot create the file: {e}")),
            }
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_delay_is_the_option_it_names() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads a number from mimalloc's option table.
            let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
            assert_eq!(delay, 1000, "mimalloc 3's default purge delay, in milliseconds");
        }
    }
}
