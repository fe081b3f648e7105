//! `zhiku init` and `zhiku new`: a working starter site and new content
//! files with every required key filled in.

use std::io;
use std::path::{Path, PathBuf};

use jiff::civil::Date;

const STARTER_CONFIG: &str = r#"# zhiku site configuration. See README.md for every key.
base_url = "http://127.0.0.1:1111"
title = "政策文件库与问答知识库"
description = "政策文件、政策解读和常见问题答复。"
keywords = ["政策文件", "政策解读", "问答"]
# 网站标识码, issued with the site's registration.
site_id_code = ""
paginate_by = 20

[footer]
host = "（主办单位）"
icp = ""
police = ""
"#;

fn starter_files(today: Date) -> Vec<(&'static str, String)> {
    vec![
        ("config.toml", STARTER_CONFIG.to_string()),
        ("content/_index.md", "+++\ntitle = \"政策文件库与问答知识库\"\n+++\n\n欢迎访问。\n".to_string()),
        ("content/policies/_index.md", "+++\ntitle = \"政策文件库\"\ncolumn_type = \"信息公开\"\n+++\n".to_string()),
        (
            "content/policies/example.md",
            format!(
                "+++\ntitle = \"关于示例工作的通知\"\ndoc_number = \"示发〔{year}〕1号\"\nindex_number = \"example/{year}-00001\"\nissuers = [\"示例单位\"]\nwritten = {today}\npublished = {today}\ntopics = [\"综合政务\\\\政务公开\"]\ngenre = \"通知\"\ntags = [\"示例\"]\n+++\n\n这是一份示例政策文件。\n",
                year = today.year()
            ),
        ),
        ("content/qa/_index.md", "+++\ntitle = \"问答知识库\"\ncolumn_type = \"互动交流\"\n+++\n".to_string()),
        (
            "content/qa/example.md",
            format!(
                "+++\nquestion = \"如何查询示例政策？\"\nvariants = [\"示例政策在哪里看\"]\ncategory = \"政务服务/政策查询\"\ndepartment = \"示例单位\"\nregions = [\"152200\"]\npolicies = [\"示发〔{year}〕1号\"]\nupdated = {today}\ninternal = \"内部口径示例：仅供接线员参考。\"\n+++\n\n可在本站政策文件库查询（示发〔{year}〕1号）。\n",
                year = today.year()
            ),
        ),
        ("content/about.md", "+++\ntitle = \"关于本站\"\n+++\n\n本站由 zhiku 生成。\n".to_string()),
    ]
}

/// Creates a starter site in `dir`, which must not exist or be empty.
pub fn init(dir: &Path, today: Date) -> io::Result<Vec<PathBuf>> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is not empty; choose a new folder so nothing is overwritten", dir.display()),
        ));
    }
    let mut written = Vec::new();
    for (relative, text) in starter_files(today) {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewKind {
    Policy,
    Qa,
}

/// An ASCII file name for a new document: today's date plus a counter, since
/// Chinese titles do not make readable ASCII slugs.
fn free_path(dir: &Path, today: Date) -> PathBuf {
    let stem = today.strftime("%Y%m%d").to_string();
    (1..)
        .map(|n| dir.join(format!("{stem}-{n}.md")))
        .find(|p| !p.exists())
        .expect("an unbounded counter always finds a free name")
}

/// Writes a new policy or Q&A file under the site's content folder.
pub fn new_document(root: &Path, kind: NewKind, title: &str, today: Date) -> io::Result<PathBuf> {
    let escaped = title.replace('\\', "\\\\").replace('"', "\\\"");
    let (dir, text) = match kind {
        NewKind::Policy => (
            root.join("content/policies"),
            format!(
                "+++\ntitle = \"{escaped}\"\n# A draft is checked but not published; remove this line when done.\ndraft = true\n# doc_number = \"X发〔{year}〕1号\"\nindex_number = \"待填写\"\nissuers = [\"待填写\"]\nwritten = {today}\npublished = {today}\ntopics = [\"综合政务\"]\ngenre = \"通知\"\ntags = []\n+++\n\n正文。\n",
                year = today.year()
            ),
        ),
        NewKind::Qa => (
            root.join("content/qa"),
            format!(
                "+++\nquestion = \"{escaped}\"\n# A draft is checked but not published; remove this line when done.\ndraft = true\nvariants = []\ncategory = \"政务服务\"\ndepartment = \"待填写\"\nregions = [\"152200\"]\npolicies = []\nkeywords = []\nupdated = {today}\n# internal = \"内部口径（不会公开）\"\n+++\n\n答复口径。\n"
            ),
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let path = free_path(&dir, today);
    std::fs::write(&path, text)?;
    Ok(path)
}
