//! The demo's district: about a hundred synthetic generators in the industries the plan names
//! (coal power, coal mines, fine chemicals, glass and building materials, auto repair and
//! painting, electronics and metal finishing, hospitals and clinics, laboratories, small
//! enterprises with lead-acid batteries and waste oil), three collection points, five
//! transporters with their vehicles and drivers, the plan's three facilities (seeded) and two
//! synthetic ones. Every record made up here says so: names start with （演示）, enterprises are
//! registered `synthetic`, USCCs are invented (with valid check characters). Each party signs
//! with a device key derived from the demo's seed.

use serde::Deserialize;
use serde_json::Value;

use super::rng::Rng;
use crate::client::Device;
use crate::domain::uscc::check_char;
use crate::domain::{CapacityPer, PermitKind};
use crate::service::registry::{Capacity, NewDriver, NewEnterprise, NewPermit, NewVehicle};

/// Where a stream's waste goes, and how it is treated there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dest {
    /// Yunan, incineration.
    Incinerate,
    /// Yunan, physico-chemical treatment.
    PhysChem,
    /// Yunan, stabilisation/solidification, then landfill.
    Stabilise,
    /// Nantong, cement-kiln co-processing.
    Kiln,
    /// Fengyan, high-temperature steam (medical waste).
    Steam,
    /// The district's collection point (small lots of waste oil and batteries).
    Collect,
    /// The waste-oil utilisation plant while its permit lasts, then the cement kiln.
    OilUtil,
    /// The secondary-lead smelter (consolidated batteries).
    Lead,
}

/// One kind of container a generator fills.
pub struct StreamSpec {
    pub waste: &'static str,
    pub name: &'static str,
    pub components: &'static str,
    pub form: &'static str,
    pub hazards: &'static [&'static str],
    pub packaging: &'static str,
    pub volume_l: u32,
    pub item_kg: f64,
    /// Tonnes a year for a generator of size 1.
    pub t_per_year: f64,
    pub dest: Dest,
    /// Filled only in these months (a maintenance outage), else all year.
    pub months: Option<(u32, u32)>,
}

impl StreamSpec {
    pub fn tanker(&self) -> bool {
        self.volume_l >= 5000
    }
}

/// An industry of the district and how many of its enterprises the demo invents.
pub struct Industry {
    /// The letter in the invented USCCs.
    pub tag: char,
    pub word_zh: &'static str,
    pub word_en: &'static str,
    pub count: usize,
    pub districts: &'static [&'static str],
    /// Sizes, cycled over the enterprises (1 = the streams' tonnages).
    pub sizes: &'static [f64],
    pub streams: &'static [StreamSpec],
    /// A public institution (USCC 12…) rather than a company (91…).
    pub public: bool,
    /// Medical waste: filled every day, collected every `pickup_days` days, on any day.
    pub medical: bool,
    pub pickup_days: i64,
    /// A shipment goes when this much is stored (kg), or when the oldest item is `max_days` old.
    pub ship_kg: f64,
    pub max_days: i64,
    /// demo.json's enterprise of this industry, if any: it is the first one, with its record.
    pub demo_uscc: Option<&'static str>,
}

const T: &[&str] = &["T"];
const TI: &[&str] = &["T", "I"];
const TC: &[&str] = &["T", "C"];
const CT: &[&str] = &["C", "T"];
const IN: &[&str] = &["In"];
const TCI: &[&str] = &["T", "C", "I"];

#[allow(clippy::too_many_arguments)]
pub const fn s(
    waste: &'static str,
    name: &'static str,
    components: &'static str,
    form: &'static str,
    hazards: &'static [&'static str],
    packaging: &'static str,
    volume_l: u32,
    item_kg: f64,
    t_per_year: f64,
    dest: Dest,
) -> StreamSpec {
    StreamSpec {
        waste,
        name,
        components,
        form,
        hazards,
        packaging,
        volume_l,
        item_kg,
        t_per_year,
        dest,
        months: None,
    }
}

const fn outage(mut spec: StreamSpec, from: u32, to: u32) -> StreamSpec {
    spec.months = Some((from, to));
    spec
}

use Dest::*;

const IBC: &str = "1吨IBC吨桶";
const BAG: &str = "吨袋";
const DRUM: &str = "200L钢桶";
const TANK: &str = "罐车罐体（散装）";

