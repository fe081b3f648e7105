//! Deterministic converter from the real data in `shared/corpus` to zhiku
//! content files (Markdown with TOML front matter, see
//! `docs/content-schema.md`).
//!
//! Two modes:
//!
//! * `demo` regenerates the demo policy files, and only those: it owns
//!   `<out>/policies/statecouncil/`, `<out>/policies/laws/` and
//!   `<out>/policies/xam/`, deletes the `*.md` files there (never `_index.md`)
//!   and writes them anew. Nothing else under `<out>` is touched.
//!
//!   ```text
//!   cargo run --release --example convert_corpus -- demo --corpus ../shared/corpus --out content
//!   ```
//!
//! * `bench` writes a complete benchmark site: `<out>/config.toml` (the
//!   repository's `config.toml` if there is one, else a minimal one), the
//!   repository's `index/` dictionary, synonyms and pinyin phrases,
//!   `<out>/content/policies/bench/<k>.md` and `<out>/content/qa/bench/<k>.md`
//!   for k = 1..=N, replacing the `*.md` files of those two folders.
//!
//!   ```text
//!   cargo run --release --example convert_corpus -- bench --corpus ../shared/corpus --out /tmp/site10k --docs 10000 --seed 1 [--hugo /tmp/site10k-hugo]
//!   ```
//!
//!   The mix, fixed by k so that every run and seed has the same counts:
//!
//!   * every 4th document (k divisible by 4, 25 %) is a Q&A, alternately an
//!     NCP question with its answer span as the answer (`ncp_qa.jsonl`) and
//!     a citizen message's subject (留言主题) with the official reply
//!     (答复意见) as the answer (`citizen_messages.jsonl.gz`; 答复时间 is
//!     `updated`). Rows in which zhiku's personal-information check finds
//!     anything are left out, since `zhiku build` refuses to publish them.
//!     类目 and 责任部门 are pairs used by the repository's own Q&A
//!     (`content/qa`), picked by words of the question or else at random;
//!     regions come from the default `[regions]` of the copied config. About
//!     1 in 4 Q&A has an `internal` (内部口径) text, a fixed synthetic
//!     template with the replica number, never citizen text; about 1 in 2
//!     cites one or two generated policies by path (`policies`);
//!   * the other 75 % are policies, alternately a law or regulation from
//!     `laws.jsonl.gz` (random 一级 主题分类) and one of the 60 State Council
//!     documents of `statecouncil.jsonl` (its own 主题分类), each with a
//!     random `[audience]`. Laws average about 17 kB of Markdown, State
//!     Council documents 9 kB, Q&A under 1 kB: about 10 kB per document.
//!
//!   Each source is shuffled with the seed and then cycled through; a
//!   document met again gets "（第N版）" after its title. Every document
//!   gets a new 索引号 (`bench/<k>`) and every policy a new unique 文号:
//!   `兴政发〔<year>〕<k>号` for a law, the State Council 机关代字 and year
//!   with k as number for a State Council document (`国办发〔2018〕<k>号`,
//!   `国令第<k>号`).
//!
//!   `--hugo DIR` also writes the same documents as a Hugo 0.111 site, for a
//!   speed comparison: `DIR/content/<same path>.md` with the identical
//!   Markdown body and only `title`, `date` and a `topics` (policies) or
//!   `categories` (Q&A) taxonomy in the front matter (a 二级 value written
//!   `一级-二级`, its 一级 listed too), plus `hugo.toml` and
//!   the theme in `layouts/`, copied from `bench/hugo/` (see its README).
//!
//!   `bench` refuses to write inside this repository (`--out` or `--hugo`
//!   resolving to a path under `CARGO_MANIFEST_DIR`), since its output
//!   holds evaluation-only data.
//!
//! The output is byte-identical across runs: no timestamps, no hash-map
//! iteration order, no randomness except a seeded LCG. Every front matter
//! block is parsed back with `toml` against the schema's key list before it
//! is written, so an unknown key or a malformed value fails the run.
//!
//! The evaluation-only files of the corpus (`ncp_qa.jsonl`,
//! `citizen_messages.jsonl.gz`) may never end up in published content:
//! `demo` refuses to open them, and only `bench`, writing outside the
//! repository, reads them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use flate2::read::GzDecoder;
use serde::Deserialize;
use toml::value::Datetime;

type Result<T> = std::result::Result<T, String>;

const STATECOUNCIL_FILE: &str = "statecouncil.jsonl";
const LAWS_FILE: &str = "laws.jsonl.gz";
const XAM_FILE: &str = "xam_digital_gov_2024_2025.txt";
const NCP_FILE: &str = "ncp_qa.jsonl";
const CITIZEN_FILE: &str = "citizen_messages.jsonl.gz";
/// Competition data without a redistribution licence: `corpus_path` (all
/// of `demo`) refuses them; only `bench` reads them, through
/// `BenchOutput::evaluation_path`, once its output is known to lie outside
/// this repository.
const EVALUATION_ONLY: &[&str] = &[NCP_FILE, CITIZEN_FILE];

/// Folders under `<out>/policies/` that `demo` owns.
const DEMO_FOLDERS: &[&str] = &["statecouncil", "laws", "xam"];

const USAGE: &str = "usage:
  convert_corpus demo  --corpus DIR --out CONTENT_DIR
  convert_corpus bench --corpus DIR --out SITE_DIR --docs N [--seed S] [--hugo HUGO_DIR]";

/// zhiku's 主题分类 scheme: the State Council's 22 一级 classes and their 二级
/// classes, shared with the site validator so the two can never disagree.
use zhiku::config::STATE_COUNCIL_TOPICS;

/// Laws in the demo, with the 主题分类 chosen for each: a 一级 class alone
/// or a `一级\二级` pair of `STATE_COUNCIL_TOPICS` (checked at run time). A
/// law gets a 二级 class where one fits; the choice is ours, not the data's
/// (`laws.jsonl.gz` has no 主题分类).
const CURATED_LAWS: &[(&str, &str)] = &[
    ("6fc498e8a735", "劳动、人事、监察\\社会保障"),               // 社会保险法
    ("e0f8b00bb97a", "劳动、人事、监察\\劳动就业"),               // 就业促进法
    ("cfd6cd3e3650", "民政、扶贫、救灾\\社会福利"),               // 残疾人保障法
    ("c8fb1d0c6291", "民政、扶贫、救灾\\社会福利"),               // 老年人权益保障法
    ("7686427bba1e", "民政、扶贫、救灾\\优抚安置"),               // 退役军人保障法
    ("05aa04e475f3", "财政、金融、审计\\税务"),                   // 个人所得税法
    ("e2bacf556a03", "国民经济管理、国有资产监管"),               // 中小企业促进法
    ("ae9ccafe1503", "农业、林业、水利\\农村经济"),               // 乡村振兴促进法
    ("3df52c1178e1", "公安、安全、司法\\其他"),                   // 个人信息保护法
    ("424894231cd0", "卫生、体育\\卫生"),                         // 基本医疗卫生与健康促进法
    ("0a890d5976fc", "综合政务\\政府法制"),                       // 行政许可法
    ("260388145802", "国民经济管理、国有资产监管\\经济体制改革"), // 优化营商环境条例
    ("2c106df90481", "劳动、人事、监察\\劳动就业"),               // 保障农民工工资支付条例
    ("5e676b346e93", "民政、扶贫、救灾\\社会福利"),               // 城市居民最低生活保障条例
    ("27706502c483", "劳动、人事、监察\\社会保障"),               // 失业保险条例
    ("7fcdaa921d98", "劳动、人事、监察\\社会保障"),               // 工伤保险条例
    ("03dd0d209a6b", "市场监管、安全生产监管\\工商"),             // 市场主体登记管理条例
    ("a232c94b84ab", "综合政务\\政务公开"),                       // 政府信息公开条例
    ("fcc7142af591", "民政、扶贫、救灾\\社会福利"),               // 社会救助暂行办法
    ("a38694f2e1da", "市场监管、安全生产监管\\工商"),             // 企业信息公示暂行条例
    ("22036146af3b", "市场监管、安全生产监管\\工商"),             // 公司登记管理条例 (废止)
    ("3a89344f19d1", "市场监管、安全生产监管\\工商"),             // 企业法人登记管理条例 (废止)
    ("c8c1df6a6c8b", "市场监管、安全生产监管\\工商"),             // 农民专业合作社登记管理条例 (废止)
    ("94d80fa2839d", "综合政务\\政府法制"),                       // 行政复议法 2017 (被修订)
    ("8a0fadb076bb", "综合政务\\政府法制"),                       // 行政复议法 2023 修订
    ("18a21504bd91", "科技、教育\\教育"),                         // 职业教育法 1996 (被修订)
    ("fa08b4074a68", "科技、教育\\教育"),                         // 职业教育法 2022 修订
    ("d7476ff53f5d", "公安、安全、司法\\司法"),                   // 仲裁司法审查案件报核问题的有关规定 (已修改)
    ("c9f640b533ee", "公安、安全、司法\\司法"),                   // 关于修改《……报核问题的有关规定》的决定
    ("194e9a353911", "公安、安全、司法\\司法"),                   // 审理食品药品纠纷案件适用法律若干问题的规定 (已修改)
    ("bf09e325fefb", "公安、安全、司法\\司法"),                   // 关于修改《……食品药品纠纷……规定》的决定
];

/// (original id, amending decision id): judicial interpretations that a
/// 最高人民法院 decision "关于修改《…》的决定" amended. The original gets
/// `amended_by` the decision, so it shows as 已修改. Both ids must be in
/// `CURATED_LAWS`; `amendment` checks the evidence in the corpus:
///
/// * the decision's title contains "关于修改《<original title>》" (the
///   original's title, with or without its leading "最高人民法院");
/// * the decision's info has one "<date> …会议通过" line (its adoption) and
///   one "<date> 施行" line, and its body says "本决定自<施行 date>起施行";
/// * the original's info lists the same adoption line (the meeting that
///   adopted the decision) and its `valid_from` is the decision's 施行 date.
///
/// The original's text in the corpus is the consolidated text as amended
/// and republished ("作相应修改后，重新公布"): it already contains the
/// articles the decision changed, and its `publish` is the republication
/// date. 已修改 thus says "this interpretation has been amended by …", with
/// the amended wording shown.
const AMENDMENTS: &[(&str, &str)] = &[("d7476ff53f5d", "c9f640b533ee"), ("194e9a353911", "bf09e325fefb")];

