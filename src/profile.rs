//! 政策找人: the profile dimensions a resident or a company describes itself
//! by, the `[audience]` a policy restricts them to, and the rule deciding
//! whether a policy applies to a profile.
//!
//! A profile holds, per dimension, one value or "any" (不限), and for 人群
//! several values at once. A policy applies to a profile when, for every
//! dimension the policy restricts and the profile states, the values meet:
//! - 地区 meets when the policy names the profile's region or one of its
//!   parents (a 盟 code covers its 旗县市, by GB/T 2260 prefixes);
//! - 人群 meets when the profile's and the policy's groups intersect;
//! - every other dimension meets when the policy lists the profile's value.
//!
//! "Any" means the visitor did not narrow that dimension, so it never
//! excludes a policy.

use std::fmt::Write as _;

use crate::config::Config;

/// 主体类型 (code, name).
pub const SUBJECTS: &[(&str, &str)] = &[("person", "个人"), ("company", "法人")];

/// 企业规模 (code, name), as in 《中小企业划型标准规定》.
pub const SIZES: &[(&str, &str)] = &[("large", "大型"), ("medium", "中型"), ("small", "小型"), ("micro", "微型")];

/// 行业: the 门类 of GB/T 4754-2017.
pub const INDUSTRIES: &[(&str, &str)] = &[
    ("A", "农、林、牧、渔业"),
    ("B", "采矿业"),
    ("C", "制造业"),
    ("D", "电力、热力、燃气及水生产和供应业"),
    ("E", "建筑业"),
    ("F", "批发和零售业"),
    ("G", "交通运输、仓储和邮政业"),
    ("H", "住宿和餐饮业"),
    ("I", "信息传输、软件和信息技术服务业"),
    ("J", "金融业"),
    ("K", "房地产业"),
    ("L", "租赁和商务服务业"),
    ("M", "科学研究和技术服务业"),
    ("N", "水利、环境和公共设施管理业"),
    ("O", "居民服务、修理和其他服务业"),
    ("P", "教育"),
    ("Q", "卫生和社会工作"),
    ("R", "文化、体育和娱乐业"),
    ("S", "公共管理、社会保障和社会组织"),
    ("T", "国际组织"),
];

/// Which kind of subject a dimension describes. 人群 only makes sense for a
/// person and 行业, 规模, 资质 only for a company, which keeps the number of
/// profiles (and so of feeds) bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applies {
    All,
    Person,
    Company,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DimensionValue {
    /// URL code: `152201`, `C`, `graduate`.
    pub code: String,
    /// Chinese name: 乌兰浩特市.
    pub label: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Dimension {
    /// Front-matter key in `[audience]`: `regions`.
    pub field: &'static str,
    /// Key prefix in profile keys: `r`.
    pub prefix: &'static str,
    /// Chinese name: 地区.
    pub label: &'static str,
    pub values: Vec<DimensionValue>,
    /// Whether a profile may hold several values (人群).
    pub multi: bool,
    pub applies: Applies,
}

/// Index of each dimension in [`Dimensions::list`]; profile keys follow
/// this order.
pub const SUBJECT: usize = 0;
pub const REGION: usize = 1;
pub const INDUSTRY: usize = 2;
pub const SIZE: usize = 3;
pub const QUALIFICATION: usize = 4;
pub const GROUP: usize = 5;
pub const DIMENSIONS: usize = 6;

/// The profile vocabulary of a site.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Dimensions {
    pub list: Vec<Dimension>,
    pub max_groups: usize,
}

