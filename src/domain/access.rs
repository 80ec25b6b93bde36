//! Who may see and do what: pure rules over the caller's role, enterprise and district.
//! An enterprise sees its own records only, a regulator sees its district, an admin manages
//! accounts and the registry. No I/O: handlers ask, then act.

use crate::domain::{District, Refusal, Uscc, UserRole};

/// The authenticated user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub role: UserRole,
    pub enterprise: Option<Uscc>,
    pub district: Option<District>,
}

/// The part of the registry a caller may list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    District(District),
    Enterprise(Uscc),
    Nothing,
}

fn not_yours(uscc: &Uscc) -> Refusal {
    Refusal::forbidden(
        "not_your_enterprise",
        format!("you may not see or change the records of enterprise {uscc}"),
        format!("您无权查看或修改企业{uscc}的记录"),
    )
}

fn admin_only() -> Refusal {
    Refusal::forbidden(
        "admin_only",
        "only an administrator may do this",
        "只有系统管理员可以执行此操作",
    )
}

impl Caller {
    /// What this caller may list.
    pub fn scope(&self) -> Scope {
        match (self.role, &self.enterprise, &self.district) {
            (UserRole::Admin, _, _) => Scope::All,
            (UserRole::Regulator, _, Some(d)) => Scope::District(d.clone()),
            (r, Some(u), _) if r.is_enterprise() => Scope::Enterprise(u.clone()),
            _ => Scope::Nothing,
        }
    }

    /// May this caller read the records of enterprise `uscc`, which is in `district`?
    pub fn may_read(&self, uscc: &Uscc, district: &str) -> Result<(), Refusal> {
        let ok = match self.scope() {
            Scope::All => true,
            Scope::District(d) => d.as_str() == district,
            Scope::Enterprise(u) => &u == uscc,
            Scope::Nothing => false,
        };
        if ok {
            Ok(())
        } else {
            Err(not_yours(uscc))
        }
    }

    /// May this caller register vehicles, drivers and devices of enterprise `uscc`?
    pub fn may_manage_assets(&self, uscc: &Uscc) -> Result<(), Refusal> {
        match self.role {
            UserRole::Admin => Ok(()),
            UserRole::EnterpriseAdmin if self.enterprise.as_ref() == Some(uscc) => Ok(()),
            UserRole::EnterpriseClerk if self.enterprise.as_ref() == Some(uscc) => Err(Refusal::forbidden(
                "enterprise_admin_only",
                "only the enterprise's administrator may register vehicles, drivers and devices",
                "只有企业管理员可以登记车辆、驾驶员和设备",
            )),
            _ => Err(not_yours(uscc)),
        }
    }

    /// May this caller record cross-province transfer approvals at all? Administrators and
    /// regulators; the province is checked by [`Caller::may_record_approval_from`].
    pub fn may_record_approvals(&self) -> Result<(), Refusal> {
        match self.role {
            UserRole::Admin | UserRole::Regulator => Ok(()),
            _ => Err(Refusal::forbidden(
                "approval_authority_only",
                "only an administrator or a regulator may record transfer approvals",
                "只有系统管理员或生态环境主管部门可以登记跨省转移批准",
            )),
        }
    }

    /// May this caller record an approval whose issuer (移出人) is in `issuer_province`? An
    /// administrator for any issuer; a regulator for issuers in the province of its own district
    /// (`own_province`): the authority of the province the waste leaves approves (转移管理办法
    /// 第二十一条).
    pub fn may_record_approval_from(&self, issuer_province: &str, own_province: Option<&str>) -> Result<(), Refusal> {
        self.may_record_approvals()?;
        if self.role == UserRole::Admin || own_province == Some(issuer_province) {
            return Ok(());
        }
        Err(Refusal::forbidden(
            "not_your_province",
            format!("the issuer is in province {issuer_province}: only its regulators or an administrator may record this approval"),
            format!("移出人位于省级行政区{issuer_province}，只有该省的主管部门或系统管理员可以登记此批准"),
        ))
    }

    /// May this caller export the custody log's events (EPCIS)? Administrators and regulators
    /// of any district: the log itself is public (SPEC §5.4), the export is a regulator's tool.
    pub fn may_export_events(&self) -> Result<(), Refusal> {
        match self.role {
            UserRole::Admin | UserRole::Regulator => Ok(()),
            _ => Err(Refusal::forbidden(
                "regulator_or_admin_only",
                "only an administrator or a regulator may export the custody events",
                "只有系统管理员或生态环境主管部门可以导出转移事件",
            )),
        }
    }

    /// May this caller manage accounts, enterprises and permits?
    pub fn must_be_admin(&self) -> Result<(), Refusal> {
        if self.role == UserRole::Admin {
            Ok(())
        } else {
            Err(admin_only())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: UserRole, ent: Option<&str>, district: Option<&str>) -> Caller {
        Caller {
            user_id: 1,
            username: "u".into(),
            role,
            enterprise: ent.map(|e| Uscc::parse(e).unwrap()),
            district: district.map(|d| District::parse(d).unwrap()),
        }
    }

    const A: &str = "91500110MA5U8F4X2N";
    const B: &str = "91500110MA60YNXH0F";

    #[test]
    fn access_matrix() {
        let a = Uscc::parse(A).unwrap();
        let b = Uscc::parse(B).unwrap();
        let admin = caller(UserRole::Admin, None, None);
        let reg = caller(UserRole::Regulator, None, Some("wansheng"));
        let ent_admin = caller(UserRole::EnterpriseAdmin, Some(A), None);
        let clerk = caller(UserRole::EnterpriseClerk, Some(A), None);

        assert!(admin.may_read(&b, "qijiang").is_ok());
        assert!(reg.may_read(&b, "wansheng").is_ok());
        assert_eq!(reg.may_read(&b, "qijiang").unwrap_err().code, "not_your_enterprise");
        assert!(ent_admin.may_read(&a, "wansheng").is_ok());
        assert_eq!(
            ent_admin.may_read(&b, "wansheng").unwrap_err().code,
            "not_your_enterprise"
        );

        assert!(admin.may_manage_assets(&a).is_ok());
        assert!(ent_admin.may_manage_assets(&a).is_ok());
        assert_eq!(ent_admin.may_manage_assets(&b).unwrap_err().code, "not_your_enterprise");
        assert_eq!(clerk.may_manage_assets(&a).unwrap_err().code, "enterprise_admin_only");
        assert_eq!(reg.may_manage_assets(&a).unwrap_err().code, "not_your_enterprise");

        assert!(admin.may_export_events().is_ok() && reg.may_export_events().is_ok());
        for c in [&ent_admin, &clerk] {
            assert_eq!(c.may_export_events().unwrap_err().code, "regulator_or_admin_only");
        }

        assert!(admin.must_be_admin().is_ok());
        for c in [&reg, &ent_admin, &clerk] {
            assert_eq!(c.must_be_admin().unwrap_err().code, "admin_only");
        }

        assert!(admin.may_record_approval_from("51", None).is_ok());
        assert!(reg.may_record_approval_from("50", Some("50")).is_ok());
        assert_eq!(
            reg.may_record_approval_from("51", Some("50")).unwrap_err().code,
            "not_your_province"
        );
        for c in [&ent_admin, &clerk] {
            assert_eq!(c.may_record_approvals().unwrap_err().code, "approval_authority_only");
            assert_eq!(
                c.may_record_approval_from("50", Some("50")).unwrap_err().code,
                "approval_authority_only"
            );
        }
    }
}