/// How the corpus itself shows that one law replaced another.
#[derive(Clone, Copy)]
enum Evidence {
    /// The replacement's body has an article "本条例自<date>起施行。《<old
    /// title>》……同时废止。"
    RepealClause,
    /// The replacement has the same title, a later publish date, an info
    /// history ending in a 修订 (revision) and an article "本法自<date>起施行".
    Revision,
}

/// (old id, replacement id, evidence). `repealed` is the replacement's
/// `valid_from`, which the evidence check ties to the replacement's own
/// "自……起施行" article. Both ids must be in `CURATED_LAWS`, the old one must
/// be marked `expired` in the data.
const SUPERSESSIONS: &[(&str, &str, Evidence)] = &[
    // 市场主体登记管理条例 第五十五条 (the brief said 56; the corpus text has 55 articles).
    ("22036146af3b", "03dd0d209a6b", Evidence::RepealClause),
    ("3a89344f19d1", "03dd0d209a6b", Evidence::RepealClause),
    ("c8c1df6a6c8b", "03dd0d209a6b", Evidence::RepealClause),
    ("94d80fa2839d", "8a0fadb076bb", Evidence::Revision),
    ("18a21504bd91", "fa08b4074a68", Evidence::Revision),
];

/// The 兴安盟 plan has no date at all: no signature date, no 成文日期, no
/// full date anywhere in the text. Its only date references are years: 国发
/// 〔2022〕14号, 内政发〔2024〕12号 (the regional plan it implements), its own
/// period "(2024—2025年)" and the target "到 2025 年". Following the rule
/// "use the latest date the text mentions", the latest year that the text
/// mentions as already past is 2024; its last day is the only day of that
/// year guaranteed not to predate a 2024 document the plan cites, hence
/// 2024-12-31. Used only when the text has no full date (`YYYY年M月D日`).
const XAM_FALLBACK_DATE: Date = Date { year: 2024, month: 12, day: 31 };

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("convert_corpus: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<String> {
    let (mode, rest) = args.split_first().ok_or_else(|| USAGE.to_string())?;
    let mut options: BTreeMap<String, String> = BTreeMap::new();
    let mut iter = rest.iter();
    while let Some(flag) = iter.next() {
        let name = match flag.strip_prefix("--") {
            Some(name @ ("corpus" | "out" | "docs" | "seed" | "hugo")) => name,
            _ => return Err(format!("unexpected argument `{flag}`\n{USAGE}")),
        };
        let value = iter.next().ok_or_else(|| format!("`{flag}` needs a value\n{USAGE}"))?;
        options.insert(name.to_string(), value.clone());
    }
    let required =
        |name: &str| options.get(name).map(PathBuf::from).ok_or_else(|| format!("missing `--{name}`\n{USAGE}"));
    let corpus = required("corpus")?;
    let out = required("out")?;
    match mode.as_str() {
        "demo" => {
            if ["docs", "seed", "hugo"].iter().any(|name| options.contains_key(*name)) {
                return Err(format!("`--docs`, `--seed` and `--hugo` are for `bench`\n{USAGE}"));
            }
            demo(&corpus, &out)
        }
        "bench" => {
            let docs: usize = options
                .get("docs")
                .ok_or_else(|| format!("missing `--docs`\n{USAGE}"))?
                .parse()
                .map_err(|e| format!("`--docs`: {e}"))?;
            let seed: u64 = match options.get("seed") {
                Some(seed) => seed.parse().map_err(|e| format!("`--seed`: {e}"))?,
                None => 1,
            };
            let hugo = options.get("hugo").map(PathBuf::from);
            bench(&corpus, &out, docs, seed, hugo.as_deref())
        }
        _ => Err(format!("unknown mode `{mode}`\n{USAGE}")),
    }
}

// ---------------------------------------------------------------------------
// Modes
// ---------------------------------------------------------------------------

