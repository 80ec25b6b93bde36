//! The HJ 1259 ledger and the period reports as files: CSV (UTF-8 with a byte-order mark, so
//! spreadsheet programs set to a Chinese locale read it right) and XLSX (one sheet per stage,
//! after tables B.1–B.5). Column headers are Chinese, with English as an alternative (CSV) or a
//! second header row (XLSX). Pure: rows in, bytes out.

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use super::{kg, kg_signed, LedgerRow, Movement, PeriodReport, Stage};
use crate::domain::TreatmentMethod;

/// The header language of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
    /// A Chinese header row, then an English one.
    Both,
}

impl Lang {
    pub fn parse(s: &str) -> Result<Lang, crate::domain::Refusal> {
        match s {
            "zh" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            "both" => Ok(Lang::Both),
            _ => Err(crate::domain::Refusal::invalid(
                "bad_lang",
                format!("lang must be zh, en or both, got '{s}'"),
                format!("lang应为zh、en或both，实际为“{s}”"),
            )),
        }
    }
}

/// The unit of every quantity column.
pub const UNIT: &str = "kg";

/// The byte-order mark that starts every CSV file.
pub const BOM: &str = "\u{feff}";

/// A ledger column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Col {
    No,
    StageName,
    MovementName,
    Batch,
    Time,
    Item,
    Packaging,
    Count,
    WasteName,
    CatalogueName,
    Category,
    WasteCode,
    Quantity,
    Unit,
    FacilityCode,
    StoragePlace,
    StorageType,
    Direction,
    Method,
    FinishTime,
    ReceiverKind,
    ReceiverName,
    ReceiverUscc,
    Permit,
    ExemptUnit,
    ForeignUnit,
    ExportNotice,
    Carrier,
    Manifest,
    TransportSigner,
    Signer,
    SourceBatch,
    Seq,
}

use Col::*;

/// The columns of a stage's table (HJ 1259 Appendix B, in its order, then what hwtrace adds:
/// movement, manifest, log index), or of the all-stages ledger.
pub fn columns(stage: Option<Stage>) -> &'static [Col] {
    match stage {
        Some(Stage::Production) => &[
            No,
            Batch,
            Time,
            WasteName,
            CatalogueName,
            Category,
            WasteCode,
            Quantity,
            Unit,
            Item,
            Packaging,
            Count,
            FacilityCode,
            Signer,
            Direction,
            Seq,
        ],
        Some(Stage::IntoStore) => &[
            No,
            Batch,
            Time,
            Item,
            Packaging,
            Count,
            WasteName,
            CatalogueName,
            Category,
            WasteCode,
            Quantity,
            Unit,
            StoragePlace,
            StorageType,
            TransportSigner,
            Signer,
            SourceBatch,
            MovementName,
            Direction,
            Manifest,
            Seq,
        ],
        Some(Stage::OutOfStore) => &[
            No,
            Batch,
            Time,
            Item,
            Packaging,
            Count,
            WasteName,
            CatalogueName,
            Category,
            WasteCode,
            Quantity,
            Unit,
            StoragePlace,
            StorageType,
            Signer,
            TransportSigner,
            SourceBatch,
            Direction,
            MovementName,
            Manifest,
            Seq,
        ],
        Some(Stage::OwnTreatment) => &[
            No,
            Batch,
            Time,
            Item,
            Packaging,
            Count,
            WasteName,
            CatalogueName,
            Category,
            WasteCode,
            Quantity,
            Unit,
            FacilityCode,
            Method,
            FinishTime,
            Signer,
            SourceBatch,
            Seq,
        ],
        Some(Stage::SentOut) => &[
            No,
            Batch,
            Time,
            Item,
            Packaging,
            Count,
            WasteName,
            CatalogueName,
            Category,
            WasteCode,
            Quantity,
            Unit,
            Method,
            ReceiverKind,
            ReceiverName,
            Permit,
            ExemptUnit,
            ForeignUnit,
            ExportNotice,
            SourceBatch,
            ReceiverUscc,
            Carrier,
            Manifest,
            Signer,
            Seq,
        ],
        None => &[
            No,
            StageName,
            Batch,
            Time,
            Item,
            Packaging,
            Count,
            WasteName,
            CatalogueName,
            Category,
            WasteCode,
            Quantity,
            Unit,
            FacilityCode,
            StoragePlace,
            StorageType,
            MovementName,
            Direction,
            Method,
            ReceiverName,
            ReceiverUscc,
            Permit,
            ExemptUnit,
            Carrier,
            Manifest,
            TransportSigner,
            Signer,
            SourceBatch,
            Seq,
        ],
    }
}

