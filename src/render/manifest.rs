//! The transfer manifest (危险废物转移联单) as a printable A4 page: the parties (移出人, 接受人
//! with its permit and licensed methods) with their codes, addresses and contacts; one box per
//! carrier leg (承运人, in carrying order) with its vehicle, road transport certificate, driver,
//! and where and when it took the load over; the route, dates and approval; the items with
//! their masses, the receiver's decision and treatment method under this manifest; the
//! emergency measures; the list's exemptions for the codes; and the custody events with their
//! China Standard Time, who signed them and the log index an auditor can check each against.
//! Chinese first, English beside. Pure: the caller formats every value.

use std::fmt::Write as _;

use super::escape_html;

/// One party to the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyView {
    /// 移出人, 承运人（第一）, 接受人...
    pub role_zh: String,
    pub role_en: String,
    pub uscc: String,
    pub name_zh: String,
    pub name_en: String,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// Further lines: (Chinese label, English label, value), e.g. the receiver's permit.
    pub extra: Vec<(String, String, String)>,
}

/// One item on the manifest, with the values it had under this manifest (not its state now).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemLine {
    pub code: String,
    pub waste_code: String,
    pub waste_name: String,
    pub category: String,
    pub form: String,
    pub hazards: String,
    pub packaging: String,
    /// Masses as text (kg): as booked on the manifest, as weighed, accepted and refused at its
    /// reception.
    pub declared: String,
    pub weighed: String,
    pub accepted: String,
    pub refused: String,
    /// The receiver's decision (接受意见), Chinese, with its reason when refused.
    pub decision: String,
    /// The receiver's treatment or utilisation method (利用/处置方式), Chinese.
    pub method: String,
    /// Where it stood when its transfer under this manifest ended (or stands, while it goes on).
    pub state: String,
}

/// One carrier's leg (承运人; 联运 legs in carrying order, 转移管理办法 art. 11, 17).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leg {
    pub carrier: PartyView,
    pub vehicle_plate: String,
    /// The vehicle type's Chinese name.
    pub vehicle_type: String,
    /// 道路运输证号 of the vehicle.
    pub road_transport_cert: String,
    pub driver_name: String,
    pub driver_licence: String,
    pub driver_phone: String,
    /// Where the leg starts (the pick-up or hand-over place) and ends.
    pub from_place: String,
    pub to_place: String,
    /// When the carrier took the items over (CST), and where.
    pub handover_cst: String,
    pub handover_place: String,
}

/// An exemption of the national list (豁免管理清单) for a waste code on the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExemptionLine {
    pub waste_code: String,
    pub stage_zh: String,
    pub stage_en: String,
    pub exemption: String,
    pub condition: String,
}

/// One log entry concerning the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventLine {
    pub seq: u64,
    pub kind_zh: String,
    pub kind_en: String,
    /// Logged time, CST.
    pub logged_cst: String,
    /// The signing device's own time, CST.
    pub device_cst: String,
    pub signer_name: String,
    /// `USCC/device`.
    pub signer: String,
    /// Key IDs of the envelope's signatures.
    pub key_ids: String,
    /// The manifest's items the entry concerns (item codes; shown by their numbers on the
    /// manifest).
    pub items: Vec<String>,
    /// Masses, decisions and reasons, as text.
    pub detail: String,
}

/// Everything the page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestPrint {
    pub number: String,
    pub cancelled: bool,
    /// A return manifest (the generator takes refused items back).
    pub is_return: bool,
    pub issuer: PartyView,
    pub receiver: PartyView,
    /// One per transporter, in carrying order.
    pub legs: Vec<Leg>,
    /// 运输起点 and 运输终点.
    pub route_start: String,
    pub route_end: String,
    pub planned_date: String,
    pub approval: String,
    /// CST times: opened, first taken over, arrived at the receiver, receipt decided ("" when
    /// not yet).
    pub opened_cst: String,
    pub departed_cst: String,
    pub arrived_cst: String,
    pub received_cst: String,
    /// 应急措施: as declared on `manifest_open`, or derived from the items' hazards.
    pub emergency_measures: String,
    pub emergency_declared: bool,
    /// The treatment methods the receiver's permit licenses (Chinese), "" if none.
    pub receiver_methods: String,
    /// Log index of the `manifest_open` entry.
    pub created_seq: u64,
    /// The day by which receipt is to be confirmed, if items wait at the gate.
    pub receipt_due: String,
    pub items: Vec<ItemLine>,
    pub total_declared: String,
    pub total_accepted: String,
    pub exemptions: Vec<ExemptionLine>,
    pub events: Vec<EventLine>,
    /// When the page was made, CST.
    pub printed_cst: String,
    /// The log's origin (checkpoint name), for the auditor's note.
    pub log_origin: String,
}