fn demo(corpus: &Path, content: &Path) -> Result<String> {
    let statecouncil = read_statecouncil(corpus)?;
    let laws = read_laws(corpus)?;
    let xam_text = fs::read_to_string(corpus_path(corpus, XAM_FILE)?).map_err(|e| format!("{XAM_FILE}: {e}"))?;

    let mut files: BTreeMap<PathBuf, Policy> = BTreeMap::new();
    for row in &statecouncil {
        let (id, policy) = convert_statecouncil(row)?;
        let path = PathBuf::from("policies/statecouncil").join(format!("{id}.md"));
        if files.insert(path.clone(), policy).is_some() {
            return Err(format!("two State Council documents map to {}", path.display()));
        }
    }
    for (id, policy) in convert_curated_laws(&laws)? {
        files.insert(PathBuf::from("policies/laws").join(format!("{id}.md")), policy);
    }
    let xam = convert_xam(&xam_text)?;
    files.insert(PathBuf::from("policies/xam/digital-gov-2024-2025.md"), xam);

    check_unique(files.values())?;
    // Every 主题分类 written, the State Council's own included, must be one
    // of zhiku's scheme.
    for (path, policy) in &files {
        for topic in &policy.topics {
            check_topic(topic).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }

    let kept: BTreeMap<&PathBuf, String> = files.keys().map(|path| (path, kept_tables(&content.join(path)))).collect();
    let mut deleted = 0;
    for folder in DEMO_FOLDERS {
        deleted += delete_markdown(&content.join("policies").join(folder))?;
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (path, policy) in &files {
        write_policy(&content.join(path), policy, &kept[path])?;
        let folder = DEMO_FOLDERS
            .iter()
            .find(|folder| path.starts_with(Path::new("policies").join(folder)))
            .ok_or_else(|| format!("{} is outside the demo folders", path.display()))?;
        *counts.entry(folder).or_default() += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(folder, count)| format!("{count} {folder}")).collect();
    Ok(format!(
        "demo: wrote {} files under {} ({}), deleted {deleted} old files first",
        files.len(),
        content.join("policies").display(),
        parts.join(", ")
    ))
}

/// Every `BENCH_QA_EVERY`-th document of `bench` is a Q&A, and every
/// `BENCH_STATECOUNCIL_EVERY`-th policy a State Council document.
const BENCH_QA_EVERY: usize = 4;
const BENCH_STATECOUNCIL_EVERY: usize = 2;
/// One Q&A in this many, drawn at random, has an `internal` text, and one
/// in this many cites generated policies.
const BENCH_INTERNAL_ONE_IN: usize = 4;
const BENCH_CITE_ONE_IN: usize = 2;

/// 类目, 责任部门 and the words of a question that choose them: the pairs of
/// the repository's own Q&A (`content/qa`). The first row with a word found
/// in the question wins; a question without any gets a random row.
const BENCH_QA_CATEGORIES: &[(&str, &str, &[&str])] = &[
    ("医疗保障/异地就医", "兴安盟医疗保障局", &["异地就医", "异地"]),
    ("医疗保障/医疗费用报销", "兴安盟医疗保障局", &["报销", "医疗费", "住院"]),
    ("医疗保障/门诊慢特病", "兴安盟医疗保障局", &["慢性病", "慢特病", "门诊"]),
    ("医疗保障/药品耗材", "兴安盟医疗保障局", &["药品", "药店", "口罩", "耗材"]),
    ("医疗保障/参保缴费", "兴安盟医疗保障局", &["医保", "医疗保险", "参保"]),
    ("社会保障/工伤保险", "兴安盟人力资源和社会保障局", &["工伤"]),
    ("社会保障/社保卡", "兴安盟人力资源和社会保障局", &["社保卡", "社会保障卡"]),
    ("社会福利/老年人福利", "兴安盟民政局", &["养老院", "老年", "老人"]),
    ("社会保障/养老保险", "兴安盟人力资源和社会保障局", &["养老", "退休", "社保"]),
    ("就业创业/失业保险", "兴安盟人力资源和社会保障局", &["失业"]),
    ("就业创业/高校毕业生就业", "兴安盟人力资源和社会保障局", &["毕业生", "大学生"]),
    ("就业创业/职业培训", "兴安盟人力资源和社会保障局", &["培训"]),
    ("就业创业/就业补贴", "兴安盟人力资源和社会保障局", &["稳岗", "补贴"]),
    ("就业创业/创业扶持", "兴安盟人力资源和社会保障局", &["创业"]),
    ("权益保障/工资拖欠", "兴安盟人力资源和社会保障局", &["工资", "欠薪", "拖欠"]),
    ("就业创业/就业服务", "兴安盟人力资源和社会保障局", &["就业", "招聘", "复工", "用工"]),
    ("税费服务/个人所得税", "国家税务总局兴安盟税务局", &["个税", "所得税", "税"]),
    ("市场主体/融资服务", "兴安盟财政局", &["融资", "贷款", "信贷"]),
    ("市场主体/企业开办", "兴安盟市场监督管理局", &["营业执照", "开办"]),
    ("市场主体/个体工商户", "乌兰浩特市市场监督管理局", &["个体"]),
    ("市场主体/信用监管", "兴安盟市场监督管理局", &["信用"]),
    ("权益保障/消费维权", "阿尔山市市场监督管理局", &["消费", "价格", "收费"]),
    ("权益保障/营商环境", "兴安盟发展和改革委员会", &["营商环境", "企业"]),
    ("社会救助/最低生活保障", "兴安盟民政局", &["低保", "最低生活"]),
    ("社会救助/特困人员救助供养", "兴安盟民政局", &["特困"]),
    ("社会救助/临时救助", "兴安盟民政局", &["救助", "困难"]),
    ("社会福利/残疾人福利", "兴安盟民政局", &["残疾"]),
    ("退役军人服务/优待证", "兴安盟退役军人事务局", &["优待证"]),
    ("退役军人服务/就业创业", "兴安盟退役军人事务局", &["退役"]),
    ("退役军人服务/优待项目", "兴安盟退役军人事务局", &["军人", "军属"]),
    ("政务服务/政府信息公开", "兴安盟行政公署办公室", &["信息公开"]),
    ("政务服务/12345热线", "兴安盟行政审批政务服务与数据管理局", &["12345", "热线", "投诉"]),
    ("政务服务/蒙速办", "兴安盟行政审批政务服务与数据管理局", &["APP", "app", "小程序", "平台"]),
    ("政务服务/一网通办", "兴安盟行政审批政务服务与数据管理局", &["网上", "审批", "办理"]),
    ("政务服务/政务公开", "兴安盟行政公署办公室", &["公开", "公示"]),
];

/// Where `bench` documents go, relative to `content/`.
const BENCH_POLICY_FOLDER: &str = "policies/bench";
const BENCH_QA_FOLDER: &str = "qa/bench";

fn bench(corpus: &Path, site: &Path, docs: usize, seed: u64, hugo: Option<&Path>) -> Result<String> {
    if docs == 0 {
        return Err("`--docs` must be at least 1".to_string());
    }
    let output = BenchOutput::new(site, hugo)?;
    let mut rng = Lcg::new(seed);

    let mut laws: Vec<LawRow> = read_laws(corpus)?
        .into_values()
        .filter(|law| {
            level_issuer_genre(law).is_some()
                && law.title.as_deref().is_some_and(|t| !t.trim().is_empty())
                && law.body.as_deref().is_some_and(|b| !b.trim().is_empty())
        })
        .collect();
    let mut statecouncil: Vec<Policy> = read_statecouncil(corpus)?
        .iter()
        .map(|row| convert_statecouncil(row).map(|(_, p)| p))
        .collect::<Result<_>>()?;
    let (mut ncp, ncp_skipped) = read_ncp(&output, corpus)?;
    let (mut citizen, citizen_skipped) = read_citizen(&output, corpus)?;
    for (name, empty) in [
        (LAWS_FILE, laws.is_empty()),
        (STATECOUNCIL_FILE, statecouncil.is_empty()),
        (NCP_FILE, ncp.is_empty()),
        (CITIZEN_FILE, citizen.is_empty()),
    ] {
        if empty {
            return Err(format!("{name} has no usable rows"));
        }
    }
    shuffle(&mut laws, &mut rng);
    shuffle(&mut statecouncil, &mut rng);
    shuffle(&mut ncp, &mut rng);
    shuffle(&mut citizen, &mut rng);

    // Which source each k draws from, and its draw number in that source.
    let mut drawn = [0usize; 4];
    let slots: Vec<(usize, Source, usize)> = (1..=docs)
        .map(|k| {
            let source = if k.is_multiple_of(BENCH_QA_EVERY) {
                if (k / BENCH_QA_EVERY) % 2 == 1 { Source::Ncp } else { Source::Citizen }
            } else if (k - k / BENCH_QA_EVERY).is_multiple_of(BENCH_STATECOUNCIL_EVERY) {
                Source::StateCouncil
            } else {
                Source::Law
            };
            let n = drawn[source as usize];
            drawn[source as usize] += 1;
            (k, source, n)
        })
        .collect();
    let policy_paths: Vec<String> = slots
        .iter()
        .filter(|(_, source, _)| matches!(source, Source::Law | Source::StateCouncil))
        .map(|(k, _, _)| format!("{BENCH_POLICY_FOLDER}/{k}.md"))
        .collect();

    // Replace the previous run's documents, then write the configs.
    let content = site.join("content");
    let mut deleted = 0;
    for folder in [BENCH_POLICY_FOLDER, BENCH_QA_FOLDER] {
        deleted += delete_markdown(&content.join(folder))?;
    }
    fs::create_dir_all(site).map_err(|e| format!("{}: {e}", site.display()))?;
    let config_source = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    let config = if config_source.is_file() {
        fs::read_to_string(&config_source).map_err(|e| format!("{}: {e}", config_source.display()))?
    } else {
        "base_url = \"http://127.0.0.1:1111\"\ntitle = \"bench\"\n".to_string()
    };
    let config_path = site.join("config.toml");
    fs::write(&config_path, config).map_err(|e| format!("{}: {e}", config_path.display()))?;
    // The repository's language resources, so the bench site is segmented,
    // expanded and spelt in pinyin as the demo is.
    let index_source = Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
    fs::create_dir_all(site.join("index")).map_err(|e| format!("{}: {e}", site.display()))?;
    for name in ["dict.txt", "synonyms.txt", "pinyin_phrases.txt"] {
        let source = index_source.join(name);
        if source.is_file() {
            fs::copy(&source, site.join("index").join(name)).map_err(|e| format!("{}: {e}", source.display()))?;
        }
    }
    if let Some(hugo) = hugo {
        for folder in [BENCH_POLICY_FOLDER, BENCH_QA_FOLDER] {
            delete_markdown(&hugo.join("content").join(folder))?;
        }
        copy_hugo_theme(hugo)?;
    }

    let fallback = Date::new(2020, 1, 1).ok_or("bad fallback date")?;
    let mut doc_numbers: BTreeSet<String> = BTreeSet::new();
    let mut bytes = [0usize; 4];
    let mut internal_count = 0;
    let mut citing_count = 0;
    for &(k, source, n) in &slots {
        let (relative, text, hugo_page) = match source {
            Source::Law | Source::StateCouncil => {
                let (mut policy, cycle) = match source {
                    Source::Law => {
                        let law = &laws[n % laws.len()];
                        let date = law.publish.as_deref().and_then(Date::parse_iso).unwrap_or(fallback);
                        let mut policy = law_policy(law, format!("bench/{k}"), date)?;
                        policy.doc_number = Some(format!("兴政发〔{}〕{k}号", date.year));
                        policy.topics = random_topics(&mut rng);
                        (policy, n / laws.len() + 1)
                    }
                    _ => {
                        let mut policy = statecouncil[n % statecouncil.len()].clone();
                        policy.index_number = format!("bench/{k}");
                        policy.doc_number = Some(replica_doc_number(&policy, k));
                        (policy, n / statecouncil.len() + 1)
                    }
                };
                if cycle > 1 {
                    policy.title = format!("{}（第{cycle}版）", policy.title);
                }
                for topic in &policy.topics {
                    check_topic(topic).map_err(|e| format!("bench/{k}: {e}"))?;
                }
                let number = policy.doc_number.clone().unwrap_or_default();
                if !doc_numbers.insert(number.clone()) {
                    return Err(format!("bench/{k}: duplicate doc_number {number}"));
                }
                let audience = random_audience(&mut rng);
                let hugo_page = hugo
                    .map(|_| hugo_page(&policy.title, policy.published, "topics", '\\', &policy.topics, &policy.body));
                (format!("{BENCH_POLICY_FOLDER}/{k}.md"), policy.render(&audience)?, hugo_page)
            }
            Source::Ncp | Source::Citizen => {
                let pool = if source == Source::Ncp { &ncp } else { &citizen };
                let row = &pool[n % pool.len()];
                let cycle = n / pool.len() + 1;
                let mut question = row.question.clone();
                if cycle > 1 {
                    question = format!("{question}（第{cycle}版）");
                }
                let updated = row.date.unwrap_or_else(|| {
                    // NCP rows have no date: a day of the first half of 2020.
                    let month = 2 + rng.next(5) as u32;
                    let day = 1 + rng.next(28) as u32;
                    Date::new(2020, month, day).unwrap_or(fallback)
                });
                let (category, department) = qa_category(&row.question, &mut rng);
                let regions = random_qa_regions(&mut rng);
                let mut policies: Vec<String> = Vec::new();
                if rng.next(BENCH_CITE_ONE_IN) == 0 && !policy_paths.is_empty() {
                    let count = (1 + rng.next(2)).min(policy_paths.len());
                    while policies.len() < count {
                        let path = &policy_paths[rng.next(policy_paths.len())];
                        if !policies.contains(path) {
                            policies.push(path.clone());
                        }
                    }
                    citing_count += 1;
                }
                let internal = (rng.next(BENCH_INTERNAL_ONE_IN) == 0).then(|| {
                    internal_count += 1;
                    synthetic_internal(k, category, department)
                });
                let qa = Qa {
                    question,
                    category: category.to_string(),
                    department: department.to_string(),
                    regions,
                    policies,
                    updated,
                    internal,
                    body: row.answer.clone(),
                };
                let hugo_page = hugo.map(|_| {
                    hugo_page(&qa.question, qa.updated, "categories", '/', std::slice::from_ref(&qa.category), &qa.body)
                });
                (format!("{BENCH_QA_FOLDER}/{k}.md"), qa.render()?, hugo_page)
            }
        };
        bytes[source as usize] += text.len();
        write_file(&content.join(&relative), &text)?;
        if let (Some(hugo), Some(page)) = (hugo, hugo_page) {
            write_file(&hugo.join("content").join(&relative), &page)?;
        }
    }

    let [laws_n, statecouncil_n, ncp_n, citizen_n] = drawn;
    let total: usize = bytes.iter().sum();
    let mut summary = format!(
        "bench: wrote {docs} documents under {} (seed {seed}), deleted {deleted} old files first:\n  \
         {} policies: {laws_n} laws (from {} usable), {statecouncil_n} State Council documents (from {})\n  \
         {} Q&A: {ncp_n} NCP answers (from {} usable rows; {ncp_skipped} left out for personal information), \
         {citizen_n} citizen replies (from {}; {citizen_skipped} left out), {internal_count} with 内部口径, \
         {citing_count} citing policies\n  \
         {total} bytes of Markdown, {} per document (policies {}, Q&A {})",
        content.display(),
        laws_n + statecouncil_n,
        laws.len(),
        statecouncil.len(),
        ncp_n + citizen_n,
        ncp.len(),
        citizen.len(),
        total / docs,
        (bytes[0] + bytes[1]) / (laws_n + statecouncil_n).max(1),
        (bytes[2] + bytes[3]) / (ncp_n + citizen_n).max(1),
    );
    if let Some(hugo) = hugo {
        let _ = write!(summary, "\n  and the same {docs} documents as a Hugo site under {}", hugo.display());
    }
    Ok(summary)
}

/// Where a `bench` document comes from; the index into per-source counters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Law = 0,
    StateCouncil = 1,
    Ncp = 2,
    Citizen = 3,
}

/// The output folders of `bench`, checked to lie outside this repository.
/// The evaluation-only files are opened only through one of these, so they
/// can never be converted into the repository's `content/`.
struct BenchOutput {
    _checked: (),
}

impl BenchOutput {
    fn new(site: &Path, hugo: Option<&Path>) -> Result<BenchOutput> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let repository = manifest.canonicalize().map_err(|e| format!("{}: {e}", manifest.display()))?;
        let mut real = Vec::new();
        for (flag, path) in [("--out", Some(site)), ("--hugo", hugo)] {
            let Some(path) = path else { continue };
            let resolved = real_path(path)?;
            if resolved.ancestors().any(|ancestor| ancestor == repository) {
                return Err(format!(
                    "`{flag} {}` is inside this repository ({}): a benchmark site holds evaluation-only data \
                     ({NCP_FILE}, {CITIZEN_FILE}) and must be written elsewhere, e.g. under /tmp",
                    path.display(),
                    repository.display()
                ));
            }
            real.push(resolved);
        }
        if let [site, hugo] = real.as_slice()
            && (site.starts_with(hugo) || hugo.starts_with(site))
        {
            return Err("`--out` and `--hugo` must be two separate folders, neither inside the other".to_string());
        }
        Ok(BenchOutput { _checked: () })
    }

    fn evaluation_path(&self, corpus: &Path, name: &str) -> PathBuf {
        corpus.join(name)
    }
}