/// The column's header (Chinese, English) in the table of `stage` (None: all stages).
pub fn header(col: Col, stage: Option<Stage>) -> (&'static str, &'static str) {
    use Stage as S;
    match (col, stage) {
        (No, _) => ("序号", "No."),
        (StageName, _) => ("环节", "Stage"),
        (MovementName, _) => ("变动类型", "Movement"),
        (Batch, Some(S::Production)) => ("产生批次编码", "Generation batch"),
        (Batch, Some(S::IntoStore)) => ("入库批次编码", "Into-store batch"),
        (Batch, Some(S::OutOfStore)) => ("出库批次编码", "Out-of-store batch"),
        (Batch, Some(S::OwnTreatment)) => ("自行利用/处置批次编码", "Own-treatment batch"),
        (Batch, Some(S::SentOut)) => ("委外利用/处置批次编码", "Sent-out batch"),
        (Batch, None) => ("批次编码", "Batch code"),
        (Time, Some(S::Production)) => ("产生时间", "Generated at (CST)"),
        (Time, Some(S::IntoStore)) => ("入库时间", "Into store at (CST)"),
        (Time, Some(S::OutOfStore)) => ("出库时间", "Out of store at (CST)"),
        (Time, Some(S::OwnTreatment)) => ("自行利用/处置时间", "Treated at (CST)"),
        (Time, Some(S::SentOut)) => ("出厂时间", "Left the site at (CST)"),
        (Time, None) => ("时间", "Time (CST)"),
        (Item, _) => ("容器/包装编码", "Container code"),
        (Packaging, _) => ("容器/包装类型", "Container type"),
        (Count, _) => ("容器/包装数量", "Containers"),
        (WasteName, _) => ("危险废物名称（行业俗称/单位内部名称）", "Waste name (own)"),
        (CatalogueName, _) => ("国家危险废物名录名称", "Name in the national list"),
        (Category, _) => ("危险废物类别", "Category"),
        (WasteCode, _) => ("危险废物代码", "Waste code"),
        (Quantity, Some(S::Production)) => ("产生量", "Generated"),
        (Quantity, Some(S::IntoStore)) => ("入库量", "Into store"),
        (Quantity, Some(S::OutOfStore)) => ("出库量", "Out of store"),
        (Quantity, Some(S::OwnTreatment)) => ("自行利用/处置量", "Treated"),
        (Quantity, Some(S::SentOut)) => ("委外利用/处置量", "Sent out"),
        (Quantity, None) => ("数量", "Quantity"),
        (Unit, _) => ("计量单位", "Unit"),
        (FacilityCode, Some(S::Production)) => ("产生危险废物设施编码", "Generating facility code"),
        (FacilityCode, Some(S::OwnTreatment)) => ("自行利用/处置设施编码", "Treatment facility code"),
        (FacilityCode, _) => ("设施编码", "Facility code"),
        (StoragePlace, _) => ("贮存设施编码", "Storage facility code"),
        (StorageType, _) => ("贮存设施类型", "Storage facility type"),
        (Direction, Some(S::IntoStore)) => ("来源", "Source"),
        (Direction, Some(_)) => ("去向", "Destination"),
        (Direction, None) => ("去向/来源", "Destination or source"),
        (Method, Some(S::OwnTreatment)) => ("自行利用/处置方式", "Treatment method"),
        (Method, _) => ("利用/处置方式", "Treatment method"),
        (FinishTime, _) => ("自行利用/处置完毕时间", "Treatment finished at (CST)"),
        (ReceiverKind, _) => ("接收单位类型", "Receiver type"),
        (ReceiverName, _) => ("利用/处置单位名称", "Receiver"),
        (ReceiverUscc, _) => ("利用/处置单位统一社会信用代码", "Receiver USCC"),
        (Permit, _) => ("危险废物经营许可证编码", "Receiver's permit"),
        (ExemptUnit, _) => ("危险废物利用处置环节豁免管理单位名称", "Exempt receiver"),
        (ForeignUnit, _) => ("境外危险废物利用处置单位名称", "Receiver abroad"),
        (ExportNotice, _) => ("出口核准通知单编号", "Export approval notice"),
        (Carrier, _) => ("运输单位", "Transporter"),
        (Manifest, _) => ("转移联单编号", "Manifest number"),
        (TransportSigner, _) => ("运送部门经办人（签名设备）", "Moved by (device)"),
        (Signer, Some(S::Production)) => ("产生部门经办人（签名设备）", "Signed by (device)"),
        (Signer, Some(S::IntoStore)) => ("贮存部门经办人（签名设备）", "Signed by (device)"),
        (Signer, Some(S::OutOfStore)) => ("出库部门经办人（签名设备）", "Signed by (device)"),
        (Signer, Some(S::OwnTreatment)) => ("自行利用/处置部门经办人（签名设备）", "Signed by (device)"),
        (Signer, Some(S::SentOut)) => ("承运人经办人（签名设备）", "Taken over by (device)"),
        (Signer, None) => ("经办人（签名设备）", "Signed by (device)"),
        (SourceBatch, Some(S::IntoStore)) => ("产生批次编码", "Generation batch"),
        (SourceBatch, Some(S::OutOfStore)) => ("入库批次编码", "Into-store batch"),
        (SourceBatch, Some(S::OwnTreatment)) => ("产生批次编码/出库批次编码", "Generation or out-of-store batch"),
        (SourceBatch, Some(S::SentOut)) => ("产生批次编码/出库批次编码", "Generation or out-of-store batch"),
        (SourceBatch, _) => ("来源批次编码", "Source batch"),
        (Seq, _) => ("日志序号", "Log index"),
    }
}