/// The district's industries. Tonnages are a year's for a generator of size 1; the sizes
/// vary them, and `--scale` all of them.
#[rustfmt::skip]
pub const INDUSTRIES: &[Industry] = &[
    Industry {
        tag: 'P', word_zh: "煤电有限公司", word_en: "coal power", count: 1,
        districts: &["wansheng"], sizes: &[1.0],
        streams: &[
            outage(s("772-007-50", "废脱硝催化剂（钒钛系）", "钒钛系SCR催化剂模块", "solid", T, "催化剂模块钢框", 3000, 950.0, 160.0, Kiln), 4, 5),
            s("900-220-08", "废变压器油", "矿物绝缘油", "liquid", TI, IBC, 1000, 850.0, 25.0, OilUtil),
            s("900-217-08", "废齿轮油", "工业齿轮油", "liquid", TI, IBC, 1000, 850.0, 30.0, OilUtil),
            s("900-041-49", "含油废弃包装物及抹布", "沾染矿物油的包装物、手套、抹布", "solid", T, BAG, 1000, 300.0, 20.0, Incinerate),
        ],
        public: false, medical: false, pickup_days: 0, ship_kg: 8000.0, max_days: 60, demo_uscc: None,
    },
    Industry {
        tag: 'M', word_zh: "煤矿有限责任公司", word_en: "coal mine", count: 3,
        districts: &["wansheng", "nanchuan", "qijiang"], sizes: &[1.0, 0.7, 0.8],
        streams: &[
            s("900-218-08", "废液压油", "液压支架用矿物液压油", "liquid", TI, IBC, 1000, 850.0, 40.0, OilUtil),
            s("900-249-08", "含油废物", "沾染矿物油的废弃包装物、滤芯", "solid", TI, BAG, 1000, 500.0, 20.0, Kiln),
        ],
        public: false, medical: false, pickup_days: 0, ship_kg: 8000.0, max_days: 60, demo_uscc: None,
    },
    Industry {
        tag: 'C', word_zh: "精细化工有限公司", word_en: "fine chemicals", count: 8,
        districts: &["wansheng", "wansheng", "qijiang", "wansheng", "nanchuan", "wansheng", "qijiang", "wansheng"],
        sizes: &[1.2, 1.0, 0.8, 1.4, 0.6, 1.0, 0.9, 1.1],
        streams: &[
            s("900-013-11", "精馏残渣", "有机合成精馏釜残", "semi_solid", T, IBC, 1000, 950.0, 500.0, Incinerate),
            s("900-013-11", "精馏残液", "高沸点有机残液", "liquid", TI, TANK, 20000, 18000.0, 1000.0, Incinerate),
            s("900-013-11", "蒸馏残渣（协同处置）", "含盐有机残渣", "semi_solid", T, TANK, 20000, 19000.0, 3500.0, Kiln),
            s("900-402-06", "废有机溶剂", "甲苯、二甲苯、乙酸乙酯等", "liquid", TI, TANK, 20000, 16000.0, 250.0, Incinerate),
            s("900-048-50", "废液体催化剂", "失活液体催化剂", "liquid", T, IBC, 1000, 900.0, 30.0, Incinerate),
            s("900-041-49", "废包装桶及包装袋", "压扁打包的沾染化学品包装物", "solid", T, "打包件（吨袋）", 1000, 500.0, 120.0, Incinerate),
            s("900-039-49", "废活性炭", "VOCs治理废活性炭", "solid", T, "吨袋（2立方米）", 2000, 1000.0, 250.0, Kiln),
        ],
        public: false, medical: false, pickup_days: 0, ship_kg: 12000.0, max_days: 30,
        demo_uscc: Some("91500110MA6QXY1201"),
    },
    Industry {
        tag: 'G', word_zh: "玻璃建材有限公司", word_en: "glass and building materials", count: 8,
        districts: &["qijiang", "wansheng", "wansheng", "nanchuan", "qijiang", "wansheng", "nanchuan", "wansheng"],
        sizes: &[1.0, 1.3, 0.8, 0.6, 0.9, 1.0, 0.7, 1.2],
        streams: &[
            outage(s("772-007-50", "废脱硝催化剂", "窑炉烟气脱硝催化剂", "solid", T, "催化剂模块钢框", 3000, 900.0, 25.0, Kiln), 5, 6),
            s("900-249-08", "废矿物油", "设备润滑废油", "liquid", TI, IBC, 1000, 850.0, 15.0, OilUtil),
            s("900-041-49", "废弃包装物", "沾染油污及化学品的包装物", "solid", T, BAG, 1000, 300.0, 20.0, Incinerate),
        ],
        public: false, medical: false, pickup_days: 0, ship_kg: 8000.0, max_days: 60,
        demo_uscc: Some("91500222MA6GLA047R"),
    },
    Industry {
        tag: 'A', word_zh: "汽车维修服务有限公司", word_en: "auto repair", count: 25,
        districts: &["wansheng", "wansheng", "qijiang", "nanchuan", "wansheng"],
        sizes: &[1.5, 1.0, 0.8, 0.6, 1.2, 0.7, 1.0, 0.5],
        streams: &[
            s("900-214-08", "废机油", "废发动机油、制动油", "liquid", TI, DRUM, 200, 170.0, 3.0, Collect),
            s("900-252-12", "废油漆渣", "喷漆废漆渣、废稀释剂", "semi_solid", TI, DRUM, 200, 120.0, 1.5, Incinerate),
            s("900-041-49", "废机油滤芯及含油抹布", "沾染矿物油的滤芯、手套、抹布", "solid", T, BAG, 1000, 150.0, 1.0, Incinerate),
            s("900-052-31", "废铅蓄电池", "汽车启动用铅酸蓄电池", "solid", TC, "防渗漏周转箱", 120, 150.0, 1.2, Collect),
        ],
        public: false, medical: false, pickup_days: 0, ship_kg: 1000.0, max_days: 90,
        demo_uscc: Some("91500110MA5U8F4X2N"),
    },
    Industry {
        tag: 'T', word_zh: "汽车零部件涂装有限公司", word_en: "automotive parts painting", count: 5,
        districts: &["wansheng", "qijiang", "wansheng", "nanchuan", "wansheng"],
        sizes: &[1.0, 0.8, 1.2, 0.6, 0.9],
        streams: &[
            s("900-252-12", "废漆渣", "喷涂线漆渣", "semi_solid", TI, IBC, 1000, 800.0, 150.0, Kiln),
            s("900-404-06", "废清洗溶剂", "喷枪及管路清洗溶剂", "liquid", TI, IBC, 1000, 850.0, 40.0, Incinerate),
            s("900-041-49", "废过滤棉及包装物", "漆雾过滤棉、油漆桶", "solid", T, BAG, 1000, 250.0, 30.0, Incinerate),
        ],
        public: false, medical: false, pickup_days: 0, ship_kg: 8000.0, max_days: 45, demo_uscc: None,
    },
    Industry {
        tag: 'E', word_zh: "电子科技有限公司", word_en: "electronics and metal finishing", count: 10,
        districts: &["wansheng", "wansheng", "wansheng", "qijiang", "nanchuan"],
        sizes: &[1.2, 0.8, 1.0, 0.6, 1.4, 0.5, 1.0, 0.9, 0.7, 1.1],
        streams: &[
            s("336-064-17", "表面处理污泥", "酸洗、磷化废水处理污泥", "semi_solid", T, BAG, 1000, 1200.0, 450.0, Stabilise),
            s("900-300-34", "废酸", "酸洗废硫酸、盐酸", "liquid", CT, TANK, 12000, 12000.0, 200.0, PhysChem),
            s("398-004-22", "废蚀铜液", "线路板蚀刻废液", "liquid", T, TANK, 10000, 11000.0, 150.0, PhysChem),
            s("398-005-22", "含铜污泥", "铜氧化处理废水污泥", "semi_solid", T, BAG, 1000, 1200.0, 80.0, Stabilise),
            s("900-045-49", "废电路板", "报废线路板及边角料", "solid", T, BAG, 1000, 600.0, 20.0, Incinerate),
            s("900-451-13", "废树脂粉", "覆铜板破碎分选树脂粉", "solid", T, BAG, 1000, 700.0, 40.0, Incinerate),
        ],
        public: false, medical: false, pickup_days: 0, ship_kg: 10000.0, max_days: 30, demo_uscc: None,
    },
    Industry {
        tag: 'H', word_zh: "人民医院", word_en: "hospital", count: 3,
        districts: &["wansheng", "qijiang", "nanchuan"], sizes: &[1.0],
        streams: &[
            s("841-001-01", "感染性废物", "使用后的一次性医疗用品、敷料", "solid", IN, "医疗废物周转车（1100L）", 1100, 180.0, 185.0, Steam),
            s("841-002-01", "损伤性废物", "针头、刀片、玻璃安瓿（利器盒）", "solid", IN, "利器盒周转箱（240L）", 240, 60.0, 25.0, Steam),
        ],
        public: true, medical: true, pickup_days: 1, ship_kg: 3000.0, max_days: 1,
        demo_uscc: Some("12500110MB1HP0021D"),
    },
    Industry {
        tag: 'Q', word_zh: "中医医院", word_en: "county hospital", count: 5,
        districts: &["wansheng", "qijiang", "nanchuan", "wansheng", "qijiang"], sizes: &[0.35],
        streams: &[
            s("841-001-01", "感染性废物", "使用后的一次性医疗用品、敷料", "solid", IN, "医疗废物周转车（1100L）", 1100, 180.0, 185.0, Steam),
            s("841-002-01", "损伤性废物", "针头、刀片、玻璃安瓿（利器盒）", "solid", IN, "利器盒周转箱（240L）", 240, 60.0, 25.0, Steam),
        ],
        public: true, medical: true, pickup_days: 2, ship_kg: 3000.0, max_days: 2, demo_uscc: None,
    },
    Industry {
        tag: 'K', word_zh: "卫生院", word_en: "township health centre", count: 6,
        districts: &["wansheng", "qijiang", "nanchuan"], sizes: &[1.0, 0.8, 1.2],
        streams: &[
            s("841-001-01", "感染性废物", "使用后的一次性医疗用品", "solid", IN, "医疗废物周转箱（240L）", 240, 35.0, 15.0, Steam),
            s("841-002-01", "损伤性废物", "针头、输液器针头（利器盒）", "solid", IN, "利器盒周转箱（120L）", 120, 25.0, 3.0, Steam),
        ],
        public: true, medical: true, pickup_days: 2, ship_kg: 3000.0, max_days: 2, demo_uscc: None,
    },
    Industry {
        tag: 'L', word_zh: "检测技术有限公司", word_en: "testing laboratory", count: 6,
        districts: &["wansheng", "qijiang", "nanchuan"], sizes: &[1.0, 0.6, 0.8],
        streams: &[
            s("900-047-49", "实验室废物", "废弃化学试剂、实验废液及沾染物", "liquid", TCI, "200L塑料桶（实验室废液）", 200, 60.0, 12.0, Incinerate),
        ],
        public: false, medical: false, pickup_days: 0, ship_kg: 1500.0, max_days: 60, demo_uscc: None,
    },
    Industry {
        tag: 'B', word_zh: "物流有限公司", word_en: "small enterprise (fleet, base stations, workshop)", count: 22,
        districts: &["wansheng", "qijiang", "nanchuan", "wansheng"], sizes: &[1.0, 0.6, 1.4, 0.8],
        streams: &[
            s("900-052-31", "废铅蓄电池", "车辆及通信基站铅酸蓄电池", "solid", TC, "防渗漏周转箱", 120, 150.0, 1.5, Collect),
            s("900-249-08", "废矿物油", "设备及车辆废润滑油", "liquid", TI, DRUM, 200, 170.0, 1.0, Collect),
        ],
        public: false, medical: false, pickup_days: 0, ship_kg: 600.0, max_days: 60, demo_uscc: None,
    },
];