/// The location `path` names, whether it exists yet or not: absolute, with
/// the symbolic links of its existing part resolved and `.` and `..` applied
/// the way the file system would.
fn real_path(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut real = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                real.pop();
            }
            other => {
                real.push(other);
                if let Ok(resolved) = real.canonicalize() {
                    real = resolved;
                }
            }
        }
    }
    Ok(real)
}

/// A question and its answer, as read from an evaluation-only file.
struct QaRow {
    question: String,
    /// The answer as one Markdown paragraph.
    answer: String,
    date: Option<Date>,
}

#[derive(Deserialize)]
struct NcpRow {
    question: String,
    answer: String,
}

#[derive(Deserialize)]
struct CitizenRow {
    #[serde(rename = "留言主题")]
    subject: String,
    #[serde(rename = "答复意见")]
    reply: String,
    #[serde(rename = "答复时间")]
    replied: String,
}

/// Usable NCP rows and how many were left out for personal information.
fn read_ncp(output: &BenchOutput, corpus: &Path) -> Result<(Vec<QaRow>, usize)> {
    let path = output.evaluation_path(corpus, NCP_FILE);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let rows: Vec<NcpRow> = parse_jsonl(NCP_FILE, text.lines())?;
    Ok(qa_rows(rows.into_iter().map(|row| (row.question, row.answer, None))))
}

/// Usable citizen messages (subject and reply only; the message itself and
/// its author are never read) and how many were left out.
fn read_citizen(output: &BenchOutput, corpus: &Path) -> Result<(Vec<QaRow>, usize)> {
    let path = output.evaluation_path(corpus, CITIZEN_FILE);
    let file = fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines: Vec<String> = BufReader::new(GzDecoder::new(file))
        .lines()
        .collect::<std::io::Result<_>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let rows: Vec<CitizenRow> = parse_jsonl(CITIZEN_FILE, lines.iter().map(String::as_str))?;
    Ok(qa_rows(rows.into_iter().map(|row| {
        // "2019/5/10 14:56:53"
        let date = row.replied.split_whitespace().next().and_then(|day| {
            let mut parts = day.split('/').map(number);
            Date::new(parts.next()??, parts.next()??, parts.next()??)
        });
        (row.subject, row.reply, date)
    })))
}

fn parse_jsonl<'a, T: serde::de::DeserializeOwned>(name: &str, lines: impl Iterator<Item = &'a str>) -> Result<Vec<T>> {
    lines
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| serde_json::from_str(line).map_err(|e| format!("{name}:{}: {e}", n + 1)))
        .collect()
}

/// Cleaned (question, answer) pairs: rows with an empty side, or in which
/// zhiku's personal-information check finds anything, are left out.
fn qa_rows(rows: impl Iterator<Item = (String, String, Option<Date>)>) -> (Vec<QaRow>, usize) {
    let mut kept = Vec::new();
    let mut skipped = 0;
    for (question, answer, date) in rows {
        let question = compact_spaces(&clean_line(&question));
        let answer = compact_spaces(&clean_line(&answer));
        if question.is_empty() || answer.is_empty() {
            continue;
        }
        if !zhiku::check::pii::find(&question).is_empty() || !zhiku::check::pii::find(&answer).is_empty() {
            skipped += 1;
            continue;
        }
        kept.push(QaRow { question, answer: escape_block_start(&escape_inline(&answer)), date });
    }
    (kept, skipped)
}

/// Runs of whitespace as one space.
fn compact_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 类目 and 责任部门 for a question (see `BENCH_QA_CATEGORIES`).
fn qa_category(question: &str, rng: &mut Lcg) -> (&'static str, &'static str) {
    let found = BENCH_QA_CATEGORIES.iter().find(|(_, _, words)| words.iter().any(|word| question.contains(word)));
    let (category, department, _) = match found {
        Some(row) => row,
        None => &BENCH_QA_CATEGORIES[rng.next(BENCH_QA_CATEGORIES.len())],
    };
    (category, department)
}

/// 适用地区 of a Q&A: mostly the whole 盟, sometimes one 旗县市, sometimes none.
fn random_qa_regions(rng: &mut Lcg) -> Vec<String> {
    const COUNTIES: [&str; 6] = ["152201", "152202", "152221", "152222", "152223", "152224"];
    match rng.next(100) {
        0..60 => vec!["152200".to_string()],
        60..85 => vec![COUNTIES[rng.next(COUNTIES.len())].to_string()],
        _ => Vec::new(),
    }
}

/// A 内部口径 made from a fixed template and the document number only.
fn synthetic_internal(k: usize, category: &str, department: &str) -> String {
    format!(
        "【合成测试数据，副本{k}】本条内部口径由基准测试生成器按固定模板写成，不含任何来电或留言内容。\n\
         坐席以{department}的最新书面口径为准，来电人要求办理具体事项的，按“{category}”类目派发工单，\
         不在通话中承诺办理结果和时限（模板编号{k}）。"
    )
}

/// A new 文号 for a replica of a State Council document: its 机关代字 and
/// year with `k` as number, unique since `k` is.
fn replica_doc_number(policy: &Policy, k: usize) -> String {
    let original = policy.doc_number.as_deref().unwrap_or_default();
    if let Some((agency, rest)) = original.split_once('〔')
        && let Some((year, _)) = rest.split_once('〕')
        && !agency.is_empty()
    {
        return format!("{agency}〔{year}〕{k}号");
    }
    if let Some((agency, _)) = original.split_once('第')
        && !agency.is_empty()
    {
        return format!("{agency}第{k}号");
    }
    format!("国办发〔{}〕{k}号", policy.published.year)
}

/// A Hugo page: `title`, `date` and one taxonomy in TOML front matter, then
/// the body exactly as zhiku gets it. A 二级 value (`一级<separator>二级`)
/// is written `一级-二级` (Hugo 0.111 mixes up terms containing `/`), and
/// its 一级 is listed too, as zhiku files it.
fn hugo_page(title: &str, date: Date, taxonomy: &str, separator: char, values: &[String], body: &str) -> String {
    let mut terms: Vec<String> = Vec::new();
    for value in values {
        let levels: Vec<&str> = value.split(separator).map(str::trim).filter(|level| !level.is_empty()).collect();
        for depth in 1..=levels.len() {
            let term = levels[..depth].join("-");
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
    }
    let body = body.trim_end();
    let front_matter = format!("title = {}\ndate = {date}\n{taxonomy} = {}\n", toml_string(title), toml_array(&terms));
    if body.is_empty() { format!("+++\n{front_matter}+++\n") } else { format!("+++\n{front_matter}+++\n\n{body}\n") }
}

/// Copies `hugo.toml` and `layouts/` from `bench/hugo/` into `dir`.
fn copy_hugo_theme(dir: &Path) -> Result<()> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/hugo");
    let config = source.join("hugo.toml");
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    fs::copy(&config, dir.join("hugo.toml")).map_err(|e| format!("{}: {e}", config.display()))?;
    copy_tree(&source.join("layouts"), &dir.join("layouts"))
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let mut entries: Vec<PathBuf> = fs::read_dir(from)
        .map_err(|e| format!("{}: {e}", from.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| format!("{}: {e}", from.display()))?;
    entries.sort();
    for path in entries {
        let Some(name) = path.file_name() else { continue };
        if path.is_dir() {
            copy_tree(&path, &to.join(name))?;
        } else {
            fs::copy(&path, to.join(name)).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn shuffle<T>(items: &mut [T], rng: &mut Lcg) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.next(i + 1));
    }
}

// ---------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------

fn corpus_path(corpus: &Path, name: &str) -> Result<PathBuf> {
    if EVALUATION_ONLY.contains(&name) {
        return Err(format!("{name} is evaluation-only data and must not be converted"));
    }
    Ok(corpus.join(name))
}

#[derive(Deserialize)]
struct StateCouncilRow {
    url: String,
    #[serde(rename = "索引号")]
    index_number: String,
    #[serde(rename = "主题分类")]
    topic: String,
    #[serde(rename = "发文机关")]
    issuers: String,
    #[serde(rename = "成文日期")]
    written: String,
    #[serde(rename = "标题")]
    title: String,
    #[serde(rename = "发文字号")]
    doc_number: String,
    #[serde(rename = "发布日期")]
    published: String,
    #[serde(rename = "主题词")]
    keywords: String,
    #[serde(rename = "正文")]
    body: String,
}

#[derive(Deserialize, Clone)]
struct LawRow {
    id: String,
    title: Option<String>,
    region: Option<String>,
    level: Option<String>,
    publish: Option<String>,
    valid_from: Option<String>,
    expired: Option<bool>,
    info: Option<String>,
    body: Option<String>,
}

fn read_statecouncil(corpus: &Path) -> Result<Vec<StateCouncilRow>> {
    let path = corpus_path(corpus, STATECOUNCIL_FILE)?;
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| serde_json::from_str(line).map_err(|e| format!("{STATECOUNCIL_FILE}:{}: {e}", n + 1)))
        .collect()
}

/// All laws by id, keeping the first row of an id that occurs twice.
fn read_laws(corpus: &Path) -> Result<BTreeMap<String, LawRow>> {
    let path = corpus_path(corpus, LAWS_FILE)?;
    let file = fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = BufReader::new(GzDecoder::new(file));
    let mut by_id: BTreeMap<String, LawRow> = BTreeMap::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("{LAWS_FILE}:{}: {e}", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let row: LawRow = serde_json::from_str(&line).map_err(|e| format!("{LAWS_FILE}:{}: {e}", n + 1))?;
        by_id.entry(row.id.clone()).or_insert(row);
    }
    Ok(by_id)
}