fn values(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<DimensionValue> {
    pairs.into_iter().map(|(code, label)| DimensionValue { code, label }).collect()
}

fn fixed(pairs: &[(&str, &str)]) -> Vec<DimensionValue> {
    values(pairs.iter().map(|(c, l)| (c.to_string(), l.to_string())))
}

impl Dimensions {
    pub fn from_config(config: &Config) -> Dimensions {
        let p = &config.profiles;
        let dimension =
            |field, prefix, label, values, multi, applies| Dimension { field, prefix, label, values, multi, applies };
        let list = vec![
            dimension("subjects", "s", "主体类型", fixed(SUBJECTS), false, Applies::All),
            dimension("regions", "r", "地区", values(config.regions.clone()), false, Applies::All),
            dimension("industries", "i", "行业", fixed(INDUSTRIES), false, Applies::Company),
            dimension("sizes", "z", "企业规模", fixed(SIZES), false, Applies::Company),
            dimension("qualifications", "q", "资质", values(p.qualifications.clone()), false, Applies::Company),
            dimension("groups", "g", "人群", values(p.groups.clone()), true, Applies::Person),
        ];
        Dimensions { list, max_groups: p.max_groups }
    }

    /// Finds a value by code or by Chinese name.
    pub fn lookup(&self, dimension: usize, value: &str) -> Option<usize> {
        let values = &self.list[dimension].values;
        values.iter().position(|v| v.code == value).or_else(|| values.iter().position(|v| v.label == value))
    }

    /// Whether region `parent` covers region `child`: the same code, or a
    /// GB/T 2260 ancestor (`152200` covers `152201`, `150000` covers both).
    pub fn region_covers(&self, parent: usize, child: usize) -> bool {
        let (p, c) = (&self.list[REGION].values[parent].code, &self.list[REGION].values[child].code);
        if p == c {
            return true;
        }
        let stem = p.trim_end_matches("00");
        p.len() == 6 && c.len() == 6 && stem.len() < 6 && stem.len().is_multiple_of(2) && c.starts_with(stem)
    }
}

/// A policy's `[audience]`: value indexes per dimension; empty = everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Audience(pub [Vec<usize>; DIMENSIONS]);

impl Audience {
    pub fn is_everyone(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }
}

/// Per dimension, the chosen value indexes; empty = any (不限). A visitor
/// picks one value per dimension, several only for 人群; feed keys may
/// widen any dimension to several values, read as "any of these".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Profile(pub [Vec<usize>; DIMENSIONS]);

impl Profile {
    pub fn single(dimension: usize, value: usize) -> Profile {
        let mut profile = Profile::default();
        profile.0[dimension].push(value);
        profile
    }

    /// How many dimensions are narrowed; fewer means more general.
    pub fn narrowed(&self) -> usize {
        self.0.iter().filter(|v| !v.is_empty()).count()
    }

    /// The stable key naming this profile's feeds: dimensions in a fixed
    /// order, each `prefix-code`, several 人群 joined by `+`, separated by
    /// `.`; `all` when nothing is narrowed. E.g. `s-person.r-152201.g-graduate+veteran`.
    pub fn key(&self, dimensions: &Dimensions) -> String {
        let mut key = String::new();
        for (d, chosen) in self.0.iter().enumerate() {
            if chosen.is_empty() {
                continue;
            }
            if !key.is_empty() {
                key.push('.');
            }
            let dimension = &dimensions.list[d];
            let _ = write!(key, "{}-", dimension.prefix);
            let codes: Vec<&str> = chosen.iter().map(|&v| dimension.values[v].code.as_str()).collect();
            key.push_str(&codes.join("+"));
        }
        if key.is_empty() { "all".to_string() } else { key }
    }

    /// Reads a key written by [`Profile::key`]; `None` if it names a
    /// dimension or value this site does not have.
    pub fn parse(key: &str, dimensions: &Dimensions) -> Option<Profile> {
        let mut profile = Profile::default();
        if key == "all" {
            return Some(profile);
        }
        for part in key.split('.') {
            let (prefix, codes) = part.split_once('-')?;
            let d = dimensions.list.iter().position(|dim| dim.prefix == prefix)?;
            if !profile.0[d].is_empty() {
                return None;
            }
            for code in codes.split('+') {
                let v = dimensions.list[d].values.iter().position(|v| v.code == code)?;
                profile.0[d].push(v);
            }
            profile.0[d].sort_unstable();
            profile.0[d].dedup();
        }
        Some(profile)
    }

    /// Whether a policy with `audience` applies to this profile.
    pub fn admits(&self, audience: &Audience, dimensions: &Dimensions) -> bool {
        (0..DIMENSIONS).all(|d| {
            let (wanted, allowed) = (&self.0[d], &audience.0[d]);
            if wanted.is_empty() || allowed.is_empty() {
                return true;
            }
            if d == REGION {
                wanted.iter().any(|&w| allowed.iter().any(|&a| dimensions.region_covers(a, w)))
            } else {
                wanted.iter().any(|w| allowed.contains(w))
            }
        })
    }

    /// Every profile a visitor can pick on the 政策找人 page: the subject
    /// (or any), the region (or any), then for a person up to `max_groups`
    /// 人群, for a company one value or any of each company dimension.
    pub fn all_pickable(dimensions: &Dimensions) -> Vec<Profile> {
        let count = |d: usize| dimensions.list[d].values.len();
        let options = |d: usize| std::iter::once(None).chain((0..count(d)).map(Some));
        let set = |p: &mut Profile, d: usize, v: Option<usize>| {
            if let Some(v) = v {
                p.0[d] = vec![v];
            }
        };
        let person = dimensions.list[SUBJECT].values.iter().position(|v| v.code == "person");
        let company = dimensions.list[SUBJECT].values.iter().position(|v| v.code == "company");
        let group_sets = subsets_up_to(count(GROUP), dimensions.max_groups);
        let mut profiles = Vec::new();
        for subject in std::iter::once(None).chain((0..count(SUBJECT)).map(Some)) {
            for region in options(REGION) {
                let mut base = Profile::default();
                set(&mut base, SUBJECT, subject);
                set(&mut base, REGION, region);
                if subject.is_some() && subject == person {
                    for groups in &group_sets {
                        let mut p = base.clone();
                        p.0[GROUP] = groups.clone();
                        profiles.push(p);
                    }
                } else if subject.is_some() && subject == company {
                    for industry in options(INDUSTRY) {
                        for size in options(SIZE) {
                            for qualification in options(QUALIFICATION) {
                                let mut p = base.clone();
                                set(&mut p, INDUSTRY, industry);
                                set(&mut p, SIZE, size);
                                set(&mut p, QUALIFICATION, qualification);
                                profiles.push(p);
                            }
                        }
                    }
                } else {
                    profiles.push(base);
                }
            }
        }
        profiles
    }
}

/// Every subset of `0..n` with at most `k` members, in lexicographic order,
/// the empty set first.
fn subsets_up_to(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    let mut frontier = vec![Vec::new()];
    for _ in 0..k.min(n) {
        let mut next = Vec::new();
        for set in &frontier {
            let start = set.last().map_or(0, |&l| l + 1);
            for v in start..n {
                let mut s: Vec<usize> = set.clone();
                s.push(v);
                next.push(s);
            }
        }
        out.extend(next.iter().cloned());
        frontier = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dimensions() -> Dimensions {
        Dimensions::from_config(&Config::parse("base_url = \"https://x.gov.cn\"\ntitle = \"t\"\n").unwrap())
    }

    #[test]
    fn keys_round_trip() {
        let d = dimensions();
        let mut p = Profile::single(SUBJECT, d.lookup(SUBJECT, "个人").unwrap());
        p.0[REGION] = vec![d.lookup(REGION, "152201").unwrap()];
        p.0[GROUP] = vec![d.lookup(GROUP, "graduate").unwrap(), d.lookup(GROUP, "veteran").unwrap()];
        p.0[GROUP].sort_unstable();
        let key = p.key(&d);
        assert_eq!(key, "s-person.r-152201.g-graduate+veteran");
        assert_eq!(Profile::parse(&key, &d), Some(p));
        assert_eq!(Profile::parse("all", &d), Some(Profile::default()));
        assert_eq!(Profile::parse("x-1", &d), None);
        assert_eq!(Profile::parse("s-person+nobody", &d), None);
    }

    #[test]
    fn league_code_covers_its_banners() {
        let d = dimensions();
        let league = d.lookup(REGION, "152200").unwrap();
        let city = d.lookup(REGION, "152201").unwrap();
        assert!(d.region_covers(league, city));
        assert!(!d.region_covers(city, league));
        assert!(d.region_covers(city, city));
    }

    #[test]
    fn subsets_are_bounded() {
        assert_eq!(subsets_up_to(4, 2).len(), 1 + 4 + 6);
        assert_eq!(subsets_up_to(2, 5).len(), 4);
    }
}