/// What a collection point packs its lots into.
pub const POINT_OUTPUTS: &[StreamSpec] = &[
    s(
        "900-052-31",
        "废铅蓄电池（集中收集）",
        "铅酸蓄电池",
        "solid",
        TC,
        "防渗漏吨箱",
        1000,
        1000.0,
        0.0,
        Lead,
    ),
    s(
        "900-249-08",
        "废矿物油（集中收集）",
        "混合废矿物油",
        "liquid",
        TI,
        IBC,
        1000,
        1000.0,
        0.0,
        OilUtil,
    ),
];

/// Yunan's own stock from before hwtrace, registered at go-live.
pub const OPENING_STOCK: StreamSpec = s(
    "336-064-17",
    "表面处理污泥（系统上线前库存）",
    "酸洗、磷化废水处理污泥",
    "semi_solid",
    T,
    BAG,
    1000,
    1000.0,
    0.0,
    Stabilise,
);

/// A hospital's pathological waste, which no facility of the district may take.
pub const PATHOLOGICAL: StreamSpec = s(
    "841-003-01",
    "病理性废物",
    "手术切除的人体组织",
    "solid",
    IN,
    "医疗废物周转箱（100L，冷藏）",
    100,
    20.0,
    0.0,
    Steam,
);

/// Places of the districts, for invented names and addresses.
fn places(district: &str) -> &'static [(&'static str, &'static str)] {
    match district {
        "wansheng" => &[
            ("南桐", "Nantong"),
            ("青年", "Qingnian"),
            ("丛林", "Conglin"),
            ("关坝", "Guanba"),
            ("黑山", "Heishan"),
            ("金桥", "Jinqiao"),
            ("石林", "Shilin"),
            ("万东", "Wandong"),
        ],
        "qijiang" => &[
            ("古南", "Gunan"),
            ("三江", "Sanjiang"),
            ("赶水", "Ganshui"),
            ("东溪", "Dongxi"),
            ("打通", "Datong"),
            ("永城", "Yongcheng"),
        ],
        "nanchuan" => &[
            ("东城", "Dongcheng"),
            ("水江", "Shuijiang"),
            ("南平", "Nanping"),
            ("大观", "Daguan"),
            ("三泉", "Sanquan"),
        ],
        _ => &[("渝北", "Yubei"), ("巴南", "Banan")],
    }
}