impl Col {
    /// The column's width in an XLSX sheet, in characters.
    fn width(self) -> f64 {
        match self {
            No | Count | Unit | Category => 7.0,
            Seq => 9.0,
            Item => 40.0,
            Batch | SourceBatch | Time | FinishTime | WasteCode | Quantity | Manifest => 18.0,
            Direction | ReceiverName | Carrier | Signer | TransportSigner | ExemptUnit | FacilityCode => 30.0,
            _ => 16.0,
        }
    }
}

/// One column of a ledger table: its headers in that table and its width in a sheet. The CSV
/// and XLSX writers both walk [`table`], and both take each cell from [`cell`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub col: Col,
    pub zh: &'static str,
    pub en: &'static str,
    /// Width in an XLSX sheet, in characters.
    pub width: f64,
}

/// The table of `stage` (None: all stages): its columns, in order, with their headers.
pub fn table(stage: Option<Stage>) -> Vec<Column> {
    columns(stage)
        .iter()
        .map(|&col| {
            let (zh, en) = header(col, stage);
            Column {
                col,
                zh,
                en,
                width: col.width(),
            }
        })
        .collect()
}

/// A cell's value: text, a whole number, or grams shown as kilograms with three decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Number(u64),
    Grams(u64),
}

impl Cell {
    /// The cell as CSV (and XLSX text) writes it.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Grams(g) => kg(*g),
        }
    }
}

fn receiver_kind(kind: &str, zh: bool) -> &'static str {
    match (kind, zh) {
        ("facility", true) => "利用处置单位",
        ("facility", false) => "treatment facility",
        ("collection_point", true) => "收集单位",
        ("collection_point", false) => "collection point",
        ("generator", true) => "产生单位（退回）",
        ("generator", false) => "generator (return)",
        (_, true) => "其他",
        (_, false) => "other",
    }
}

