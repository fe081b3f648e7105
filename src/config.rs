//! The site's `config.toml`: identity, the 47号 site metadata, footer
//! registration numbers and the controlled vocabularies that front matter is
//! validated against (主题分类, 公文种类, 地区).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostic, Location};

pub const CONFIG_FILE: &str = "config.toml";

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Absolute URL the site is served from, without a trailing slash.
    pub base_url: String,
    /// Site name (`SiteName`).
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default = "default_theme")]
    pub theme: String,
    #[serde(default = "default_paginate_by")]
    pub paginate_by: usize,
    /// 网站标识码 (`SiteIDCode`), issued by the State Council office.
    #[serde(default)]
    pub site_id_code: String,
    #[serde(default)]
    pub footer: Footer,
    #[serde(default)]
    pub taxonomies: TaxonomyConfig,
    /// GB/T 2260 code → name. The default covers 兴安盟 and its 旗县市.
    #[serde(default = "default_regions")]
    pub regions: BTreeMap<String, String>,
    /// 政策找人: the profile vocabularies and feed settings.
    #[serde(default)]
    pub profiles: ProfileConfig,
    #[serde(default)]
    pub serve: ServeConfig,
}

/// `zhiku serve` settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Access token for /console and /api; the ZHIKU_TOKEN environment
    /// variable overrides it. Required to serve beyond 127.0.0.1.
    #[serde(default)]
    pub token: String,
}

/// The configurable profile dimensions. 主体类型, 行业 (GB/T 4754) and 企业规模
/// are national standards and fixed; regions come from `[regions]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// 人群: URL code → name.
    #[serde(default = "default_groups")]
    pub groups: BTreeMap<String, String>,
    /// 资质: URL code → name.
    #[serde(default = "default_qualifications")]
    pub qualifications: BTreeMap<String, String>,
    /// How many 人群 one profile feed may combine. Every combination up to
    /// this size gets a feed, so it bounds the number of feeds.
    #[serde(default = "default_max_groups")]
    pub max_groups: usize,
    /// Newest entries per feed; 0 means no limit.
    #[serde(default = "default_feed_limit")]
    pub feed_limit: usize,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            groups: default_groups(),
            qualifications: default_qualifications(),
            max_groups: default_max_groups(),
            feed_limit: default_feed_limit(),
        }
    }
}

fn code_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn default_groups() -> BTreeMap<String, String> {
    code_map(&[
        ("graduate", "高校毕业生"),
        ("veteran", "退役军人"),
        ("disabled", "残疾人"),
        ("dibao", "低保对象"),
        ("tekun", "特困人员"),
        ("elderly", "老年人"),
        ("farmer", "农牧民"),
        ("poverty", "脱贫人口"),
        ("migrant", "农民工"),
        ("minor", "未成年人"),
    ])
}

fn default_qualifications() -> BTreeMap<String, String> {
    code_map(&[
        ("hightech", "高新技术企业"),
        ("srdi", "专精特新中小企业"),
        ("techsme", "科技型中小企业"),
        ("individual", "个体工商户"),
        ("coop", "农牧民合作社"),
    ])
}

fn default_max_groups() -> usize {
    3
}

fn default_feed_limit() -> usize {
    20
}

/// 页脚: the registration data every government site must show.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Footer {
    /// 主办单位
    #[serde(default)]
    pub host: String,
    /// 承办单位, optional
    #[serde(default)]
    pub operator: String,
    /// ICP备案号
    #[serde(default)]
    pub icp: String,
    /// 公安备案号
    #[serde(default)]
    pub police: String,
    #[serde(default)]
    pub contact: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyConfig {
    /// Extra 主题分类 on top of the State Council scheme: 一级 → 二级 list.
    #[serde(default)]
    pub extra_topics: BTreeMap<String, Vec<String>>,
    /// Extra 公文种类 on top of the default list.
    #[serde(default)]
    pub extra_genres: Vec<String>,
}

fn default_theme() -> String {
    "default".to_string()
}

fn default_paginate_by() -> usize {
    20
}

fn default_regions() -> BTreeMap<String, String> {
    code_map(&[
        ("152200", "兴安盟"),
        ("152201", "乌兰浩特市"),
        ("152202", "阿尔山市"),
        ("152221", "科尔沁右翼前旗"),
        ("152222", "科尔沁右翼中旗"),
        ("152223", "扎赉特旗"),
        ("152224", "突泉县"),
    ])
}