fn district_zh(district: &str) -> &'static str {
    match district {
        "wansheng" => "万盛经开区",
        "qijiang" => "綦江区",
        "nanchuan" => "南川区",
        _ => "重庆市",
    }
}

fn division(district: &str) -> &'static str {
    match district {
        "wansheng" => "500110",
        "qijiang" => "500222",
        "nanchuan" => "500119",
        _ => "500112",
    }
}

/// An invented USCC: `91` (or `12`), the district's division code, `MA` (`MB`), `D`, a tag
/// letter and a number, and the check character.
fn invent_uscc(public: bool, district: &str, tag: char, n: usize) -> String {
    let (kind, org) = if public { ("12", "MB") } else { ("91", "MA") };
    let first17 = format!("{kind}{}{org}D{tag}{n:05}", division(district));
    format!("{first17}{}", check_char(first17.as_bytes()))
}

/// Every registered party the demo acts for.
pub struct Party {
    pub uscc: String,
    pub district: &'static str,
    /// The enterprise record to register; `None` for the seeded facilities.
    pub record: Option<NewEnterprise>,
    /// The phone (generators, collection points) or gate PC (facilities) that signs.
    pub device: Device,
}

/// A generator and the streams it fills.
pub struct Generator {
    pub party: usize,
    pub industry: &'static Industry,
    /// Each stream with this generator's tonnes a year.
    pub streams: Vec<(&'static StreamSpec, f64)>,
}

pub struct Vehicle {
    pub plate: String,
    pub kind: &'static str,
}

pub struct Driver {
    pub name: String,
    pub licence: String,
    pub phone: String,
    pub device: Device,
}

pub struct Carrier {
    pub party: usize,
    pub vehicles: Vec<Vehicle>,
    pub drivers: Vec<Driver>,
}

/// A synthetic facility's permit.
pub struct SynthPermit {
    pub party: usize,
    pub permit: NewPermit,
}

/// The facilities and collection points by role.
pub struct Plants {
    pub yunan: usize,
    pub nantong: usize,
    pub fengyan: usize,
    pub oil: usize,
    pub lead: usize,
    /// The collection point of wansheng, qijiang and nanchuan.
    pub points: [usize; 3],
}

pub struct Cast {
    pub parties: Vec<Party>,
    pub generators: Vec<Generator>,
    /// T1 (Wansheng, general), T2 (medical waste), T3 (Qijiang), T4 (Nanchuan), T5 (tankers).
    pub carriers: Vec<Carrier>,
    pub plants: Plants,
    pub permits: Vec<SynthPermit>,
}

pub const YUNAN: &str = "91500110MA60YNXH0F";
pub const NANTONG: &str = "91500110MA61NTHB7C";
pub const FENGYAN: &str = "12500110MB1FY0001C";
const DEMO_CARRIER: &str = "91500110MA6TRN031U";

/// A device whose key derives from the seed and the key's name.
pub fn device(seed: u64, owner: &str, name: &str) -> Device {
    let key = Rng::new(seed, &format!("device key {owner}/{name}")).bytes32();
    Device::from_seed(owner, name, key)
}

fn record(
    uscc: &str,
    name_zh: String,
    name_en: String,
    roles: &[&str],
    district: &'static str,
    n: usize,
) -> NewEnterprise {
    let place = places(district)[n % places(district).len()].0;
    NewEnterprise {
        uscc: uscc.to_owned(),
        name_zh,
        name_en: Some(name_en),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        district: Some(district.to_owned()),
        address: format!("重庆市{}{place}（演示地址）", district_zh(district)),
        contact_name: "安全环保部（演示）".into(),
        contact_phone: format!("023-48{:06}", 100 + n),
        synthetic: true,
    }
}

#[derive(Deserialize)]
struct DemoFile {
    enterprises: Vec<NewEnterprise>,
}

/// demo.json's enterprises, which the year takes into its cast so that the demo accounts see
/// a living ledger.
fn demo_records(demo_json: &str) -> Vec<NewEnterprise> {
    let v: Value = serde_json::from_str(demo_json).unwrap_or(Value::Null);
    serde_json::from_value::<DemoFile>(serde_json::json!({"enterprises": v["enterprises"]}))
        .map(|d| d.enterprises)
        .unwrap_or_default()
}

struct Builder {
    seed: u64,
    parties: Vec<Party>,
    counter: usize,
}

impl Builder {
    fn add(&mut self, record: Option<NewEnterprise>, uscc: &str, district: &'static str, device_name: &str) -> usize {
        self.parties.push(Party {
            uscc: uscc.to_owned(),
            district,
            record,
            device: device(self.seed, uscc, device_name),
        });
        self.parties.len() - 1
    }

