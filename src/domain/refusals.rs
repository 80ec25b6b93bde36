//! The one list of refusals: every machine code the service answers with, its kind (which
//! decides the HTTP status, in `http::error`), what it means in English and Chinese, and
//! whether an event refused with it leaves a `refusal` entry in the log.
//!
//! `Refusal::new` checks in debug builds that its code is listed here with this kind, so a
//! test that meets an unlisted code fails; `tests/errors_doc.rs` checks that every code the
//! source writes is listed and every listed code is used, and that `docs/errors.md`, which is
//! generated from this list (`hwtrace errors`), is current.

use super::refusal::RefusalKind;

/// Whether a refused event is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logged {
    /// Never: the request is refused before anything is written (and a refused event's nonce
    /// stays unused), or the code does not concern events.
    No,
    /// Always: the custody rules or the writer's checks refuse a genuinely signed event after
    /// its key and nonce were checked; the refusal is logged as a `refusal` entry and the
    /// nonce is used.
    Yes,
    /// As `Yes` when the writer refuses an event with it; as `No` elsewhere (a parser, a
    /// registry request).
    InWriter,
}

impl Logged {
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            Logged::No => ("no", "否"),
            Logged::Yes => (
                "yes: a `refusal` entry, the nonce is used",
                "是：记为refusal条目，nonce作废",
            ),
            Logged::InWriter => ("when the writer refuses an event with it", "由写入环节拒绝事件时记录"),
        }
    }
}

/// One code of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    pub code: &'static str,
    /// The kind (so the HTTP status) the code is answered with; a few codes have a second,
    /// e.g. `unknown_waste_code` is 422 as a field of a request and 404 as a path looked up.
    pub kinds: &'static [RefusalKind],
    pub logged: Logged,
    /// What it means, in English.
    pub en: &'static str,
    /// What it means, in Chinese.
    pub zh: &'static str,
}

/// The listed code `code`, if there is one.
pub fn find(code: &str) -> Option<&'static Listed> {
    LIST.iter().find(|l| l.code == code)
}

macro_rules! refusals {
    ($( $code:literal $($kind:ident)|+ , $logged:ident $en:literal $zh:literal ;)*) => {
        /// Every refusal code, grouped by what it concerns.
        pub const LIST: &[Listed] = &[
            $( Listed {
                code: $code,
                kinds: &[$(RefusalKind::$kind),+],
                logged: Logged::$logged,
                en: $en,
                zh: $zh,
            }, )*
        ];
    };
}

