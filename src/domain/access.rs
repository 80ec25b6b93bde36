//! Who may see and do what: pure rules over the caller's role, enterprise and district.
//! An enterprise sees its own records only, a regulator sees its district, an admin manages
//! accounts and the registry; a user asks for its browser to be enrolled as a device of its
//! enterprise (a regulator: of its district's bureau), which that enterprise's administrator
//! decides. No I/O: handlers ask, then act.

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

/// Whose device a user's enrolment request asks for: its enterprise's, or, for a regulator,
/// the bureau's of its district (the enterprise with the `regulator` role there, whose devices
/// sign acknowledgements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolmentOwner {
    Enterprise(Uscc),
    Bureau(District),
}

/// The enrolment requests a caller may list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolmentScope {
    /// An administrator: every request.
    All,
    /// An enterprise's administrator: its enterprise's requests, whoever made them.
    Enterprise(Uscc),
    /// Anyone else: the requests the user made.
    Requester(i64),
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

    /// For whom this caller's browser may be enrolled as a device: an enterprise user's
    /// enterprise, a regulator's district bureau. An administrator has no enterprise; it
    /// registers devices directly (`no_device_owner`).
    pub fn enrolment_owner(&self) -> Result<EnrolmentOwner, Refusal> {
        match (self.role, &self.enterprise, &self.district) {
            (r, Some(u), _) if r.is_enterprise() => Ok(EnrolmentOwner::Enterprise(u.clone())),
            (UserRole::Regulator, _, Some(d)) => Ok(EnrolmentOwner::Bureau(d.clone())),
            _ => Err(Refusal::forbidden(
                "no_device_owner",
                "you belong to no enterprise or bureau a device could be enrolled for; an administrator registers devices directly",
                "您不属于任何企业或监管部门，无法申请登记设备；系统管理员可直接登记设备",
            )),
        }
    }

    /// May this caller approve or reject a request to enrol a device of `owner`? Whoever may
    /// register that enterprise's devices directly: an administrator, or the enterprise's own
    /// administrator (a bureau's requests: an administrator, or the bureau's administrator).
    pub fn may_decide_enrolment(&self, owner: &Uscc) -> Result<(), Refusal> {
        self.may_manage_assets(owner)
    }

    /// May this caller see a request made by user `requester` for a device of `owner`? The
    /// requester itself (to poll it), and whoever may decide it.
    pub fn may_see_enrolment(&self, requester: i64, owner: &Uscc) -> Result<(), Refusal> {
        if self.user_id == requester || self.may_decide_enrolment(owner).is_ok() {
            return Ok(());
        }
        Err(Refusal::forbidden(
            "not_your_enrolment",
            "this device enrolment request is neither yours nor one you may decide",
            "该设备登记申请不是您提交的，您也无权审批",
        ))
    }

    /// Which enrolment requests this caller lists.
    pub fn enrolment_scope(&self) -> EnrolmentScope {
        match (self.role, &self.enterprise) {
            (UserRole::Admin, _) => EnrolmentScope::All,
            (UserRole::EnterpriseAdmin, Some(u)) => EnrolmentScope::Enterprise(u.clone()),
            _ => EnrolmentScope::Requester(self.user_id),
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

        // Enrolling a browser: for one's enterprise or one's district's bureau; decided by
        // whoever may register the enterprise's devices; seen by the requester too.
        assert_eq!(clerk.enrolment_owner().unwrap(), EnrolmentOwner::Enterprise(a.clone()));
        assert_eq!(
            reg.enrolment_owner().unwrap(),
            EnrolmentOwner::Bureau(District::parse("wansheng").unwrap())
        );
        assert_eq!(admin.enrolment_owner().unwrap_err().code, "no_device_owner");
        assert!(admin.may_decide_enrolment(&a).is_ok() && ent_admin.may_decide_enrolment(&a).is_ok());
        assert_eq!(
            clerk.may_decide_enrolment(&a).unwrap_err().code,
            "enterprise_admin_only"
        );
        assert_eq!(
            ent_admin.may_decide_enrolment(&b).unwrap_err().code,
            "not_your_enterprise"
        );
        assert_eq!(reg.may_decide_enrolment(&b).unwrap_err().code, "not_your_enterprise");
        let mut other_clerk = clerk.clone();
        other_clerk.user_id = 2;
        assert!(
            clerk.may_see_enrolment(1, &a).is_ok(),
            "the requester polls its request"
        );
        assert!(ent_admin.may_see_enrolment(2, &a).is_ok(), "the approver sees it");
        assert_eq!(
            other_clerk.may_see_enrolment(1, &a).unwrap_err().code,
            "not_your_enrolment"
        );
        assert_eq!(admin.enrolment_scope(), EnrolmentScope::All);
        assert_eq!(ent_admin.enrolment_scope(), EnrolmentScope::Enterprise(a.clone()));
        assert_eq!(clerk.enrolment_scope(), EnrolmentScope::Requester(1));
        assert_eq!(reg.enrolment_scope(), EnrolmentScope::Requester(1));

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
