//! An alert's situation in words, Chinese and English, and what it concerns (the item, the
//! manifest, the enterprises), for the alert list, its filters and its CSV export
//! (`docs/oversight.md`). The words are built from the alert's rule, subject and facts
//! (`detail`) with the enterprises' names; masses in kilograms from integer grams, times in
//! China Standard Time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::alerts::Rule;

/// An enterprise an alert concerns, with its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AlertParty {
    pub uscc: String,
    pub name_zh: String,
}

/// What an alert concerns and says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Situation {
    /// The item it is about, when it is about one.
    pub item: Option<String>,
    /// The manifest it names, when it names one.
    pub manifest: Option<String>,
    /// The enterprises it concerns (USCCs named in its subject or facts, the item's generator).
    pub enterprises: Vec<AlertParty>,
    pub words_zh: String,
    pub words_en: String,
}

/// Integer grams as kilograms, up to three decimals (`80 kg`, `0.5 kg`, `1.234 kg`).
pub fn kg(g: i64) -> String {
    let sign = if g < 0 { "-" } else { "" };
    let g = g.unsigned_abs();
    let (whole, rest) = (g / 1000, g % 1000);
    if rest == 0 {
        format!("{sign}{whole} kg")
    } else {
        let frac = format!("{rest:03}");
        format!("{sign}{whole}.{} kg", frac.trim_end_matches('0'))
    }
}