refusals! {
    // ---- requests: shape, size, authentication --------------------------------------------
    "malformed_json" Malformed, No "the body is not valid JSON" "请求体不是有效的JSON";
    "unknown_field" Malformed, No "the body has a member this endpoint does not know" "请求体含有本接口不认识的字段";
    "bad_field" Malformed, No "a member of the body is missing or has the wrong type" "请求体字段缺失或类型错误";
    "bad_body" Malformed, No "the body could not be read" "无法读取请求体";
    "body_too_large" TooLarge, No "the body is larger than the endpoint's limit, which the message gives in bytes (1,048,576; 33,554,432 for a batch of events)" "请求体超过接口上限，消息中给出字节数（1,048,576；批量事件为33,554,432）";
    "body_timeout" Timeout, No "the client stopped sending the body (nothing came for the idle timeout, 60 s by default)" "客户端中断发送请求体（超过空闲时限，默认60秒）";
    "unsupported_media_type" UnsupportedMedia, No "the body is not sent as application/json" "请求体未以application/json发送";
    "bad_path" Malformed, No "a path parameter that cannot be read (a percent-encoding that is not UTF-8, say)" "路径参数无法解析（如百分号编码不是UTF-8）";
    "bad_request" Malformed, No "a request the service could not read, refused before any endpoint" "请求无法解析，在进入接口前被拒绝";
    "bad_query" Malformed, No "a malformed query string or an unknown query parameter" "查询参数格式错误或含未知参数";
    "bad_range" Malformed, No "a log range or proof request out of bounds (start, end, index, size, old, new)" "日志区间或证明请求越界";
    "no_route" NotFound, No "there is no endpoint at this path" "该路径不存在接口";
    "method_not_allowed" MethodNotAllowed, No "the endpoint does not take this HTTP method" "该接口不支持此HTTP方法";
    "database_busy" Unavailable, No "the database is locked by another process for now; nothing was written, try again after the Retry-After seconds" "数据库暂时被其他进程锁定，未写入任何内容，请在Retry-After秒后重试";
    "storage_unavailable" Unavailable, No "the database cannot write now (disk full or a failed write); nothing of the request was written, reads still work; try again after the Retry-After seconds" "数据库暂时无法写入（磁盘已满或写入失败），本次请求未写入任何内容，查询不受影响；请在Retry-After秒后重试";
    "internal_error" Internal, No "an internal failure; it is logged, and nothing was changed" "服务器内部错误，已记录日志，未作任何更改";
    "not_authenticated" Unauthenticated, No "no session cookie or bearer token: log in first" "未登录：缺少会话或令牌";
    "session_expired" Unauthenticated, No "the session has expired or was ended" "会话已过期或已结束";
    "bad_token" Unauthenticated, No "the Authorization header is not a valid bearer token" "Authorization请求头不是有效的令牌";
    "bad_credentials" Unauthenticated, No "wrong username or password" "用户名或密码错误";
    "too_many_attempts" Throttled, No "too many failed logins for the account or from the address: wait the seconds the Retry-After header says" "该账户或该地址登录失败次数过多：请等待Retry-After响应头所示的秒数后再试";
    "csrf_mismatch" Forbidden, No "a session's write lacks the X-CSRF-Token header of its session" "会话写请求缺少或带错X-CSRF-Token请求头";
    "query_too_long" Invalid, No "the search text is too long" "搜索文本过长";
    "bad_limit" Invalid, No "a page size outside its bounds" "分页大小超出范围";
    "bad_year" Invalid, No "a year outside the years served" "年份超出可查询范围";
    "bad_date" Invalid, No "a date that is not YYYY-MM-DD" "日期不是YYYY-MM-DD格式";
    "date_out_of_range" Invalid, No "a date before 1900 or after 2199" "日期早于1900年或晚于2199年";
    "bad_time" Invalid, No "a time that is not RFC 3339 with an offset" "时间不是带时区的RFC 3339格式";
    "bad_period" Invalid, No "a period whose start is after its end" "期间的开始晚于结束";
    "bad_parameter" Invalid, No "a parameter this request does not take in this combination" "本请求不接受该参数组合";
    "bad_format" Invalid, No "an unknown download format" "未知的下载格式";
    "bad_lang" Invalid, No "lang must be zh, en or both" "lang应为zh、en或both";
    // ---- accounts and access ------------------------------------------------------------
    "bad_username" Invalid, No "a username of 3-64 letters, digits, '.', '_', '-' or '@' is needed" "用户名应为3-64个字母、数字或“.”“_”“-”“@”";
    "weak_password" Invalid, No "the password is too short or too long (10-256 characters), or too easy to guess: a common password (also with digits or symbols added), a repeated character or pattern, a run of the alphabet, digits or keyboard keys, or the username in it" "密码过短或过长（10-256个字符），或容易被猜中：常见密码（含前后加数字、符号）、重复的字符或片段、连续的字母、数字或键盘按键，或包含用户名";
    "bad_user_role" Invalid, No "an unknown user role" "未知的用户角色";
    "bad_user_scope" Invalid, No "enterprise users name their enterprise, regulators their district, others neither" "企业用户须指明企业，监管人员须指明辖区，其他用户均不指明";
    "username_taken" Conflict, No "the username is taken" "用户名已被占用";
    "too_many_tokens" Limit, No "the user holds the most API tokens allowed; revoke one first" "API令牌数量已达上限，请先吊销一个";
    "unknown_token" NotFound, No "no API token of this user has that number" "该用户没有此编号的API令牌";
    "admin_only" Forbidden, No "only an administrator may do this" "只有系统管理员可以执行此操作";
    "enterprise_admin_only" Forbidden, No "only the enterprise's administrator may do this" "只有企业管理员可以执行此操作";
    "regulator_or_admin_only" Forbidden, No "only an administrator or a regulator may do this" "只有系统管理员或监管人员可以执行此操作";
    "regulators_only" Forbidden, InWriter "only regulators (or administrators) may do or see this" "只有监管人员（或系统管理员）可以执行或查看";
    "not_your_enterprise" Forbidden, No "the records of another enterprise" "无权查看或修改其他企业的记录";
    "not_your_district" Forbidden, InWriter "a record of another district" "不属于本辖区的记录";
    "not_your_item" Forbidden, No "an item of another enterprise" "其他企业的废物";
    "not_your_manifest" Forbidden, No "a manifest the caller is not a party to" "调用方不是该联单的当事方";
    // ---- registry ----------------------------------------------------------------------
    "bad_uscc_length" Invalid, No "a unified social credit code has 18 characters" "统一社会信用代码应为18位";
    "bad_uscc_char" Invalid, No "a character not allowed in a unified social credit code (I, O, Z, S, V are never used)" "统一社会信用代码含不允许的字符（不使用I、O、Z、S、V）";
    "bad_uscc_check" Invalid, No "the check character of the unified social credit code is wrong" "统一社会信用代码校验位错误";
    "bad_district" Invalid, No "a malformed district code" "辖区代码格式错误";
    "unknown_district" Invalid | NotFound, No "a district the service does not know" "未知的辖区";
    "bad_enterprise_role" Invalid, No "an unknown enterprise role" "未知的企业角色";
    "missing_enterprise_role" Invalid, No "the enterprise is not registered in the role this needs" "该企业未登记为所需角色";
    "enterprise_exists" Conflict, No "the enterprise is already registered" "该企业已登记";
    "unknown_enterprise" NotFound, InWriter "no enterprise with this code is registered" "未登记该统一社会信用代码的企业";
    "bad_phone" Invalid, No "not a telephone number" "不是有效的电话号码";
    "missing_field" Invalid, No "a required text is empty" "必填文本为空";
    "field_too_long" Invalid, No "a text is longer than its limit" "文本超过长度上限";
    "bad_text" Invalid, No "a text contains control characters" "文本含有控制字符";
    "unknown_province" Invalid, No "characters 3-4 of the unified social credit code are no province of China" "统一社会信用代码第3-4位不是我国的省级行政区代码";
    "district_province_mismatch" Invalid, No "the supervising district given is of another province than the enterprise's code" "所填监管辖区与企业代码所在省份不符";
    "bad_permit_kind" Invalid, No "a permit is an operating licence or a collection licence" "许可证类型应为经营许可证或收集经营许可证";
    "collection_permit_methods" Invalid, No "a collection licence lists no treatment method and no landfill volume" "收集经营许可证不列处置方式和填埋库容";
    "bad_capacity_unit" Invalid, No "a capacity is per year or per day" "能力单位应为每年或每天";
    "bad_permit_number" Invalid, No "a permit number of 1-40 printable characters without spaces is needed" "许可证编号应为1-40个无空格的可打印字符";
    "bad_permit_dates" Invalid, No "a permit's validity ends before it starts" "许可证有效期结束早于开始";
    "bad_permit_scope" Invalid, No "a permit lists too few or too many waste codes or categories" "许可证所列废物代码或类别数量不符";
    "duplicate_method" Invalid, No "a treatment method is listed twice" "处置方式重复";
    "bad_capacity" Invalid, No "a capacity must be a positive whole number" "能力应为正整数";
    "permit_exists" Conflict, No "the permit is already registered" "该许可证已登记";
    "bad_plate" Invalid, No "not a Chinese licence plate" "不是有效的车牌号";
    "bad_vehicle_type" Invalid, No "an unknown vehicle type" "未知的车辆类型";
    "vehicle_exists" Conflict, No "the vehicle is already registered" "该车辆已登记";
    "bad_driver_licence" Invalid, No "a driver's licence number of 12-18 digits or capital letters is needed" "驾驶证号应为12-18位数字或大写字母";
    "driver_exists" Conflict, No "a driver with this licence is already registered" "该驾驶证号的驾驶员已登记";
    "bad_device_name" Invalid, No "a malformed device name" "设备名称格式错误";
    "bad_public_key" Invalid, No "not a base64 Ed25519 public key of 32 bytes" "不是32字节的base64 Ed25519公钥";
    "device_exists" Conflict, No "the device already has a key in force; revoke it first" "该设备已有有效密钥，请先吊销";
    "public_key_in_use" Conflict, No "the public key is already registered; every device needs its own" "该公钥已登记，每台设备须有自己的密钥";
    "unknown_device" NotFound, No "the device has no key in force" "该设备没有有效密钥";
    "key_in_use" Conflict, No "the server key is in use; rotate it before revoking it" "该服务器密钥正在使用，请先轮换再吊销";
    "no_device_owner" Forbidden, No "an enrolment request needs an enterprise user or a regulator; an administrator registers devices directly" "设备登记申请须由企业用户或监管人员提出，系统管理员可直接登记设备";
    "no_bureau" NotFound, No "the regulator's district has no single bureau (enterprise with the regulator role) to own its devices" "监管人员所在辖区没有唯一的生态环境部门单位可拥有其设备";
    "enrolment_pending" Conflict, No "a request for this device name or public key is already waiting" "该设备名称或公钥已有待审批的登记申请";
    "too_many_enrolments" Limit, No "the user has the most device enrolment requests waiting at a time (3)" "待审批的设备登记申请已达上限（3个）";
    "unknown_enrolment" NotFound, No "there is no device enrolment request with this number" "没有该编号的设备登记申请";
    "not_your_enrolment" Forbidden, No "a device enrolment request the caller neither made nor may decide" "既非本人提交也无权审批的设备登记申请";
    "enrolment_expired" Conflict, No "the request waited longer than 24 hours without a decision; ask again" "申请超过24小时未审批已过期，请重新申请";
    "enrolment_decided" Conflict, No "the request was already approved or rejected" "该申请已批准或驳回";
    "bad_enrolment_state" Invalid, No "an enrolment state is pending, approved, rejected, expired or all" "申请状态应为pending、approved、rejected、expired或all";
    "too_many_storage_places" Limit, No "an enterprise registers at most 50 storage capacities" "每个企业最多登记50个贮存能力";
    "unknown_storage_capacity" NotFound, No "no storage capacity is registered for this place" "该贮存场所未登记贮存能力";
    // ---- reference data ----------------------------------------------------------------
    "bad_waste_code_format" Invalid, No "a waste code is written NNN-NNN-NN" "废物代码应为NNN-NNN-NN格式";
    "unknown_waste_code" Invalid | NotFound, InWriter "the waste code is not in the loaded edition of the national list" "废物代码不在已加载版本的国家危险废物名录中";
    "unknown_waste_category" Invalid, No "the HW category is not in the loaded edition of the national list" "废物类别不在已加载版本的国家危险废物名录中";
    "bad_catalogue_csv" Invalid, No "a line of a catalogue CSV is malformed" "名录CSV某行格式错误";
    "bad_catalogue_version" Invalid, No "a malformed catalogue version name" "名录版本名称格式错误";
    "catalogue_version_exists" Conflict, No "the catalogue version is already loaded; versions are never edited" "该名录版本已加载，版本不可修改";
    "unknown_catalogue_version" NotFound, No "the catalogue version is not loaded" "该名录版本未加载";
    "bad_seed" Invalid, No "a seeded reference row is malformed" "内置参考数据行格式错误";
    "bad_calendar_csv" Invalid, No "a line of a calendar CSV is malformed" "日历CSV某行格式错误";
    "bad_day_kind" Invalid, No "a calendar day is a holiday or a workday" "日历日期类型应为holiday或workday";
    // ---- cross-province approvals --------------------------------------------------------
    "approval_authority_only" Forbidden, No "only an administrator or a regulator records transfer approvals" "只有系统管理员或监管人员可以登记跨省转移批准";
    "not_your_province" Forbidden, No "only the regulators of the province the waste leaves record its approvals" "只有移出地省份的监管部门可以登记该批准";
    "bad_approval_number" Invalid, No "a malformed approval number" "批准编号格式错误";
    "bad_approval_scope" Invalid, No "an approval lists too few or too many waste codes" "批准所列废物代码数量不符";
    "bad_quantity" Invalid, No "an approved quantity must be a positive whole number of grams" "批准数量应为正整数克";
    "bad_approval_dates" Invalid, No "an approval is valid at most 12 months, ending after it starts" "批准有效期最长12个月且结束晚于开始";
    "approval_same_province" Invalid, No "issuer and receiver are in one province: no approval is needed" "移出人与接受人在同一省份，无需批准";
    "approval_exists" Conflict, No "the approval is already recorded" "该批准已登记";
    "unknown_approval" NotFound | Forbidden, InWriter "no cross-province transfer approval with this number is recorded" "未登记该编号的跨省转移批准";
    "not_your_approval" Forbidden, No "an approval the caller may not see" "无权查看该批准";
    "approval_required" Forbidden, Yes "the transfer crosses a province boundary and no valid approval covers it" "跨省转移且无有效批准";
    "approval_parties" Forbidden, InWriter "the approval is for other parties" "该批准的移出人或接受人不符";
    "approval_expired" Forbidden, InWriter "the approval is not valid on the planned date" "该批准在计划日期无效";
    "approval_scope" Forbidden, InWriter "the approval does not list a waste code of the transfer" "该批准未列入本次转移的废物代码";
    "approval_exceeded" Forbidden, InWriter "the transfer would take the approval beyond its approved quantity" "本次转移将超过批准数量";
    // ---- signed events: envelope and keys (before the writer) ------------------------------
    "bad_base64" Invalid, No "the envelope's payload or a signature is not standard base64" "信封的payload或签名不是标准Base64编码";
    "wrong_payload_type" Invalid, No "the envelope's payloadType is not application/vnd.hwtrace.event+json" "信封的payloadType不是application/vnd.hwtrace.event+json";
    "no_signatures" Invalid, No "the envelope carries no signature" "信封没有签名";
    "too_many_signatures" Invalid, No "the envelope carries more signatures than any event needs" "信封签名数量超过上限";
    "bad_key_id" Invalid, No "a signature's keyid is not 8 hex digits" "签名的keyid不是8位十六进制";
    "duplicate_key_id" Invalid, No "two signatures name the same key" "两个签名使用同一密钥";
    "unknown_key" Forbidden, No "no device key (or server key) with this ID is known" "未知的密钥ID";
    "bad_signature" Invalid, No "a signature does not verify" "签名验证失败";
    "signer_mismatch" Forbidden, No "the event's actor and device are not the key that signed it" "事件声明的单位与设备与签名密钥不符";
    "key_revoked" Forbidden, No "the signing key was revoked; events it signs are refused (and alerted)" "签名密钥已被吊销，其签名的事件被拒绝并预警";
    "unknown_nonce" NotFound, No "no envelope of this device key with this nonce is in the log" "日志中没有该设备密钥使用此nonce的签名信封";
    "replayed_nonce" Conflict, No "the device already used this nonce" "该设备已使用过此nonce";
    "bad_batch_size" Invalid, No "a batch holds 1 to 1000 envelopes" "批量应包含1至1000个信封";
    // ---- signed events: the payload (before the writer) ------------------------------------
    "event_too_large" Invalid, No "an event payload is larger than its limit" "事件内容超过大小上限";
    "bad_event_json" Invalid, No "the payload is not one JSON object" "事件内容不是一个JSON对象";
    "unknown_event_type" Invalid, No "an unknown event type" "未知的事件类型";
    "duplicate_member" Invalid, No "a member is named twice in one object of the payload, so two parsers could read two events" "事件内容的同一对象中字段重复，不同解析器可能读出不同事件";
    "unexpected_signature" Forbidden, No "a signature by a party the event does not name as a signer" "事件未列为签署方的单位的签名";
    "unknown_event_field" Invalid, No "a member the event's type does not define" "事件含有其类型未定义的字段";
    "bad_event_field" Invalid, InWriter "a member is missing, has the wrong type, or a correction's value does not fit its field" "事件字段缺失、类型错误，或更正值与字段不符";
    "bad_event_time" Invalid, No "at is not an RFC 3339 time with an offset" "at不是带时区的RFC 3339时间";
    "event_in_future" Invalid, No "the event is dated more than 10 minutes after the server's clock" "事件时间比服务器时间晚10分钟以上";
    "event_too_old" Invalid, No "the event is older than the offline window" "事件早于离线窗口";
    "bad_nonce" Invalid, No "a nonce is 1-64 of A-Z a-z 0-9 - _ ." "nonce应为1-64个字母、数字或“-”“_”“.”";
    "bad_item_code" Invalid, No "a malformed 37-character item code" "37位废物识别码格式错误";
    "bad_manifest_no" Invalid, No "a malformed 14-digit manifest number" "14位联单编号格式错误";
    "no_items" Invalid, No "an item list is empty" "废物列表为空";
    "too_many_items" Limit, No "an item list is longer than 100" "废物列表超过100件";
    "duplicate_item" Invalid, No "an item list names an item twice" "废物列表重复列出同一废物";
    "bad_mass" Invalid, No "a mass must be a whole number of grams up to 100 t" "重量应为不超过100吨的整数克";
    "bad_form" Invalid, No "an unknown physical form" "未知的废物形态";
    "bad_hazard" Invalid, No "an unknown hazard characteristic (T, C, I, R, In)" "未知的危险特性（T、C、I、R、In）";
    "bad_volume" Invalid, No "a container volume or landfill volume outside its bounds" "容器容积或填埋体积超出范围";
    "bad_party_count" Invalid, No "too few or too many enterprises named" "所列单位数量不符";
    "duplicate_party" Invalid, No "an enterprise is named twice" "重复列出同一单位";
    "empty_amendment" Invalid, No "an amendment that changes nothing" "变更未作任何修改";
    "bad_label" Invalid, InWriter "a scanned label does not decode, or is not the label issued for the item" "扫描的标签无法解码，或不是为该废物签发的标签";
    "bad_decision" Invalid, No "a receive decision is accept, refuse or partial" "接收决定应为accept、refuse或partial";
    "bad_receive_masses" Invalid, No "the accepted and refused masses do not fit the decision" "接收与拒收重量与决定不符";
    "bad_treatment_method" Invalid, No "an unknown treatment method" "未知的处置方式";
    "bad_output_count" Invalid, No "a split produces too few or too many outputs" "分装产生的容器数量不符";
    "bad_signers" Invalid, No "a correction's signers must include its actor" "更正的签署方须包括发起单位";
    "bad_correction_field" Invalid, No "a field a correction may not change" "更正不能修改该字段";
    "bad_incident_kind" Invalid, No "an incident is a loss, a spill or other" "事故类型应为loss、spill或other";
    // ---- signed events: the custody rules (in the writer, logged) ---------------------------
    "unknown_item" NotFound, InWriter "no item has this code" "不存在该废物";
    "unknown_manifest" NotFound, Yes "no manifest has this number" "不存在该转移联单";
    "unknown_alert" NotFound, InWriter "no alert has this number" "不存在该预警";
    "item_closed" Conflict, Yes "the item is treated, consolidated, split or lost: only corrections and explanations apply" "废物已处置、合并、分装或丢失，仅可更正或说明";
    "no_release_pending" Conflict, Yes "nobody has released the item to be accepted" "该废物没有待接收的交接";
    "wrong_state" Conflict, Yes "the event does not apply to the item's custody state" "该事件不适用于废物当前状态";
    "event_out_of_order" Conflict, Yes "the event is dated before the latest event already recorded for an item it names" "事件时间早于其所涉废物已记录的最新事件";
    "not_holder" Forbidden, Yes "only the item's holder may do this" "只有废物持有人可以执行此操作";
    "not_a_generator" Forbidden, Yes "only generators, collection points and facilities generate items" "只有产废单位、收集点和利用处置单位可以登记废物";
    "role_required" Forbidden, Yes "the actor is not registered in the role this event needs" "发起单位未登记为该事件所需角色";
    "item_exists" Conflict, Yes "the item code is already taken" "该废物识别码已存在";
    "serials_exhausted" Limit, Yes "the unit used all 999 serials for this waste code on this day (the national format's limit)" "该单位当天该废物代码的999个序号已用完（国家格式上限）";
    "manifest_numbers_exhausted" Limit, Yes "all manifest numbers of the year for the city are used" "本市当年的联单编号已用完";
    "already_on_manifest" Conflict, Yes "the item is on another open manifest; amend or cancel that first" "该废物已列入其他联单，请先变更或作废";
    "not_on_manifest" Forbidden, Yes "the item and the manifest do not go together" "废物与转移联单不符";
    "manifest_cancelled" Conflict, Yes "the manifest was cancelled" "该联单已作废";
    "manifest_in_use" Conflict, Yes "an item of the manifest has left; the manifest can no longer be changed" "联单上的废物已出发，不能再变更";
    "not_manifest_issuer" Forbidden, Yes "only the manifest's issuer may change it" "只有联单开具单位可以变更";
    "not_a_receiver" Forbidden, Yes "the receiver is not registered as a treatment facility or collection point" "接受单位未登记为利用处置单位或收集点";
    "not_a_transporter" Forbidden, Yes "a transporter named is not registered as one" "所列承运单位未登记为运输单位";
    "unknown_vehicle" Invalid, Yes "the vehicle is not registered with a transporter of the manifest" "车辆未登记在联单的运输单位名下";
    "unknown_driver" Invalid, Yes "the driver is not registered with a transporter of the manifest" "驾驶员未登记在联单的运输单位名下";
    "not_named_receiver" Forbidden, Yes "the item awaits another party" "该废物应由其他单位接收";
    "not_next_transporter" Forbidden, Yes "the transporter is not the next on the manifest" "该运输单位不是联单上的下一承运人";
    "not_last_transporter" Forbidden, Yes "only the last transporter declares arrival; others hand over" "只有最后承运人可以声明运抵，其他承运人应交接";
    "bad_return_manifest" Forbidden, Yes "a refused item goes back under a manifest of its generator naming it as receiver, or on under a new manifest" "被拒收的废物应按退回联单或新联单转移";
    "not_weighed" Conflict, Yes "the receiver must weigh the item before deciding" "接受单位应先称重再作决定";
    "label_mismatch" Conflict | Invalid, InWriter "a scanned label is not the item's, or shows another mass than the log holds" "扫描的标签与废物不符，或重量与记录不符";
    "permit_scope" Forbidden, Yes "the permit does not cover this waste code or method on this date" "许可证在该日期不涵盖该废物代码或方式";
    "mass_imbalance" Invalid, Yes "masses in and out do not balance within the tolerance" "输入与输出重量之差超过允许误差";
    "cosigner_required" Forbidden, Yes "a correction must be co-signed by the item's generator and holder" "更正须由废物的产生单位和持有人共同签署";
    "missing_cosignature" Forbidden, Yes "a party named as a signer has not signed" "列明的签署方尚未签署";
    "bad_event_reference" Invalid, Yes "the log index named is not an entry of the item" "所指日志条目不属于该废物";
    "not_party" Forbidden, Yes "only the item's generator or holder may explain it" "只有废物的产生单位或持有人可以说明";
    "no_discrepancy" Conflict, Yes "the item has no discrepancy to explain" "该废物没有需要说明的差异";
    "bad_context" Invalid, Yes "the service did not give the rules what they need (a defect)" "服务未向规则提供所需信息（缺陷）";
    "bad_item_state" Invalid, No "an unknown custody state" "未知的废物状态";
    // ---- views, reports, exports ----------------------------------------------------------
    "bad_sheet_size" Invalid, No "a label sheet holds too few or too many labels" "标签页数量超出范围";
    "bad_alert_rule" Invalid, No "an unknown alert rule" "未知的预警规则";
    "bad_alert_state" Invalid, No "an alert state is open, acknowledged or resolved" "预警状态应为open、acknowledged或resolved";
    "bad_group_by" Invalid, No "an unknown grouping" "未知的分组方式";
    "bad_export_range" Invalid, No "an export range whose end is below its start" "导出区间的结束小于开始";
    "export_too_large" Limit, No "an export covers at most 10,000 log entries" "单次导出最多10,000条日志条目";
    "ledger_too_large" Limit, No "the ledger has too many rows; ask for a shorter period or one stage" "台账行数过多，请缩短期间或只选一个环节";
    "bad_stage" Invalid, No "an unknown ledger stage" "未知的台账环节";
    "bad_movement" Invalid, No "an unknown ledger movement" "未知的台账流向";
    "bad_supervision_class" Invalid, No "an unknown supervision class" "未知的管理类别";
    "bad_period_kind" Invalid, No "an unknown report period" "未知的申报周期";
    "bad_manifest_role" Invalid, No "a party's role on a manifest is issuer, carrier or receiver" "联单相关方角色应为issuer、carrier或receiver";
    "bad_manifest_state" Invalid, No "a manifest state is open, in_progress, closed or cancelled" "联单状态应为open、in_progress、closed或cancelled";
    "too_many_codes" Limit, No "a query names at most 20 waste codes" "查询最多列出20个废物代码";
    "bad_search" Invalid, No "a search is 1-60 characters: an item code, a manifest number, a name or a USCC" "搜索内容应为1-60个字符：物品编码、联单编号、企业名称或统一社会信用代码";
}