    fn next(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }
}

fn static_district(d: &str) -> &'static str {
    match d {
        "wansheng" => "wansheng",
        "qijiang" => "qijiang",
        "nanchuan" => "nanchuan",
        _ => "other",
    }
}

/// The whole cast for a seed: the same seed, the same district.
pub fn cast(seed: u64, scale: f64, demo_json: &str, oil_permit_until: chrono::NaiveDate) -> Cast {
    let mut rng = Rng::new(seed, "cast");
    let demo = demo_records(demo_json);
    let mut b = Builder {
        seed,
        parties: Vec::new(),
        counter: 0,
    };
    let mut generators = Vec::new();
    for ind in INDUSTRIES {
        for i in 0..ind.count {
            let n = b.next();
            let district = ind.districts[i % ind.districts.len()];
            let size = ind.sizes[i % ind.sizes.len()] * rng.around(1.0, 0.15) * scale;
            let own = ind
                .demo_uscc
                .filter(|_| i == 0)
                .and_then(|u| demo.iter().find(|e| e.uscc == u));
            let party = match own {
                Some(e) => b.add(
                    Some(e.clone()),
                    &e.uscc.clone(),
                    static_district(e.district.as_deref().unwrap_or_default()),
                    "phone-1",
                ),
                None => {
                    let uscc = invent_uscc(ind.public, district, ind.tag, n);
                    let (place, place_en) = places(district)[i % places(district).len()];
                    let nth = if i >= places(district).len() {
                        format!("第{}", i / places(district).len() + 1)
                    } else {
                        String::new()
                    };
                    let name_zh = format!("（演示）{}{place}{nth}{}", district_zh(district), ind.word_zh);
                    let name_en = format!("(demo) {place_en} {} {}", ind.word_en, i + 1);
                    let rec = record(&uscc, name_zh, name_en, &["generator"], district, n);
                    b.add(Some(rec), &uscc, district, "phone-1")
                }
            };
            let streams = ind.streams.iter().map(|spec| (spec, spec.t_per_year * size)).collect();
            generators.push(Generator {
                party,
                industry: ind,
                streams,
            });
        }
    }
    let points = ["wansheng", "qijiang", "nanchuan"].map(|d| {
        let n = b.next();
        let uscc = invent_uscc(false, d, 'J', n);
        let rec = record(
            &uscc,
            format!("（演示）{}小微企业危险废物收集点", district_zh(d)),
            format!("(demo) {d} collection point for small enterprises"),
            &["collection_point"],
            d,
            n,
        );
        b.add(Some(rec), &uscc, static_district(d), "phone-1")
    });
    let n = b.next();
    let oil_uscc = invent_uscc(false, "qijiang", 'F', n);
    let oil_rec = record(
        &oil_uscc,
        "（演示）綦江废矿物油综合利用有限公司".into(),
        "(demo) Qijiang waste mineral oil recovery".into(),
        &["facility"],
        "qijiang",
        n,
    );
    let oil = b.add(Some(oil_rec), &oil_uscc, "qijiang", "gate-1");
    let n = b.next();
    let lead_uscc = invent_uscc(false, "other", 'F', n);
    let lead_rec = record(
        &lead_uscc,
        "（演示）重庆再生铅资源利用有限公司".into(),
        "(demo) Chongqing secondary lead smelter".into(),
        &["facility"],
        "other",
        n,
    );
    let lead = b.add(Some(lead_rec), &lead_uscc, "other", "gate-1");
    let yunan = b.add(None, YUNAN, "wansheng", "gate-1");
    let nantong = b.add(None, NANTONG, "wansheng", "gate-1");
    let fengyan = b.add(None, FENGYAN, "wansheng", "gate-1");
    let carriers = carriers(&mut b, &demo);
    let permits = vec![
        SynthPermit {
            party: oil,
            permit: NewPermit {
                kind: None,
                number: "DEMO-CQWF-2023-017".into(),
                valid_from: "2023-07-01".into(),
                valid_until: oil_permit_until.to_string(),
                waste_codes: vec!["HW08".into()],
                capacities: vec![Capacity::new("utilisation", 5000, CapacityPer::Year)],
                landfill_volume_m3: None,
                collection_t_per_year: None,
            },
        },
        SynthPermit {
            party: lead,
            permit: NewPermit {
                kind: None,
                number: "DEMO-CQWF-2024-009".into(),
                valid_from: "2024-03-01".into(),
                valid_until: "2029-02-28".into(),
                waste_codes: vec!["HW31".into()],
                capacities: vec![Capacity::new("utilisation", 30000, CapacityPer::Year)],
                landfill_volume_m3: None,
                collection_t_per_year: None,
            },
        },
    ]
    .into_iter()
    .chain(points.iter().enumerate().map(|(i, &party)| SynthPermit {
        party,
        // A collection licence (危险废物收集经营许可证): scope and a yearly collection capacity,
        // no treatment.
        permit: NewPermit {
            kind: Some(PermitKind::Collection.code().into()),
            number: format!("DEMO-CQSJ-2025-00{}", i + 1),
            valid_from: "2025-10-01".into(),
            valid_until: "2028-09-30".into(),
            waste_codes: vec!["HW08".into(), "HW31".into()],
            capacities: Vec::new(),
            landfill_volume_m3: None,
            collection_t_per_year: Some(300),
        },
    }))
    .collect();
    Cast {
        parties: b.parties,
        generators,
        carriers,
        plants: Plants {
            yunan,
            nantong,
            fengyan,
            oil,
            lead,
            points,
        },
        permits,
    }
}