fn method_name(code: &Option<String>, zh: bool) -> String {
    match code.as_deref().map(TreatmentMethod::parse) {
        Some(Ok(m)) if zh => m.named().name_zh.to_owned(),
        Some(Ok(m)) => m.named().name_en.to_owned(),
        _ => code.clone().unwrap_or_default(),
    }
}

/// The cell of `row` in column `col`, the row numbered `no`; `zh` chooses the language of
/// names and descriptions.
pub fn cell(row: &LedgerRow, col: Col, no: usize, zh: bool) -> Cell {
    let opt = |o: &Option<String>| Cell::Text(o.clone().unwrap_or_default());
    let text = |s: &str| Cell::Text(s.to_owned());
    let named = |n: crate::domain::Named| Cell::Text(if zh { n.name_zh } else { n.name_en }.to_owned());
    match col {
        No => Cell::Number(no as u64),
        StageName => named(row.stage.named()),
        MovementName => named(row.movement.named()),
        Batch => text(&row.batch),
        Time | FinishTime => text(&row.time_cst),
        Item => text(&row.item),
        Packaging => text(&row.packaging),
        Count => Cell::Number(1),
        WasteName => text(&row.waste_name),
        CatalogueName => text(&row.catalogue_name),
        Category => text(&row.category),
        WasteCode => text(&row.waste_code),
        Quantity => Cell::Grams(row.mass_g),
        Unit => text(UNIT),
        FacilityCode => opt(&row.facility_code),
        StoragePlace => opt(&row.storage_place),
        StorageType => opt(&row.storage_type),
        Direction if zh => Cell::Text(row.direction_zh()),
        Direction => Cell::Text(row.direction_en()),
        Method => Cell::Text(method_name(&row.method, zh)),
        ReceiverKind => Cell::Text(
            row.counterpart_kind
                .as_deref()
                .map(|k| receiver_kind(k, zh).to_owned())
                .unwrap_or_default(),
        ),
        ReceiverName | ReceiverUscc if row.movement == Movement::Received => text(""),
        ReceiverName => opt(&row.counterpart_name),
        ReceiverUscc => opt(&row.counterpart),
        Permit => opt(&row.permit),
        // The custody rules accept a reception only within a permit covering the code
        // (`permit_scope`) and every receiver is a registered enterprise in China: hwtrace
        // records no transfer to an exempt unit and no export, so these columns of B.5 stay
        // empty (docs/reports.md).
        ExemptUnit | ForeignUnit | ExportNotice => text(""),
        Carrier => match (&row.carrier_name, &row.carrier) {
            (Some(n), Some(u)) if !n.is_empty() => Cell::Text(format!("{n}（{u}）")),
            (_, c) => opt(c),
        },
        Manifest => opt(&row.manifest),
        TransportSigner => opt(&row.transport_signer),
        Signer => text(&row.signer),
        SourceBatch => opt(&row.source_batch),
        Seq => Cell::Number(row.seq),
    }
}

fn csv_error(e: impl std::fmt::Display) -> crate::store::StoreError {
    crate::store::StoreError::Other(format!("CSV: {e}"))
}

/// The ledger as CSV: a byte-order mark, the header row(s), then one row per ledger row,
/// numbered from 1. Quantities in kilograms with three decimals.
pub fn ledger_csv(rows: &[LedgerRow], stage: Option<Stage>, lang: Lang) -> crate::store::StoreResult<Vec<u8>> {
    let table = table(stage);
    let mut w = csv::Writer::from_writer(BOM.as_bytes().to_vec());
    if lang != Lang::En {
        w.write_record(table.iter().map(|c| c.zh)).map_err(csv_error)?;
    }
    if lang != Lang::Zh {
        w.write_record(table.iter().map(|c| c.en)).map_err(csv_error)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let record: Vec<String> = table
            .iter()
            .map(|c| cell(row, c.col, i + 1, lang != Lang::En).text())
            .collect();
        w.write_record(record.iter().map(|c| crate::render::csv::cell(c).into_owned()))
            .map_err(csv_error)?;
    }
    w.into_inner().map_err(csv_error)
}

