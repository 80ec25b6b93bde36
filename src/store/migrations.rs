//! Schema migrations: the numbered SQL files of `schema/`, embedded in the binary and applied
//! in order at start-up by `rusqlite_migration` (which tracks them in `PRAGMA user_version`).

use rusqlite_migration::{Migrations, M};

/// Every migration, in order: (file name, SQL). Add new files at the end; never edit one
/// that has shipped.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_foundation.sql", include_str!("../../schema/0001_foundation.sql")),
    ("0002_log.sql", include_str!("../../schema/0002_log.sql")),
    ("0003_custody.sql", include_str!("../../schema/0003_custody.sql")),
    (
        "0004_calendar_approvals.sql",
        include_str!("../../schema/0004_calendar_approvals.sql"),
    ),
    (
        "0005_history_alerts.sql",
        include_str!("../../schema/0005_history_alerts.sql"),
    ),
    (
        "0006_divisions_permits.sql",
        include_str!("../../schema/0006_divisions_permits.sql"),
    ),
    (
        "0007_print_fields.sql",
        include_str!("../../schema/0007_print_fields.sql"),
    ),
    ("0008_field.sql", include_str!("../../schema/0008_field.sql")),
    ("0009_dashboard.sql", include_str!("../../schema/0009_dashboard.sql")),
    (
        "0010_alert_notes.sql",
        include_str!("../../schema/0010_alert_notes.sql"),
    ),
];

pub fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|(_, sql)| M::up(sql)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_listed_in_order() {
        migrations().validate().unwrap();
        let names: Vec<&str> = MIGRATIONS.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schema");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(files, names, "every file in schema/ must be listed in MIGRATIONS");
    }
}