// ---------------------------------------------------------------------------
// State Council documents
// ---------------------------------------------------------------------------

fn convert_statecouncil(row: &StateCouncilRow) -> Result<(String, Policy)> {
    let id = row
        .url
        .rsplit_once("content_")
        .and_then(|(_, rest)| rest.strip_suffix(".htm"))
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("no gov.cn content id in {}", row.url))?
        .to_string();
    let context = |what: &str| format!("{STATECOUNCIL_FILE} {id}: bad {what}");
    let written = Date::parse_chinese(&row.written).ok_or_else(|| context("成文日期"))?;
    let published = Date::parse_chinese(&row.published).ok_or_else(|| context("发布日期"))?;
    let title = row.title.trim().to_string();
    let doc_number = row.doc_number.trim().to_string();
    let issuers: Vec<String> =
        row.issuers.split('、').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    if issuers.is_empty() {
        return Err(context("发文机关"));
    }
    let topic = row.topic.trim().to_string();
    if topic.is_empty() {
        return Err(context("主题分类"));
    }
    let mut keywords: Vec<String> = Vec::new();
    for word in row.keywords.split(|c: char| c.is_whitespace() || c == '、') {
        // "应急预案△": the triangle is a mark of the 主题词表, not part of the word.
        let word = word.trim_end_matches('△').trim();
        if !word.is_empty() && !keywords.iter().any(|k| k == word) {
            keywords.push(word.to_string());
        }
    }

    let lines: Vec<String> = row.body.lines().map(clean_line).filter(|line| !line.is_empty()).collect();
    let skip = header_lines(&lines, &title, &doc_number);
    let body = paragraphs_to_markdown(&lines[skip..]);
    if body.is_empty() {
        return Err(context("正文 (empty after the header)"));
    }

    let policy = Policy {
        genre: genre_from_title(&title).to_string(),
        title,
        description: None,
        doc_number: (!doc_number.is_empty()).then_some(doc_number),
        index_number: row.index_number.trim().to_string(),
        issuers,
        written,
        published,
        effective: None,
        expires: None,
        repealed: None,
        superseded_by: None,
        amended_by: Vec::new(),
        topics: vec![topic],
        keywords,
        source: Some("中国政府网".to_string()),
        source_url: Some(row.url.trim().to_string()),
        region: None,
        body,
    };
    Ok((id, policy))
}

/// How many leading lines repeat the title and the 发文字号: the title may be
/// broken over several lines, spaced out ("国 家 粮 食"), or share a line with
/// the 文号; a 国务院令 starts with "中华人民共和国国务院令" / "第707号".
fn header_lines(lines: &[String], title: &str, doc_number: &str) -> usize {
    let title = compact(title);
    let number = compact(doc_number);
    let full = format!("{title}{number}");
    let mut consumed = String::new();
    let mut skip = 0;
    for (n, line) in lines.iter().enumerate() {
        consumed.push_str(&compact(line));
        if !full.starts_with(&consumed) {
            break;
        }
        if consumed == title || consumed == full {
            skip = n + 1;
        }
    }
    if !number.is_empty() && lines.get(skip).is_some_and(|line| compact(line) == number) {
        skip += 1;
    }
    if let Some(order) = number.strip_prefix("国令")
        && skip == 0
        && lines.first().is_some_and(|line| compact(line) == "中华人民共和国国务院令")
        && lines.get(1).is_some_and(|line| compact(line) == order)
    {
        skip = 2;
    }
    skip
}

/// 公文种类 from the title: the keyword that ends last in the title wins
/// ("关于印发……方案的通知" is a 通知), 复函 and 答复 are 函.
fn genre_from_title(title: &str) -> &'static str {
    const KEYWORDS: &[(&str, &str)] = &[
        ("通知", "通知"),
        ("意见", "意见"),
        ("决定", "决定"),
        ("批复", "批复"),
        ("函", "函"),
        ("复函", "函"),
        ("答复", "函"),
        ("通报", "通报"),
        ("公告", "公告"),
        ("通告", "通告"),
        ("报告", "报告"),
        ("纪要", "纪要"),
        ("命令", "命令"),
        ("条例", "条例"),
        ("办法", "办法"),
        ("规定", "规定"),
        ("方案", "方案"),
        ("规则", "规则"),
        ("细则", "细则"),
    ];
    let mut best: Option<(usize, usize, &'static str)> = None;
    for (word, genre) in KEYWORDS {
        if let Some(start) = title.rfind(word) {
            let candidate = (start + word.len(), word.len(), *genre);
            if best.is_none_or(|b| (candidate.0, candidate.1) > (b.0, b.1)) {
                best = Some(candidate);
            }
        }
    }
    best.map_or("通知", |(_, _, genre)| genre)
}

// ---------------------------------------------------------------------------
// Laws
// ---------------------------------------------------------------------------

fn convert_curated_laws(laws: &BTreeMap<String, LawRow>) -> Result<Vec<(String, Policy)>> {
    let get = |id: &str| laws.get(id).ok_or_else(|| format!("{LAWS_FILE} has no law with id {id}"));
    let curated = |id: &str| CURATED_LAWS.iter().any(|(curated, _)| *curated == id);
    let mut replaced: BTreeMap<&str, (&str, Date)> = BTreeMap::new();
    for (old_id, new_id, evidence) in SUPERSESSIONS {
        for id in [old_id, new_id] {
            if !curated(id) {
                return Err(format!("superseded/replacing law {id} is not in CURATED_LAWS"));
            }
        }
        let (old, new) = (get(old_id)?, get(new_id)?);
        if old.expired != Some(true) {
            return Err(format!("{old_id} is not marked expired in {LAWS_FILE}"));
        }
        let date = replacement_date(old, new, *evidence)?;
        if replaced.insert(old_id, (new_id, date)).is_some() {
            return Err(format!("{old_id} is superseded twice"));
        }
    }

    let mut amended_by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut decisions: BTreeMap<&str, Amendment> = BTreeMap::new();
    for (original_id, decision_id) in AMENDMENTS {
        for id in [original_id, decision_id] {
            if !curated(id) {
                return Err(format!("amended/amending law {id} is not in CURATED_LAWS"));
            }
        }
        let found = amendment(get(original_id)?, get(decision_id)?)?;
        amended_by.entry(original_id).or_default().push(format!("policies/laws/{decision_id}.md"));
        if decisions.insert(decision_id, found).is_some() {
            return Err(format!("{decision_id} is listed as amending twice"));
        }
    }

    let mut out = Vec::new();
    for (id, topic) in CURATED_LAWS {
        let law = get(id)?;
        if !replaced.contains_key(id) && law.expired == Some(true) {
            return Err(format!("{id} is expired in {LAWS_FILE} but has no replacement here"));
        }
        check_topic(topic)?;
        let mut policy = match decisions.get(id) {
            Some(decision) => {
                // The data has no publish date for an amending decision,
                // only its adoption date (…会议通过), which is therefore
                // used as both 成文日期 and 发布日期; 实施日期 is its 施行
                // date, which its body confirms ("本决定自…起施行").
                let mut policy = law_policy(law, format!("laws/{id}"), decision.adopted)?;
                policy.effective = Some(decision.in_force);
                // A decision has no 第一条: its preamble ("根据……作如下修改：")
                // describes it.
                policy.description = policy.description.or_else(|| decision.preamble.clone());
                policy
            }
            None => {
                let publish = law
                    .publish
                    .as_deref()
                    .and_then(Date::parse_iso)
                    .ok_or_else(|| format!("{id} has no publish date"))?;
                law_policy(law, format!("laws/{id}"), publish)?
            }
        };
        policy.topics = vec![topic.to_string()];
        if let Some((new_id, date)) = replaced.get(id) {
            policy.superseded_by = Some(format!("policies/laws/{new_id}.md"));
            policy.repealed = Some(*date);
        }
        if let Some(references) = amended_by.get(id) {
            policy.amended_by = references.clone();
        }
        out.push((id.to_string(), policy));
    }
    Ok(out)
}

/// What the corpus shows about an amending decision.
struct Amendment {
    /// "<date> …会议通过" in the decision's info.
    adopted: Date,
    /// "<date> 施行" in the decision's info, confirmed by its body.
    in_force: Date,
    /// The decision's first paragraph.
    preamble: Option<String>,
}

/// Checks that `decision` amends `original` (see `AMENDMENTS`), from the
/// corpus only, and returns the decision's dates.
fn amendment(original: &LawRow, decision: &LawRow) -> Result<Amendment> {
    let fail = |why: String| Err(format!("{} amended by {}: {why}", original.id, decision.id));
    let original_title = original.title.as_deref().unwrap_or_default().trim();
    let decision_title = decision.title.as_deref().unwrap_or_default();
    let short_title = original_title.strip_prefix("最高人民法院").filter(|rest| !rest.is_empty());
    let names_original = [Some(original_title), short_title]
        .into_iter()
        .flatten()
        .any(|title| !title.is_empty() && decision_title.contains(&format!("关于修改《{title}》")));
    if !names_original {
        return fail(format!("the title {decision_title:?} does not contain \"关于修改《{original_title}》\""));
    }
    // The data is expected to have no publish date for the decision (the
    // adoption date stands in for it); if it ever has one, look again.
    if decision.publish.is_some() || decision.valid_from.is_some() {
        return fail("the decision has a publish or valid_from date now: use it".to_string());
    }

    let info = decision.info.as_deref().unwrap_or_default();
    let adoptions: Vec<(Date, String)> = info.lines().map(clean_line).filter_map(|line| adoption(&line)).collect();
    let [(adopted, adoption_line)] = adoptions.as_slice() else {
        return fail(format!("the decision's info has {} \"…会议通过\" lines, not one", adoptions.len()));
    };
    let Some(in_force) = in_force_from_info(info) else {
        return fail("the decision's info has no \"<date> 施行\" line".to_string());
    };
    let body = decision.body.as_deref().unwrap_or_default();
    let clause = format!("本决定自{}起施行", in_force.chinese());
    if !body.contains(&clause) {
        return fail(format!("the decision's body has no \"{clause}\""));
    }
    if in_force < *adopted {
        return fail(format!("in force {in_force} before adoption {adopted}"));
    }

    let original_info = original.info.as_deref().unwrap_or_default();
    if !original_info.lines().map(clean_line).any(|line| line == *adoption_line) {
        return fail(format!("the original's info does not list {adoption_line:?}"));
    }
    if original.valid_from.as_deref().and_then(Date::parse_iso) != Some(in_force) {
        return fail(format!("the original's valid_from is not the decision's 施行 date {in_force}"));
    }
    let preamble = body.lines().map(clean_line).find(|line| !line.is_empty());
    Ok(Amendment { adopted: *adopted, in_force, preamble })
}