/// The State Council's 22-class 主题分类 (gov.cn policy library), 一级 with
/// its 二级 classes. `一级` alone is also a valid value.
pub const STATE_COUNCIL_TOPICS: &[(&str, &[&str])] = &[
    (
        "国务院组织机构",
        &[
            "国务院组成部门",
            "国务院直属机构",
            "国务院办事机构",
            "国务院直属特设机构",
            "国务院直属事业单位",
            "国务院部委管理的国家局",
            "议事协调机构",
            "其他",
        ],
    ),
    (
        "综合政务",
        &["政务公开", "政务督查", "应急管理", "电子政务", "文秘工作", "信访", "政府法制", "参事、文史", "其他"],
    ),
    ("国民经济管理、国有资产监管", &["发展规划", "经济体制改革", "宏观经济", "统计", "物价", "国有资产监管", "其他"]),
    ("财政、金融、审计", &["财政", "税务", "银行", "证券", "保险", "外汇", "审计", "其他"]),
    ("国土资源、能源", &["土地", "矿产", "海洋", "能源", "电力", "煤炭", "石油与天然气", "其他"]),
    ("农业、林业、水利", &["农业、畜牧业、渔业", "林业", "水利", "农村经济", "其他"]),
    ("工业、交通", &["工业", "信息产业（含电信）", "铁路", "公路", "水运", "民航", "邮政", "其他"]),
    ("商贸、海关、旅游", &["国内贸易（含供销）", "对外经贸合作", "海关", "旅游", "其他"]),
    ("市场监管、安全生产监管", &["工商", "质量监督", "食品药品监管", "安全生产监管", "其他"]),
    (
        "城乡建设、环境保护",
        &[
            "城市规划",
            "城乡建设（含住房）",
            "环境监测、保护与治理",
            "节能与资源综合利用",
            "气象、水文、测绘、地震",
            "其他",
        ],
    ),
    ("科技、教育", &["科技", "教育", "知识产权", "其他"]),
    ("文化、广电、新闻出版", &["文化", "广播、电影、电视", "新闻出版", "文物", "其他"]),
    ("卫生、体育", &["卫生", "医药管理", "体育", "其他"]),
    ("人口与计划生育、妇女儿童工作", &["人口与计划生育", "妇女儿童", "其他"]),
    ("劳动、人事、监察", &["劳动就业", "社会保障", "人事工作", "监察", "其他"]),
    ("公安、安全、司法", &["公安", "安全", "司法", "其他"]),
    ("民政、扶贫、救灾", &["减灾救灾", "社会福利", "扶贫", "社团管理", "行政区划与地名", "优抚安置", "其他"]),
    ("民族、宗教", &["民族事务", "宗教事务", "其他"]),
    ("对外事务", &["外交、外事", "其他"]),
    ("港澳台侨工作", &["港澳工作", "对台工作", "侨务工作", "其他"]),
    ("国防", &["国防建设", "国防动员", "其他"]),
    ("其他", &[]),
];

/// The 15 kinds of 《党政机关公文处理工作条例》 plus the forms of rules and
/// laws that policy libraries also hold.
pub const DEFAULT_GENRES: &[&str] = &[
    "决议",
    "决定",
    "命令",
    "公报",
    "公告",
    "通告",
    "意见",
    "通知",
    "通报",
    "报告",
    "请示",
    "批复",
    "议案",
    "函",
    "纪要",
    "条例",
    "办法",
    "规定",
    "方案",
    "规则",
    "细则",
    "规划",
    "计划",
    "纲要",
    "指南",
    "法律",
    "行政法规",
    "地方性法规",
    "司法解释",
    "部门规章",
    "政府规章",
    "规范性文件",
];

impl Config {
    /// Reads `config.toml` from the site root. Errors carry the position of
    /// the offending key.
    pub fn load(root: &Path) -> Result<Config, Diagnostic> {
        let path = root.join(CONFIG_FILE);
        let source = std::fs::read_to_string(&path).map_err(|e| {
            Diagnostic::error(CONFIG_FILE, None, format!("cannot read the site configuration: {e}"))
                .with_hint("run `zhiku init DIR` to create a site, or pass `--root` pointing at one")
        })?;
        Config::parse(&source)
    }

    pub fn parse(source: &str) -> Result<Config, Diagnostic> {
        let mut config: Config = toml::from_str(source).map_err(|e| {
            let location = e.span().map(|span| Location::of(source, span));
            Diagnostic::error(CONFIG_FILE, location, e.message().to_string())
                .with_hint("see the configuration reference in README.md")
        })?;
        config.base_url = config.base_url.trim_end_matches('/').to_string();
        config.check_profiles()?;
        Ok(config)
    }

