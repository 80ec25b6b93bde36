//! Default texts derived from the hazard characteristics (T, C, I, R, In), for what a generator
//! or consignor did not declare: the label's 有害成分 and 注意事项 (HJ 1276-2022) and the
//! manifest's emergency measures (应急措施, 转移管理办法 art. 10(4)). Written for hwtrace; a
//! declared text always takes precedence, and a default says that it is one.
//!
//! Pure: hazard letters in, Chinese text out.

/// The kinds of harmful substances a hazard letter implies (for 有害成分).
fn substance(letter: &str) -> Option<&'static str> {
    Some(match letter {
        "T" => "有毒物质",
        "C" => "腐蚀性物质",
        "I" => "易燃物质",
        "R" => "反应性物质",
        "In" => "感染性病原体",
        _ => return None,
    })
}

/// Handling precautions for a hazard letter (for 注意事项).
fn precaution(letter: &str) -> Option<&'static str> {
    Some(match letter {
        "T" => "避免接触皮肤和吸入",
        "C" => "佩戴耐腐蚀手套和护目镜",
        "I" => "远离火源热源，严禁烟火",
        "R" => "不与水、酸、氧化剂等禁忌物混放，防撞击",
        "In" => "防止容器破损，接触后消毒",
        _ => return None,
    })
}

/// What to do when the load spills or catches fire, for a hazard letter (for 应急措施).
fn emergency(letter: &str) -> Option<&'static str> {
    Some(match letter {
        "T" => "毒性：人员佩戴防毒口罩和防护手套，防止吸入和皮肤接触，用吸附材料收集泄漏物",
        "C" => "腐蚀性：用砂土或惰性材料围堵吸收，不得冲入水体，沾及皮肤立即用大量清水冲洗并就医",
        "I" => "易燃性：切断火源，使用干粉、泡沫或砂土灭火，防止流入下水道",
        "R" => "反应性：隔离现场，不得用水直接冲洗，远离禁忌物，由专业人员处置",
        "In" => "感染性：封闭污染区域，对泄漏物和污染区域消毒，人员穿戴防护服、口罩和手套",
        _ => return None,
    })
}

/// The suffix that marks a text as derived, not declared.
pub const DERIVED_MARK: &str = "（据危险特性）";

/// 有害成分 by default: the kinds of substance the hazards imply, marked as derived; "" when no
/// hazard letter is known.
pub fn harmful_default(letters: &[impl AsRef<str>]) -> String {
    let parts: Vec<&str> = letters.iter().filter_map(|l| substance(l.as_ref())).collect();
    if parts.is_empty() {
        return String::new();
    }
    format!("{}{DERIVED_MARK}", parts.join("、"))
}

/// 注意事项 by default: sealed, leak-proof storage, then each hazard's precaution, marked as
/// derived.
pub fn precautions_default(letters: &[impl AsRef<str>]) -> String {
    let mut parts = vec!["密闭贮存，防渗防漏"];
    parts.extend(letters.iter().filter_map(|l| precaution(l.as_ref())));
    format!("{}{DERIVED_MARK}", parts.join("；"))
}

/// 应急措施 by default: each hazard's measures, then what every incident needs (stop, cordon
/// off, report, start the emergency plan), marked as derived.
pub fn emergency_default(letters: &[impl AsRef<str>]) -> String {
    let mut parts: Vec<&str> = letters.iter().filter_map(|l| emergency(l.as_ref())).collect();
    parts.push(
        "发生泄漏、火灾等事故时立即停车并设置警戒区，启动应急预案，报告事发地生态环境部门（12369）\
         及公安、消防（110、119），并告知移出人和接受人",
    );
    format!("{}{DERIVED_MARK}", parts.join("；"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_name_every_known_hazard_and_say_they_are_derived() {
        let all = ["T", "C", "I", "R", "In"];
        let harmful = harmful_default(&all);
        for s in ["有毒物质", "腐蚀性物质", "易燃物质", "反应性物质", "感染性病原体"] {
            assert!(harmful.contains(s), "{harmful}");
        }
        assert!(harmful.ends_with(DERIVED_MARK));
        assert!(precautions_default(&["I"]).contains("严禁烟火"));
        assert!(precautions_default(&["In"]).contains("消毒"));
        let em = emergency_default(&["T", "C"]);
        assert!(
            em.starts_with("毒性：") && em.contains("腐蚀性：") && em.contains("12369"),
            "{em}"
        );
        assert!(!em.contains("易燃性："));
        assert_eq!(harmful_default(&["X"]), "");
        assert!(precautions_default(&[] as &[&str]).starts_with("密闭贮存"));
    }
}