/// "2021年11月15日 最高人民法院审判委员会第1850次会议通过": the date and the line.
fn adoption(line: &str) -> Option<(Date, String)> {
    let (date, rest) = line.split_once(char::is_whitespace)?;
    let date = Date::parse_chinese(date)?;
    (rest.contains("会议") && rest.trim_end().ends_with("通过")).then(|| (date, line.to_string()))
}

/// The date from which `new` replaces `old`, established from the corpus only.
fn replacement_date(old: &LawRow, new: &LawRow, evidence: Evidence) -> Result<Date> {
    let fail = |why: &str| Err(format!("{} → {}: {why}", old.id, new.id));
    let Some(date) = new.valid_from.as_deref().and_then(Date::parse_iso) else {
        return fail("the replacement has no valid_from");
    };
    let body = new.body.as_deref().unwrap_or_default();
    let in_force = format!("自{}起施行", date.chinese());
    match evidence {
        Evidence::RepealClause => {
            let old_title = format!("《{}》", old.title.as_deref().unwrap_or_default());
            let found = body
                .lines()
                .any(|line| line.contains(&in_force) && line.contains(&old_title) && line.contains("同时废止"));
            if !found {
                return fail(&format!("no article \"{in_force}。{old_title}……同时废止\""));
            }
        }
        Evidence::Revision => {
            let old_publish = old.publish.as_deref().and_then(Date::parse_iso);
            let new_publish = new.publish.as_deref().and_then(Date::parse_iso);
            if old.title != new.title {
                return fail("titles differ");
            }
            if new_publish.is_none() || new_publish <= old_publish {
                return fail("the replacement is not published later");
            }
            let last_step = new.info.as_deref().unwrap_or_default().trim_end().lines().last();
            if !last_step.is_some_and(|line| line.contains("修订")) {
                return fail("the replacement's history does not end in a 修订");
            }
            if !body.contains(&in_force) {
                return fail(&format!("the replacement's body has no \"{in_force}\""));
            }
        }
    }
    Ok(date)
}

/// A law or regulation as a policy (topics left empty for the caller).
fn law_policy(law: &LawRow, index_number: String, date: Date) -> Result<Policy> {
    let (issuer, genre) = level_issuer_genre(law).ok_or_else(|| format!("{}: unsupported level", law.id))?;
    let title = law.title.as_deref().unwrap_or_default().trim().to_string();
    let body = law.body.as_deref().unwrap_or_default();
    let info = law.info.as_deref().unwrap_or_default();
    let effective =
        law.valid_from.as_deref().and_then(Date::parse_iso).or_else(|| in_force_from_info(info).filter(|d| *d >= date));

    let mut markdown = String::new();
    let history: Vec<String> = info
        .lines()
        .map(clean_line)
        .map(|line| strip_unbalanced_paren(&line))
        .filter(|line| !line.is_empty())
        .map(|line| escape_block_start(&escape_inline(&line)))
        .collect();
    if !history.is_empty() {
        let quoted: Vec<String> = history.iter().map(|line| format!("> {line}")).collect();
        markdown.push_str(&quoted.join("\n>\n"));
        markdown.push_str("\n\n");
    }
    markdown.push_str(&clean_markdown(body));

    Ok(Policy {
        description: first_article_sentence(body),
        title,
        doc_number: None,
        index_number,
        issuers: vec![issuer],
        written: date,
        published: date,
        effective,
        expires: None,
        repealed: None,
        superseded_by: None,
        amended_by: Vec::new(),
        topics: Vec::new(),
        genre: genre.to_string(),
        keywords: Vec::new(),
        source: None,
        source_url: None,
        region: None,
        body: markdown,
    })
}

/// 发文机关 and 公文种类 for the levels zhiku's demo knows.
fn level_issuer_genre(law: &LawRow) -> Option<(String, &'static str)> {
    match law.level.as_deref()? {
        "法律" => Some(("全国人民代表大会常务委员会".to_string(), "法律")),
        "行政法规" => Some(("国务院".to_string(), "行政法规")),
        "司法解释" => Some(("最高人民法院".to_string(), "司法解释")),
        "地方性法规" => {
            let region = law.region.as_deref()?.trim();
            if region.is_empty() || region == "全国" {
                return None;
            }
            let suffix = if ["北京", "上海", "天津", "重庆"].contains(&region) { "市" } else { "省" };
            let province = format!("{region}{suffix}");
            let title = law.title.as_deref().unwrap_or_default();
            // A city's regulation ("洛阳市……条例") is made by that city's
            // standing committee (and approved by the province's).
            let city = title.split_once('市').map(|(name, _)| name).filter(|name| {
                !title.starts_with(region)
                    && (2..=4).contains(&name.chars().count())
                    && name.chars().all(is_cjk)
                    // "关于市人民政府……", "杭州城市大脑……" name no city.
                    && !name.starts_with("关于")
                    && !name.ends_with('城')
            });
            let body = match city {
                Some(city) => format!("{city}市"),
                None => province,
            };
            Some((format!("{body}人民代表大会常务委员会"), "地方性法规"))
        }
        _ => None,
    }
}

/// "YYYY年M月D日 施行" in the info history.
fn in_force_from_info(info: &str) -> Option<Date> {
    info.lines()
        .map(clean_line)
        .filter_map(|line| {
            let date = line.strip_suffix("施行")?.trim();
            Date::parse_chinese(date)
        })
        .next_back()
}

/// The first sentence of 第一条, without the article number.
fn first_article_sentence(body: &str) -> Option<String> {
    let line = body.lines().map(str::trim).find(|l| l.starts_with("第一条"))?;
    let text = line["第一条".len()..].trim_start_matches(|c: char| c.is_whitespace());
    let sentence = match text.find('。') {
        Some(end) => &text[..end + '。'.len_utf8()],
        None => text,
    };
    let sentence = sentence.trim();
    (!sentence.is_empty()).then(|| sentence.to_string())
}

/// "……第九次会议修订）": drop a closing parenthesis left over from the
/// original "（……）" history note.
fn strip_unbalanced_paren(line: &str) -> String {
    let opens = line.matches(['（', '(']).count();
    let closes = line.matches(['）', ')']).count();
    match line.strip_suffix(['）', ')']) {
        Some(rest) if closes > opens => rest.trim_end().to_string(),
        _ => line.to_string(),
    }
}