    /// Profile codes become feed URLs (`g-graduate+veteran`), so they must
    /// be URL-safe and free of the key separators `.` and `+`.
    fn check_profiles(&self) -> Result<(), Diagnostic> {
        let p = &self.profiles;
        for (table, codes) in [("groups", &p.groups), ("qualifications", &p.qualifications)] {
            if let Some(bad) = codes.keys().find(|c| {
                c.is_empty() || !c.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
            }) {
                return Err(Diagnostic::error(CONFIG_FILE, None, format!("[profiles.{table}] code \"{bad}\" cannot be used in a feed URL"))
                    .with_hint("use lowercase ASCII letters, digits and `_` for the code, and the Chinese name as its value: graduate = \"高校毕业生\""));
            }
        }
        if !(1..=5).contains(&p.max_groups) {
            return Err(Diagnostic::error(
                CONFIG_FILE,
                None,
                format!("[profiles] max_groups = {} is out of range", p.max_groups),
            )
            .with_hint("use 1 to 5: every combination of up to max_groups 人群 gets a feed"));
        }
        Ok(())
    }

    /// Whether `value` ("一级" or "一级\二级") is a known 主题分类.
    pub fn is_known_topic(&self, value: &str) -> bool {
        let (first, second) = match value.split_once('\\') {
            Some((a, b)) => (a, Some(b)),
            None => (value, None),
        };
        let builtin = STATE_COUNCIL_TOPICS
            .iter()
            .find(|(name, _)| *name == first)
            .map(|(_, subs)| second.is_none_or(|s| subs.contains(&s)));
        let extra =
            self.taxonomies.extra_topics.get(first).map(|subs| second.is_none_or(|s| subs.iter().any(|x| x == s)));
        builtin == Some(true) || extra == Some(true)
    }

    /// Every valid 主题分类 value, for "did you mean" hints.
    pub fn topic_values(&self) -> Vec<String> {
        let mut values = Vec::new();
        for (first, subs) in STATE_COUNCIL_TOPICS {
            values.push(first.to_string());
            values.extend(subs.iter().map(|s| format!("{first}\\{s}")));
        }
        for (first, subs) in &self.taxonomies.extra_topics {
            values.push(first.clone());
            values.extend(subs.iter().map(|s| format!("{first}\\{s}")));
        }
        values
    }

    pub fn genre_values(&self) -> Vec<String> {
        DEFAULT_GENRES.iter().map(|s| s.to_string()).chain(self.taxonomies.extra_genres.iter().cloned()).collect()
    }

    /// The site's host name, for the `SiteDomain` meta tag.
    pub fn domain(&self) -> &str {
        let without_scheme = self.base_url.split_once("://").map_or(self.base_url.as_str(), |(_, rest)| rest);
        without_scheme.split('/').next().unwrap_or(without_scheme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Config {
        Config::parse("base_url = \"https://example.gov.cn/\"\ntitle = \"t\"\n").unwrap()
    }

    #[test]
    fn topics_accept_both_levels_and_reject_unknown() {
        let config = minimal();
        assert!(config.is_known_topic("科技、教育\\教育"));
        assert!(config.is_known_topic("其他"));
        assert!(!config.is_known_topic("科技、教育\\美食"));
        assert!(!config.is_known_topic("美食"));
    }

    #[test]
    fn unknown_config_key_is_located() {
        let err = Config::parse("base_url = \"x\"\ntitle = \"t\"\ntitel = \"u\"\n").unwrap_err();
        assert_eq!(err.location.unwrap().line, 3);
        assert!(err.message.contains("titel"), "{}", err.message);
    }

    #[test]
    fn profile_codes_must_be_url_safe() {
        let base = "base_url = \"x\"\ntitle = \"t\"\n";
        let err = Config::parse(&format!("{base}[profiles.groups]\n\"a.b\" = \"某人群\"\n")).unwrap_err();
        assert!(err.message.contains("\"a.b\" cannot be used in a feed URL"), "{}", err.message);
        assert!(Config::parse(&format!("{base}[profiles]\nmax_groups = 9\n")).is_err());
        assert!(Config::parse(&format!("{base}[profiles.groups]\nstudent = \"学生\"\n")).is_ok());
    }

    #[test]
    fn domain_strips_scheme_and_path() {
        assert_eq!(minimal().domain(), "example.gov.cn");
    }
}