/// An RFC 3339 time as `YYYY-MM-DD HH:MM` in China Standard Time (the text itself when it is
/// not a time).
pub fn cst(text: &str) -> String {
    DateTime::parse_from_rfc3339(text).map_or_else(
        |_| text.to_owned(),
        |t| {
            (t.with_timezone(&Utc) + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        },
    )
}

fn is_uscc(s: &str) -> bool {
    s.len() == 18 && s.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

fn is_item_code(s: &str) -> bool {
    s.len() == 37 && s.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

/// The USCCs an alert names: in its subject (an item code starts with its generator's; a
/// facility's or a key's subject starts with the USCC) and in its facts.
pub fn parties_named(subject: &str, detail: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let head = subject.split('/').next().unwrap_or("");
    if is_uscc(head) {
        out.push(head.to_owned());
    } else if is_item_code(subject) {
        out.push(subject[..18].to_owned());
    }
    for key in ["holder", "generator", "owner", "actor"] {
        if let Some(u) = detail.get(key).and_then(Value::as_str).filter(|u| is_uscc(u)) {
            out.push(u.to_owned());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|u| seen.insert(u.clone()));
    out
}

/// The alert's situation; `names` maps USCCs to Chinese names (missing ones show the code).
pub fn situation(rule: &str, subject: &str, detail: &Value, names: &BTreeMap<String, String>) -> Situation {
    let s = |k: &str| detail.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let g = |k: &str| detail.get(k).and_then(Value::as_i64).unwrap_or(0);
    let name = |u: &str| names.get(u).cloned().unwrap_or_else(|| u.to_owned());
    let item = if is_item_code(subject) {
        Some(subject.to_owned())
    } else {
        detail
            .get("item")
            .and_then(Value::as_str)
            .filter(|i| is_item_code(i))
            .map(str::to_owned)
    };
    let manifest = detail.get("manifest").and_then(Value::as_str).map(str::to_owned);
    let it = item.clone().unwrap_or_default();
    let mf = manifest.clone().unwrap_or_default();
    let holder = name(&s("holder"));
    let (zh, en) = match Rule::parse(rule) {
        Ok(Rule::StorageOverYear) => (
            format!("物品{it}在{holder}贮存超过一年（自{}起）", cst(&s("since"))),
            format!(
                "Item {it} has been stored at {holder} for more than a year (since {})",
                cst(&s("since"))
            ),
        ),
        Ok(Rule::MedicalOver48h) => (
            format!(
                "医疗废物{it}产生于{}，超过48小时仍在{holder}，未处置",
                cst(&s("generated"))
            ),
            format!(
                "Medical waste {it}, generated {}, is still at {holder} after 48 hours",
                cst(&s("generated"))
            ),
        ),
        Ok(Rule::TransitTooLong) => (
            format!(
                "物品{it}（联单{mf}）自{}起在途，运输时间过长，承运单位{holder}",
                cst(&s("since"))
            ),
            format!(
                "Item {it} (manifest {mf}) has been on the road since {}, too long; carried by {holder}",
                cst(&s("since"))
            ),
        ),
        Ok(Rule::ReceiptOverdue) => (
            format!(
                "物品{it}（联单{mf}）已到达，应于{}前确认接收，已逾期",
                s("receiver_due")
            ),
            format!(
                "Item {it} (manifest {mf}) arrived; receipt was due by {} and is overdue",
                s("receiver_due")
            ),
        ),
        Ok(Rule::WeightDiscrepancy) => {
            let (expected, weighed) = (g("expected_g"), g("weighed_g"));
            let generator = name(&s("generator"));
            (
                format!(
                    "物品{it}申报{}，称重{}，相差{}；产生单位{generator}尚未说明",
                    kg(expected),
                    kg(weighed),
                    kg(weighed - expected)
                ),
                format!(
                    "Item {it} was declared {} and weighed {}, a difference of {}; its generator {generator} has not explained it",
                    kg(expected),
                    kg(weighed),
                    kg(weighed - expected)
                ),
            )
        }
        Ok(Rule::PermitScope) => {
            let actor = name(&s("actor"));
            (
                format!(
                    "{actor}提交的{}事件超出其许可范围，已被拒绝并记录（{subject}）：{}",
                    s("type"),
                    s("message")
                ),
                format!(
                    "A {} event by {actor} was outside its permit and refused ({subject}): {}",
                    s("type"),
                    s("message")
                ),
            )
        }
        Ok(Rule::CapacityExceeded) => {
            let mut parts = subject.splitn(3, '/');
            let (facility, method, period) = (
                name(parts.next().unwrap_or("")),
                parts.next().unwrap_or("").to_owned(),
                parts.next().unwrap_or("").to_owned(),
            );
            let (method_zh, method_en) = crate::domain::TreatmentMethod::parse(&method).map_or_else(
                |_| (method.clone(), method.clone()),
                |m| (m.named().name_zh.to_owned(), m.named().name_en.to_owned()),
            );
            let over = g("over_permille");
            let (treated, per_zh, per_en) = if s("per") == "day" {
                (g("treated_day_g"), "日", "daily")
            } else {
                (g("treated_ytd_g"), "年", "annual")
            };
            (
                format!(
                    "{facility}{period}{method_zh}处置{}，超过许可{per_zh}处置能力{}（超出{}.{}%）",
                    kg(treated),
                    kg(g("capacity_g")),
                    over / 10,
                    over % 10
                ),
                format!(
                    "{facility} treated {} by {method_en} in {period}, over its {per_en} licensed capacity of {} (by {}.{}%)",
                    kg(treated),
                    kg(g("capacity_g")),
                    over / 10,
                    over % 10
                ),
            )
        }
        Ok(Rule::PermitExpired) => (
            format!("{holder}的许可证{subject}已于{}到期，仍持有危险废物", s("valid_until")),
            format!(
                "{holder}'s permit {subject} expired on {} while it still holds hazardous waste",
                s("valid_until")
            ),
        ),
        Ok(Rule::KeyRevokedUse) => {
            let owner = name(&s("owner"));
            (
                format!("{owner}已吊销的设备{}的密钥被用于签名，提交已被拒绝", s("device")),
                format!(
                    "The revoked key of {owner}'s device {} was used to sign; the submission was refused",
                    s("device")
                ),
            )
        }
        Ok(Rule::LogIntegrity) => (
            format!(
                "日志自审计发现问题（{}，条目{}）：{}",
                s("check"),
                detail.get("index").unwrap_or(&Value::Null),
                s("message")
            ),
            format!(
                "The log's self-audit found a problem ({}, entry {}): {}",
                s("check"),
                detail.get("index").unwrap_or(&Value::Null),
                s("message")
            ),
        ),
        Err(_) => (format!("{rule}：{subject}"), format!("{rule}: {subject}")),
    };
    let enterprises = parties_named(subject, detail)
        .into_iter()
        .map(|u| AlertParty {
            name_zh: name(&u),
            uscc: u,
        })
        .collect();
    Situation {
        item,
        manifest,
        enterprises,
        words_zh: zh,
        words_en: en,
    }
}

/// The alerts as CSV (UTF-8 with a BOM, for spreadsheet programs; a Chinese and an English
/// header row): one row per alert with its situation in words.
pub fn alerts_csv(alerts: &[super::alerts::Alert]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
    w.write_record([
        "编号",
        "规则",
        "状态",
        "开始（北京时间）",
        "已持续天数",
        "区县",
        "物品",
        "联单",
        "涉及企业",
        "情况",
        "情况（英文）",
        "确认说明",
        "确认日志条目",
        "解除（北京时间）",
    ])?;
    w.write_record([
        "id",
        "rule",
        "state",
        "started (CST)",
        "age (days)",
        "district",
        "item",
        "manifest",
        "enterprises",
        "situation (zh)",
        "situation",
        "acknowledgement note",
        "acknowledgement entry",
        "resolved (CST)",
    ])?;
    for a in alerts {
        let parties: Vec<String> = a
            .situation
            .enterprises
            .iter()
            .map(|p| format!("{} {}", p.uscc, p.name_zh))
            .collect();
        let record = [
            a.id.to_string(),
            a.rule_zh.clone(),
            a.state.clone(),
            cst(&a.started_at),
            a.age_days.to_string(),
            a.district.clone().unwrap_or_default(),
            a.situation.item.clone().unwrap_or_default(),
            a.situation.manifest.clone().unwrap_or_default(),
            parties.join("; "),
            a.situation.words_zh.clone(),
            a.situation.words_en.clone(),
            a.ack_note.clone().unwrap_or_default(),
            a.acked_seq.map(|s| s.to_string()).unwrap_or_default(),
            a.resolved_at.as_deref().map(cst).unwrap_or_default(),
        ];
        w.write_record(record.iter().map(|c| crate::render::csv::cell(c).into_owned()))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHOP: &str = "91500110MA6HRG0018";
    const ITEM: &str = "91500110MA6HRG00189002490820261208001";

    #[test]
    fn kilograms_from_grams() {
        assert_eq!(kg(80_000), "80 kg");
        assert_eq!(kg(500), "0.5 kg");
        assert_eq!(kg(1_234), "1.234 kg");
        assert_eq!(kg(-20_000), "-20 kg");
    }

    #[test]
    fn a_discrepancy_is_told_with_the_item_the_masses_and_the_generator() {
        let names = BTreeMap::from([(SHOP.to_owned(), "万盛修理厂".to_owned())]);
        let s = situation(
            "weight_discrepancy",
            ITEM,
            &json!({"expected_g": 100_000, "weighed_g": 80_000, "generator": SHOP}),
            &names,
        );
        assert_eq!(s.item.as_deref(), Some(ITEM));
        assert_eq!(
            s.enterprises,
            vec![AlertParty {
                uscc: SHOP.into(),
                name_zh: "万盛修理厂".into()
            }]
        );
        assert!(
            s.words_zh.contains("申报100 kg，称重80 kg，相差-20 kg"),
            "{}",
            s.words_zh
        );
        assert!(s.words_zh.contains("万盛修理厂"), "{}", s.words_zh);
        assert!(
            s.words_en.contains("declared 100 kg and weighed 80 kg"),
            "{}",
            s.words_en
        );
    }

    #[test]
    fn a_capacity_alert_names_the_facility_and_the_method_in_words() {
        let s = situation(
            "capacity_exceeded",
            &format!("{SHOP}/incineration/2026"),
            &json!({"per": "year", "capacity_g": 1_000_000, "treated_ytd_g": 1_200_000, "over_permille": 200}),
            &BTreeMap::new(),
        );
        assert_eq!(s.item, None);
        assert_eq!(s.enterprises.len(), 1);
        assert!(
            s.words_zh
                .contains("焚烧处置1200 kg，超过许可年处置能力1000 kg（超出20.0%）"),
            "{}",
            s.words_zh
        );
        assert!(!s.words_zh.contains("incineration"), "{}", s.words_zh);
    }

    #[test]
    fn times_are_shown_in_china_standard_time() {
        assert_eq!(cst("2026-12-01T16:30:00Z"), "2026-12-02 00:30");
        assert_eq!(cst("not a time"), "not a time");
    }
}