/// Law bodies are Markdown already: drop zero-width-space-only lines and
/// trailing blanks, squeeze blank lines, and make a "+++" line harmless.
fn clean_markdown(body: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in body.lines() {
        let line = line.replace('\u{200b}', "");
        let line = line.trim_end();
        if line.trim().is_empty() {
            if lines.last().is_some_and(|last| !last.is_empty()) {
                lines.push(String::new());
            }
            continue;
        }
        if line.trim_start().starts_with("+++") {
            lines.push(format!("\\{}", line.trim_start()));
        } else {
            lines.push(line.to_string());
        }
    }
    while lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

// ---------------------------------------------------------------------------
// 兴安盟数字政府建设(2024—2025年)实施方案
// ---------------------------------------------------------------------------

fn convert_xam(text: &str) -> Result<Policy> {
    // Blocks are separated by blank lines; a page break of the source PDF
    // splits a paragraph into two blocks mid-sentence.
    let mut blocks: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = clean_line(line);
        if line.is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        } else {
            current.push_str(&line);
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    let (title, rest) = blocks.split_first().ok_or_else(|| format!("{XAM_FILE} is empty"))?;
    if !title.contains("实施方案") {
        return Err(format!("{XAM_FILE}: unexpected first line {title:?}"));
    }
    let mut paragraphs: Vec<String> = Vec::new();
    for block in rest {
        let continues = paragraphs.last().is_some_and(|last: &String| {
            last.chars().count() > 20
                && !last.ends_with(['。', '；', '：', '！', '？', '）', ')', '”', '…'])
                && outline(block) == Outline::None
        });
        match paragraphs.last_mut() {
            Some(last) if continues => last.push_str(block),
            _ => paragraphs.push(block.clone()),
        }
    }

    // The text states no date, issuer or 文号 of its own (it cites 国发〔2022〕
    // 14号 and 内政发〔2024〕12号, the documents it implements).
    let date = chinese_dates(text).into_iter().max().unwrap_or(XAM_FALLBACK_DATE);
    let issuer = if paragraphs.iter().any(|p| p == "兴安盟行政公署办公室") {
        "兴安盟行政公署办公室"
    } else {
        "兴安盟行政公署"
    };
    let topic = "综合政务\\电子政务";
    Ok(Policy {
        title: title.clone(),
        description: None,
        doc_number: None,
        index_number: "xam/digital-gov-2024-2025".to_string(),
        issuers: vec![issuer.to_string()],
        written: date,
        published: date,
        effective: None,
        expires: Date::new(2025, 12, 31),
        repealed: None,
        superseded_by: None,
        amended_by: Vec::new(),
        topics: vec![topic.to_string()],
        genre: "方案".to_string(),
        keywords: Vec::new(),
        source: None,
        source_url: None,
        region: Some("152200".to_string()),
        body: paragraphs_to_markdown(&paragraphs),
    })
}

/// Every full date "YYYY年M月D日" in the text.
fn chinese_dates(text: &str) -> Vec<Date> {
    let chars: Vec<char> = text.chars().collect();
    let mut dates = Vec::new();
    for start in 0..chars.len() {
        if !chars[start].is_ascii_digit() || (start > 0 && chars[start - 1].is_ascii_digit()) {
            continue;
        }
        let candidate: String = chars[start..].iter().take(11).collect();
        if let Some(end) = candidate.find('日')
            && let Some(date) = Date::parse_chinese(&candidate[..end + '日'.len_utf8()])
        {
            dates.push(date);
        }
    }
    dates
}

// ---------------------------------------------------------------------------
// Plain text to Markdown
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outline {
    /// "一、总体要求"
    Part,
    /// "（一）指导思想。"
    Item,
    /// "第一章　总则"
    Chapter,
    /// "第一节　……"
    Section,
    /// "第一条……"
    Article,
    None,
}

fn is_cjk_numeral(c: char) -> bool {
    "〇零一二三四五六七八九十百千两".contains(c)
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The text after a leading run of Chinese numerals, if there is one.
fn after_numerals(text: &str) -> Option<&str> {
    let end = text.char_indices().find(|(_, c)| !is_cjk_numeral(*c)).map_or(text.len(), |(i, _)| i);
    (end > 0).then(|| &text[end..])
}

fn outline(line: &str) -> Outline {
    if let Some(rest) = after_numerals(line)
        && rest.starts_with('、')
    {
        return Outline::Part;
    }
    if let Some(inner) = line.strip_prefix(['（', '('])
        && let Some(rest) = after_numerals(inner)
        && rest.starts_with(['）', ')'])
    {
        return Outline::Item;
    }
    if let Some(inner) = line.strip_prefix('第')
        && let Some(rest) = after_numerals(inner)
    {
        match rest.chars().next() {
            Some('章') => return Outline::Chapter,
            Some('节') => return Outline::Section,
            Some('条') => return Outline::Article,
            _ => {}
        }
    }
    Outline::None
}

/// One paragraph per entry. Short outline lines become headings: 章 and
/// "一、" are `##`, 节 and "（一）" are `###`. "一、"/"（一）" lines are no
/// headings in a body made of articles (第X条), where they enumerate, nor
/// when several follow each other (an enumeration, not a section).
fn paragraphs_to_markdown(paragraphs: &[String]) -> String {
    const MAX_HEADING_CHARS: usize = 20;
    let kinds: Vec<Outline> = paragraphs.iter().map(|p| outline(p)).collect();
    let has_articles = kinds.contains(&Outline::Article);
    let mut out: Vec<String> = Vec::with_capacity(paragraphs.len());
    for (i, text) in paragraphs.iter().enumerate() {
        let kind = kinds[i];
        let short =
            text.chars().count() <= MAX_HEADING_CHARS && !text.ends_with(['；', '，', '：', '、', ';', ',', ':']);
        let alone = (i == 0 || kinds[i - 1] != kind) && kinds.get(i + 1) != Some(&kind);
        // "（七）" alone on a line (a flattened table cell) titles nothing.
        let titled = match kind {
            Outline::Item => {
                text.strip_prefix(['（', '(']).and_then(after_numerals).is_some_and(|rest| rest.chars().count() > 1)
            }
            _ => true,
        };
        let level = match kind {
            Outline::Chapter if short => Some("##"),
            Outline::Section if short => Some("###"),
            Outline::Part if short && alone && !has_articles => Some("##"),
            Outline::Item if short && alone && titled && !has_articles => Some("###"),
            _ => None,
        };
        let escaped = escape_inline(text);
        out.push(match level {
            Some(hashes) => {
                // A trailing '#' would be read as the heading's closing sequence.
                let escaped = match escaped.strip_suffix('#') {
                    Some(head) => format!("{head}\\#"),
                    None => escaped,
                };
                format!("{hashes} {escaped}")
            }
            None => escape_block_start(&escaped),
        });
    }
    out.join("\n\n")
}

/// Normalises one source line: HTML leftovers and odd spaces out, trimmed.
fn clean_line(line: &str) -> String {
    line.replace("&nbsp;", " ")
        .replace("&sp;", " ")
        .replace(['\u{a0}', '\u{feff}'], " ")
        .replace('\u{200b}', "")
        .trim()
        .to_string()
}

/// The text without any whitespace (ASCII or ideographic).
fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Escapes the characters that could start inline Markdown: emphasis,
/// code spans, strikethrough, links, raw HTML, autolinks and entities.
fn escape_inline(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let escape = match c {
            '\\' => next.is_none_or(|n| n.is_ascii_punctuation()),
            '*' | '_' | '`' | '~' | '[' => true,
            '<' => next.is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')),
            '&' => looks_like_entity(&chars[i + 1..]),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether the text after '&' reads as an entity ("amp;", "#123;", "#x1F;").
fn looks_like_entity(after: &[char]) -> bool {
    let (body, digits_only) = match after.first() {
        Some('#') => (&after[1..], true),
        _ => (after, false),
    };
    let body = match (digits_only, body.first()) {
        (true, Some('x' | 'X')) => &body[1..],
        _ => body,
    };
    let len = body.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
    (1..=32).contains(&len) && body.get(len) == Some(&';')
}

/// Escapes a line start that Markdown would read as block structure: ATX
/// heading, block quote, list item, thematic break, ordered list, or a `+++`
/// front matter fence. Expects `escape_inline` to have run already.
fn escape_block_start(text: &str) -> String {
    let after = |n: usize| text[n..].chars().next();
    let spacing = |c: Option<char>| matches!(c, None | Some(' ' | '\t'));
    let thematic_break = {
        let marks: String = text.chars().filter(|c| !matches!(c, ' ' | '\t')).collect();
        marks.len() >= 3 && ["-", "*", "_"].iter().any(|m| marks.chars().all(|c| c.to_string() == *m))
    };
    let Some(first) = text.chars().next() else {
        return String::new();
    };
    match first {
        '#' => {
            let hashes = text.bytes().take_while(|&b| b == b'#').count();
            if hashes <= 6 && spacing(after(hashes)) {
                return format!("\\{text}");
            }
        }
        '>' => return format!("\\{text}"),
        '-' | '+' | '*' if spacing(after(1)) || thematic_break || text.starts_with("+++") => {
            return format!("\\{text}");
        }
        '_' if thematic_break => return format!("\\{text}"),
        '0'..='9' => {
            let digits = text.bytes().take_while(u8::is_ascii_digit).count();
            if digits <= 9 && matches!(after(digits), Some('.' | ')')) && spacing(after(digits + 1)) {
                return format!("{}\\{}", &text[..digits], &text[digits..]);
            }
        }
        _ => {}
    }
    text.to_string()
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Date {
    year: u32,
    month: u32,
    day: u32,
}

impl Date {
    fn new(year: u32, month: u32, day: u32) -> Option<Date> {
        let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        ((1000..=9999).contains(&year) && (1..=days).contains(&day)).then_some(Date { year, month, day })
    }

    /// "2019-01-27"
    fn parse_iso(text: &str) -> Option<Date> {
        let mut parts = text.trim().split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        Date::new(number(y)?, number(m)?, number(d)?)
    }

    /// "2019年01月27日" or "2019年1月27日"
    fn parse_chinese(text: &str) -> Option<Date> {
        let rest = text.trim().strip_suffix('日')?;
        let (y, rest) = rest.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        if y.len() != 4 || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
            return None;
        }
        Date::new(number(y)?, number(m)?, number(d)?)
    }

    /// "2022年3月1日", the form used in "自……起施行".
    fn chinese(&self) -> String {
        format!("{}年{}月{}日", self.year, self.month, self.day)
    }
}

fn number(digits: &str) -> Option<u32> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A policy document: front matter keys of `docs/content-schema.md`, in the
/// order they are written, and the Markdown body.
#[derive(Clone)]
struct Policy {
    title: String,
    description: Option<String>,
    doc_number: Option<String>,
    index_number: String,
    issuers: Vec<String>,
    written: Date,
    published: Date,
    effective: Option<Date>,
    expires: Option<Date>,
    repealed: Option<Date>,
    superseded_by: Option<String>,
    amended_by: Vec<String>,
    topics: Vec<String>,
    genre: String,
    keywords: Vec<String>,
    source: Option<String>,
    source_url: Option<String>,
    region: Option<String>,
    body: String,
}

impl Policy {
    fn front_matter(&self) -> String {
        let mut out = String::new();
        let mut string = |key: &str, value: Option<&String>| {
            if let Some(value) = value {
                let _ = writeln!(out, "{key} = {}", toml_string(value));
            }
        };
        string("title", Some(&self.title));
        string("description", self.description.as_ref());
        string("doc_number", self.doc_number.as_ref());
        string("index_number", Some(&self.index_number));
        let mut lines = vec![format!("issuers = {}", toml_array(&self.issuers))];
        let dates = [
            ("written", Some(self.written)),
            ("published", Some(self.published)),
            ("effective", self.effective),
            ("expires", self.expires),
            ("repealed", self.repealed),
        ];
        for (key, date) in dates {
            if let Some(date) = date {
                lines.push(format!("{key} = {date}"));
            }
        }
        if let Some(reference) = &self.superseded_by {
            lines.push(format!("superseded_by = {}", toml_string(reference)));
        }
        if !self.amended_by.is_empty() {
            lines.push(format!("amended_by = {}", toml_array(&self.amended_by)));
        }
        lines.push(format!("topics = {}", toml_array(&self.topics)));
        lines.push(format!("genre = {}", toml_string(&self.genre)));
        if !self.keywords.is_empty() {
            lines.push(format!("keywords = {}", toml_array(&self.keywords)));
        }
        for (key, value) in [("source", &self.source), ("source_url", &self.source_url), ("region", &self.region)] {
            if let Some(value) = value {
                lines.push(format!("{key} = {}", toml_string(value)));
            }
        }
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// `tables` are TOML tables (`[audience]`, `[apply]`) put after the
    /// checked keys, since TOML tables must come last.
    fn render(&self, tables: &str) -> Result<String> {
        let mut front_matter = self.front_matter();
        check_front_matter(&front_matter, self)?;
        if !tables.is_empty() {
            front_matter.push('\n');
            front_matter.push_str(tables);
        }
        let body = self.body.trim_end();
        Ok(if body.is_empty() {
            format!("+++\n{front_matter}+++\n")
        } else {
            format!("+++\n{front_matter}+++\n\n{body}\n")
        })
    }
}

fn toml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_array(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| toml_string(v)).collect();
    format!("[{}]", items.join(", "))
}

/// Every key a policy may have according to `docs/content-schema.md`; the
/// struct exists so that `toml` rejects any other key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PolicyFrontMatter {
    title: String,
    description: Option<String>,
    draft: Option<bool>,
    weight: Option<i64>,
    template: Option<String>,
    doc_number: Option<String>,
    index_number: String,
    issuers: Vec<String>,
    written: Datetime,
    published: Datetime,
    effective: Option<Datetime>,
    expires: Option<Datetime>,
    repealed: Option<Datetime>,
    superseded_by: Option<String>,
    amended_by: Option<toml::Value>,
    topics: Vec<String>,
    genre: String,
    tags: Option<Vec<String>>,
    keywords: Option<Vec<String>>,
    source: Option<String>,
    source_url: Option<String>,
    region: Option<String>,
    attachments: Option<toml::Value>,
    related: Option<Vec<String>>,
}

/// Parses the front matter back and compares it with what was meant.
fn check_front_matter(front_matter: &str, policy: &Policy) -> Result<()> {
    let parsed: PolicyFrontMatter =
        toml::from_str(front_matter).map_err(|e| format!("invalid front matter for {}: {e}", policy.index_number))?;
    let date = |d: &Datetime| d.to_string();
    let optional_date = |d: &Option<Datetime>| d.as_ref().map(date);
    let same = parsed.title == policy.title
        && parsed.description == policy.description
        && parsed.doc_number == policy.doc_number
        && parsed.index_number == policy.index_number
        && parsed.issuers == policy.issuers
        && date(&parsed.written) == policy.written.to_string()
        && date(&parsed.published) == policy.published.to_string()
        && optional_date(&parsed.effective) == policy.effective.map(|d| d.to_string())
        && optional_date(&parsed.expires) == policy.expires.map(|d| d.to_string())
        && optional_date(&parsed.repealed) == policy.repealed.map(|d| d.to_string())
        && parsed.superseded_by == policy.superseded_by
        && amended_by_strings(parsed.amended_by.as_ref()) == Some(policy.amended_by.clone())
        && parsed.topics == policy.topics
        && parsed.genre == policy.genre
        && parsed.keywords.unwrap_or_default() == policy.keywords
        && parsed.source == policy.source
        && parsed.source_url == policy.source_url
        && parsed.region == policy.region;
    let required = !policy.title.is_empty()
        && !policy.index_number.is_empty()
        && !policy.issuers.is_empty()
        && !policy.topics.is_empty()
        && !policy.genre.is_empty();
    if !same || !required {
        return Err(format!("front matter of {} does not round-trip:\n{front_matter}", policy.index_number));
    }
    Ok(())
}

/// `amended_by` as written by `front_matter`: absent, or an array of strings.
fn amended_by_strings(value: Option<&toml::Value>) -> Option<Vec<String>> {
    match value {
        None => Some(Vec::new()),
        Some(toml::Value::Array(items)) if !items.is_empty() => {
            items.iter().map(|item| item.as_str().map(String::from)).collect()
        }
        Some(_) => None,
    }
}

/// A Q&A document (`bench` only): front matter keys of
/// `docs/content-schema.md`, in the order they are written, and the answer.
struct Qa {
    question: String,
    category: String,
    department: String,
    regions: Vec<String>,
    policies: Vec<String>,
    updated: Date,
    internal: Option<String>,
    body: String,
}

impl Qa {
    fn front_matter(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "question = {}", toml_string(&self.question));
        let _ = writeln!(out, "category = {}", toml_string(&self.category));
        let _ = writeln!(out, "department = {}", toml_string(&self.department));
        if !self.regions.is_empty() {
            let _ = writeln!(out, "regions = {}", toml_array(&self.regions));
        }
        if !self.policies.is_empty() {
            let _ = writeln!(out, "policies = {}", toml_array(&self.policies));
        }
        let _ = writeln!(out, "updated = {}", self.updated);
        if let Some(internal) = &self.internal {
            let _ = writeln!(out, "internal = {}", toml_string(internal));
        }
        out
    }

    fn render(&self) -> Result<String> {
        let front_matter = self.front_matter();
        let parsed: QaFrontMatter =
            toml::from_str(&front_matter).map_err(|e| format!("invalid Q&A front matter: {e}\n{front_matter}"))?;
        let same = parsed.question == self.question
            && parsed.category == self.category
            && parsed.department == self.department
            && parsed.regions.unwrap_or_default() == self.regions
            && parsed.policies.unwrap_or_default() == self.policies
            && parsed.updated.to_string() == self.updated.to_string()
            && parsed.internal == self.internal;
        let required = [&self.question, &self.category, &self.department].iter().all(|v| !v.trim().is_empty());
        if !same || !required {
            return Err(format!("Q&A front matter does not round-trip:\n{front_matter}"));
        }
        let body = self.body.trim_end();
        Ok(if body.is_empty() {
            format!("+++\n{front_matter}+++\n")
        } else {
            format!("+++\n{front_matter}+++\n\n{body}\n")
        })
    }
}

/// Every key a Q&A may have according to `docs/content-schema.md`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct QaFrontMatter {
    title: Option<String>,
    description: Option<String>,
    draft: Option<bool>,
    weight: Option<i64>,
    template: Option<String>,
    question: String,
    variants: Option<Vec<String>>,
    category: String,
    department: String,
    regions: Option<Vec<String>>,
    policies: Option<Vec<String>>,
    keywords: Option<Vec<String>>,
    updated: Datetime,
    review_by: Option<Datetime>,
    internal: Option<String>,
}

/// 文号 and 索引号 must be unique across the generated documents.
fn check_unique<'a>(policies: impl Iterator<Item = &'a Policy>) -> Result<()> {
    let mut numbers = BTreeSet::new();
    let mut indexes = BTreeSet::new();
    for policy in policies {
        if let Some(number) = &policy.doc_number
            && !numbers.insert(number.clone())
        {
            return Err(format!("duplicate doc_number {number}"));
        }
        if !indexes.insert(policy.index_number.clone()) {
            return Err(format!("duplicate index_number {}", policy.index_number));
        }
    }
    Ok(())
}