const SURNAMES: &[&str] = &[
    "赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯", "陈", "褚", "卫", "蒋", "沈", "韩", "杨", "朱", "秦", "尤",
    "许",
];

/// A transporter: label, district, names, vehicles (plate, type) and how many drivers.
type CarrierSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    usize,
);

/// The five transporters: demo.json's Wansheng carrier (general), a medical-waste carrier, one
/// in Qijiang, one in Nanchuan, and a tanker company from the main city.
fn carriers(b: &mut Builder, demo: &[NewEnterprise]) -> Vec<Carrier> {
    let specs: [CarrierSpec; 5] = [
        (
            "T1",
            "wansheng",
            "（演示）渝南危险货物运输有限公司",
            "(demo) Yunan dangerous-goods transport",
            &[
                ("渝D12345", "van"),
                ("渝D23456", "tanker"),
                ("渝DH1201", "flatbed"),
                ("渝DH1202", "flatbed"),
                ("渝DH1203", "van"),
            ],
            5,
        ),
        (
            "T2",
            "wansheng",
            "（演示）万盛医疗废物收运有限公司",
            "(demo) Wansheng medical-waste collection",
            &[
                ("渝DY2101", "medical_waste"),
                ("渝DY2102", "medical_waste"),
                ("渝DY2103", "medical_waste"),
                ("渝DY2104", "medical_waste"),
            ],
            4,
        ),
        (
            "T3",
            "qijiang",
            "（演示）綦江危险货物运输有限公司",
            "(demo) Qijiang dangerous-goods transport",
            &[("渝BQ3101", "van"), ("渝BQ3102", "flatbed"), ("渝BQ3103", "flatbed")],
            3,
        ),
        (
            "T4",
            "nanchuan",
            "（演示）南川危险废物运输有限公司",
            "(demo) Nanchuan hazardous-waste transport",
            &[("渝GN4101", "van"), ("渝GN4102", "flatbed")],
            3,
        ),
        (
            "T5",
            "other",
            "（演示）重庆危化品罐车运输有限公司",
            "(demo) Chongqing chemical tanker transport",
            &[
                ("渝AT5101", "tanker"),
                ("渝AT5102", "tanker"),
                ("渝AT5103", "tanker"),
                ("渝AT5104", "tanker"),
            ],
            4,
        ),
    ];
    let mut out = Vec::new();
    let mut driver_no = 0usize;
    for (i, (_, district, name_zh, name_en, vehicles, drivers)) in specs.into_iter().enumerate() {
        let n = b.next();
        let demo_rec = (i == 0).then(|| demo.iter().find(|e| e.uscc == DEMO_CARRIER)).flatten();
        let (uscc, rec) = match demo_rec {
            Some(e) => (e.uscc.clone(), e.clone()),
            None => {
                let uscc = invent_uscc(false, district, 'Y', n);
                let rec = record(&uscc, name_zh.into(), name_en.into(), &["transporter"], district, n);
                (uscc, rec)
            }
        };
        let party = b.add(Some(rec), &uscc, district, "dispatch-1");
        let vehicles = vehicles
            .iter()
            .map(|(plate, kind)| Vehicle {
                plate: (*plate).to_owned(),
                kind,
            })
            .collect();
        let drivers = (1..=drivers)
            .map(|k| {
                driver_no += 1;
                Driver {
                    name: format!("{}师傅（演示）", SURNAMES[driver_no % SURNAMES.len()]),
                    licence: format!(
                        "{}19{:02}{:02}{:02}{:04}",
                        division(district),
                        70 + driver_no % 25,
                        1 + driver_no % 12,
                        1 + driver_no % 28,
                        2000 + driver_no
                    ),
                    phone: format!("1380000{:04}", 100 + driver_no),
                    device: device(b.seed, &uscc, &format!("driver-{k}")),
                }
            })
            .collect();
        out.push(Carrier {
            party,
            vehicles,
            drivers,
        });
    }
    out
}