const STYLE: &str = "@page{size:A4;margin:12mm}\
*{box-sizing:border-box}\
body{font-family:'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif;\
font-size:9.5pt;color:#000;margin:0 auto;max-width:186mm}\
h1{font-size:16pt;text-align:center;margin:0 0 1mm}\
.sub{text-align:center;color:#444;margin:0 0 3mm}\
.no{font-family:monospace;font-size:12pt;font-weight:bold}\
.en{color:#555;font-size:.85em;font-weight:normal}\
h2{font-size:11pt;margin:4mm 0 1.5mm;border-bottom:1.5pt solid #000;padding-bottom:.5mm}\
table{border-collapse:collapse;width:100%;margin:0 0 2mm;page-break-inside:auto}\
table.fixed{table-layout:fixed;font-size:8.5pt}\
table.fixed th{white-space:normal}\
col.w6{width:6mm}col.w11{width:11mm}col.w13{width:13mm}col.w14{width:14mm}col.w15{width:15mm}col.w16{width:16mm}col.w21{width:21mm}col.w22{width:22mm}col.w29{width:29mm}col.w30{width:30mm}col.w46{width:46mm}\
tr{page-break-inside:avoid}\
th,td{border:.6pt solid #444;padding:1mm 1.5mm;vertical-align:top;text-align:left}\
th{background:#eee;font-weight:bold;white-space:nowrap}\
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
.code{font-family:monospace;font-size:8.5pt;word-break:break-all}\
.parties{display:grid;grid-template-columns:1fr 1fr;gap:2mm}\
.party table th{width:34mm}\
.void{position:fixed;top:40%;left:0;right:0;text-align:center;font-size:60pt;color:rgba(200,0,0,.25);\
transform:rotate(-20deg);pointer-events:none}\
.foot{margin-top:4mm;font-size:8pt;color:#333;border-top:.6pt solid #444;padding-top:1.5mm}\
@media screen{body{margin:8mm auto;padding:0 4mm}}\
@media print{.noprint{display:none}}";

/// A `YYYY-MM-DD HH:MM:SS` time on two lines, date above time.
fn time_cell(t: &str) -> String {
    escape_html(t).replacen(' ', "<br>", 1)
}

fn row(h: &mut String, zh: &str, en: &str, value: &str, class: &str) {
    let _ = write!(
        h,
        "<tr><th>{} <span class=\"en\">{}</span></th><td class=\"{class}\">{}</td></tr>",
        escape_html(zh),
        escape_html(en),
        escape_html(value)
    );
}

fn party(h: &mut String, p: &PartyView) {
    let _ = write!(
        h,
        "<div class=\"party\"><h2>{} <span class=\"en\">{}</span></h2><table>",
        escape_html(&p.role_zh),
        escape_html(&p.role_en)
    );
    let name = if p.name_en.is_empty() {
        p.name_zh.clone()
    } else {
        format!("{} / {}", p.name_zh, p.name_en)
    };
    row(h, "单位名称", "Name", &name, "");
    row(h, "统一社会信用代码", "USCC", &p.uscc, "code");
    row(h, "地址", "Address", &p.address, "");
    row(h, "联系人", "Contact", &p.contact_name, "");
    row(h, "联系电话", "Phone", &p.contact_phone, "");
    for (zh, en, v) in &p.extra {
        row(h, zh, en, v, "");
    }
    h.push_str("</table></div>");
}

fn leg(h: &mut String, l: &Leg) {
    let mut p = l.carrier.clone();
    let vehicle = if l.vehicle_type.is_empty() {
        l.vehicle_plate.clone()
    } else {
        format!("{}（{}）", l.vehicle_plate, l.vehicle_type)
    };
    let dash = |v: &str| if v.is_empty() { "—".to_owned() } else { v.to_owned() };
    for (zh, en, v) in [
        ("车牌号（车辆类型）", "Vehicle plate (type)", dash(&vehicle)),
        (
            "道路运输证号",
            "Road transport certificate",
            dash(&l.road_transport_cert),
        ),
        ("驾驶员", "Driver", dash(&l.driver_name)),
        ("驾驶员从业资格证号", "Driver licence", dash(&l.driver_licence)),
        ("驾驶员电话", "Driver phone", dash(&l.driver_phone)),
        ("本段起点", "Leg starts at", dash(&l.from_place)),
        ("本段终点", "Leg ends at", dash(&l.to_place)),
        ("交接时间（北京时间）", "Taken over at (CST)", dash(&l.handover_cst)),
        ("交接地点", "Hand-over place", dash(&l.handover_place)),
    ] {
        p.extra.push((zh.to_owned(), en.to_owned(), v));
    }
    party(h, &p);
}

/// The manifest page, a complete HTML document.
pub fn manifest_page(m: &ManifestPrint) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>危险废物转移联单 {}</title><style>{STYLE}</style></head><body>",
        escape_html(&m.number)
    );
    if m.cancelled {
        h.push_str("<div class=\"void\">已作废 CANCELLED</div>");
    }
    let _ = write!(
        h,
        "<h1>危险废物转移联单 <span class=\"en\">Hazardous-waste transfer manifest</span></h1>\
         <p class=\"sub\">联单编号 <span class=\"en\">No.</span> <span class=\"no\">{}</span>　状态 \
         <span class=\"en\">state</span>：{}{}</p>",
        escape_html(&m.number),
        if m.cancelled {
            "已作废 <span class=\"en\">cancelled</span>"
        } else {
            "有效 <span class=\"en\">open</span>"
        },
        if m.is_return {
            "　退回联单 <span class=\"en\">return of refused waste</span>"
        } else {
            ""
        }
    );
    h.push_str("<div class=\"parties\">");
    party(&mut h, &m.issuer);
    let mut receiver = m.receiver.clone();
    if !m.receiver_methods.is_empty() {
        receiver.extra.push((
            "许可利用/处置方式".into(),
            "Licensed methods".into(),
            m.receiver_methods.clone(),
        ));
    }
    party(&mut h, &receiver);
    h.push_str("</div><div class=\"parties\">");
    for l in &m.legs {
        leg(&mut h, l);
    }
    h.push_str("</div>");

    h.push_str("<h2>运输信息 <span class=\"en\">Transport</span></h2><table>");
    row(&mut h, "运输起点", "Route start", &m.route_start, "");
    row(&mut h, "运输终点", "Route end", &m.route_end, "");
    row(&mut h, "计划转移日期", "Planned date", &m.planned_date, "");
    row(&mut h, "联单开立时间", "Opened at (CST)", &m.opened_cst, "");
    let or_dash = |v: &str| if v.is_empty() { "—".to_owned() } else { v.to_owned() };
    row(&mut h, "起运时间", "Taken over at (CST)", &or_dash(&m.departed_cst), "");
    row(&mut h, "运抵时间", "Arrived at (CST)", &or_dash(&m.arrived_cst), "");
    row(
        &mut h,
        "接收确认时间",
        "Receipt decided at (CST)",
        &or_dash(&m.received_cst),
        "",
    );
    let approval = if m.approval.is_empty() {
        "—（省内转移 within the province）"
    } else {
        &m.approval
    };
    row(&mut h, "跨省转移批准文号", "Cross-province approval", approval, "");
    if !m.receipt_due.is_empty() {
        row(&mut h, "接收确认期限", "Receipt due by", &m.receipt_due, "");
    }
    h.push_str("</table>");

    h.push_str(
        "<h2>危险废物 <span class=\"en\">Waste</span></h2><table class=\"fixed\"><colgroup><col class=\"w6\">\
         <col class=\"w29\"><col class=\"w30\"><col class=\"w15\"><col class=\"w14\">\
         <col class=\"w13\"><col class=\"w13\"><col class=\"w13\"><col class=\"w13\">\
         <col class=\"w15\"><col class=\"w14\"><col class=\"w11\"></colgroup><tr>\
         <th>序号<br><span class=\"en\">No.</span></th><th>容器编码<br><span class=\"en\">container code</span></th>\
         <th>废物代码 / 名称<br><span class=\"en\">code / name</span></th>\
         <th>形态 / 危险特性<br><span class=\"en\">form / hazards</span></th>\
         <th>包装 / 数量<br><span class=\"en\">packaging / count</span></th>\
         <th>交运量 kg<br><span class=\"en\">shipped</span></th><th>过磅量 kg<br><span class=\"en\">weighed</span></th>\
         <th>接收量 kg<br><span class=\"en\">accepted</span></th><th>拒收量 kg<br><span class=\"en\">refused</span></th>\
         <th>接受意见<br><span class=\"en\">decision</span></th>\
         <th>利用/处置方式<br><span class=\"en\">method</span></th>\
         <th>状态<br><span class=\"en\">state</span></th></tr>",
    );
    for (i, it) in m.items.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td class=\"num\">{}</td><td class=\"code\">{}</td><td>{} {}<br>{}</td><td>{}<br>{}</td>\
             <td>{}<br>1 件</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            escape_html(&it.code),
            escape_html(&it.waste_code),
            escape_html(&it.category),
            escape_html(&it.waste_name),
            escape_html(&it.form),
            escape_html(&it.hazards),
            escape_html(&it.packaging),
            escape_html(&it.declared),
            escape_html(&it.weighed),
            escape_html(&it.accepted),
            escape_html(&it.refused),
            escape_html(&it.decision),
            escape_html(&it.method),
            escape_html(&it.state)
        );
    }
    let _ = write!(
        h,
        "<tr><th colspan=\"5\">合计 <span class=\"en\">total</span>（{} 件 <span class=\"en\">items</span>）</th>\
         <td class=\"num\">{}</td><td></td><td class=\"num\">{}</td><td></td><td></td><td></td><td></td></tr></table>",
        m.items.len(),
        escape_html(&m.total_declared),
        escape_html(&m.total_accepted)
    );

    let _ = write!(
        h,
        "<h2>突发环境事件防范和应急措施 <span class=\"en\">Emergency measures</span></h2><p class=\"measures\">{}</p>",
        escape_html(&m.emergency_measures)
    );
    if !m.emergency_declared {
        h.push_str(
            "<p class=\"en\">Derived from the hazard characteristics of the waste: the consignor declared none.</p>",
        );
    }
    if !m.exemptions.is_empty() {
        h.push_str(
            "<h2>豁免管理 <span class=\"en\">Exemptions of the national list</span></h2>\
             <p class=\"en\">Stages at which the national list exempts these codes, when its condition is met \
             (国家危险废物名录附录《危险废物豁免管理清单》).</p><table><tr><th>废物代码 <span class=\"en\">code</span>\
             </th><th>豁免环节 <span class=\"en\">stage</span></th><th>豁免内容 <span class=\"en\">what is exempt</span>\
             </th><th>豁免条件 <span class=\"en\">condition</span></th></tr>",
        );
        for x in &m.exemptions {
            let _ = write!(
                h,
                "<tr><td class=\"code\">{}</td><td>{} <span class=\"en\">{}</span></td><td>{}</td><td>{}</td></tr>",
                escape_html(&x.waste_code),
                escape_html(&x.stage_zh),
                escape_html(&x.stage_en),
                escape_html(&x.exemption),
                escape_html(&x.condition)
            );
        }
        h.push_str("</table>");
    }

    h.push_str(
        "<h2>交接记录 <span class=\"en\">Custody events</span></h2><table class=\"fixed\"><colgroup>\
         <col class=\"w13\"><col class=\"w21\"><col class=\"w22\"><col class=\"w22\">\
         <col class=\"w46\"><col class=\"w16\"><col></colgroup><tr>\
         <th>日志序号<br><span class=\"en\">log index</span></th><th>环节<br><span class=\"en\">event</span></th>\
         <th>记录时间（北京时间）<br><span class=\"en\">logged (CST)</span></th>\
         <th>设备时间<br><span class=\"en\">device time</span></th><th>签名单位 / 设备<br><span class=\"en\">signed by</span></th>\
         <th>物品序号<br><span class=\"en\">items</span></th><th>说明<br><span class=\"en\">detail</span></th></tr>",
    );
    for e in &m.events {
        let items: Vec<String> = e
            .items
            .iter()
            .map(|c| match m.items.iter().position(|i| &i.code == c) {
                Some(at) => (at + 1).to_string(),
                None => escape_html(c),
            })
            .collect();
        let _ = write!(
            h,
            "<tr><td class=\"num\">{}</td><td>{} <span class=\"en\">{}</span></td><td>{}</td>\
             <td>{}</td><td>{}<br><span class=\"code\">{}</span><br><span class=\"en\">key {}</span></td>\
             <td>{}</td><td>{}</td></tr>",
            e.seq,
            escape_html(&e.kind_zh),
            escape_html(&e.kind_en),
            time_cell(&e.logged_cst),
            time_cell(&e.device_cst),
            escape_html(&e.signer_name),
            escape_html(&e.signer),
            escape_html(&e.key_ids),
            items.join("、"),
            escape_html(&e.detail)
        );
    }
    h.push_str("</table>");
    let _ = write!(
        h,
        "<p class=\"foot\">本联单由托管日志生成，开立于日志序号 {}；每一交接记录可按日志序号用 <code>hwtrace audit</code> \
         及日志 {} 的检查点核验。<br><span class=\"en\">Made from the custody log; opened at log index {}. Each event \
         can be checked by its log index with <code>hwtrace audit</code> against the checkpoints of log {}.</span>\
         <br>打印时间 <span class=\"en\">printed</span>：{}（北京时间 CST）</p></body></html>",
        m.created_seq,
        escape_html(&m.log_origin),
        m.created_seq,
        escape_html(&m.log_origin),
        escape_html(&m.printed_cst)
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped_and_a_cancelled_manifest_says_so() {
        let m = ManifestPrint {
            number: "20265001000001".into(),
            cancelled: true,
            issuer: PartyView {
                role_zh: "移出人".into(),
                name_zh: "<script>x</script>".into(),
                ..Default::default()
            },
            items: vec![ItemLine {
                code: "A&B".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let page = manifest_page(&m);
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("A&amp;B"));
        assert!(page.contains("已作废"));
        assert!(page.contains("size:A4"));
    }
}