/// The title of a stage's sheet.
fn sheet_title(stage: Stage) -> (String, String) {
    let zh = match stage {
        Stage::Production => "危险废物产生环节记录表",
        Stage::IntoStore => "危险废物入库环节记录表",
        Stage::OutOfStore => "危险废物出库环节记录表",
        Stage::OwnTreatment => "危险废物自行利用/处置环节记录表",
        Stage::SentOut => "危险废物委外利用/处置记录表",
    };
    (
        format!("表 {} {zh}", stage.table()),
        format!("Table {}: {} (HJ 1259-2022)", stage.table(), stage.named().name_en),
    )
}

/// The sheet name: the table and the stage, without the characters sheet names forbid.
pub fn sheet_name(stage: Stage) -> String {
    format!("{} {}", stage.table(), stage.named().name_zh.replace('/', ""))
}

fn xlsx_error(e: XlsxError) -> crate::store::StoreError {
    crate::store::StoreError::Other(format!("XLSX: {e}"))
}

/// Who and when, for the sheets' second title line.
pub struct Heading<'a> {
    pub enterprise: &'a str,
    pub name: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

/// Header rows before the data: title, subtitle, Chinese headers, English headers.
pub const XLSX_HEADER_ROWS: u32 = 4;

/// The ledger as an XLSX workbook: one sheet per stage (only `stage`'s when given), each with
/// a title, the enterprise and period, a Chinese and an English header row, then the rows.
/// Quantities are numbers of kilograms shown with three decimals.
pub fn ledger_xlsx(
    rows: &[LedgerRow],
    stage: Option<Stage>,
    heading: &Heading<'_>,
) -> crate::store::StoreResult<Vec<u8>> {
    let mut book = Workbook::new();
    let stages: Vec<Stage> = match stage {
        Some(s) => vec![s],
        None => Stage::ALL.to_vec(),
    };
    for s in stages {
        let sheet = book.add_worksheet();
        let mine: Vec<&LedgerRow> = rows.iter().filter(|r| r.stage == s).collect();
        fill_sheet(sheet, s, &mine, heading).map_err(xlsx_error)?;
    }
    book.save_to_buffer().map_err(xlsx_error)
}

fn fill_sheet(sheet: &mut Worksheet, stage: Stage, rows: &[&LedgerRow], h: &Heading<'_>) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color(Color::RGB(0xE8_E8_E8))
        .set_border(FormatBorder::Thin);
    let head_en = Format::new()
        .set_italic()
        .set_text_wrap()
        .set_font_color(Color::RGB(0x55_55_55))
        .set_background_color(Color::RGB(0xF4_F4_F4))
        .set_border(FormatBorder::Thin);
    let qty = Format::new().set_num_format("0.000");
    sheet.set_name(sheet_name(stage))?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    let (title_zh, title_en) = sheet_title(stage);
    sheet.write_string_with_format(0, 0, format!("{title_zh}  {title_en}"), &bold)?;
    sheet.write_string(
        1,
        0,
        format!(
            "产生单位 Unit：{}（{}）  期间 Period：{} 至 {}（北京时间 CST）  计量单位 Unit：{UNIT}",
            h.name, h.enterprise, h.from, h.to
        ),
    )?;
    let table = table(Some(stage));
    for (c, column) in table.iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(2, c, column.zh, &head)?;
        sheet.write_string_with_format(3, c, column.en, &head_en)?;
        sheet.set_column_width(c, column.width)?;
    }
    sheet.set_freeze_panes(XLSX_HEADER_ROWS, 0)?;
    sheet.set_repeat_rows(2, 3)?;
    for (i, row) in rows.iter().enumerate() {
        let r = XLSX_HEADER_ROWS + i as u32;
        for (c, column) in table.iter().enumerate() {
            let c = c as u16;
            match cell(row, column.col, i + 1, true) {
                Cell::Text(s) => sheet.write_string(r, c, s)?,
                // A spreadsheet number is a double: exact for every count and log index below
                // 2^53, and kilograms are written from the exact decimal text of the grams, no
                // arithmetic on floats.
                Cell::Number(n) => sheet.write_number(r, c, n as f64)?,
                Cell::Grams(g) => sheet.write_number_with_format(r, c, kg(g).parse::<f64>().unwrap_or(0.0), &qty)?,
            };
        }
    }
    Ok(())
}