impl Carrier {
    pub fn vehicle_records(&self) -> Vec<NewVehicle> {
        self.vehicles
            .iter()
            .map(|v| NewVehicle {
                plate: v.plate.clone(),
                vehicle_type: v.kind.to_owned(),
                // A synthetic road transport certificate number: the district's code and the
                // plate's characters after the province and city letters.
                road_transport_cert: Some(format!(
                    "渝交运管字500110{}号",
                    v.plate.chars().skip(2).collect::<String>()
                )),
            })
            .collect()
    }

    pub fn driver_records(&self) -> Vec<NewDriver> {
        self.drivers
            .iter()
            .map(|d| NewDriver {
                name: d.name.clone(),
                licence_no: d.licence.clone(),
                phone: d.phone.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Uscc;

    #[test]
    fn the_cast_has_about_a_hundred_generators_with_valid_distinct_usccs() {
        let c = cast(
            1,
            1.0,
            include_str!("../../../seeds/demo.json"),
            "2026-06-30".parse().unwrap(),
        );
        assert!((95..=110).contains(&c.generators.len()), "{}", c.generators.len());
        assert_eq!(c.carriers.len(), 5);
        let mut seen = std::collections::BTreeSet::new();
        for p in &c.parties {
            Uscc::parse(&p.uscc).unwrap();
            assert!(seen.insert(p.uscc.clone()), "{} twice", p.uscc);
            if let Some(r) = &p.record {
                assert!(r.synthetic && r.name_zh.starts_with("（演示）"), "{}", r.name_zh);
            }
        }
        for demo in [
            "91500110MA5U8F4X2N",
            "91500110MA6QXY1201",
            "12500110MB1HP0021D",
            "91500110MA6TRN031U",
        ] {
            assert!(seen.contains(demo), "demo.json's {demo} is in the cast");
        }
    }
}