/// A topic must be a 一级 class or a `一级\\二级` pair of `STATE_COUNCIL_TOPICS`.
fn check_topic(topic: &str) -> Result<()> {
    let (first, second) = match topic.split_once('\\') {
        Some((first, second)) => (first, Some(second)),
        None => (topic, None),
    };
    let known = STATE_COUNCIL_TOPICS
        .iter()
        .any(|(class, subs)| *class == first && second.is_none_or(|second| subs.contains(&second)));
    if known {
        Ok(())
    } else {
        Err(format!("topic {topic:?} is not in zhiku's 主题分类 scheme (STATE_COUNCIL_TOPICS, src/config.rs)"))
    }
}

/// The hand-written `[audience]` and `[apply]` tables of a file about to be
/// rewritten: editors add them to converted policies, and converting again
/// must not lose them.
fn kept_tables(path: &Path) -> String {
    let Ok(old) = fs::read_to_string(path) else { return String::new() };
    let Some(front_matter) = old.strip_prefix("+++\n").and_then(|rest| rest.split_once("\n+++\n")).map(|(f, _)| f)
    else {
        return String::new();
    };
    let mut offset = 0;
    for line in front_matter.split_inclusive('\n') {
        if line.starts_with("[audience]") || line.starts_with("[apply]") {
            return format!("{}\n", front_matter[offset..].trim_end());
        }
        offset += line.len();
    }
    String::new()
}

fn write_policy(path: &Path, policy: &Policy, tables: &str) -> Result<()> {
    write_file(path, &policy.render(tables)?)
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Deletes the `*.md` files directly in `dir`, except `_index.md`.
fn delete_markdown(dir: &Path) -> Result<usize> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    paths.sort();
    let mut deleted = 0;
    for path in paths {
        let markdown = path.extension().is_some_and(|ext| ext == "md");
        let index = path.file_name().is_some_and(|name| name == "_index.md");
        if markdown && !index && path.is_file() {
            fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

// ---------------------------------------------------------------------------
// Benchmark randomness
// ---------------------------------------------------------------------------

/// Knuth's MMIX linear congruential generator: tiny, seeded, reproducible.
struct Lcg(u64);

impl Lcg {
    fn new(seed: u64) -> Lcg {
        Lcg(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % bound as u64) as usize
    }
}

/// A random `[audience]`: each dimension is restricted with some
/// probability, to one to three of its values, the way real policies name
/// a few groups or industries. About a third of policies apply to everyone.
fn random_audience(rng: &mut Lcg) -> String {
    let regions = ["152200", "152201", "152202", "152221", "152222", "152223", "152224"];
    let groups = [
        "高校毕业生",
        "退役军人",
        "残疾人",
        "低保对象",
        "特困人员",
        "老年人",
        "农牧民",
        "脱贫人口",
        "农民工",
        "未成年人",
    ];
    let qualifications = ["高新技术企业", "专精特新中小企业", "科技型中小企业", "个体工商户", "农牧民合作社"];
    let industries: Vec<&str> = zhiku::profile::INDUSTRIES.iter().map(|(code, _)| *code).collect();
    let sizes: Vec<&str> = zhiku::profile::SIZES.iter().map(|(_, name)| *name).collect();
    let dimensions: [(&str, &[&str], usize); 6] = [
        ("subjects", &["个人", "法人"], 30),
        ("regions", &regions, 15),
        ("industries", &industries, 20),
        ("sizes", &sizes, 15),
        ("groups", &groups, 20),
        ("qualifications", &qualifications, 10),
    ];
    let mut lines = Vec::new();
    for (field, values, percent) in dimensions {
        if rng.next(100) >= percent {
            continue;
        }
        let count = 1 + rng.next(3.min(values.len()));
        let mut chosen: Vec<String> = Vec::new();
        while chosen.len() < count {
            let value = values[rng.next(values.len())].to_string();
            if !chosen.contains(&value) {
                chosen.push(value);
            }
        }
        if field == "subjects" {
            chosen.truncate(1);
        }
        lines.push(format!("{field} = {}", toml_array(&chosen)));
    }
    if lines.is_empty() { String::new() } else { format!("[audience]\n{}\n", lines.join("\n")) }
}

/// One or two distinct 一级 classes.
fn random_topics(rng: &mut Lcg) -> Vec<String> {
    let count = 1 + rng.next(2);
    let mut topics: Vec<String> = Vec::with_capacity(count);
    while topics.len() < count {
        let (topic, _) = STATE_COUNCIL_TOPICS[rng.next(STATE_COUNCIL_TOPICS.len())];
        if !topics.iter().any(|t| t == topic) {
            topics.push(topic.to_string());
        }
    }
    topics
}