/// The columns of the period report's CSV: (Chinese, English).
pub const REPORT_COLUMNS: [(&str, &str); 17] = [
    ("申报期间", "Period"),
    ("危险废物代码", "Waste code"),
    ("危险废物类别", "Category"),
    ("危险废物名称（行业俗称/单位内部名称）", "Waste names (own)"),
    ("国家危险废物名录名称", "Name in the national list"),
    ("形态", "Forms"),
    ("危险特性", "Hazards"),
    ("上期末剩余贮存量", "In store at the start"),
    ("产生量", "Generated"),
    ("接收量", "Received"),
    ("自行利用/处置量", "Treated on site"),
    ("自行利用/处置方式", "Own treatment methods"),
    ("委托外单位利用/处置量", "Sent out"),
    ("接收单位（许可证编码）", "Receivers (permit)"),
    ("其他变化量", "Other changes"),
    ("本期末剩余贮存量", "In store at the end"),
    ("计量单位", "Unit"),
];

/// Period reports as CSV: one row per period and waste code.
pub fn reports_csv(reports: &[PeriodReport], lang: Lang) -> crate::store::StoreResult<Vec<u8>> {
    let zh = lang != Lang::En;
    let mut w = csv::Writer::from_writer(BOM.as_bytes().to_vec());
    if lang != Lang::En {
        w.write_record(REPORT_COLUMNS.iter().map(|c| c.0)).map_err(csv_error)?;
    }
    if lang != Lang::Zh {
        w.write_record(REPORT_COLUMNS.iter().map(|c| c.1)).map_err(csv_error)?;
    }
    for p in reports {
        for r in &p.rows {
            let methods: Vec<String> = r
                .own_treatment
                .iter()
                .map(|m| {
                    let name = if zh { &m.method_zh } else { &m.method };
                    format!("{name} {}", kg(m.mass_g))
                })
                .collect();
            let receivers: Vec<String> = r
                .sent_out
                .iter()
                .map(|s| {
                    let name = if zh && !s.name.is_empty() { &s.name } else { &s.receiver };
                    format!("{name}（{}） {}", s.permit.as_deref().unwrap_or("-"), kg(s.mass_g))
                })
                .collect();
            let forms: Vec<String> = r
                .forms
                .iter()
                .map(|f| if zh { super::form_zh(f) } else { f.clone() })
                .collect();
            let record = [
                if zh { p.label_zh.clone() } else { p.label_en.clone() },
                r.waste_code.clone(),
                r.category.clone(),
                r.waste_names.join("；"),
                r.catalogue_name.clone(),
                forms.join("、"),
                r.hazards.join(","),
                kg(r.stored_start_g),
                kg(r.generated_g),
                kg(r.received_g),
                kg(r.own_treated_g),
                methods.join("；"),
                kg(r.sent_out_g),
                receivers.join("；"),
                kg_signed(r.other_g),
                kg(r.stored_end_g),
                UNIT.to_owned(),
            ];
            w.write_record(record.iter().map(|c| crate::render::csv::cell(c).into_owned()))
                .map_err(csv_error)?;
        }
    }
    w.into_inner().map_err(csv_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_table_has_headers_in_both_languages_and_starts_with_its_number() {
        for stage in Stage::ALL.iter().copied().map(Some).chain([None]) {
            let cols = columns(stage);
            assert_eq!(cols[0], No);
            assert_eq!(*cols.last().unwrap(), Seq);
            for c in table(stage) {
                assert!(!c.zh.is_empty() && !c.en.is_empty() && c.zh != c.en, "{c:?}");
                assert!(c.width > 0.0);
            }
            let mut seen = std::collections::HashSet::new();
            assert!(cols.iter().all(|c| seen.insert(*c)), "a column twice in {stage:?}");
        }
        assert_eq!(sheet_name(Stage::OwnTreatment), "B.4 自行利用处置");
        assert!(Stage::ALL.iter().all(|s| sheet_name(*s).chars().count() <= 31));
    }
}
